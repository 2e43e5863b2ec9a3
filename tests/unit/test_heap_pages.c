/* test_heap_pages.c - the loop's heap advised for transparent huge pages
 * (base/heap_pages.c): what the heap grew by carries the advice once
 * heap_pages_advise has run, read back from the kernel's own account of
 * the mappings (/proc/self/smaps, VmFlags "hg"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/heap_pages.h"
#include "gateway/error.h"

/* Whether the mapping holding addr is advised for huge pages: 1, 0, or
 * -1 when no mapping holds it. */
static int advised_at(uintptr_t addr)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    char line[512];
    int in = 0, found = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = addr >= lo && addr < hi;
            continue;
        }
        if (in && strncmp(line, "VmFlags:", 8) == 0) {
            found = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return found;
}

/* Grow the heap by at least bytes with allocations below glibc's mmap
 * threshold (so they come from the heap); the blocks into *blocks. */
static size_t grow(void ***blocks, size_t bytes)
{
    size_t n = bytes / 4096 + 1;
    *blocks = calloc(n, sizeof **blocks);
    assert_non_null(*blocks);
    for (size_t i = 0; i < n; i++)
        assert_non_null((*blocks)[i] = malloc(4000));
    return n;
}

static void release(void **blocks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(blocks[i]);
    free(blocks);
}

static void test_each_growth_of_the_heap_is_advised(void **state)
{
    (void)state;
    heap_pages h;
    if (heap_pages_start(&h) != GW_OK || access("/sys/kernel/mm/transparent_hugepage", F_OK) != 0)
        skip(); /* a sanitizer's allocator, or a kernel without huge pages */
    void **blocks[2];
    size_t n[2];
    for (int round = 0; round < 2; round++) {
        uintptr_t before = (uintptr_t)sbrk(0);
        n[round] = grow(&blocks[round], HEAP_PAGES_PAD + (8u << 20));
        uintptr_t top = (uintptr_t)sbrk(0);
        assert_true(top > before);
        assert_int_equal(0, advised_at(top - 1)); /* a growth is a mapping without it */
        heap_pages_advise(&h);
        assert_int_equal(1, advised_at(top - 1));
        assert_int_equal(1, advised_at(before)); /* from where the last advice ended */
        assert_int_equal(top, h.advised);
        heap_pages_advise(&h); /* not grown: nothing to do */
        assert_int_equal(top, h.advised);
    }
    release(blocks[0], n[0]);
    release(blocks[1], n[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_growth_of_the_heap_is_advised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
