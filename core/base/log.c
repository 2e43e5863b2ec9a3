/* log.c - formatting of one-line log records; see log.h. */
#include "base/log.h"

#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "gateway/sdk.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_level_parse(const char *text, gw_log_level *out)
{
    for (int i = 0; i <= GW_LOG_DEBUG; i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *out = (gw_log_level)i;
            return GW_OK;
        }
    }
    return GW_EINVAL;
}

const char *log_level_name(gw_log_level level)
{
    if (level < GW_LOG_ERROR || level > GW_LOG_DEBUG)
        return "?";
    return level_names[level];
}

void log_vwrite(const logger *lg, gw_log_level level, const char *component,
                const char *fmt, va_list ap)
{
    if (lg == NULL || level > lg->level)
        return;
    char stamp[40];
    gw_sdk_time_format((int64_t)clock_wall_ms(), stamp, sizeof stamp);
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* Newlines inside a message would forge extra records; flatten them. */
    for (char *p = msg; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
    /* One fprintf per record keeps records whole when stderr is shared. */
    fprintf(lg->out ? lg->out : stderr, "%s %-5s %s: %s\n", stamp, level_names[level],
            component ? component : "core", msg);
}

void log_write(const logger *lg, gw_log_level level, const char *component,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(lg, level, component, fmt, ap);
    va_end(ap);
}
