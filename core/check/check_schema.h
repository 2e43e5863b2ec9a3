/* check_schema.h - what docs/event.schema.json says of a plugin's event
 * that pipeline_validate (the gateway's own check, which the checker runs
 * first) does not: the patterns of url and lang, the members of author,
 * context and contact, and nulls inside them (the pipeline drops a null
 * only at the top level). An event that fails here is stored by the
 * gateway and then delivered to sinks in a shape the schema refuses.
 */
#ifndef GW_CHECK_SCHEMA_H
#define GW_CHECK_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

/* Check an event pipeline_validate accepted (borrowed). Returns 0, or
 * GW_EINVAL with the first problem in err (errlen bytes). */
int check_schema_event(const json_t *event, char *err, size_t errlen);

#endif /* GW_CHECK_SCHEMA_H */
