/* check_schema.c - the schema's rules beyond pipeline_validate; see
 * check_schema.h. The patterns are docs/event.schema.json's, written out
 * by hand (no regex library in the core).
 */
#include "check/check_schema.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "gateway/error.h"

/* ^https?://\S+$ */
static int url_ok(const char *s)
{
    size_t skip = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
    if (skip == 0 || s[skip] == '\0')
        return 0;
    for (const char *p = s + skip; *p; p++) {
        if (isspace((unsigned char)*p))
            return 0;
    }
    return 1;
}

/* ^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$ */
static int lang_ok(const char *s)
{
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    if (n < 2 || n > 8)
        return 0;
    s += n;
    while (*s == '-') {
        s++;
        n = 0;
        while (isalnum((unsigned char)s[n]))
            n++;
        if (n < 1 || n > 8)
            return 0;
        s += n;
    }
    return *s == '\0';
}

enum kind { STRING, NONEMPTY, COUNT, BOOLEAN };

static int member_ok(const json_t *v, enum kind k)
{
    switch (k) {
    case STRING:
        return json_is_string(v);
    case NONEMPTY:
        return json_is_string(v) && json_string_length(v) > 0;
    case COUNT:
        return json_is_integer(v) && json_integer_value(v) >= 0;
    case BOOLEAN:
        return json_is_boolean(v);
    }
    return 0;
}

static const char *kind_name(enum kind k)
{
    static const char *const names[] = {"a string", "a non-empty string",
                                        "an integer of at least 0", "true or false"};
    return names[k];
}

typedef struct member_rule {
    const char *name;
    enum kind kind;
    int required;
} member_rule;

/* The members of one nested object the schema describes (others pass). */
static int object_ok(const json_t *obj, const char *where, const member_rule *rules, char *err,
                     size_t errlen)
{
    if (obj == NULL || json_is_null(obj))
        return GW_OK;
    for (const member_rule *r = rules; r->name; r++) {
        const json_t *v = json_object_get(obj, r->name);
        if (v == NULL && !r->required)
            continue;
        if (!member_ok(v, r->kind)) {
            snprintf(err, errlen, "\"%s.%s\" must be %s%s", where, r->name, kind_name(r->kind),
                     json_is_null(v) ? ", not null"
                     : v == NULL     ? " (required)"
                                     : "");
            return GW_EINVAL;
        }
    }
    return GW_OK;
}

int check_schema_event(const json_t *ev, char *err, size_t errlen)
{
    static const member_rule author[] = {{"id", NONEMPTY, 1},      {"handle", STRING, 0},
                                         {"name", STRING, 0},      {"followers", COUNT, 0},
                                         {"verified", BOOLEAN, 0}, {NULL, STRING, 0}};
    static const member_rule context[] = {{"kind", NONEMPTY, 1},
                                          {"id", NONEMPTY, 1},
                                          {"url", STRING, 0},
                                          {"moderation_status", STRING, 0},
                                          {NULL, STRING, 0}};
    static const member_rule contact[] = {{"id", STRING, 0},
                                          {"interactions", COUNT, 0},
                                          {"influencer", BOOLEAN, 0},
                                          {NULL, STRING, 0}};
    static const member_rule detail[] = {{"item_id", NONEMPTY, 0}, {NULL, STRING, 0}};
    const char *url = json_string_value(json_object_get(ev, "url"));
    if (url != NULL && !url_ok(url)) {
        snprintf(err, errlen, "\"url\" is \"%.80s\", expected http:// or https:// and no spaces",
                 url);
        return GW_EINVAL;
    }
    const char *lang = json_string_value(json_object_get(ev, "lang"));
    if (lang != NULL && !lang_ok(lang)) {
        snprintf(err, errlen, "\"lang\" is \"%.40s\", expected a language tag like en or pt-BR",
                 lang);
        return GW_EINVAL;
    }
    const json_t *ctx = json_object_get(ev, "context");
    const char *ctx_url = json_string_value(json_object_get(ctx, "url"));
    if (ctx_url != NULL && !url_ok(ctx_url)) {
        snprintf(err, errlen, "\"context.url\" is \"%.80s\", expected http:// or https://",
                 ctx_url);
        return GW_EINVAL;
    }
    int rc;
    if ((rc = object_ok(json_object_get(ev, "author"), "author", author, err, errlen)) ||
        (rc = object_ok(ctx, "context", context, err, errlen)) ||
        (rc = object_ok(json_object_get(ev, "contact"), "contact", contact, err, errlen)) ||
        (rc = object_ok(json_object_get(ev, "detail"), "detail", detail, err, errlen)))
        return rc;
    return GW_OK;
}
