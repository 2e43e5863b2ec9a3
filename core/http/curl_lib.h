/* curl_lib.h - libcurl, loaded when it is first needed.
 *
 * The gateway does not link libcurl: linking it loads some thirty shared
 * libraries at start (OpenSSL, GnuTLS through librtmp and libldap,
 * Kerberos, SASL...), and GnuTLS initialises itself from its library
 * constructor. A gateway whose plugins make no HTTP request (the mock)
 * would carry about 6 MB of RSS and an initialised TLS library it never
 * uses. So the functions we call are looked up by curl_lib_open() from
 * libcurl.so.4 (Debian's libcurl4, the OpenSSL flavour the headers come
 * from), the first time an HTTP client or a CLI command needs them.
 *
 * No global state: each user holds its own table; dlopen and
 * curl_global_init count their users, so tables may come and go. Once
 * loaded, libcurl stays until the process exits (base/dynlib.h says why),
 * as it did when it was linked.
 */
#ifndef GW_HTTP_CURL_LIB_H
#define GW_HTTP_CURL_LIB_H

#include <stddef.h>

#include <curl/curl.h>

/* The SONAME looked up; libcurl's ABI has been 4 since 2006. */
#define CURL_LIB_SONAME "libcurl.so.4"

typedef struct curl_lib {
    void *handle; /* dlopen's; NULL once closed */
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *easy, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *easy, CURLINFO info, ...);
    CURLcode (*easy_perform)(CURL *easy);
    void (*easy_cleanup)(CURL *easy);
    const char *(*easy_strerror)(CURLcode code);
    char *(*easy_escape)(CURL *easy, const char *string, int length);
    void (*free)(void *p);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *line);
    void (*slist_free_all)(struct curl_slist *list);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
    CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
    CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
    CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t s, int ev_bitmask,
                                     int *running);
    CURLMsg *(*multi_info_read)(CURLM *multi, int *msgs_in_queue);
    CURLMcode (*multi_cleanup)(CURLM *multi);
    const char *(*multi_strerror)(CURLMcode code);
} curl_lib;

/* Load libcurl and every function above into *lib, then
 * curl_global_init(CURL_GLOBAL_DEFAULT). Returns 0, or GW_EIO with a
 * one-line reason in err (the library missing, a symbol missing, the init
 * failing); *lib then needs no close. */
int curl_lib_open(curl_lib *lib, char *err, size_t errlen);

/* curl_global_cleanup and the table's dlclose (the library stays
 * mapped); every handle made through lib must be cleaned up first.
 * Idempotent. */
void curl_lib_close(curl_lib *lib);

#endif /* GW_HTTP_CURL_LIB_H */
