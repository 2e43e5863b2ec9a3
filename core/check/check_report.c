/* check_report.c - the list of breaches and the secrets kept out of it;
 * see check_report.h.
 */
#define _GNU_SOURCE /* vasprintf */
#include "check/check_report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define SECRET_MIN_LEN 4

typedef struct breach {
    char *check;    /* owned */
    char *key;      /* owned: what makes two breaches of a check the same */
    char *what;     /* owned */
    char *contract; /* owned */
} breach;

typedef struct secret {
    char *name;  /* owned */
    char *value; /* owned */
} secret;

struct check_report {
    breach *items; /* owned, in the order found */
    size_t count;
    size_t dropped; /* over CHECK_REPORT_MAX_PER_CHECK, counted only */
    secret *secrets;
    size_t secret_count;
};

check_report *check_report_new(void)
{
    return calloc(1, sizeof(check_report));
}

void check_report_free(check_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->items[i].check);
        free(r->items[i].key);
        free(r->items[i].what);
        free(r->items[i].contract);
    }
    for (size_t i = 0; i < r->secret_count; i++) {
        free(r->secrets[i].name);
        free(r->secrets[i].value);
    }
    free(r->items);
    free(r->secrets);
    free(r);
}

int check_report_add_secret(check_report *r, const char *name, const char *value)
{
    if (value == NULL || strlen(value) < SECRET_MIN_LEN)
        return GW_OK;
    secret *grown = realloc(r->secrets, (r->secret_count + 1) * sizeof *grown);
    if (grown == NULL)
        return GW_ENOMEM;
    r->secrets = grown;
    secret *s = &grown[r->secret_count];
    s->name = strdup(name);
    s->value = strdup(value);
    if (s->name == NULL || s->value == NULL) {
        free(s->name);
        free(s->value);
        return GW_ENOMEM;
    }
    r->secret_count++;
    return GW_OK;
}

const char *check_report_find_secret(const check_report *r, const char *text)
{
    for (size_t i = 0; text != NULL && i < r->secret_count; i++) {
        if (strstr(text, r->secrets[i].value) != NULL)
            return r->secrets[i].name;
    }
    return NULL;
}

/* Ownership: returns a malloc'd copy of text with every secret value
 * replaced by "[secret]" (caller frees), or NULL when out of memory. */
static char *scrub(const check_report *r, const char *text)
{
    char *out = strdup(text);
    for (size_t i = 0; out != NULL && i < r->secret_count; i++) {
        const char *v = r->secrets[i].value;
        size_t vlen = strlen(v);
        char *at;
        while (out != NULL && (at = strstr(out, v)) != NULL) {
            char *next = NULL;
            if (asprintf(&next, "%.*s[secret]%s", (int)(at - out), out, at + vlen) < 0)
                next = NULL;
            free(out);
            out = next;
        }
    }
    return out;
}

size_t check_report_count_check(const check_report *r, const char *check)
{
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++)
        n += strcmp(r->items[i].check, check) == 0;
    return n;
}

/* Steals what. */
static void add_breach(check_report *r, const char *check, const char *key, const char *contract,
                       char *what)
{
    if (what == NULL) { /* out of memory: still a breach, so the exit code cannot say clean */
        r->dropped++;
        return;
    }
    for (size_t i = 0; i < r->count; i++) {
        if (strcmp(r->items[i].check, check) == 0 &&
            strcmp(r->items[i].key, key ? key : what) == 0) {
            free(what);
            return;
        }
    }
    breach *grown = NULL;
    if (check_report_count_check(r, check) < CHECK_REPORT_MAX_PER_CHECK)
        grown = realloc(r->items, (r->count + 1) * sizeof *grown);
    if (grown == NULL) { /* one line too many, or out of memory */
        free(what);
        r->dropped++;
        return;
    }
    r->items = grown;
    breach *b = &grown[r->count];
    b->check = strdup(check);
    b->key = strdup(key ? key : what);
    b->contract = strdup(contract);
    b->what = what;
    if (b->check == NULL || b->key == NULL || b->contract == NULL) {
        free(b->check);
        free(b->key);
        free(b->contract);
        free(b->what);
        r->dropped++;
        return;
    }
    r->count++;
}

static char *vformat(const char *fmt, va_list ap)
{
    char *out = NULL;
    return vasprintf(&out, fmt, ap) < 0 ? NULL : out;
}

void check_report_breach(check_report *r, const char *check, const char *contract, const char *fmt,
                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = vformat(fmt, ap);
    va_end(ap);
    add_breach(r, check, NULL, contract, what);
}

void check_report_breach_once(check_report *r, const char *check, const char *key,
                              const char *contract, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = vformat(fmt, ap);
    va_end(ap);
    add_breach(r, check, key, contract, what);
}

size_t check_report_count(const check_report *r)
{
    return r->count + r->dropped;
}

static void print_json(const check_report *r, FILE *out, const char *plugin)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < r->count; i++) {
        char *what = scrub(r, r->items[i].what);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "check", r->items[i].check, "what",
                                              what ? what : "(out of memory)", "contract",
                                              r->items[i].contract));
        free(what);
    }
    json_t *doc = json_pack("{s:s, s:o, s:I}", "plugin", plugin, "breaches",
                            list ? list : json_array(), "count", (json_int_t)check_report_count(r));
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    fprintf(out, "%s\n", text ? text : "{\"error\": \"out of memory\"}");
    free(text);
    json_decref(doc);
}

void check_report_print(const check_report *r, FILE *out, int json, const char *plugin)
{
    if (json) {
        print_json(r, out, plugin);
        return;
    }
    for (size_t i = 0; i < r->count; i++) {
        char *what = scrub(r, r->items[i].what);
        fprintf(out, "BREACH %s: %s (contract: %s)\n", r->items[i].check,
                what ? what : "(out of memory)", r->items[i].contract);
        free(what);
    }
    if (r->dropped > 0)
        fprintf(out, "(and %zu more breach line%s not shown)\n", r->dropped,
                r->dropped == 1 ? "" : "s");
    size_t n = check_report_count(r);
    if (n == 0)
        fprintf(out, "%s: OK, no breach of the plugin contract\n", plugin);
    else
        fprintf(out, "%s: %zu breach%s of the plugin contract\n", plugin, n, n == 1 ? "" : "es");
}
