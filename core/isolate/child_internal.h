/* isolate/child_internal.h - the plugin host's state, shared by its
 * loop (child.c) and its gw_host table (child_host.c). Not for others. */
#ifndef GW_ISOLATE_CHILD_INTERNAL_H
#define GW_ISOLATE_CHILD_INTERNAL_H

#include <stdint.h>

#include "gateway/plugin.h"
#include "isolate/wire.h"

/* A timer the plugin started; the list is ordered by nothing. */
typedef struct child_timer {
    struct child_timer *next;
    uint64_t due_ms; /* monotonic */
    gw_timer_cb cb;
    void *arg;
} child_timer;

/* An HTTP request the core runs for the plugin, awaiting its answer. */
typedef struct child_request {
    struct child_request *next;
    uint64_t id;
    gw_http_cb cb;
    void *arg;
} child_request;

/* An op handle given to a hook. Slots are reused, never freed before the
 * process exits, so a plugin completing twice reaches a dead slot and is
 * ignored rather than writing freed memory. */
typedef struct child_op {
    struct child *owner;
    struct child_op *next_free;
    uint64_t id; /* the core's op id */
    int live;
} child_op;

typedef struct child {
    int fd;
    const gw_plugin *plugin;
    gw_instance *inst;
    gw_host host;
    char *account;     /* owned */
    json_t *config;    /* owned */
    isolate_buf out;   /* frames queued for the core (child_io.c) */
    isolate_buf in;    /* bytes read, not yet decoded */
    isolate_buf later; /* whole frames set aside while a kv_get waited */
    size_t in_used, later_used; /* the last frame decoded from each, dropped
                                   at the next read (its blob is borrowed) */
    child_timer *timers;
    child_request *requests;
    child_op *free_ops;
    uint64_t next_id;
    int creating;      /* inside create(): narrow_capabilities is allowed */
    uint32_t keep;     /* narrow_capabilities' last keep (all bits by default) */
    char *keep_reason; /* owned, may be NULL */
} child;

/* child_monotonic_ms - the monotonic clock in ms. */
uint64_t child_monotonic_ms(void);

/* child_op_new - a live op handle for the core's op id, or NULL. */
child_op *child_op_new(child *c, uint64_t id);

/* child_host_init - fill c->host with the child's gw_host functions. */
void child_host_init(child *c);

#endif /* GW_ISOLATE_CHILD_INTERNAL_H */
