/* conv_options.h - the conversation service's settings ([service]). */
#ifndef GW_CONV_OPTIONS_H
#define GW_CONV_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

typedef struct conv_options {
    uint64_t dm_join_window_ms; /* a private message joins the author's public
                                   conversation answered this recently */
    uint64_t close_after_ms;    /* inactivity before a conversation closes; 0: never */
    size_t contact_cache;       /* contacts kept in memory */
} conv_options;

#endif /* GW_CONV_OPTIONS_H */
