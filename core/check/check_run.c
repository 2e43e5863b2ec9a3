/* check_run.c - the contract checker's scenario; see check.h.
 *
 * 1. load: the loader's own vetting (ABI, struct_size, name, hooks for
 *    the capabilities, option declarations with help and sound defaults),
 *    then what the loader forgives: a secret-looking option not flagged
 *    GW_OPTF_SECRET;
 * 2. options from the file, as check-config would take them;
 * 3. create/destroy LEAK_ROUNDS times, measuring the heap in use around the
 *    last ones (the first fill lazy library state and malloc's caches):
 *    growth in every one is a leak;
 * 4. create, fetch (again while it says "more is ready", at most
 *    FETCH_ROUNDS), destroy; then the same from a fresh kv store: the
 *    refetch of unchanged data must bring no native id the first did not;
 * 5. on the second instance, before its destroy: the action hooks and a
 *    forged webhook delivery (check_actions.c).
 * Every call into the plugin is timed (check_host.c) and every op must
 * complete exactly once within the deadline.
 */
#define _GNU_SOURCE
#include "check/check_actions.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_options.h"
#include "engine/loader.h"

#define FETCH_ROUNDS 3
#define LEAK_ROUNDS 12
#define LEAK_MEASURED 3

#define CONTRACT_DESCRIPTOR "the loader's rules for a descriptor (plugin.h: gw_plugin, gw_option)"
#define CONTRACT_CREATE "create() returns 0 and an instance, or a GW_E* code and a reason"
#define CONTRACT_LEAK "destroy() frees the instance and cancels its own work"
#define CONTRACT_IDS "the same item keeps the same native_id, so the host can drop duplicates"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A string option whose name says "credential" must be flagged secret so
 * the host never echoes it; where a credential is sent (token_url) or
 * kept (a _file, a _path) is not one. */
static int looks_secret(const gw_option *o)
{
    static const char *const words[] = {"token",   "secret", "password",    "passwd",
                                        "api_key", "apikey", "private_key", NULL};
    static const char *const not_values[] = {"_url", "_uri", "_file", "_path", NULL};
    if (o->type != GW_OPT_STRING && o->type != GW_OPT_STRING_ARRAY)
        return 0;
    for (size_t i = 0; not_values[i]; i++) {
        if (ends_with(o->name, not_values[i]))
            return 0;
    }
    for (size_t i = 0; words[i]; i++) {
        if (strstr(o->name, words[i]) != NULL)
            return 1;
    }
    return 0;
}

static void check_descriptor(check_ctx *c)
{
    for (const gw_option *o = c->desc->options; o != NULL && o->name != NULL; o++) {
        if (looks_secret(o) && !(o->flags & GW_OPTF_SECRET))
            check_report_breach(c->rep, "descriptor", CONTRACT_DESCRIPTOR,
                                "option %s looks like a credential but is not flagged "
                                "GW_OPTF_SECRET",
                                o->name);
    }
}

/* An instance on a new host; NULL (after a "create" breach) when create()
 * refuses or out of memory. */
static gw_instance *instance_create(check_ctx *c, check_host **hp)
{
    *hp = NULL;
    check_host *h = NULL;
    if (check_host_new(&c->loop, c->client, c->desc, c->options, c->rep, &c->limits, &h) < 0) {
        /* Not the plugin's fault, but nothing after this was checked: the
         * exit code must not say "no breach". */
        check_report_breach(c->rep, "create", CONTRACT_CREATE,
                            "the checker ran out of memory before create()");
        return NULL;
    }
    gw_instance *inst = NULL;
    char err[512] = "";
    check_host_call_begin(h);
    int rc = c->desc->create(check_host_services(), check_host_account(h), &inst, err, sizeof err);
    check_host_call_end(h, "hook create");
    err[sizeof err - 1] = '\0';
    if (rc != GW_OK || inst == NULL) {
        const char *secret = check_report_find_secret(c->rep, err);
        check_report_breach(c->rep, "create", CONTRACT_CREATE, "create() %s (%s): %s%s",
                            rc == GW_OK ? "returned no instance" : "refused the options",
                            gw_strerror(rc),
                            secret   ? "its reason quotes the secret option "
                            : err[0] ? err
                                     : "and gave no reason",
                            secret ? secret : "");
        check_host_free(h);
        return NULL;
    }
    *hp = h;
    return inst;
}

static void instance_destroy(check_ctx *c, check_host *h, gw_instance *inst)
{
    check_host_destroying(h);
    check_host_call_begin(h);
    c->desc->destroy(inst);
    check_host_call_end(h, "hook destroy");
    check_host_free(h);
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* 0 when create() refused (already reported). glibc counts the chunks
 * its per-thread cache keeps as in use, and that cache fills over the
 * first rounds (7 chunks a size), so only the last LEAK_MEASURED rounds
 * are judged: a leak grows the heap in every one of them. */
static int check_leaks(check_ctx *c)
{
    size_t least = SIZE_MAX;
    for (int round = 0; round < LEAK_ROUNDS; round++) {
        size_t before = heap_in_use();
        check_host *h;
        gw_instance *inst = instance_create(c, &h);
        if (inst == NULL)
            return 0;
        instance_destroy(c, h, inst);
        size_t after = heap_in_use();
        size_t grew = after > before ? after - before : 0;
        if (round >= LEAK_ROUNDS - LEAK_MEASURED && grew < least)
            least = grew;
    }
    /* Under ASan the heap is not glibc's and this reads no growth; the
     * sanitizer's leak check at exit takes over. */
    if (least > 0)
        check_report_breach(c->rep, "leak", CONTRACT_LEAK,
                            "each create()/destroy() round left at least %zu more bytes in use",
                            least);
    return 1;
}

static void call_fetch(const gw_plugin *desc, gw_instance *inst, gw_op *op, const void *arg)
{
    (void)arg;
    desc->fetch(inst, op);
}

/* Fetch until the plugin has nothing more ready. Returns 1 when every
 * round completed OK. */
static int fetch_all(check_ctx *c, check_host *h, gw_instance *inst, FILE *out)
{
    int ok = 1;
    for (int round = 0; round < FETCH_ROUNDS; round++) {
        const check_outcome *o = check_host_run(h, inst, "fetch", call_fetch, NULL);
        if (o == NULL || !o->completed || o->outcome != GW_OUTCOME_OK) {
            if (o != NULL && o->completed)
                fprintf(out, "note: fetch completed %s%s%s; the id check is skipped\n",
                        check_outcome_name(o->outcome), o->message[0] ? ": " : "",
                        check_report_find_secret(c->rep, o->message)
                            ? "(a message quoting a secret)"
                            : o->message);
            ok = 0;
            break;
        }
        if (o->delay_ms != 0)
            break;
    }
    return ok;
}

/* Ownership: returns a new object holding the keys of events (caller
 * decrefs), or NULL. */
static json_t *id_set(const json_t *events)
{
    json_t *ids = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)events, key, v) json_object_set_new(ids, key, json_true());
    return ids;
}

static void compare_ids(check_ctx *c, const json_t *first, const json_t *again)
{
    size_t fresh = 0;
    const char *example = NULL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)again, key, v)
    {
        if (json_object_get(first, key) == NULL) {
            fresh++;
            if (example == NULL)
                example = key;
        }
    }
    if (fresh > 0)
        check_report_breach(c->rep, "ids-stable", CONTRACT_IDS,
                            "a refetch of unchanged data from a fresh kv store emitted %zu "
                            "native id(s) the first fetch did not (e.g. \"%s\"; the first "
                            "fetch emitted %zu)",
                            fresh, example, json_object_size(first));
}

static void scenario(check_ctx *c)
{
    FILE *out = c->notes;
    check_descriptor(c);
    if (!check_leaks(c))
        return;
    check_host *h;
    gw_instance *inst = instance_create(c, &h);
    if (inst == NULL)
        return;
    int can_fetch = (c->desc->capabilities & GW_CAP_FETCH) != 0;
    int fetched = can_fetch && fetch_all(c, h, inst, out);
    json_t *first = id_set(check_host_events(h));
    fprintf(out, "note: fetch emitted %zu event(s), %zu valid\n", check_host_emit_count(h),
            json_object_size(first));
    instance_destroy(c, h, inst);

    inst = instance_create(c, &h);
    if (inst != NULL) {
        if (can_fetch && fetch_all(c, h, inst, out) && fetched)
            compare_ids(c, first, check_host_events(h));
        check_actions_run(c, h, inst, check_host_events(h));
        check_webhook_run(c, h, inst);
        instance_destroy(c, h, inst);
    }
    json_decref(first);
}

static void client_closed(void *arg)
{
    *(int *)arg = 1;
}

/* Load the plugin; 2 (printed) when the file is not there, 1 when the
 * loader refused it (a "descriptor" breach), 0 when loaded. */
static int load(check_ctx *c, plugin_set *set, FILE *errout)
{
    int rc = loader_load_file(set, c->cfg->plugin_path);
    if (rc == GW_ENOMEM || rc == GW_ENOENT) {
        fprintf(errout, "gateway plugin-check: %s\n",
                rc == GW_ENOMEM ? "out of memory" : set->items[set->count - 1].refusal);
        return 2;
    }
    if (rc != GW_OK) {
        check_report_breach(c->rep, "descriptor", CONTRACT_DESCRIPTOR, "the loader refused it: %s",
                            set->items[set->count - 1].refusal);
        return 1;
    }
    c->desc = &set->items[0].desc;
    return 0;
}

int check_plugin(const check_config *cfg, FILE *out, FILE *errout)
{
    check_ctx c = {.cfg = cfg, .limits = {cfg->max_block_ms, cfg->deadline_ms}, .notes = errout};
    plugin_set set = {0};
    int code = 2;
    c.rep = check_report_new();
    if (c.rep == NULL)
        return 2;
    int loaded = load(&c, &set, errout);
    if (loaded == 0) {
        cfg_errors errs = {0};
        if (check_options_load(cfg->options_path, c.desc, c.rep, &c.options, &errs) != GW_OK) {
            int fake_unset = 0;
            for (size_t i = 0; i < errs.count; i++) {
                fprintf(errout, "%s\n", errs.lines[i]);
                fake_unset |= strstr(errs.lines[i], "\"FAKE_URL\" is not set") != NULL;
            }
            fprintf(errout, "gateway plugin-check: %s\n",
                    fake_unset ? "give the fake network's address with --fake URL (it sets "
                                 "FAKE_URL)"
                               : "fix the options file (--options) and run again");
            cfg_errors_free(&errs);
            goto done;
        }
        cfg_errors_free(&errs);
        logger log = {GW_LOG_ERROR, errout};
        http_client_options hopts;
        http_client_options_init(&hopts);
        hopts.log = &log;
        hopts.max_retries = 1;
        char err[256];
        uv_loop_init(&c.loop);
        if (http_client_new(&c.loop, &hopts, &c.client, err, sizeof err) != GW_OK) {
            fprintf(errout, "gateway plugin-check: %s\n", err);
            uv_loop_close(&c.loop);
            goto done;
        }
        scenario(&c);
        int closed = 0;
        http_client_close(c.client, client_closed, &closed);
        while (!closed)
            uv_run(&c.loop, UV_RUN_ONCE);
        uv_loop_close(&c.loop);
    } else if (loaded == 2) {
        goto done;
    }
    check_report_print(c.rep, out, cfg->json, cfg->plugin_path);
    code = check_report_count(c.rep) > 0 ? 1 : 0;
done:
    json_decref(c.options);
    check_report_free(c.rep);
    loader_unload(&set);
    return code;
}
