/* isolate/wire.c - encoding and strict decoding of the plugin host's
 * frames; see wire.h for the layout. */
#include "isolate/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "isolate/value.h"
#include "gateway/plugin.h"

/* What each type may carry. Unknown values have no entry (name NULL). */
typedef struct type_info {
    const char *name;
    int blob; /* 1: the type may carry a blob */
} type_info;

static type_info type_lookup(int type)
{
    switch (type) {
    case ISOLATE_T_INIT: return (type_info){"init", 0};
    case ISOLATE_T_FETCH: return (type_info){"fetch", 0};
    case ISOLATE_T_WEBHOOK: return (type_info){"webhook", 1};
    case ISOLATE_T_POST_PUBLIC: return (type_info){"post_public", 0};
    case ISOLATE_T_SEND_PRIVATE: return (type_info){"send_private", 0};
    case ISOLATE_T_HTTP_RESPONSE: return (type_info){"http_response", 1};
    case ISOLATE_T_KV_VALUE: return (type_info){"kv_value", 0};
    case ISOLATE_T_PING: return (type_info){"ping", 0};
    case ISOLATE_T_SHUTDOWN: return (type_info){"shutdown", 0};
    case ISOLATE_T_READY: return (type_info){"ready", 0};
    case ISOLATE_T_LOG: return (type_info){"log", 0};
    case ISOLATE_T_EMIT: return (type_info){"emit", 0};
    case ISOLATE_T_KV_GET: return (type_info){"kv_get", 0};
    case ISOLATE_T_KV_SET: return (type_info){"kv_set", 0};
    case ISOLATE_T_COMPLETE: return (type_info){"complete", 0};
    case ISOLATE_T_HTTP_REQUEST: return (type_info){"http_request", 1};
    case ISOLATE_T_CREDENTIALS_FAILED: return (type_info){"credentials_failed", 0};
    case ISOLATE_T_METRIC_SET: return (type_info){"metric_set", 0};
    case ISOLATE_T_PONG: return (type_info){"pong", 0};
    default: return (type_info){NULL, 0};
    }
}

const char *isolate_type_name(int type)
{
    return type_lookup(type).name;
}

static uint32_t read_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t read_u64(const uint8_t *p)
{
    return (uint64_t)read_u32(p) | (uint64_t)read_u32(p + 4) << 32;
}

static void write_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void write_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int fail(int rc, char *err, size_t errlen, const char *what)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "isolate frame: %s", what);
    return rc;
}

int isolate_decode(const uint8_t *buf, size_t len, isolate_msg *msg, size_t *used,
                   char *err, size_t errlen)
{
    memset(msg, 0, sizeof(*msg));
    *used = 0;
    if (len < 4)
        return GW_EBUSY;
    uint32_t frame_len = read_u32(buf);
    /* Checked before waiting for the rest, so a hostile length cannot
     * make the reader buffer 4 GiB. */
    if (frame_len == 0 || frame_len > ISOLATE_FRAME_MAX)
        return fail(GW_ERANGE, err, errlen, "length out of range");
    if (len - 4 < frame_len)
        return GW_EBUSY;
    const uint8_t *p = buf + 4;
    type_info info = type_lookup(p[0]);
    if (info.name == NULL)
        return fail(GW_EINVAL, err, errlen, "unknown type");
    size_t rest = frame_len - 1;
    p++;
    if (rest < ISOLATE_FIXED_LEN)
        return fail(GW_EINVAL, err, errlen, "shorter than its fixed fields");
    uint64_t id = read_u64(p);
    uint32_t json_len = read_u32(p + 8);
    p += ISOLATE_FIXED_LEN;
    rest -= ISOLATE_FIXED_LEN;
    if (json_len > rest)
        return fail(GW_EINVAL, err, errlen, "JSON length past the frame");
    size_t blob_len = rest - json_len;
    if (blob_len > 0 && !info.blob)
        return fail(GW_EINVAL, err, errlen, "trailing bytes on a type without a body");
    json_t *json = NULL;
    if (json_len > 0) {
        char why[64];
        int vrc = isolate_value_decode(p, json_len, &json, why, sizeof why);
        if (vrc == GW_ENOMEM)
            return fail(GW_ENOMEM, err, errlen, "out of memory");
        if (vrc != 0) {
            if (err != NULL && errlen > 0)
                snprintf(err, errlen, "isolate frame: malformed value: %s", why);
            return GW_EPARSE;
        }
        if (!json_is_object(json)) {
            json_decref(json);
            return fail(GW_EPARSE, err, errlen, "value is not an object");
        }
    }
    msg->type = (isolate_type)buf[4];
    msg->id = id;
    msg->json = json;
    msg->blob = blob_len > 0 ? p + json_len : NULL;
    msg->blob_len = blob_len;
    *used = 4 + (size_t)frame_len;
    return 0;
}

void isolate_msg_clear(isolate_msg *msg)
{
    json_decref(msg->json);
    memset(msg, 0, sizeof(*msg));
}

int isolate_buf_reserve(isolate_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra)
        cap *= 2;
    uint8_t *data = realloc(b->data, cap);
    if (data == NULL)
        return GW_ENOMEM;
    b->data = data;
    b->cap = cap;
    return 0;
}

int isolate_encode(isolate_buf *out, isolate_type type, uint64_t id, const json_t *json,
                   const void *blob, size_t blob_len)
{
    type_info info = type_lookup((int)type);
    if (info.name == NULL || (json != NULL && !json_is_object(json)) ||
        (blob_len > 0 && (!info.blob || blob == NULL)))
        return GW_EINVAL;
    size_t json_len = 0;
    if (json != NULL && (json_len = isolate_value_size(json)) == 0)
        return GW_EINVAL; /* nested past ISOLATE_VALUE_DEPTH */
    size_t frame_len = 1 + ISOLATE_FIXED_LEN + json_len + blob_len;
    if (json_len > ISOLATE_FRAME_MAX || blob_len > ISOLATE_FRAME_MAX ||
        frame_len > ISOLATE_FRAME_MAX)
        return GW_ERANGE;
    if (isolate_buf_reserve(out, 4 + frame_len) != 0)
        return GW_ENOMEM;
    uint8_t *p = out->data + out->len;
    write_u32(p, (uint32_t)frame_len);
    p[4] = (uint8_t)type;
    write_u64(p + 5, id);
    write_u32(p + 13, (uint32_t)json_len);
    if (json_len > 0)
        isolate_value_write(p + 17, json);
    if (blob_len > 0)
        memcpy(p + 17 + json_len, blob, blob_len);
    out->len += 4 + frame_len;
    return 0;
}

void isolate_buf_consume(isolate_buf *buf, size_t n)
{
    if (n >= buf->len) {
        buf->len = 0;
        return;
    }
    memmove(buf->data, buf->data + n, buf->len - n);
    buf->len -= n;
}

void isolate_buf_free(isolate_buf *buf)
{
    free(buf->data);
    memset(buf, 0, sizeof(*buf));
}

json_t *isolate_headers_json(const gw_http_header *h, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, json_pack("[s,s]", h[i].name ? h[i].name : "",
                                             h[i].value ? h[i].value : ""));
    return arr;
}

long isolate_headers_parse(const json_t *arr, gw_http_header **out)
{
    *out = NULL;
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr))
        return -1;
    size_t n = json_array_size(arr);
    gw_http_header *h = calloc(n ? n : 1, sizeof(*h));
    if (h == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *pair = json_array_get(arr, i);
        h[i].name = json_string_value(json_array_get(pair, 0));
        h[i].value = json_string_value(json_array_get(pair, 1));
        if (json_array_size(pair) != 2 || h[i].name == NULL || h[i].value == NULL) {
            free(h);
            return -1;
        }
    }
    *out = h;
    return (long)n;
}
