/* toml_decode.c - toml-decode: the decoder the toml-test conformance suite
 * drives. Reads one TOML document on stdin and prints it on stdout as the
 * suite's tagged JSON (every leaf {"type": ..., "value": "<text>"}); for
 * invalid input prints "line:col: message" (or "line:col: key.path:
 * message" for an error inside a value) on stderr and exits 1.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/error.h"
#include "config/toml.h"

/* Reads all of f. Returns a buffer the caller frees, or NULL on failure. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);

    if (!buf)
        return NULL;
    for (;;) {
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void format_float(double d, char *buf, size_t size)
{
    if (isnan(d))
        snprintf(buf, size, "nan");
    else if (isinf(d))
        snprintf(buf, size, "%sinf", d < 0 ? "-" : "");
    else
        snprintf(buf, size, "%.17g", d);
}

/* RFC 3339 text of the parts the type has; fractions without trailing
 * zeros. */
static void format_datetime(const toml_value *v, char *buf, size_t size)
{
    const toml_datetime *dt = &v->u.datetime;
    size_t n = 0;

    if (v->type != TOML_TIME_LOCAL)
        n += (size_t)snprintf(buf + n, size - n, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
    if (v->type == TOML_DATE_LOCAL)
        return;
    if (v->type != TOML_TIME_LOCAL)
        buf[n++] = 'T';
    n += (size_t)snprintf(buf + n, size - n, "%02d:%02d:%02d", dt->hour, dt->minute, dt->second);
    if (dt->nanosecond) {
        char frac[16];
        snprintf(frac, sizeof(frac), "%09d", dt->nanosecond);
        size_t digits = strlen(frac);
        while (digits > 1 && frac[digits - 1] == '0')
            digits--;
        n += (size_t)snprintf(buf + n, size - n, ".%.*s", (int)digits, frac);
    }
    if (v->type == TOML_DATETIME) {
        int off = dt->offset_minutes;
        if (off == 0)
            snprintf(buf + n, size - n, "Z");
        else
            snprintf(buf + n, size - n, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
                     abs(off) % 60);
    }
}

static const char *tag_of(toml_type type)
{
    switch (type) {
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOL:
        return "bool";
    case TOML_DATETIME:
        return "datetime";
    case TOML_DATETIME_LOCAL:
        return "datetime-local";
    case TOML_DATE_LOCAL:
        return "date-local";
    case TOML_TIME_LOCAL:
        return "time-local";
    default:
        return NULL;
    }
}

/* Returns a new reference, or NULL when out of memory. */
static json_t *to_json(const toml_value *v)
{
    char text[64];
    json_t *out, *value;

    if (v->type == TOML_TABLE) {
        out = json_object();
        for (size_t i = 0; out && i < v->u.table.len; i++) {
            const toml_keyval *kv = &v->u.table.items[i];
            json_t *child = to_json(kv->value);
            if (!child || json_object_setn_new(out, kv->key, kv->key_len, child)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (v->type == TOML_ARRAY) {
        out = json_array();
        for (size_t i = 0; out && i < v->u.array.len; i++) {
            if (json_array_append_new(out, to_json(v->u.array.items[i]))) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    switch (v->type) {
    case TOML_STRING:
        value = json_stringn(v->u.string.ptr, v->u.string.len);
        break;
    case TOML_INTEGER:
        snprintf(text, sizeof(text), "%" PRId64, v->u.integer);
        value = json_string(text);
        break;
    case TOML_FLOAT:
        format_float(v->u.floating, text, sizeof(text));
        value = json_string(text);
        break;
    case TOML_BOOL:
        value = json_string(v->u.boolean ? "true" : "false");
        break;
    default:
        format_datetime(v, text, sizeof(text));
        value = json_string(text);
        break;
    }
    return json_pack("{s:s, s:o}", "type", tag_of(v->type), "value", value);
}

int main(void)
{
    size_t len = 0;
    char *text = read_all(stdin, &len);
    toml_value *doc = NULL;
    toml_error err;
    json_t *json = NULL;
    int status = 1;

    if (!text) {
        fprintf(stderr, "toml-decode: cannot read standard input\n");
        return 1;
    }
    int rc = toml_parse(text, len, &doc, &err);
    if (rc) {
        /* An error inside a value also names the value's key. */
        fprintf(stderr, "%d:%d: %s%s%s\n", err.line, err.column, err.key, err.key[0] ? ": " : "",
                rc == GW_EPARSE ? err.message : gw_strerror(rc));
        goto done;
    }
    json = to_json(doc);
    if (!json || json_dumpf(json, stdout, JSON_INDENT(2)) || fputc('\n', stdout) == EOF ||
        fflush(stdout)) {
        fprintf(stderr, "toml-decode: cannot write the JSON output\n");
        goto done;
    }
    status = 0;
done:
    json_decref(json);
    toml_free(doc);
    free(text);
    return status;
}
