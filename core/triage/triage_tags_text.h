/* triage_tags_text.h - an item's triage tags written straight as the
 * JSON text of a "tags" member, for an item that has no tags of its
 * plugin's to merge with.
 *
 * Building the tags as a jansson object, serialising it with the event
 * and freeing it was more than half of what triage cost an item; the
 * members here are the shared values' texts copied into a buffer. The
 * text is byte for byte what the object path (triage.c) stores for the
 * same item: members in the same order, numbers and strings written by
 * base/json_write like the rest of the event.
 */
#ifndef GW_TRIAGE_TAGS_TEXT_H
#define GW_TRIAGE_TAGS_TEXT_H

#include <jansson.h>

#include "base/json_write.h"
#include "triage/lexicon.h"
#include "triage/triage_reasons.h"
#include "triage/triage_values.h"

/* What triage decided for one item, before it is written. */
typedef struct triage_tag_set {
    const triage_phrase *const *keywords; /* brand terms found, each once */
    size_t keyword_count;
    int mentioned;
    int unaddressed;
    unsigned intents;              /* bit mask, triage_intent_names' order */
    int sentiment;                 /* 0 negative, 1 neutral, 2 positive */
    int sentiment_score;           /* index into triage_values.sentiment_score */
    int influence;                 /* 0 top, 1 high, 2 normal, -1 unknown */
    int level;                     /* triage_level, LOW..URGENT */
    int score;                     /* 0-100 */
    const triage_reasons *reasons; /* borrowed */
} triage_tag_set;

/* Replace b's contents with `"tags":{...}` for s. Returns 0, GW_ENOMEM,
 * or GW_EINVAL when a string is not UTF-8 (b->len is then 0). */
int triage_tags_text(jw_buf *b, const triage_values *v, const triage_tag_set *s);

#endif /* GW_TRIAGE_TAGS_TEXT_H */
