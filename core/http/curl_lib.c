/* curl_lib.c - libcurl, loaded on first need; see curl_lib.h. */
#include "http/curl_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "base/dynlib.h"
#include "gateway/error.h"

/* Every function of the table, once, as (field, libcurl's name): the
 * list feeds both the lookup and the type check. */
#define CURL_FUNCTIONS(X)                                                                          \
    X(global_init, curl_global_init)                                                               \
    X(global_cleanup, curl_global_cleanup)                                                         \
    X(easy_init, curl_easy_init)                                                                   \
    X(easy_setopt, curl_easy_setopt)                                                               \
    X(easy_getinfo, curl_easy_getinfo)                                                             \
    X(easy_perform, curl_easy_perform)                                                             \
    X(easy_cleanup, curl_easy_cleanup)                                                             \
    X(easy_strerror, curl_easy_strerror)                                                           \
    X(easy_escape, curl_easy_escape)                                                               \
    X(free, curl_free)                                                                             \
    X(slist_append, curl_slist_append)                                                             \
    X(slist_free_all, curl_slist_free_all)                                                         \
    X(multi_init, curl_multi_init)                                                                 \
    X(multi_setopt, curl_multi_setopt)                                                             \
    X(multi_add_handle, curl_multi_add_handle)                                                     \
    X(multi_remove_handle, curl_multi_remove_handle)                                               \
    X(multi_socket_action, curl_multi_socket_action)                                               \
    X(multi_info_read, curl_multi_info_read)                                                       \
    X(multi_cleanup, curl_multi_cleanup)                                                           \
    X(multi_strerror, curl_multi_strerror)

/* Each field has exactly the type curl.h declares for its function, or a
 * call through it would go wrong with no diagnostic. (_Generic does not
 * evaluate its operand: no reference to libcurl. The parentheses keep
 * curl's type-checking macros of the same names from expanding.) */
#define CURL_SAME_TYPE(field, name)                                                                \
    _Static_assert(_Generic(&(name), __typeof__(((curl_lib *)NULL)->field) : 1, default : 0),      \
                   "curl_lib." #field " does not match curl.h");
CURL_FUNCTIONS(CURL_SAME_TYPE)

#define CURL_FN(field, name) {#name, offsetof(curl_lib, field)},

static const dynlib_fn functions[] = {CURL_FUNCTIONS(CURL_FN)};

int curl_lib_open(curl_lib *lib, char *err, size_t errlen)
{
    memset(lib, 0, sizeof *lib);
    void *h = dynlib_open(CURL_LIB_SONAME, "libcurl4", functions,
                          sizeof functions / sizeof functions[0], lib, err, errlen);
    if (h == NULL)
        return GW_EIO;
    if (lib->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        dlclose(h);
        memset(lib, 0, sizeof *lib);
        return GW_EIO;
    }
    lib->handle = h;
    return GW_OK;
}

void curl_lib_close(curl_lib *lib)
{
    if (lib->handle == NULL)
        return;
    lib->global_cleanup();
    dlclose(lib->handle);
    memset(lib, 0, sizeof *lib);
}
