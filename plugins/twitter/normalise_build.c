/* plugins/twitter/normalise_build.c - what normalise.c (v2) and
 * normalise_v1.c (webhooks) build items with: the event and author
 * objects, the members X's values may fill (a time, a language, the tags
 * of brand mentions and keywords), and the count of each item handed to
 * emit. See normalise_build.h.
 */
#include "normalise_build.h"

#include <stdio.h>
#include <string.h>

bool tw_id_parse(const char *text, uint64_t *out)
{
    if (text == NULL)
        return false;
    size_t n = strspn(text, "0123456789");
    if (n == 0 || n > 19 || text[n] != '\0')
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(text[i] - '0'); /* 19 digits fit in 64 bits */
    *out = v;
    return true;
}

static bool is_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* True when `needle` occurs in text as a whole word, ignoring ASCII case:
 * not glued to letters, digits or '_' on either side, as X tokenises
 * ("acme" is in "Acme's order" but not in "acmeville"). */
static bool contains_word(const char *text, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        size_t i = 0;
        while (i < n && p[i] != '\0' &&
               ascii_lower((unsigned char)p[i]) == ascii_lower((unsigned char)needle[i]))
            i++;
        if (i < n)
            continue;
        bool before_ok = p == text || !is_word_char((unsigned char)p[-1]);
        bool after_ok = !is_word_char((unsigned char)p[n]);
        if (before_ok && after_ok)
            return true;
    }
    return false;
}

bool tw_ascii_ieq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return false;
    while (*a != '\0' && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/* Set obj[key] to a string when value is not NULL. False only when
 * memory ran out (input strings come from jansson, so they are UTF-8). */
bool tw_put_string(json_t *obj, const char *key, const char *value)
{
    if (value == NULL)
        return true;
    return gw_sdk_json_set_string(obj, key, value) == 0;
}

/* A language tag X gives that says something: not "und" (undetermined),
 * "zxx" or X's private q-codes (qme: media only, qht: hashtags only). */
const char *tw_useful_lang(const char *lang)
{
    /* 35: the longest tag the gateway stores (the event schema's limit). */
    if (lang == NULL || strcmp(lang, "und") == 0 || strcmp(lang, "zxx") == 0 ||
        (strlen(lang) == 3 && lang[0] == 'q') || strlen(lang) > 35)
        return NULL;
    /* BCP 47 shape, as the event schema has it. */
    size_t n = 0;
    while ((lang[n] >= 'a' && lang[n] <= 'z') || (lang[n] >= 'A' && lang[n] <= 'Z'))
        n++;
    if (n < 2 || n > 8)
        return NULL;
    for (const char *p = lang + n; *p != '\0';) {
        if (*p != '-')
            return NULL;
        size_t k = 1;
        while (is_word_char((unsigned char)p[k]) && p[k] != '_')
            k++;
        if (k < 2 || k > 9)
            return NULL;
        p += k;
    }
    return lang;
}

/* created_at as the gateway writes it (UTC, milliseconds), from Unix ms. */
bool tw_put_time(json_t *ev, int64_t unix_ms)
{
    char stamp[GW_SDK_RFC3339_SIZE];
    if (gw_sdk_time_format(unix_ms, stamp, sizeof stamp) < 0)
        return true; /* outside 0000-9999: leave it to the host */
    return tw_put_string(ev, "created_at", stamp);
}

bool tw_put_time_rfc3339(json_t *ev, const char *text)
{
    int64_t ms;
    if (text == NULL || gw_sdk_time_parse(text, &ms) < 0)
        return true; /* unreadable: the host uses the receive time */
    return tw_put_time(ev, ms);
}

/* tags {"keywords": [...], "mentioned": bool} from the text. */
bool tw_put_tags(json_t *ev, const tw_brand *b, const char *text, bool mentioned)
{
    json_t *keywords = json_array();
    json_t *tags = json_object();
    if (keywords == NULL || tags == NULL)
        goto fail;
    if (text != NULL) {
        if (!mentioned && b->handle != NULL && b->handle[0] != '\0') {
            char at[TW_HANDLE_MAX + 1];
            snprintf(at, sizeof at, "@%s", b->handle);
            mentioned = contains_word(text, at);
        }
        for (size_t i = 0; i < b->term_count; i++) {
            if (contains_word(text, b->terms[i]) &&
                json_array_append_new(keywords, json_string(b->terms[i])) < 0)
                goto fail;
        }
    }
    if (json_object_set_new(tags, "keywords", keywords) < 0) {
        keywords = NULL; /* stolen even on failure */
        goto fail;
    }
    keywords = NULL;
    if (json_object_set_new(tags, "mentioned", json_boolean(mentioned)) < 0)
        goto fail;
    return json_object_set_new(ev, "tags", tags) == 0;
fail:
    json_decref(keywords);
    json_decref(tags);
    return false;
}

/* The author object: id always, the rest when X gave it. */
json_t *tw_author_new(const char *id, const char *handle, const char *name, const json_t *followers,
                      const json_t *verified)
{
    json_t *a = json_object();
    if (a == NULL || !tw_put_string(a, "id", id) || !tw_put_string(a, "handle", handle) ||
        !tw_put_string(a, "name", name))
        goto fail;
    if (json_is_integer(followers) && json_integer_value(followers) >= 0 &&
        json_object_set(a, "followers", (json_t *)followers) < 0)
        goto fail;
    if (json_is_boolean(verified) && json_object_set(a, "verified", (json_t *)verified) < 0)
        goto fail;
    return a;
fail:
    json_decref(a);
    return NULL;
}

json_t *tw_event_new(const char *type, const char *visibility, const char *native_id)
{
    return json_pack("{s:s, s:s, s:s}", "type", type, "visibility", visibility, "native_id",
                     native_id);
}

/* Hand one event to emit and count the outcome. */
void tw_deliver(json_t *ev, tw_emit_fn emit, void *arg, tw_page_stats *stats)
{
    if (ev == NULL) {
        stats->invalid++; /* out of memory while building it */
        return;
    }
    int rc = emit(arg, ev);
    if (rc == GW_ESTATE)
        stats->stopped = true;
    else if (rc < 0)
        stats->invalid++;
    else
        stats->emitted++;
}

bool tw_take_id(tw_page_stats *stats, const char *id, uint64_t *value)
{
    stats->items++;
    if (!tw_id_parse(id, value)) {
        stats->invalid++;
        return false;
    }
    if (*value > stats->max_id)
        stats->max_id = *value;
    return true;
}

bool tw_is_brand(const tw_brand *b, const char *user_id)
{
    return user_id != NULL && b->user_id != NULL && strcmp(user_id, b->user_id) == 0;
}
