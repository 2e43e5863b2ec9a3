/* cli_accounts.c - `gateway accounts` and `gateway accounts restart`; see
 * cli_accounts.h.
 */
#include "cli/cli_accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli_http.h"
#include "gateway/error.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

static const char *doc_string(const json_t *doc, const char *key, const char *otherwise)
{
    const char *s = json_string_value(json_object_get(doc, key));
    return s != NULL ? s : otherwise;
}

/* One account's line: name, state, failures, next retry, last error. */
static void print_account(const json_t *a)
{
    char name[300];
    snprintf(name, sizeof name, "%s/%s", doc_string(a, "network", "?"),
             doc_string(a, "name", "?"));
    printf("%-24s %-19s failures %lld/%lld  next retry %s  last error: %s\n", name,
           doc_string(a, "state", "?"),
           (long long)json_integer_value(json_object_get(a, "consecutive_failures")),
           (long long)json_integer_value(json_object_get(a, "max_failures")),
           doc_string(a, "next_retry_at", "-"), doc_string(a, "last_error", "-"));
}

/* Say why the API refused; returns EXIT_FAILED. */
static int refused(long status, json_t *doc, const char *why)
{
    if (status == 0)
        fprintf(stderr, "gateway accounts: %s\n", why);
    else
        fprintf(stderr, "gateway accounts: refused (%ld %s): %s\n", status,
                doc_string(doc, "error", "?"), doc_string(doc, "message", "no message"));
    json_decref(doc);
    return EXIT_FAILED;
}

static int list(const curl_lib *lib, const char *base, const char *token)
{
    char url[1024], why[512] = "";
    snprintf(url, sizeof url, "%s/v1/accounts", base);
    json_t *doc = NULL;
    long status = cli_api_call(lib, url, token, NULL, &doc, why, sizeof why);
    const json_t *accounts = json_object_get(doc, "accounts");
    if (status != 200 || !json_is_array(accounts))
        return refused(status, doc, why);
    size_t i;
    const json_t *a;
    json_array_foreach(accounts, i, a)
    {
        print_account(a);
        if (strcmp(doc_string(a, "state", ""), "stopped") == 0)
            printf("  restart it with: gateway accounts restart %s/%s\n",
                   doc_string(a, "network", "?"), doc_string(a, "name", "?"));
    }
    json_decref(doc);
    return EXIT_OK;
}

static int restart(const curl_lib *lib, const char *base, const char *token,
                   const char *target)
{
    const char *slash = strchr(target, '/');
    if (slash == NULL || slash == target || slash[1] == '\0' || strchr(slash + 1, '/') != NULL) {
        fprintf(stderr, "gateway accounts restart: expected NETWORK/NAME, as in mock/acme\n");
        return EXIT_USAGE;
    }
    char url[1024], why[512] = "";
    snprintf(url, sizeof url, "%s/v1/accounts/%s/restart", base, target);
    json_t *doc = NULL;
    long status = cli_api_call(lib, url, token, "", &doc, why, sizeof why);
    if (status != 200)
        return refused(status, doc, why);
    printf("%s %s: %s\n", target,
           json_is_true(json_object_get(doc, "restarted")) ? "restarted" : "was not stopped",
           doc_string(doc, "state", "?"));
    json_decref(doc);
    return EXIT_OK;
}

int cli_accounts_main(const cli_parsed *p)
{
    int is_restart = p->argc >= 1 && strcmp(p->argv[0], "restart") == 0;
    if (p->argc > 0 && !(is_restart && p->argc == 2)) {
        if (is_restart)
            fprintf(stderr, "gateway accounts restart: expected one NETWORK/NAME\n");
        else
            fprintf(stderr,
                    "gateway accounts: unexpected argument \"%s\" (see gateway accounts "
                    "--help)\n",
                    p->argv[0]);
        return EXIT_USAGE;
    }
    char *base = NULL, *token = NULL;
    int rc = cli_api_locate(p, "accounts", &base, &token);
    if (rc != 0)
        return rc;
    curl_lib lib;
    char why[256];
    if (curl_lib_open(&lib, why, sizeof why) != GW_OK) {
        fprintf(stderr, "gateway accounts: %s\n", why);
        rc = EXIT_FAILED;
    } else {
        rc = is_restart ? restart(&lib, base, token, p->argv[1]) : list(&lib, base, token);
        curl_lib_close(&lib);
    }
    free(base);
    free(token);
    return rc;
}
