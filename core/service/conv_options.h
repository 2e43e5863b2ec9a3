/* conv_options.h - the conversation service's settings ([service]). */
#ifndef GW_CONV_OPTIONS_H
#define GW_CONV_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/business_hours.h"

/* How the service records an event of its own (sla.breached): the daemon
 * ingests it through the pipeline (steals event). */
typedef void (*conv_emit_fn)(void *arg, const char *network, const char *account, json_t *event);

typedef struct conv_options {
    uint64_t dm_join_window_ms; /* a private message joins the author's public
                                   conversation answered this recently */
    uint64_t close_after_ms;    /* inactivity before a conversation closes; 0: never */
    size_t contact_cache;       /* contacts kept in memory */
    uint64_t target_ms;         /* first-response target; 0: none (no sla.breached) */
    business_hours hours;       /* when the target's clock runs */
    const char *timezone;       /* IANA zone of hours (borrowed for open) */
    conv_emit_fn emit;          /* may be NULL: breaches are then only recorded */
    void *emit_arg;
    /* The events' members are on disk up to a higher seq
     * (conv_service_members_bound): events waiting for them may leave.
     * Called on the loop; may be NULL. */
    void (*durable)(void *arg);
    void *durable_arg;
    int synchronous_full; /* commit the service's database as the log does */
} conv_options;

#endif /* GW_CONV_OPTIONS_H */
