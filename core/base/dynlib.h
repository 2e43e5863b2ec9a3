/* dynlib.h - a shared library loaded at run time into a table of function
 * pointers, for the libraries the gateway needs only sometimes (libcurl,
 * libnats): linking them would load them, and everything they pull in,
 * into every process at start.
 */
#ifndef GW_BASE_DYNLIB_H
#define GW_BASE_DYNLIB_H

#include <stddef.h>

/* One function: its name in the library and its field's offset in the
 * caller's table (offsetof). */
typedef struct dynlib_fn {
    const char *name;
    size_t offset;
} dynlib_fn;

/* dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) and store each of
 * the n functions into table at its offset. Returns the handle (dlclose it
 * when done with the table), or NULL with a one-line reason in err naming
 * the library or the missing function; `package` is the Debian package to
 * suggest.
 *
 * Never unloaded: once opened, a library stays mapped until the process
 * exits, as it would have linked. Unloading pulls code and thread-local
 * storage from under what still refers to them: libnats's own threads and
 * the thread-local destructors it leaves (a crash when such a thread
 * ended), and the thread-local variables of GnuTLS, which libcurl pulls
 * in (LeakSanitizer's exit scan of the threads crashed on them). */
void *dynlib_open(const char *soname, const char *package, const dynlib_fn *fns, size_t n,
                  void *table, char *err, size_t errlen);

#endif /* GW_BASE_DYNLIB_H */
