/* sinks.c - the registry of built-in sink types: the one place that knows
 * which sinks this build has. Owns only a constant table.
 *
 * A new sink type defines `const sink_type sink_<name>_type` in its own
 * file and gets a line here; nothing else refers to it by name.
 */
#include <stddef.h>
#include <string.h>

#include "sinks/sink.h"

/* Defined in the sink's own file; only this table refers to them, so they
 * are declared here rather than in a header. */
extern const sink_type sink_stdout_type;
extern const sink_type sink_file_type;
extern const sink_type sink_webhook_type;
extern const sink_type sink_nats_type;

static const sink_type *const builtin_sink_types[] = {
    &sink_stdout_type,
    &sink_file_type,
    &sink_webhook_type,
    &sink_nats_type,
    NULL,
};

const sink_type *sink_type_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; builtin_sink_types[i]; i++)
        if (strcmp(builtin_sink_types[i]->name, name) == 0)
            return builtin_sink_types[i];
    return NULL;
}

/* Borrowed: a constant table, never freed. */
const sink_type *const *sink_types(void)
{
    return builtin_sink_types;
}
