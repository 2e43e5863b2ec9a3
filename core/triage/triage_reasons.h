/* triage_reasons.h - an item's priority reasons as they are collected:
 * the lines a person reads in tags.priority_reasons, in order.
 *
 * Most reasons depend only on a lexicon phrase or are fixed ("private
 * message (+10)"): those are shared, made once with their JSON text
 * (triage_values.h), and an item only points at them. The few that quote
 * a number or a rule are copied into the list's own buffer. Nothing here
 * is a jansson value until a caller asks for the array: building each
 * item's reasons as jansson strings (an allocation each, and an atomic
 * reference count taken and dropped for every shared one) and then
 * escaping them into text was a third of what the priority and the tags'
 * text cost the flood benchmark.
 */
#ifndef GW_TRIAGE_REASONS_H
#define GW_TRIAGE_REASONS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/json_write.h"

/* A reason made once: the string value and its JSON text, quotes
 * included (both owned by whoever made it; triage_values). */
typedef struct triage_shared_reason {
    json_t *value;
    char *json;
    size_t json_len;
} triage_shared_reason;

/* Make s for line. Returns 0 or GW_ENOMEM (s is then freeable). */
int triage_shared_reason_make(triage_shared_reason *s, const char *line);
void triage_shared_reason_free(triage_shared_reason *s);

typedef struct triage_reason {
    const triage_shared_reason *shared; /* or NULL: a line in the list's text */
    uint32_t off, len;
} triage_reason;

/* One item's reasons. Starts zeroed; reused item after item
 * (triage_reasons_clear), freed with triage_reasons_free. */
typedef struct triage_reasons {
    triage_reason *items;
    size_t count, cap;
    char *text; /* the lines of their own, one after another */
    size_t used, text_cap;
} triage_reasons;

/* Append a shared reason (borrowed: it must outlive the list's use).
 * Returns 0 or GW_ENOMEM. */
int triage_reasons_share(triage_reasons *r, const triage_shared_reason *s);

/* Append a copy of text[0..len). Returns 0 or GW_ENOMEM. */
int triage_reasons_line(triage_reasons *r, const char *text, size_t len);

/* The i-th reason's text (borrowed, len bytes, not NUL-terminated). */
const char *triage_reasons_text(const triage_reasons *r, size_t i, size_t *len);

static inline void triage_reasons_clear(triage_reasons *r)
{
    r->count = 0;
    r->used = 0;
}

void triage_reasons_free(triage_reasons *r);

/* Append `[...]`, the reasons as a JSON array of strings, to b. Returns
 * 0, GW_ENOMEM, or GW_EINVAL for a line that is not UTF-8. */
int triage_reasons_write(jw_buf *b, const triage_reasons *r);

/* The reasons as a new JSON array (the caller owns it), or NULL when out
 * of memory. */
json_t *triage_reasons_array(const triage_reasons *r);

#endif /* GW_TRIAGE_REASONS_H */
