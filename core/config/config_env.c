/* config_env.c - ${ENV} expansion in configuration strings: the syntax
 * (${NAME}, "$${" for a literal "${"), the lookup, and the reasons a
 * reference is malformed. Reads the environment, writes nothing; the
 * expanded string it returns belongs to the caller.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_env.h"
#include "gateway/error.h"

typedef struct cfg_buf {
    char *ptr;
    size_t len, cap;
    int failed; /* an allocation failed; ptr holds what fitted */
} cfg_buf;

static void buf_add(cfg_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->ptr, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->ptr = p;
        b->cap = cap;
    }
    memcpy(b->ptr + b->len, s, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

int config_env_expand(const char *in, char **out, char *missing, size_t missing_len,
                      const char **why, size_t *at)
{
    cfg_buf b = {0};
    const char *p = in;
    int rc;

    *out = NULL;
    if (missing && missing_len)
        missing[0] = '\0';
    buf_add(&b, "", 0);
    while (*p) {
        const char *name, *end, *value;
        char *var;

        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            buf_add(&b, "${", 2);
            p += 3;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            buf_add(&b, p, 1);
            p++;
            continue;
        }
        name = p + 2;
        for (end = name; isalnum((unsigned char)*end) || *end == '_'; end++)
            ;
        *at = (size_t)(p - in);
        if (*end != '}') {
            *why = *end ? "a variable name has only letters, digits and \"_\""
                        : "\"${\" without a closing \"}\"";
            rc = GW_EINVAL;
            goto fail;
        }
        if (end == name || isdigit((unsigned char)*name)) {
            *why = end == name ? "the variable name is empty"
                               : "a variable name cannot start with a digit";
            rc = GW_EINVAL;
            goto fail;
        }
        var = strndup(name, (size_t)(end - name));
        if (!var) {
            rc = GW_ENOMEM;
            goto fail;
        }
        value = getenv(var);
        if (!value) {
            if (missing && missing_len)
                snprintf(missing, missing_len, "%s", var);
            free(var);
            rc = GW_ENOENT;
            goto fail;
        }
        free(var);
        buf_add(&b, value, strlen(value));
        p = end + 1;
    }
    if (b.failed) {
        rc = GW_ENOMEM;
        goto fail;
    }
    *out = b.ptr;
    return 0;
fail:
    free(b.ptr);
    return rc;
}

/* ${NAME}: NAME is [A-Za-z_][A-Za-z0-9_]*; anything else after "${" is
 * GW_EINVAL (there is no ${NAME:-default}). A set but empty variable
 * expands to "". Values are inserted as they are, never expanded again.
 * Only "$${" is an escape; a lone "$" or "$$" stays as written.
 * Ownership: *out is malloc'd, caller frees; NULL on error. */
int cfg_expand_env(const char *in, char **out, char *missing, size_t missing_len)
{
    const char *why = NULL;
    size_t at = 0;

    if (!in || !out)
        return GW_EINVAL;
    return config_env_expand(in, out, missing, missing_len, &why, &at);
}
