/* config_text.c - the pieces every config message is made of: quoted
 * values, TOML values as the user wrote them, floats, and key paths. Key
 * paths are built by toml_path_key, so a TOML syntax error and a
 * validation error name the same key the same way. No state.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_text.h"

void config_quote(const char *s, size_t n, char *buf)
{
    size_t i, o = 0;

    buf[o++] = '"';
    for (i = 0; i < n && i < CONFIG_QUOTE_MAX; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)ch;
        } else if (ch == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (ch == '\t') {
            buf[o++] = '\\';
            buf[o++] = 't';
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(buf + o, 5, "\\x%02x", ch);
        } else {
            buf[o++] = (char)ch;
        }
    }
    if (i < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

/* "a" or "an" before a type name. */
static const char *article(const char *word)
{
    return strchr("aeiou", word[0]) ? "an" : "a";
}

void config_format_float(double v, char *buf, size_t len)
{
    int prec;

    if (isnan(v)) {
        snprintf(buf, len, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, v < 0 ? "-inf" : "inf");
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".e"))
        strncat(buf, ".0", len - strlen(buf) - 1);
}

void config_describe_value(const toml_value *v, int secret, char *buf, size_t len)
{
    char tmp[CONFIG_QUOTE_BUF];
    const char *kind = toml_type_name(v->type);

    if (secret && v->type != TOML_ARRAY && v->type != TOML_TABLE) {
        snprintf(buf, len, "%s %s (value hidden)", article(kind), kind);
        return;
    }
    switch (v->type) {
    case TOML_STRING:
        config_quote(v->u.string.ptr, v->u.string.len, tmp);
        snprintf(buf, len, "%s", tmp);
        break;
    case TOML_INTEGER:
        snprintf(buf, len, "%lld", (long long)v->u.integer);
        break;
    case TOML_FLOAT:
        config_format_float(v->u.floating, buf, len);
        break;
    case TOML_BOOL:
        snprintf(buf, len, "%s", v->u.boolean ? "true" : "false");
        break;
    default:
        snprintf(buf, len, "%s %s", article(kind), kind);
        break;
    }
}

void config_path_key(char *buf, const char *parent, const char *key, size_t key_len)
{
    snprintf(buf, CONFIG_PATH_BUF, "%s", parent);
    toml_path_key(buf, CONFIG_PATH_BUF, key, key_len);
}

void config_path_index(char *buf, const char *parent, size_t index)
{
    snprintf(buf, CONFIG_PATH_BUF, "%s", parent);
    toml_path_index(buf, CONFIG_PATH_BUF, index);
}
