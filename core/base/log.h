/* log.h - one-line log records to stderr.
 *
 * A logger is a small struct owned by the process context and passed to
 * each module, so there is no global log state. Every record is one line:
 *   2026-11-22T10:00:00.123Z info  mock/acme: fetched 25 events
 * Callers must never pass secrets; URLs go through log_redact_url first.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdarg.h>
#include <stdio.h>

#include "gateway/plugin.h" /* gw_log_level */

typedef struct logger {
    gw_log_level level; /* records above this level are dropped */
    FILE *out;          /* borrowed; stderr in the daemon */
} logger;

/* Parse "error|warn|info|debug". Returns 0 or GW_EINVAL. */
int log_level_parse(const char *text, gw_log_level *out);
const char *log_level_name(gw_log_level level);

void log_write(const logger *lg, gw_log_level level, const char *component,
               const char *fmt, ...) GW_PRINTF(4, 5);
void log_vwrite(const logger *lg, gw_log_level level, const char *component,
                const char *fmt, va_list ap) GW_PRINTF(4, 0);

#define log_error(lg, comp, ...) log_write((lg), GW_LOG_ERROR, (comp), __VA_ARGS__)
#define log_warn(lg, comp, ...) log_write((lg), GW_LOG_WARN, (comp), __VA_ARGS__)
#define log_info(lg, comp, ...) log_write((lg), GW_LOG_INFO, (comp), __VA_ARGS__)
#define log_debug(lg, comp, ...) log_write((lg), GW_LOG_DEBUG, (comp), __VA_ARGS__)

#endif /* GW_LOG_H */
