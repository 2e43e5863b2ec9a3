/* config_table.c - one table of gateway.toml against its declaration:
 * which keys it takes (a section's, or a sink's common keys plus its
 * type's), required keys, defaults, and unknown keys with a did-you-mean
 * or the list of keys it does take. Values are checked by config_value.c.
 * Owns nothing past a call.
 */
#include <stdio.h>
#include <string.h>

#include "config/config_suggest.h"
#include "config/config_table.h"
#include "config/config_text.h"
#include "config/config_value.h"
#include "gateway/error.h"

static const gw_option *schema_find(const cfg_schema *s, const char *name, size_t len)
{
    size_t p, i;

    if (strlen(name) != len)
        return NULL;
    for (p = 0; p < 2; p++)
        for (i = 0; s->parts[p] && s->parts[p][i].name; i++)
            if (strcmp(s->parts[p][i].name, name) == 0)
                return &s->parts[p][i];
    return NULL;
}

/* The position of a table for "missing key" messages: where its header
 * is, or where the enclosing thing is when the table is absent. */
static void table_pos(const toml_value *table, int line, int col, int *tl, int *tc)
{
    *tl = table && table->line > 0 ? table->line : line;
    *tc = table && table->line > 0 ? table->column : col;
}

static void report_unknown_key(cfg_ctx *c, const cfg_schema *s, const toml_keyval *kv,
                               const char *path)
{
    config_word words[128];
    const config_word *guess;
    char kpath[CONFIG_PATH_BUF], list[1024], q[CONFIG_QUOTE_BUF];
    size_t p, i, n = 0, off = 0;

    for (p = 0; p < 2; p++)
        for (i = 0; s->parts[p] && s->parts[p][i].name && n < 127; i++) {
            words[n].s = s->parts[p][i].name;
            words[n++].len = strlen(s->parts[p][i].name);
        }
    if (s->raw_key) {
        words[n].s = s->raw_key;
        words[n++].len = strlen(s->raw_key);
    }
    config_path_key(kpath, path, kv->key, kv->key_len);
    guess = config_suggest(kv->key, kv->key_len, words, n);
    if (guess) {
        config_quote(guess->s, guess->len, q);
        cfg_ctx_error(c, kv->line, kv->column, kpath, "unknown key; did you mean %s?", q);
        return;
    }
    if (n == 0) {
        cfg_ctx_error(c, kv->line, kv->column, kpath, "unknown key; this table takes no keys");
        return;
    }
    list[0] = '\0';
    for (i = 0; i < n && off < sizeof list; i++)
        off += (size_t)snprintf(list + off, sizeof list - off, "%s%.*s", i ? ", " : "",
                                (int)words[i].len, words[i].s);
    cfg_ctx_error(c, kv->line, kv->column, kpath, "unknown key; expected one of %s", list);
}

int config_table_validate(cfg_ctx *c, const cfg_schema *s, const toml_value *table, int line,
                          int col, const char *path, json_t **out)
{
    json_t *obj = json_object();
    size_t p, i, j;
    int tl, tc, rc = 0;

    *out = NULL;
    if (!obj)
        return GW_ENOMEM;
    table_pos(table, line, col, &tl, &tc);
    for (p = 0; p < 2; p++) {
        for (i = 0; s->parts[p] && s->parts[p][i].name; i++) {
            const gw_option *o = &s->parts[p][i];
            const toml_keyval *kv;
            char kpath[CONFIG_PATH_BUF];
            json_t *val = NULL;
            int vrc;

            /* The first declaration of a name wins (common sink keys
             * over a type's); skip a later duplicate. */
            if (schema_find(s, o->name, strlen(o->name)) != o)
                continue;
            config_path_key(kpath, path, o->name, strlen(o->name));
            kv = table ? toml_table_find(table, o->name) : NULL;
            if (kv) {
                vrc = config_value_check(c, o, kv->value, kpath, &val);
            } else if (o->flags & GW_OPTF_REQUIRED) {
                cfg_ctx_error(c, tl, tc, path, "missing required key \"%s\"%s%s%s", o->name,
                              o->help ? " (" : "", o->help ? o->help : "", o->help ? ")" : "");
                vrc = GW_EINVAL;
            } else if (o->default_value) {
                vrc = config_value_default(c, o, kpath, &val);
            } else {
                val = json_null();
                vrc = 0;
            }
            if (vrc == GW_ENOMEM || (vrc == 0 && json_object_set_new(obj, o->name, val) < 0)) {
                rc = GW_ENOMEM;
                goto fail;
            }
            if (vrc < 0)
                rc = vrc;
        }
    }
    for (j = 0; table && s->report_unknown && j < table->u.table.len; j++) {
        const toml_keyval *kv = &table->u.table.items[j];
        if (schema_find(s, kv->key, kv->key_len))
            continue;
        if (s->raw_key && strlen(kv->key) == kv->key_len && strcmp(kv->key, s->raw_key) == 0)
            continue;
        report_unknown_key(c, s, kv, path);
        rc = GW_EINVAL;
    }
    *out = obj;
    return rc;
fail:
    json_decref(obj);
    return rc;
}

void config_table_kind_error(cfg_ctx *c, const toml_keyval *kv, const char *path, const char *what)
{
    char found[CONFIG_QUOTE_BUF + 64];

    config_describe_value(kv->value, 0, found, sizeof found);
    cfg_ctx_error(c, kv->value->line ? kv->value->line : kv->line,
                  kv->value->line ? kv->value->column : kv->column, path, "expected %s, found %s",
                  what, found);
}
