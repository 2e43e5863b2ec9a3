/* heap_pages.h - the event loop's heap advised for transparent huge pages.
 *
 * The conversation service keeps a few hundred bytes of state for every
 * new conversation and contact, allocated on the loop, so under a flood
 * the main heap grows by tens of megabytes. Each 4 KB page of it costs a
 * page fault at its first touch; on a virtual machine a fault is an exit
 * to the hypervisor, ~10 us, and they were most of the kernel's share of
 * the loop's time (docs/design.md, stop 39). A heap advised with
 * MADV_HUGEPAGE takes 2 MB pages instead where the kernel's
 * transparent_hugepage setting is "madvise" (with "always" it does
 * already; with "never" the advice changes nothing).
 *
 * glibc's heap grows by moving the program break, and each growth is a
 * new mapping without the advice, so the loop advises what the heap grew
 * by once an iteration (heap_pages_advise), and glibc is asked to grow it
 * in large steps (HEAP_PAGES_PAD) so that most of each step is untouched
 * when it is advised. The pages are only touched as they are used: the
 * resident memory grows with the heap's use, in 2 MB steps.
 */
#ifndef GW_HEAP_PAGES_H
#define GW_HEAP_PAGES_H

#include <stdint.h>

/* How far past each request glibc grows the heap (M_TOP_PAD), and keeps
 * it when memory is freed at its top. */
#define HEAP_PAGES_PAD (32u << 20)

typedef struct heap_pages {
    uintptr_t advised; /* the break up to which the heap is advised */
    int on;
} heap_pages;

/* Advise the heap's growth from now on (the calling thread's allocations
 * that come from the main heap: the event loop's). Returns 0, or
 * GW_EUNSUPPORTED where the heap is not glibc's growing by the program
 * break (a sanitizer's allocator): heap_pages_advise then does nothing. */
int heap_pages_start(heap_pages *h);

/* Advise what the heap grew by since the last call: reading the break,
 * and a madvise only when it moved. */
void heap_pages_advise(heap_pages *h);

#endif
