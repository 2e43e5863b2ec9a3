/* cli_deadletter.c - `gateway deadletter`; see cli_deadletter.h. */
#include "cli/cli_deadletter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli_http.h"
#include "gateway/error.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

static const char *str(const json_t *doc, const char *key, const char *otherwise)
{
    const char *s = json_string_value(json_object_get(doc, key));
    return s != NULL ? s : otherwise;
}

static int refused(long status, json_t *doc, const char *why)
{
    if (status == 0)
        fprintf(stderr, "gateway deadletter: %s\n", why);
    else
        fprintf(stderr, "gateway deadletter: refused (%ld %s): %s\n", status,
                str(doc, "error", "?"), str(doc, "message", "no message"));
    json_decref(doc);
    return EXIT_FAILED;
}

static int list(const curl_lib *lib, const char *base, const char *token, const char *sink)
{
    long long after = 0;
    size_t shown = 0;
    for (;;) {
        char url[1024], why[512] = "", *esc = NULL;
        if (sink != NULL && (esc = lib->easy_escape(NULL, sink, 0)) == NULL)
            return refused(0, NULL, "out of memory");
        snprintf(url, sizeof url, "%s/v1/deadletters?after=%lld%s%s", base, after,
                 esc ? "&sink=" : "", esc ? esc : "");
        if (esc)
            lib->free(esc);
        json_t *doc = NULL;
        long status = cli_api_call(lib, url, token, NULL, &doc, why, sizeof why);
        const json_t *rows = json_object_get(doc, "deadletters");
        if (status != 200 || !json_is_array(rows))
            return refused(status, doc, why);
        size_t i;
        const json_t *r;
        json_array_foreach(rows, i, r)
        {
            printf("%-6lld sink %-16s seq %-8lld %-24s %s  status %lld%s  %s\n",
                   (long long)json_integer_value(json_object_get(r, "id")), str(r, "sink", "?"),
                   (long long)json_integer_value(json_object_get(r, "seq")),
                   str(r, "event_type", "?"), str(r, "parked_at", "?"),
                   (long long)json_integer_value(json_object_get(r, "status")),
                   json_is_true(json_object_get(r, "replay_pending")) ? " (replay pending)" : "",
                   str(r, "reason", ""));
            shown++;
        }
        const json_t *next = json_object_get(doc, "next_after");
        after = json_is_integer(next) ? (long long)json_integer_value(next) : 0;
        json_decref(doc);
        if (after == 0)
            break;
    }
    if (shown == 0)
        printf("no dead letters\n");
    return EXIT_OK;
}

static int is_id(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 18)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* show, replay or drop of one id. */
static int one(const curl_lib *lib, const char *base, const char *token, const char *verb,
               const char *id)
{
    char url[1024], why[512] = "";
    json_t *doc = NULL;
    long status, want;
    if (strcmp(verb, "show") == 0) {
        snprintf(url, sizeof url, "%s/v1/deadletters/%s", base, id);
        status = cli_api_call(lib, url, token, NULL, &doc, why, sizeof why);
        want = 200;
    } else if (strcmp(verb, "replay") == 0) {
        snprintf(url, sizeof url, "%s/v1/deadletters/%s/replay", base, id);
        status = cli_api_call(lib, url, token, "", &doc, why, sizeof why);
        want = 202;
    } else {
        snprintf(url, sizeof url, "%s/v1/deadletters/%s", base, id);
        status = cli_api_method(lib, "DELETE", url, token, NULL, &doc, why, sizeof why);
        want = 200;
    }
    if (status != want)
        return refused(status, doc, why);
    if (strcmp(verb, "show") == 0) {
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text ? text : "{}");
        free(text);
    } else {
        printf("dead letter %s: %s\n", id,
               strcmp(verb, "replay") == 0 ? "replay queued (it goes before the sink's next batch)"
                                           : "dropped");
    }
    json_decref(doc);
    return EXIT_OK;
}

int cli_deadletter_main(const cli_parsed *p)
{
    const char *verb = p->argc > 0 ? p->argv[0] : "list";
    int is_list = strcmp(verb, "list") == 0;
    int takes_ids = strcmp(verb, "show") == 0 || strcmp(verb, "replay") == 0 ||
                    strcmp(verb, "drop") == 0;
    if (!is_list && !takes_ids) {
        fprintf(stderr, "gateway deadletter: unknown subcommand \"%s\" (list, show, replay, "
                        "drop)\n",
                verb);
        return EXIT_USAGE;
    }
    if (is_list ? p->argc > 1 : p->argc < 2 || (strcmp(verb, "show") == 0 && p->argc > 2)) {
        fprintf(stderr, "gateway deadletter %s: %s\n", verb,
                is_list ? "takes no arguments (use --sink NAME)" : "expected a dead letter ID");
        return EXIT_USAGE;
    }
    for (int i = 1; i < p->argc; i++)
        if (!is_id(p->argv[i])) {
            fprintf(stderr, "gateway deadletter %s: \"%s\" is not a dead letter id (a number)\n",
                    verb, p->argv[i]);
            return EXIT_USAGE;
        }
    char *base = NULL, *token = NULL;
    int rc = cli_api_locate(p, "deadletter", &base, &token);
    if (rc != 0)
        return rc;
    curl_lib lib;
    char why[256];
    if (curl_lib_open(&lib, why, sizeof why) != GW_OK) {
        fprintf(stderr, "gateway deadletter: %s\n", why);
        rc = EXIT_FAILED;
    } else {
        if (is_list)
            rc = list(&lib, base, token, cli_value(p, "sink"));
        for (int i = 1; i < p->argc && rc == EXIT_OK; i++)
            rc = one(&lib, base, token, verb, p->argv[i]);
        curl_lib_close(&lib);
    }
    free(base);
    free(token);
    return rc;
}
