/* plugins/twitter/normalise_build.h - what the normalisers (normalise.c
 * for v2, normalise_v1.c for webhooks) build items with. Internal to the
 * plugin. Every function that builds returns false (or NULL) only when
 * memory ran out; a value X did not give, or gave in a shape we cannot
 * read, is left out of the item instead.
 */
#ifndef GW_TWITTER_NORMALISE_BUILD_H
#define GW_TWITTER_NORMALISE_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "twitter.h"

/* The longest link to an item the normalisers write. */
#define TW_URL_MAX 256

/* a and b are equal but for ASCII case; false when either is NULL. */
bool tw_ascii_ieq(const char *a, const char *b);

/* Set obj[key] to a string when value is not NULL. */
bool tw_put_string(json_t *obj, const char *key, const char *value);

/* lang when it is a language tag that says something (not "und", "zxx"
 * or X's private q-codes) in BCP 47's shape; else NULL. Borrowed. */
const char *tw_useful_lang(const char *lang);

/* created_at as the gateway writes it (UTC, milliseconds), from Unix ms,
 * or from an RFC 3339 text (unreadable: left to the host's receive
 * time). */
bool tw_put_time(json_t *ev, int64_t unix_ms);
bool tw_put_time_rfc3339(json_t *ev, const char *text);

/* tags {"keywords": [...], "mentioned": bool} from the text: mentioned
 * is also true when the text has the brand's @handle as a word. */
bool tw_put_tags(json_t *ev, const tw_brand *b, const char *text, bool mentioned);

/* The author object: id always, the rest when X gave it. Ownership: a
 * new object, NULL when out of memory. */
json_t *tw_author_new(const char *id, const char *handle, const char *name, const json_t *followers,
                      const json_t *verified);

/* {"type", "visibility", "native_id"}. Ownership: a new object, NULL when
 * out of memory. */
json_t *tw_event_new(const char *type, const char *visibility, const char *native_id);

/* Hand ev (stolen; NULL: it could not be built) to emit and count the
 * outcome in stats. */
void tw_deliver(json_t *ev, tw_emit_fn emit, void *arg, tw_page_stats *stats);

/* Count an item of a page: true with its id in *value (the largest seen
 * kept in stats->max_id), or false when the id is unusable (counted
 * invalid: skip the item). */
bool tw_take_id(tw_page_stats *stats, const char *id, uint64_t *value);

/* user_id is the brand's own account (our posts coming back). */
bool tw_is_brand(const tw_brand *b, const char *user_id);

#endif /* GW_TWITTER_NORMALISE_BUILD_H */
