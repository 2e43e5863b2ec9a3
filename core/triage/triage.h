/* triage.h - triage enrichment: the tags an item gets before it is
 * stored (docs/triage.md).
 *
 *   mentioned         the brand was addressed (the plugin said so, one of
 *                     [triage] brand_handles after '@', or the item is a
 *                     comment, review or message on the brand's own page)
 *   keywords          [triage] brand_terms found in the text (merged with
 *                     the plugin's)
 *   unaddressed       true when it names the brand without addressing it
 *   intent            purchase, churn_risk, question, complaint, kudos
 *   sentiment         negative, neutral or positive; sentiment_score -1..1
 *   influence         top, high or normal, from the author's followers and
 *                     verified mark
 *   priority          urgent, high, normal or low; priority_score 0-100;
 *                     priority_reasons, one readable line per cause
 *
 * Tags a plugin set are kept. Host events are never triaged. One triage
 * is used by one thread at a time (it keeps the scratch buffers of the
 * text being read).
 */
#ifndef GW_TRIAGE_H
#define GW_TRIAGE_H

#include <jansson.h>

#include "config/config.h"

typedef struct triage triage;

/* Compile [triage] and [[rule]] of cfg (lexicons, regular expressions),
 * whether or not triage is enabled, so check-config reports the same
 * errors either way. Returns 0 and *out (caller frees with triage_free),
 * or GW_EINVAL/GW_EIO with one line per problem in errs, or GW_ENOMEM.
 * cfg must outlive *out. */
int triage_open(const gw_config *cfg, triage **out, cfg_errors *errs);

void triage_free(triage *t);

/* [triage] enabled. */
int triage_enabled(const triage *t);

/* Add the triage tags to a validated plugin item (borrowed, modified in
 * place: "tags" is created or merged into). network is the item's
 * network. Does nothing to a dotted (gateway) event type. Returns 0 or
 * GW_ENOMEM (the event is then left as it was, tags perhaps partly set). */
int triage_enrich(triage *t, const char *network, json_t *event);

/* What triage_enrich_text decided beside the event object. */
typedef struct triage_out {
    /* `"tags":{...}` (JSON text, len bytes, no NUL) when the tags were
     * written as text, to be stored after the event's own members; NULL
     * when they went into the event's "tags" object or nothing was
     * triaged. Borrowed from t until its next call. */
    const char *members;
    size_t len;
    int priority_score;   /* 0-100, or -1 when not triaged */
    const char *priority; /* "low".."urgent" (static), NULL when not triaged */
} triage_out;

/* The members of an item triage reads, as its caller found them (the
 * pipeline's validation looked each up once): NULL when absent. Borrowed
 * from the event. */
typedef struct triage_item {
    const json_t *type, *visibility, *text, *rating, *tags;
    const json_t *followers, *verified; /* the author's */
} triage_item;

/* The members triage reads, looked up in event (borrowed): the view a
 * caller without the pipeline's validation hands to triage_enrich_text. */
void triage_item_of(const json_t *event, triage_item *in);

/* triage_enrich for the pipeline: an item without a "tags" member of its
 * own gets its tags as text in *out (the same bytes the object would be
 * stored as, without building it); an item with one gets them merged
 * into it as triage_enrich does. in: the event's members (NULL: triage
 * looks them up). Same return values. */
int triage_enrich_text(triage *t, const char *network, json_t *event, const triage_item *in,
                       triage_out *out);

#endif /* GW_TRIAGE_H */
