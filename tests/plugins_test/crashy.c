/* crashy.c - a test-only plugin that misbehaves on purpose, for the
 * isolated plugin host's tests (never shipped; build/tests/testplugins/).
 *
 * Every fetch emits one event ("crashy-<n>") and stores the cursor, then
 * does what `mode` says before completing OK:
 *   none    nothing more
 *   segv    writes to a page mapped PROT_NONE
 *   abort   calls abort()
 *   loop    never returns
 *   leak    allocates `leak_mb` MiB and keeps it
 *   socket  tries socket() and execve() and logs what it got: under the
 *           plugin host's sandbox both fail with EPERM
 * `after` fetches behave (mode none) before the mode starts.
 *
 * `hook` moves the misbehaviour to another hook (fetch then only emits):
 *   post     post_public appends {"action_id", "text"} to `actions_log`
 *            (the post "left"), then misbehaves; OK with a native_id
 *   webhook  a delivery emits "crashy-wh-<n>", then misbehaves; 200
 * `after` then counts calls of that hook.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/plugin.h"

struct gw_instance {
    const gw_host *host;
    gw_account *acct;
    const char *mode, *hook, *actions_log; /* borrowed from host->config */
    long after, leak_mb, fetches, posts, webhooks;
};

static const gw_option crashy_options[] = {
    {"mode", GW_OPT_STRING, 0, "none", "none|segv|abort|loop|leak|socket", 0, 0,
     "how fetch misbehaves"},
    {"after", GW_OPT_INT, 0, "0", NULL, 0, 0, "fetches that behave before the mode starts"},
    {"leak_mb", GW_OPT_INT, 0, "64", NULL, 0, 0, "MiB kept by each fetch in mode leak"},
    {"hook", GW_OPT_STRING, 0, "fetch", "fetch|post|webhook", 0, 0, "the hook that misbehaves"},
    {"actions_log", GW_OPT_STRING, GW_OPTF_PATH, NULL, NULL, 0, 0,
     "file post_public appends each action to before it misbehaves"},
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static int crashy_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                         size_t errlen)
{
    gw_instance *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    const json_t *cfg = host->config(acct);
    c->host = host;
    c->acct = acct;
    c->mode = json_string_value(json_object_get(cfg, "mode"));
    c->after = (long)json_integer_value(json_object_get(cfg, "after"));
    c->leak_mb = (long)json_integer_value(json_object_get(cfg, "leak_mb"));
    c->hook = json_string_value(json_object_get(cfg, "hook"));
    c->actions_log = json_string_value(json_object_get(cfg, "actions_log"));
    if (c->mode == NULL)
        c->mode = "none";
    if (c->hook == NULL)
        c->hook = "fetch";
    *out = c;
    return GW_OK;
}

static void crashy_destroy(gw_instance *c)
{
    free(c);
}

static void try_escape(gw_instance *c)
{
    errno = 0;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    c->host->log(c->acct, GW_LOG_WARN, "crashy: socket() = %d (%s)", s,
                 s < 0 ? strerror(errno) : "allowed");
    if (s >= 0)
        close(s);
    char *argv[] = {"/bin/true", NULL};
    char *envp[] = {NULL};
    errno = 0;
    int rc = execve("/bin/true", argv, envp);
    c->host->log(c->acct, GW_LOG_WARN, "crashy: execve() = %d (%s)", rc, strerror(errno));
}

/* Does what mode says, in the hook that called it. */
static void misbehave(gw_instance *c, const char *mode)
{
    if (strcmp(mode, "segv") == 0) {
        /* A real fault, on a page nobody may touch (a NULL store would be
         * stopped by UBSan in sanitizer builds before it faulted). */
        volatile int *nowhere = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        *nowhere = 1;
    } else if (strcmp(mode, "abort") == 0) {
        abort();
    } else if (strcmp(mode, "loop") == 0) {
        for (volatile int spin = 1; spin;)
            ;
    } else if (strcmp(mode, "leak") == 0) {
        size_t size = (size_t)c->leak_mb << 20;
        char *kept = malloc(size);
        if (kept != NULL)
            memset(kept, 1, size); /* touched, so it counts */
    } else if (strcmp(mode, "socket") == 0) {
        try_escape(c);
    }
}

static void crashy_fetch(gw_instance *c, gw_op *op)
{
    char cursor[32], id[48];
    long n = ++c->fetches;
    snprintf(id, sizeof id, "crashy-%ld", n);
    snprintf(cursor, sizeof cursor, "%ld", n);
    c->host->emit(c->acct, json_pack("{s:s,s:s,s:s,s:s}", "type", "mention", "native_id", id,
                                     "visibility", "public", "text", "hello"));
    c->host->kv_set(c->acct, "cursor", cursor);
    if (strcmp(c->hook, "fetch") == 0)
        misbehave(c, n > c->after ? c->mode : "none");
    c->host->complete(op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL, NULL, NULL);
}

static void crashy_post_public(gw_instance *c, gw_op *op, const gw_action *a)
{
    long n = ++c->posts;
    FILE *f = c->actions_log != NULL ? fopen(c->actions_log, "a") : NULL;
    if (f != NULL) {
        json_t *line = json_pack("{s:s,s:s}", "action_id", a->action_id, "text", a->text);
        char *text = line != NULL ? json_dumps(line, JSON_COMPACT) : NULL;
        fprintf(f, "%s\n", text != NULL ? text : "{}");
        free(text);
        json_decref(line);
        fclose(f);
    }
    if (strcmp(c->hook, "post") == 0)
        misbehave(c, n > c->after ? c->mode : "none");
    char native[48];
    snprintf(native, sizeof native, "crashy-post-%ld", n);
    c->host->complete(op, GW_OUTCOME_OK, 0, NULL, json_pack("{s:s}", "native_id", native));
}

static void crashy_webhook(gw_instance *c, gw_op *op, const gw_webhook_request *req)
{
    (void)req;
    char id[48];
    long n = ++c->webhooks;
    snprintf(id, sizeof id, "crashy-wh-%ld", n);
    c->host->emit(c->acct, json_pack("{s:s,s:s,s:s,s:s}", "type", "mention", "native_id", id,
                                     "visibility", "public", "text", "pushed"));
    if (strcmp(c->hook, "webhook") == 0)
        misbehave(c, n > c->after ? c->mode : "none");
    c->host->complete(op, GW_OUTCOME_OK, 0, NULL,
                      json_pack("{s:i,s:s,s:s}", "status", 200, "content_type",
                                "application/json", "body", "{\"ok\":true}"));
}

static const gw_plugin crashy_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "crashy",
    .version = "0.1.0",
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_WEBHOOK,
    .options = crashy_options,
    .create = crashy_create,
    .destroy = crashy_destroy,
    .fetch = crashy_fetch,
    .post_public = crashy_post_public,
    .webhook = crashy_webhook,
};

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &crashy_plugin;
}
