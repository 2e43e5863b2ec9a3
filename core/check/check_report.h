/* check_report.h - the contract checker's findings: one breach per line,
 * named by the check that found it and the rule of plugin.h it breaks,
 * and the secret values no line the checker prints may carry.
 */
#ifndef GW_CHECK_REPORT_H
#define GW_CHECK_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "gateway/plugin.h" /* GW_PRINTF */

typedef struct check_report check_report;

/* A new, empty report. Returns NULL when out of memory; the caller frees
 * it with check_report_free. */
check_report *check_report_new(void);
void check_report_free(check_report *r);

/* Remember the value of a secret option (name and value are copied) so
 * that check_report_find_secret recognises it and no printed line shows it.
 * Values shorter than 4 bytes are ignored: too likely to match by chance.
 * Returns 0 or GW_ENOMEM. */
int check_report_add_secret(check_report *r, const char *name, const char *value);

/* The name of the secret option whose value occurs in text (borrowed from
 * r), or NULL when none does. */
const char *check_report_find_secret(const check_report *r, const char *text);

/* Record one breach: check is its short name ("complete-once"), contract
 * the rule broken, as plugin.h words it; the rest is what happened. An
 * identical line is recorded once; after CHECK_REPORT_MAX_PER_CHECK lines
 * of one check the rest are only counted. */
#define CHECK_REPORT_MAX_PER_CHECK 5
void check_report_breach(check_report *r, const char *check, const char *contract, const char *fmt,
                         ...) GW_PRINTF(4, 5);

/* check_report_breach for a breach that may recur with other figures
 * (the same hook blocking for 49 ms, then 75): one line per (check, key),
 * the first. key is copied. */
void check_report_breach_once(check_report *r, const char *check, const char *key,
                              const char *contract, const char *fmt, ...) GW_PRINTF(5, 6);

/* Breaches recorded (the counted ones included). */
size_t check_report_count(const check_report *r);

/* Breaches recorded by one check. */
size_t check_report_count_check(const check_report *r, const char *check);

/* Print the breach lines and a summary line naming plugin (borrowed), or
 * with json one JSON object: {"plugin", "breaches": [{"check", "what",
 * "contract"}], "count"}. Secret values are replaced by "[secret]". */
void check_report_print(const check_report *r, FILE *out, int json, const char *plugin);

#endif /* GW_CHECK_REPORT_H */
