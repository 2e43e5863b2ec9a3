/* plugins/mock/event.c - completes events written by people.
 *
 * Scenario lines and webhook deliveries are written by hand in tests; the
 * host requires "visibility" and the schema requires "created_at", which
 * are tedious to repeat on every line. This fills them when absent, the
 * way a real plugin would derive them from its network's payload.
 */
#include <string.h>

#include "mock.h"

int mock_event_prepare(json_t *event, int64_t now_ms, char *err, size_t errlen)
{
    if (!json_is_object(event)) {
        gw_sdk_str_copy(err, errlen, "an event must be a JSON object");
        return GW_EINVAL;
    }
    const char *type = gw_sdk_json_string(event, "type", NULL);
    if (type == NULL || type[0] == '\0') {
        gw_sdk_str_copy(err, errlen, "an event needs a string \"type\"");
        return GW_EINVAL;
    }
    const char *native_id = gw_sdk_json_string(event, "native_id", NULL);
    if (native_id == NULL || native_id[0] == '\0') {
        gw_sdk_str_copy(err, errlen, "an event needs a string \"native_id\"");
        return GW_EINVAL;
    }
    if (json_object_get(event, "visibility") == NULL) {
        /* Direct messages are the only private items a network hands out. */
        const char *visibility = strcmp(type, "message") == 0 ? "private" : "public";
        if (gw_sdk_json_set_string(event, "visibility", visibility) < 0)
            goto no_memory;
    }
    if (json_object_get(event, "created_at") == NULL) {
        char stamp[GW_SDK_RFC3339_SIZE];
        if (gw_sdk_time_format(now_ms, stamp, sizeof stamp) < 0 ||
            gw_sdk_json_set_string(event, "created_at", stamp) < 0)
            goto no_memory;
    }
    return 0;

no_memory:
    gw_sdk_str_copy(err, errlen, "out of memory");
    return GW_ENOMEM;
}
