/* sanitizer.h - GW_UNDER_ASAN is defined, to 1, when this file is compiled
 * with AddressSanitizer (gcc's -fsanitize=address, or clang's), as the
 * -DGW_SANITIZE=ON build is: what must behave differently under it (an
 * address-space limit ASan's shadow memory cannot live with, a timing
 * budget its slower code needs) tests this one name.
 */
#ifndef GW_BASE_SANITIZER_H
#define GW_BASE_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define GW_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GW_UNDER_ASAN 1
#endif
#endif

#endif /* GW_BASE_SANITIZER_H */
