/* config_value.c - one value against its declaration: the type a key
 * takes, ${ENV} expansion, duration and size units, bounds, allowed values
 * (with did-you-mean) and path resolution, each with a message that says
 * what was expected and what was found (never a secret's value).
 *
 * The same code checks declared defaults, so a default cannot break a
 * rule a user's value must follow. Owns nothing past a call; errors go to
 * the caller's cfg_ctx.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_env.h"
#include "config/config_file.h"
#include "config/config_suggest.h"
#include "config/config_text.h"
#include "config/config_types.h"
#include "config/config_value.h"
#include "gateway/error.h"

/* What a value of the option's type looks like, for "expected ...".
 * with_range adds the bounds or allowed values. */
static void expected_text(const gw_option *o, int with_range, char *buf, size_t len)
{
    char lo[48], hi[48];
    int bounded = with_range && (o->flags & GW_OPTF_BOUNDED);

    if (bounded) {
        config_format_bound(o, o->min, lo, sizeof lo);
        config_format_bound(o, o->max, hi, sizeof hi);
    }
    switch (o->type) {
    case GW_OPT_STRING:
        if (with_range && o->allowed) {
            config_word w[64];
            size_t i, n = config_split_allowed(o->allowed, w, 64), off;
            off = (size_t)snprintf(buf, len, "one of ");
            for (i = 0; i < n && off < len; i++)
                off += (size_t)snprintf(buf + off, len - off, "%s\"%.*s\"", i ? ", " : "",
                                        (int)w[i].len, w[i].s);
        } else {
            snprintf(buf, len, "a string");
        }
        break;
    case GW_OPT_INT:
        if (bounded)
            snprintf(buf, len, "an integer from %s to %s", lo, hi);
        else
            snprintf(buf, len, "an integer");
        break;
    case GW_OPT_FLOAT:
        if (bounded)
            snprintf(buf, len, "a number from %s to %s", lo, hi);
        else
            snprintf(buf, len, "a number");
        break;
    case GW_OPT_BOOL:
        snprintf(buf, len, "true or false");
        break;
    case GW_OPT_DURATION:
        if (bounded)
            snprintf(buf, len, "a duration from %s to %s", lo, hi);
        else
            snprintf(buf, len, "a duration like \"30s\" or \"5m\"");
        break;
    case GW_OPT_SIZE:
        if (bounded)
            snprintf(buf, len, "a size from %s to %s", lo, hi);
        else
            snprintf(buf, len, "a size like \"64KB\" or \"10MB\"");
        break;
    case GW_OPT_STRING_ARRAY:
        snprintf(buf, len, "an array of strings");
        break;
    }
}

static int type_error(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path)
{
    char exp[1024], found[CONFIG_QUOTE_BUF + 64];

    /* Durations and sizes: the shape matters more than the range here. */
    expected_text(o, o->type != GW_OPT_DURATION && o->type != GW_OPT_SIZE, exp, sizeof exp);
    config_describe_value(v, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
    cfg_ctx_error(c, v->line, v->column, path, "expected %s, found %s", exp, found);
    return GW_EINVAL;
}

/* "found" text for a string value: the expanded text, with the text as
 * written when ${ENV} changed it; nothing of a secret. */
static void describe_string(const gw_option *o, const char *raw, const char *value, char *buf,
                            size_t len)
{
    char q1[CONFIG_QUOTE_BUF], q2[CONFIG_QUOTE_BUF];

    if (o->flags & GW_OPTF_SECRET) {
        snprintf(buf, len, "a string (value hidden)");
        return;
    }
    config_quote(value, strlen(value), q1);
    if (strcmp(raw, value) == 0) {
        snprintf(buf, len, "%s", q1);
    } else {
        config_quote(raw, strlen(raw), q2);
        snprintf(buf, len, "%s (from %s)", q1, q2);
    }
}

/* Expand ${ENV} in a TOML string. Returns 0 and sets *out (caller frees),
 * GW_EINVAL after reporting, or GW_ENOMEM. */
static int expand_value(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                        char **out)
{
    char missing[128], q[CONFIG_QUOTE_BUF];
    const char *why = "";
    size_t at = 0;
    int rc;

    if (strlen(v->u.string.ptr) != v->u.string.len) {
        cfg_ctx_error(c, v->line, v->column, path,
                      "expected a string without NUL characters, found a string with \"\\u0000\"");
        return GW_EINVAL;
    }
    rc = config_env_expand(v->u.string.ptr, out, missing, sizeof missing, &why, &at);
    if (rc == GW_ENOENT) {
        cfg_ctx_error(c, v->line, v->column, path, "environment variable \"%s\" is not set",
                      missing);
        return GW_EINVAL;
    }
    if (rc == GW_EINVAL) {
        const char *ref = v->u.string.ptr + at;
        size_t n = strcspn(ref, "}");
        config_quote(ref, ref[n] ? n + 1 : n, q);
        cfg_ctx_error(c, v->line, v->column, path,
                      "expected \"${NAME}\" to insert an environment variable (or \"$${\" for a "
                      "literal \"${\"), found %s (%s)",
                      (o->flags & GW_OPTF_SECRET) ? "a malformed reference" : q, why);
        return GW_EINVAL;
    }
    return rc;
}

/* Check a string against the allowed values; for a STRING_ARRAY key each
 * item must be one of them. Returns 0 or GW_EINVAL. */
static int check_allowed(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                         const char *value)
{
    config_word w[64];
    const config_word *guess;
    char exp[1024], found[2 * CONFIG_QUOTE_BUF + 16], q[CONFIG_QUOTE_BUF];
    gw_option item = *o;
    size_t i, n;

    if (!o->allowed)
        return 0;
    n = config_split_allowed(o->allowed, w, 64);
    for (i = 0; i < n; i++)
        if (strlen(value) == w[i].len && strncmp(value, w[i].s, w[i].len) == 0)
            return 0;
    /* An array's items are checked one by one: word it as for a string. */
    item.type = GW_OPT_STRING;
    expected_text(&item, 1, exp, sizeof exp);
    describe_string(o, v->u.string.ptr, value, found, sizeof found);
    guess = (o->flags & GW_OPTF_SECRET) ? NULL : config_suggest(value, strlen(value), w, n);
    if (guess) {
        config_quote(guess->s, guess->len, q);
        cfg_ctx_error(c, v->line, v->column, path, "expected %s, found %s; did you mean %s?", exp,
                      found, q);
    } else {
        cfg_ctx_error(c, v->line, v->column, path, "expected %s, found %s", exp, found);
    }
    return GW_EINVAL;
}

static int check_string(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                        json_t **out)
{
    char *value = NULL, *resolved = NULL;
    int rc;

    rc = expand_value(c, o, v, path, &value);
    if (rc < 0)
        return rc;
    rc = check_allowed(c, o, v, path, value);
    if (rc < 0)
        goto done;
    if (config_option_is_path(o)) {
        resolved = config_file_resolve(c->dir, value);
        if (!resolved) {
            rc = GW_ENOMEM;
            goto done;
        }
    }
    *out = json_string(resolved ? resolved : value);
    if (!*out)
        rc = GW_ENOMEM;
done:
    free(resolved);
    free(value);
    return rc;
}

/* Duration or size, from a string, an integer or a float (a bare number
 * counts in the syntax's bare unit: seconds, bytes). */
static int check_quantity(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                          json_t **out)
{
    char *text = NULL, why[128] = "", exp[256], found[2 * CONFIG_QUOTE_BUF + 16], num[64];
    const char *raw, *input; /* as written; what is parsed (after ${ENV}) */
    uint64_t value = 0;
    int rc;

    switch (v->type) {
    case TOML_STRING:
        rc = expand_value(c, o, v, path, &text);
        if (rc < 0)
            return rc;
        raw = v->u.string.ptr;
        input = text;
        break;
    case TOML_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)v->u.integer);
        raw = input = num;
        break;
    case TOML_FLOAT:
        config_format_float(v->u.floating, num, sizeof num);
        raw = input = num;
        break;
    default:
        return type_error(c, o, v, path);
    }
    rc = config_parse_quantity(o->type, input, &value, why, sizeof why);
    if (rc < 0) {
        if (o->flags & GW_OPTF_SECRET)
            why[0] = '\0'; /* "unknown unit" would quote part of the value */
        if (v->type == TOML_STRING)
            describe_string(o, raw, input, found, sizeof found);
        else
            config_describe_value(v, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
        expected_text(o, 0, exp, sizeof exp);
        cfg_ctx_error(c, v->line, v->column, path, "expected %s, found %s%s%s%s", exp, found,
                      why[0] ? " (" : "", why, why[0] ? ")" : "");
        rc = GW_EINVAL;
        goto done;
    }
    if ((o->flags & GW_OPTF_BOUNDED) && ((double)value < o->min || (double)value > o->max)) {
        if (v->type == TOML_STRING)
            describe_string(o, raw, input, found, sizeof found);
        else
            config_describe_value(v, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
        expected_text(o, 1, exp, sizeof exp);
        cfg_ctx_error(c, v->line, v->column, path, "expected %s, found %s", exp, found);
        rc = GW_EINVAL;
        goto done;
    }
    *out = json_integer((json_int_t)value);
    rc = *out ? 0 : GW_ENOMEM;
done:
    free(text);
    return rc;
}

static int check_number(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                        json_t **out)
{
    char exp[256], found[CONFIG_QUOTE_BUF + 64];
    double d;

    if (o->type == GW_OPT_INT && v->type != TOML_INTEGER)
        return type_error(c, o, v, path);
    if (o->type == GW_OPT_FLOAT && v->type != TOML_INTEGER && v->type != TOML_FLOAT)
        return type_error(c, o, v, path);
    d = v->type == TOML_INTEGER ? (double)v->u.integer : v->u.floating;
    if (!isfinite(d)) {
        config_describe_value(v, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
        cfg_ctx_error(c, v->line, v->column, path, "expected a finite number, found %s", found);
        return GW_EINVAL;
    }
    if ((o->flags & GW_OPTF_BOUNDED) && (d < o->min || d > o->max)) {
        expected_text(o, 1, exp, sizeof exp);
        config_describe_value(v, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
        cfg_ctx_error(c, v->line, v->column, path, "expected %s, found %s", exp, found);
        return GW_EINVAL;
    }
    *out = o->type == GW_OPT_INT ? json_integer((json_int_t)v->u.integer) : json_real(d);
    return *out ? 0 : GW_ENOMEM;
}

static int check_string_array(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                              json_t **out)
{
    json_t *arr;
    size_t i;
    int rc = 0;

    if (v->type != TOML_ARRAY)
        return type_error(c, o, v, path);
    arr = json_array();
    if (!arr)
        return GW_ENOMEM;
    for (i = 0; i < v->u.array.len; i++) {
        const toml_value *item = v->u.array.items[i];
        char ipath[CONFIG_PATH_BUF], found[CONFIG_QUOTE_BUF + 64], *s = NULL;
        int irc;

        config_path_index(ipath, path, i);
        if (item->type != TOML_STRING) {
            config_describe_value(item, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
            cfg_ctx_error(c, item->line, item->column, ipath, "expected a string, found %s", found);
            rc = GW_EINVAL;
            continue;
        }
        irc = expand_value(c, o, item, ipath, &s);
        if (irc == 0)
            irc = check_allowed(c, o, item, ipath, s);
        if (irc == 0 && json_array_append_new(arr, json_string(s)) < 0)
            irc = GW_ENOMEM;
        free(s);
        if (irc == GW_ENOMEM) {
            json_decref(arr);
            return irc;
        }
        if (irc < 0)
            rc = irc;
    }
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

int config_value_check(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                       json_t **out)
{
    *out = NULL;
    switch (o->type) {
    case GW_OPT_STRING:
        if (v->type != TOML_STRING)
            return type_error(c, o, v, path);
        return check_string(c, o, v, path, out);
    case GW_OPT_INT:
    case GW_OPT_FLOAT:
        return check_number(c, o, v, path, out);
    case GW_OPT_BOOL:
        if (v->type != TOML_BOOL)
            return type_error(c, o, v, path);
        *out = json_boolean(v->u.boolean);
        return *out ? 0 : GW_ENOMEM;
    case GW_OPT_DURATION:
    case GW_OPT_SIZE:
        return check_quantity(c, o, v, path, out);
    case GW_OPT_STRING_ARRAY:
        return check_string_array(c, o, v, path, out);
    }
    cfg_ctx_error(c, v->line, v->column, path, "the key is declared with an unknown type %d",
                  (int)o->type);
    return GW_EINVAL;
}

int config_value_default(cfg_ctx *c, const gw_option *o, const char *path, json_t **out)
{
    const char *d = o->default_value;
    toml_value v, *items = NULL, **ptrs = NULL;
    char *end = NULL;
    size_t i, n = 0;
    int rc;

    memset(&v, 0, sizeof v);
    c->in_default = 1;
    switch (o->type) {
    case GW_OPT_INT:
    case GW_OPT_FLOAT:
        errno = 0;
        if (o->type == GW_OPT_INT) {
            v.type = TOML_INTEGER;
            v.u.integer = strtoll(d, &end, 10);
        } else {
            v.type = TOML_FLOAT;
            v.u.floating = strtod(d, &end);
        }
        if (!*d || *end || errno) {
            v.type = TOML_STRING;
            v.u.string.ptr = (char *)d;
            v.u.string.len = strlen(d);
            rc = type_error(c, o, &v, path);
            goto done;
        }
        break;
    case GW_OPT_BOOL:
        v.type = TOML_BOOL;
        v.u.boolean = strcmp(d, "true") == 0;
        if (!v.u.boolean && strcmp(d, "false") != 0) {
            v.type = TOML_STRING;
            v.u.string.ptr = (char *)d;
            v.u.string.len = strlen(d);
        }
        break;
    case GW_OPT_STRING_ARRAY:
        /* "a,b,c": the items, split at commas; "" is the empty array. */
        if (*d)
            for (n = 1, i = 0; d[i]; i++)
                n += d[i] == ',';
        items = calloc(n ? n : 1, sizeof *items);
        ptrs = calloc(n ? n : 1, sizeof *ptrs);
        if (!items || !ptrs) {
            rc = GW_ENOMEM;
            goto done;
        }
        for (i = 0; i < n; i++) {
            size_t len = strcspn(d, ",");
            items[i].type = TOML_STRING;
            items[i].u.string.ptr = strndup(d, len);
            if (!items[i].u.string.ptr) {
                rc = GW_ENOMEM;
                goto done;
            }
            items[i].u.string.len = len;
            ptrs[i] = &items[i];
            d += len + (d[len] == ',');
        }
        v.type = TOML_ARRAY;
        v.u.array.items = ptrs;
        v.u.array.len = n;
        break;
    default:
        v.type = TOML_STRING;
        v.u.string.ptr = (char *)d;
        v.u.string.len = strlen(d);
        break;
    }
    rc = config_value_check(c, o, &v, path, out);
done:
    c->in_default = 0;
    if (items)
        for (i = 0; i < n; i++)
            free(items[i].u.string.ptr);
    free(items);
    free(ptrs);
    return rc;
}
