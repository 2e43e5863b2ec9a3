/* lexicon_file.c - reading the lexicon line format (see lexicon_file.h). */
#include "triage/lexicon_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"

#define LEXICON_FILE_MAX (4 * 1024 * 1024)

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The weight after the last comma, when what follows it is a number. */
static int split_weight(const char *s, size_t *len, double *weight, int *bad)
{
    const char *comma = NULL;
    for (size_t i = 0; i < *len; i++) {
        if (s[i] == ',')
            comma = s + i;
    }
    *bad = 0;
    if (comma == NULL)
        return 0;
    char num[64];
    size_t n = (size_t)(s + *len - (comma + 1));
    const char *p = comma + 1;
    while (n > 0 && is_space(*p)) {
        p++;
        n--;
    }
    if (n == 0 || n >= sizeof num) {
        *bad = 1;
        return 0;
    }
    memcpy(num, p, n);
    num[n] = '\0';
    char *end;
    errno = 0;
    *weight = strtod(num, &end);
    if (end == num || *end != '\0' || errno != 0 || *weight != *weight) {
        *bad = 1;
        return 0;
    }
    *len = (size_t)(comma - s);
    while (*len > 0 && is_space(s[*len - 1]))
        (*len)--;
    return 1;
}

int lexicon_file_parse(const char *text, const char *path, lexicon_entry_fn fn, void *arg,
                       cfg_errors *errs)
{
    int result = GW_OK;
    int line = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
        const char *next = eol != NULL ? eol + 1 : p + len;
        line++;
        /* The comment: '#' first on the line or after a space. */
        for (size_t i = 0; i < len; i++) {
            if (p[i] == '#' && (i == 0 || is_space(p[i - 1]))) {
                len = i;
                break;
            }
        }
        while (len > 0 && is_space(*p)) {
            p++;
            len--;
        }
        while (len > 0 && is_space(p[len - 1]))
            len--;
        if (len > 0) {
            double weight = 0;
            int bad;
            int has_weight = split_weight(p, &len, &weight, &bad);
            int rc;
            if (bad) {
                cfg_errors_add(errs,
                               "%s:%d: expected \"phrase\" or \"phrase, weight\" with a number "
                               "after the comma, e.g. \"where can i buy, 2\"",
                               path, line);
                rc = GW_EINVAL;
            } else if (len == 0) {
                cfg_errors_add(errs, "%s:%d: the phrase before the comma is empty", path, line);
                rc = GW_EINVAL;
            } else {
                rc = fn(arg, p, len, has_weight, weight, line);
            }
            if (rc == GW_ENOMEM)
                return rc;
            if (rc < 0)
                result = GW_EINVAL;
        }
        p = next;
    }
    return result;
}

int lexicon_file_read(const char *path, char **out, cfg_errors *errs)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cfg_errors_add(errs, "%s: cannot open: %s", path, strerror(errno));
        return GW_EIO;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = GW_OK;
    while (buf != NULL) {
        if (len + 1 >= cap) {
            char *b = cap < LEXICON_FILE_MAX ? realloc(buf, cap * 2) : NULL;
            if (b == NULL) {
                rc = cap < LEXICON_FILE_MAX ? GW_ENOMEM : GW_EIO;
                if (rc == GW_EIO)
                    cfg_errors_add(errs, "%s: larger than %d MB; split it", path,
                                   LEXICON_FILE_MAX / (1024 * 1024));
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                cfg_errors_add(errs, "%s: cannot read: %s", path, strerror(errno));
                rc = GW_EIO;
            }
            break;
        }
    }
    fclose(f);
    if (buf == NULL)
        return GW_ENOMEM;
    if (rc != GW_OK) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        cfg_errors_add(errs, "%s: holds a NUL byte; a lexicon is UTF-8 text", path);
        free(buf);
        return GW_EINVAL;
    }
    *out = buf;
    return GW_OK;
}
