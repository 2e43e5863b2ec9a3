/* sdk/json.c - jansson accessors with defaults.
 *
 * Network payloads and the host's config are JSON whose optional members
 * may be absent, null or of another type than documented. Every plugin
 * would otherwise repeat "get, check the type, fall back"; these do it
 * once and never fail.
 */
#include <jansson.h>

#include "gateway/sdk.h"

/* The member `key` of obj, or NULL when obj is not an object. */
static const json_t *member(const json_t *obj, const char *key)
{
    if (obj == NULL || key == NULL || !json_is_object(obj))
        return NULL;
    return json_object_get(obj, key);
}

const char *gw_sdk_json_string(const json_t *obj, const char *key, const char *def)
{
    const json_t *value = member(obj, key);
    return json_is_string(value) ? json_string_value(value) : def;
}

json_int_t gw_sdk_json_int(const json_t *obj, const char *key, json_int_t def)
{
    const json_t *value = member(obj, key);
    return json_is_integer(value) ? json_integer_value(value) : def;
}

double gw_sdk_json_number(const json_t *obj, const char *key, double def)
{
    const json_t *value = member(obj, key);
    return json_is_number(value) ? json_number_value(value) : def;
}

int gw_sdk_json_bool(const json_t *obj, const char *key, int def)
{
    const json_t *value = member(obj, key);
    return json_is_boolean(value) ? json_is_true(value) : def;
}

int gw_sdk_json_set_string(json_t *obj, const char *key, const char *value)
{
    if (obj == NULL || key == NULL || !json_is_object(obj))
        return GW_EINVAL;
    json_t *item = value != NULL ? json_string(value) : json_null();
    if (item == NULL) {
        /* json_string refuses invalid UTF-8 and fails on exhaustion; an
         * empty string only fails on exhaustion, which tells them apart. */
        json_t *probe = json_string("");
        json_decref(probe);
        return probe != NULL ? GW_EINVAL : GW_ENOMEM;
    }
    /* json_object_set_new steals item even when it fails. */
    return json_object_set_new(obj, key, item) == 0 ? 0 : GW_ENOMEM;
}
