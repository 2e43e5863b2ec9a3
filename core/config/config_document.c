/* config_document.c - the walk over a parsed gateway.toml: the top-level
 * keys, [gateway], [http], [api], the [[account]] and [[sink]] arrays,
 * with the checks that span keys (retry order, the [api] token's length,
 * unique accounts and sink names); [triage], [[rule]] and [service] are
 * config_sections.c's. config.c calls it once the TOML has parsed (see
 * config_internal.h).
 *
 * It fills the sections of the gw_config it is given, which stays
 * config.c's to free, also after an error: what was filled before it is
 * freed with the rest. Validation goes on after an error so a user sees
 * all of them at once; only running out of memory stops it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/listen_addr.h"
#include "base/strmap.h"
#include "config/config.h"
#include "config/config_internal.h"
#include "config/config_schema.h"
#include "config/config_sections.h"
#include "config/config_suggest.h"
#include "config/config_table.h"
#include "config/config_text.h"
#include "gateway/error.h"
#include "sinks/sink.h"

static const gw_option *find_option(const gw_option *opts, const char *name)
{
    for (; opts && opts->name; opts++)
        if (strcmp(opts->name, name) == 0)
            return opts;
    return NULL;
}

/* retry_base above retry_max would make the backoff shrink; say which of
 * the two the user wrote so the message points at a line they own. */
static int check_retry_order(cfg_ctx *c, const toml_value *table, json_t *gw)
{
    json_int_t base = json_integer_value(json_object_get(gw, "retry_base"));
    json_int_t max = json_integer_value(json_object_get(gw, "retry_max"));
    const toml_keyval *kmax = toml_table_find(table, "retry_max");
    const toml_keyval *kbase = toml_table_find(table, "retry_base");
    const toml_keyval *at = kmax ? kmax : kbase;
    char bound[48], found[2 * CONFIG_QUOTE_BUF];
    const gw_option *o = find_option(config_gateway_options, "retry_base");

    if (base <= max || !at)
        return 0;
    config_format_bound(o, (double)(kmax ? base : max), bound, sizeof bound);
    config_describe_value(at->value, 0, found, sizeof found);
    cfg_ctx_error(c, at->value->line, at->value->column,
                  kmax ? "gateway.retry_max" : "gateway.retry_base",
                  "expected a duration %s retry_%s (%s), found %s", kmax ? "at least" : "at most",
                  kmax ? "base" : "max", bound, found);
    return GW_EINVAL;
}

static int load_http(cfg_ctx *c, const toml_keyval *kv, gw_config *cfg)
{
    const cfg_schema s = {{config_http_options, NULL}, NULL, 1};
    const toml_value *table = kv ? kv->value : NULL;

    if (table && table->type != TOML_TABLE) {
        config_table_kind_error(c, kv, "http", "a table ([http])");
        return GW_EINVAL;
    }
    int rc = config_table_validate(c, &s, table, 0, 0, "http", &cfg->http);
    const char *listen = json_string_value(json_object_get(cfg->http, "listen"));
    const toml_keyval *at = table ? toml_table_find(table, "listen") : NULL;
    char why[256], found[CONFIG_QUOTE_BUF];
    /* The server parses it with the same function when it binds, so what
     * passes here binds (or fails for a reason of the machine, not of the
     * file). */
    if (rc == 0 && listen != NULL && at != NULL &&
        listen_addr_parse(listen, NULL, NULL, why, sizeof why) != GW_OK) {
        config_quote(listen, strlen(listen), found);
        cfg_ctx_error(c, at->value->line, at->value->column, "http.listen", "%s, found %s", why,
                      found);
        rc = GW_EINVAL;
    }
    return rc;
}

/* [api] (action API). A token shorter than CONFIG_API_TOKEN_MIN is refused
 * rather than accepted as a guessable secret; the message gives its length
 * only, never the value. */
static int load_api(cfg_ctx *c, const toml_keyval *kv, gw_config *cfg)
{
    const cfg_schema s = {{config_api_options, NULL}, NULL, 1};
    const toml_value *table = kv ? kv->value : NULL;
    int rc;

    if (table && table->type != TOML_TABLE) {
        config_table_kind_error(c, kv, "api", "a table ([api])");
        return GW_EINVAL;
    }
    rc = config_table_validate(c, &s, table, 0, 0, "api", &cfg->api);
    const char *token = json_string_value(json_object_get(cfg->api, "token"));
    const toml_keyval *at = table ? toml_table_find(table, "token") : NULL;
    if (rc == 0 && token != NULL && at != NULL && strlen(token) < CONFIG_API_TOKEN_MIN) {
        cfg_ctx_error(c, at->value->line, at->value->column, "api.token",
                      "expected a secret of at least %d characters, found one of %zu",
                      CONFIG_API_TOKEN_MIN, strlen(token));
        rc = GW_EINVAL;
    }
    return rc;
}

static int load_gateway(cfg_ctx *c, const toml_keyval *kv, gw_config *cfg)
{
    const cfg_schema s = {{config_gateway_options, NULL}, NULL, 1};
    const toml_value *table = kv ? kv->value : NULL;
    int rc;

    if (table && table->type != TOML_TABLE) {
        config_table_kind_error(c, kv, "gateway", "a table ([gateway])");
        return GW_EINVAL;
    }
    rc = config_table_validate(c, &s, table, 0, 0, "gateway", &cfg->gateway);
    if (rc == 0 && table)
        rc = check_retry_order(c, table, cfg->gateway);
    return rc;
}

/* A second account with the same network and name would share the first
 * one's cursors and state; report it where the second starts, naming the
 * first. Through a map keyed by network, a NUL and name: with 10,000
 * accounts a comparison of every pair took most of the start-up. Returns
 * 0, GW_EINVAL (reported) or GW_ENOMEM. */
static int check_duplicate_accounts(cfg_ctx *c, const gw_config *cfg)
{
    size_t total = 0, i;
    for (i = 0; i < cfg->account_count; i++) {
        const cfg_account *a = &cfg->accounts[i];
        if (a->network && a->name)
            total += strlen(a->network) + 1 + strlen(a->name);
    }
    strmap *seen = strmap_new();
    char *keys = malloc(total ? total : 1);
    int rc = seen && keys ? 0 : GW_ENOMEM;
    char *k = keys;
    for (i = 0; rc != GW_ENOMEM && i < cfg->account_count; i++) {
        const cfg_account *a = &cfg->accounts[i];
        if (!a->network || !a->name)
            continue;
        size_t n = strlen(a->network) + 1, m = strlen(a->name);
        memcpy(k, a->network, n);
        memcpy(k + n, a->name, m);
        const cfg_account *b = strmap_get(seen, k, n + m);
        if (b == NULL) {
            if (strmap_put(seen, k, n + m, (void *)a) != GW_OK)
                rc = GW_ENOMEM;
            k += n + m;
            continue;
        }
        char path[CONFIG_PATH_BUF], qn[CONFIG_QUOTE_BUF], qa[CONFIG_QUOTE_BUF];
        config_path_index(path, "account", i);
        config_quote(a->network, n - 1, qn);
        config_quote(a->name, m, qa);
        cfg_ctx_error(c, a->line, a->column, path,
                      "duplicate account: network %s with name %s is already defined at line "
                      "%d (account[%zu])",
                      qn, qa, b->line, (size_t)(b - cfg->accounts));
        rc = GW_EINVAL;
    }
    strmap_free(seen);
    free(keys);
    return rc;
}

/* [[account]]: every table checked against the declared keys, then the
 * duplicates. Returns 0 or the first error (all are reported). */
static int load_accounts(cfg_ctx *c, const toml_keyval *kv, gw_config *cfg)
{
    const cfg_schema s = {{config_account_options, NULL}, CONFIG_ACCOUNT_OPTIONS_KEY, 1};
    const toml_value *arr =
        config_section_array(c, kv, "account", "an array of tables ([[account]])");
    size_t i;
    int rc = 0;

    if (!arr)
        return GW_EINVAL;
    if (arr->u.array.len == 0)
        return 0;
    cfg->accounts = calloc(arr->u.array.len, sizeof *cfg->accounts);
    if (!cfg->accounts)
        return GW_ENOMEM;
    for (i = 0; i < arr->u.array.len; i++) {
        const toml_value *t = arr->u.array.items[i];
        const toml_keyval *opts = toml_table_find(t, CONFIG_ACCOUNT_OPTIONS_KEY);
        cfg_account *a = &cfg->accounts[cfg->account_count++];
        char path[CONFIG_PATH_BUF];
        int trc;

        config_path_index(path, "account", i);
        a->line = t->line;
        a->column = t->column;
        trc = config_table_validate(c, &s, t, 0, 0, path, &a->settings);
        if (trc == GW_ENOMEM)
            return trc;
        if (trc < 0)
            rc = trc;
        if (opts && opts->value->type != TOML_TABLE) {
            char opath[CONFIG_PATH_BUF];
            config_path_key(opath, path, CONFIG_ACCOUNT_OPTIONS_KEY,
                            strlen(CONFIG_ACCOUNT_OPTIONS_KEY));
            config_table_kind_error(c, opts, opath, "a table ([account.options])");
            rc = GW_EINVAL;
        } else if (opts) {
            a->options = opts->value;
        }
        if (a->settings) {
            a->network = json_string_value(json_object_get(a->settings, "network"));
            a->name = json_string_value(json_object_get(a->settings, "name"));
        }
    }
    int drc = check_duplicate_accounts(c, cfg);
    return drc != 0 ? drc : rc;
}

/* The sink's declared keys: the common ones plus its type's, known only
 * once "type" names a built-in type. */
static int load_one_sink(cfg_ctx *c, const gw_option *common, const toml_value *t, size_t i,
                         cfg_sink *sk)
{
    const toml_keyval *tkv = toml_table_find(t, "type");
    const sink_type *type = NULL;
    cfg_schema s = {{common, NULL}, NULL, 0};
    char path[CONFIG_PATH_BUF];

    if (tkv && tkv->value->type == TOML_STRING &&
        strlen(tkv->value->u.string.ptr) == tkv->value->u.string.len) {
        char *name = NULL;
        /* Errors in the value are reported when "type" itself is checked;
         * here only the lookup matters. */
        if (cfg_expand_env(tkv->value->u.string.ptr, &name, NULL, 0) == 0)
            type = sink_type_find(name);
        free(name);
    }
    if (type) {
        s.parts[1] = type->options;
        s.report_unknown = 1;
    }
    config_path_index(path, "sink", i);
    sk->line = t->line;
    sk->column = t->column;
    int rc = config_table_validate(c, &s, t, 0, 0, path, &sk->settings);
    if (rc == 0 && type != NULL && type->check != NULL && sk->settings != NULL) {
        /* What the type alone can judge (a URL's scheme, a template),
         * reported at its key like any other value error. */
        const char *key = NULL;
        char why[512] = "";
        if (type->check(sk->settings, &key, why, sizeof why) != 0) {
            const toml_keyval *bad = key != NULL ? toml_table_find(t, key) : NULL;
            if (key != NULL)
                snprintf(path + strlen(path), sizeof path - strlen(path), ".%s", key);
            cfg_ctx_error(c, bad ? bad->value->line : t->line, bad ? bad->value->column : t->column,
                          path, "%s", why);
            rc = GW_EINVAL;
        }
    }
    return rc;
}

static int load_sinks(cfg_ctx *c, const toml_keyval *kv, gw_config *cfg)
{
    gw_option common[CONFIG_SINK_COMMON_MAX];
    const toml_value *arr = config_section_array(c, kv, "sink", "an array of tables ([[sink]])");
    char *type_names = NULL;
    size_t i, j;
    int rc;

    if (!arr)
        return GW_EINVAL;
    if (arr->u.array.len == 0)
        return 0;
    rc = config_sink_common_options(common, &type_names);
    if (rc < 0)
        return rc;
    cfg->sinks = calloc(arr->u.array.len, sizeof *cfg->sinks);
    if (!cfg->sinks) {
        rc = GW_ENOMEM;
        goto done;
    }
    for (i = 0; i < arr->u.array.len; i++) {
        cfg_sink *sk = &cfg->sinks[cfg->sink_count++];
        int trc = load_one_sink(c, common, arr->u.array.items[i], i, sk);
        if (trc == GW_ENOMEM) {
            rc = trc;
            goto done;
        }
        if (trc < 0)
            rc = trc;
        if (sk->settings) {
            sk->name = json_string_value(json_object_get(sk->settings, "name"));
            sk->type = json_string_value(json_object_get(sk->settings, "type"));
        }
    }
    /* The sink's name keys its durable cursor, so it must be unique. */
    for (i = 1; i < cfg->sink_count; i++) {
        const cfg_sink *a = &cfg->sinks[i];
        for (j = 0; a->name && j < i; j++) {
            const cfg_sink *b = &cfg->sinks[j];
            const toml_keyval *nkv = toml_table_find(arr->u.array.items[i], "name");
            char path[CONFIG_PATH_BUF], q[CONFIG_QUOTE_BUF];
            if (!b->name || strcmp(a->name, b->name) != 0)
                continue;
            config_path_index(path, "sink", i);
            strncat(path, ".name", sizeof path - strlen(path) - 1);
            config_quote(a->name, strlen(a->name), q);
            cfg_ctx_error(c, nkv->value->line, nkv->value->column, path,
                          "duplicate sink name %s: already used at line %d (sink[%zu])", q, b->line,
                          j);
            rc = GW_EINVAL;
            break;
        }
    }
done:
    free(type_names);
    return rc;
}

int config_document_validate(cfg_ctx *c, gw_config *cfg)
{
    static const config_word top[] = {{"gateway", 7}, {"http", 4},   {"api", 3},  {"account", 7},
                                      {"sink", 4},    {"triage", 6}, {"rule", 4}, {"service", 7}};
    const size_t ntop = sizeof top / sizeof top[0];
    const toml_value *root = cfg->doc;
    int rc, result = 0;
    size_t i;

    for (i = 0; i < root->u.table.len; i++) {
        const toml_keyval *kv = &root->u.table.items[i];
        const config_word *guess;
        char kpath[CONFIG_PATH_BUF], q[CONFIG_QUOTE_BUF];
        size_t t;

        for (t = 0; t < ntop; t++)
            if (kv->key_len == top[t].len && memcmp(kv->key, top[t].s, top[t].len) == 0)
                break;
        if (t < ntop)
            continue;
        config_path_key(kpath, "", kv->key, kv->key_len);
        guess = config_suggest(kv->key, kv->key_len, top, ntop);
        if (guess) {
            config_quote(guess->s, guess->len, q);
            cfg_ctx_error(c, kv->line, kv->column, kpath, "unknown key; did you mean %s?", q);
        } else {
            cfg_ctx_error(c, kv->line, kv->column, kpath,
                          "unknown key; expected one of gateway, http, api, account, sink, "
                          "triage, rule, service");
        }
        result = GW_EINVAL;
    }
    rc = load_gateway(c, toml_table_find(root, "gateway"), cfg);
    if (rc == GW_ENOMEM)
        return rc;
    if (rc < 0)
        result = rc;
    rc = load_http(c, toml_table_find(root, "http"), cfg);
    if (rc == GW_ENOMEM)
        return rc;
    if (rc < 0)
        result = rc;
    rc = load_api(c, toml_table_find(root, "api"), cfg);
    if (rc == GW_ENOMEM)
        return rc;
    if (rc < 0)
        result = rc;
    rc = config_load_service(c, toml_table_find(root, "service"), &cfg->service);
    if (rc == GW_ENOMEM)
        return rc;
    if (rc < 0)
        result = rc;
    if (toml_table_find(root, "account")) {
        rc = load_accounts(c, toml_table_find(root, "account"), cfg);
        if (rc == GW_ENOMEM)
            return rc;
        if (rc < 0)
            result = rc;
    }
    if (toml_table_find(root, "sink")) {
        rc = load_sinks(c, toml_table_find(root, "sink"), cfg);
        if (rc == GW_ENOMEM)
            return rc;
        if (rc < 0)
            result = rc;
    }
    rc = config_load_triage(c, toml_table_find(root, "triage"), &cfg->triage_table, &cfg->triage);
    if (rc == GW_ENOMEM)
        return rc;
    if (rc < 0)
        result = rc;
    if (toml_table_find(root, "rule")) {
        rc = config_load_rules(c, toml_table_find(root, "rule"), &cfg->rules, &cfg->rule_count);
        if (rc == GW_ENOMEM)
            return rc;
        if (rc < 0)
            result = rc;
    }
    return result;
}
