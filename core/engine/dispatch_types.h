/* dispatch_types.h - a sink dispatcher's figures, shared by dispatch.h
 * (its API) and dispatch_internal.h (its state), so that neither header
 * includes the other.
 */
#ifndef GW_DISPATCH_TYPES_H
#define GW_DISPATCH_TYPES_H

#include <stdint.h>

typedef struct dispatch_stats {
    uint64_t delivered;       /* events the sink confirmed */
    uint64_t write_failures;  /* failed write attempts (each one is retried
                                 or, when refused for good, parked) */
    uint64_t dead_letters;    /* events parked as dead letters */
    int64_t dead_letters_held; /* dead letters held now (not replayed or
                                  dropped): counted at open, then kept as
                                  they are parked and removed, so a
                                  scrape does not count the table */
    int last_status;          /* an asynchronous sink's last answer (HTTP
                                 status; 0: none yet, or no answer) */
    int failing;              /* the last attempt failed */
} dispatch_stats;

#endif /* GW_DISPATCH_TYPES_H */
