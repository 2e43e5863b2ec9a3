/* dynlib.c - libraries loaded at run time; see dynlib.h. */
#include "base/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

void *dynlib_open(const char *soname, const char *package, const dynlib_fn *fns, size_t n,
                  void *table, char *err, size_t errlen)
{
    /* RTLD_LOCAL: the library's symbols stay out of the plugins' way.
     * RTLD_NODELETE: once loaded it stays, as it would have linked (see
     * dynlib.h). */
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (h == NULL) {
        snprintf(err, errlen, "cannot load %s (install Debian's %s): %s", soname, package,
                 dlerror());
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        void *fn = dlsym(h, fns[i].name);
        if (fn == NULL) {
            snprintf(err, errlen, "%s has no %s: not the library the gateway was built for",
                     soname, fns[i].name);
            dlclose(h);
            return NULL;
        }
        /* POSIX guarantees a function pointer survives a trip through
         * void *; copied by bytes, as the table's fields differ in type. */
        memcpy((char *)table + fns[i].offset, &fn, sizeof fn);
    }
    return h;
}
