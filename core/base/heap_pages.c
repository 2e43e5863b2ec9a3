/* heap_pages.c - the event loop's heap advised for transparent huge pages
 * (see heap_pages.h). */
#include "base/heap_pages.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gateway/error.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HEAP_PAGES_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define HEAP_PAGES_SANITIZED 1
#endif
#endif

#define PAGE_MASK_4K ((uintptr_t)4095)

int heap_pages_start(heap_pages *h)
{
    *h = (heap_pages){0};
#if defined(HEAP_PAGES_SANITIZED) || !defined(M_TOP_PAD) || !defined(MADV_HUGEPAGE)
    return GW_EUNSUPPORTED;
#else
    void *brk = sbrk(0);
    if (brk == (void *)-1 || mallopt(M_TOP_PAD, (int)HEAP_PAGES_PAD) != 1)
        return GW_EUNSUPPORTED;
    h->advised = (uintptr_t)brk;
    h->on = 1;
    return GW_OK;
#endif
}

void heap_pages_advise(heap_pages *h)
{
#ifdef MADV_HUGEPAGE
    if (!h->on)
        return;
    uintptr_t top = (uintptr_t)sbrk(0);
    if (top == (uintptr_t)-1 || top <= h->advised)
        return; /* not grown (a trim moves it down: what is left stays advised) */
    uintptr_t from = h->advised & ~PAGE_MASK_4K;
    /* an error (no such mapping: the heap moved elsewhere) leaves the
     * pages as they are; the next growth is advised again */
    (void)madvise((void *)from, top - from, MADV_HUGEPAGE);
    h->advised = top;
#else
    (void)h;
#endif
}
