/* nats_subject.h - the nats sink's subject template: checked once at open,
 * filled per event, and turned into the wildcard a created stream listens
 * on. Pure functions (no I/O, no state), pinned by tests/unit/test_nats_subject.c.
 *
 * A template is dot-separated tokens; a token is either literal text
 * ([A-Za-z0-9_-]) or exactly one of {network}, {account}, {type}. A value
 * fills exactly one token: '.', '*', '>', whitespace and control characters
 * in it become '_' (so the type "action.succeeded" is the token
 * "action_succeeded"), and an event cannot add, remove or widen a subject
 * level.
 */
#ifndef GW_NATS_SUBJECT_H
#define GW_NATS_SUBJECT_H

#include <stddef.h>

/* The longest subject the sink publishes; a longer filled template is an
 * error for that event's batch. */
#define NATS_SUBJECT_MAX 512

/* Check a template. Returns 0, or GW_EINVAL with a reason in err. */
int nats_subject_check(const char *tmpl, char *err, size_t errlen);

/* Fill a checked template with the event's values (borrowed; NULL or ""
 * becomes "_"). Writes a NUL-terminated subject into out. Returns its
 * length, or GW_ERANGE when out is too small. */
int nats_subject_fill(const char *tmpl, const char *network, const char *account, const char *type,
                      char *out, size_t outlen);

/* The subject filter covering every subject the template can make: each
 * placeholder token becomes '*' ("social.{network}.{account}.{type}" ->
 * "social.*.*.*"). Returns the length, or GW_ERANGE. */
int nats_subject_wildcard(const char *tmpl, char *out, size_t outlen);

/* 1 when some subject matches both filters a and b (dot-separated tokens,
 * '*' for any one token, no '>'), else 0. */
int nats_subject_overlap(const char *a, const char *b);

/* Write value as one subject token (the substitution above) into out.
 * Returns the length, or GW_ERANGE. */
int nats_subject_token(const char *value, char *out, size_t outlen);

#endif /* GW_NATS_SUBJECT_H */
