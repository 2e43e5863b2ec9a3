/* triage_reasons.c - see triage_reasons.h. */
#include "triage/triage_reasons.h"

#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "gateway/error.h"

int triage_shared_reason_make(triage_shared_reason *s, const char *line)
{
    jw_buf b = {0};
    *s = (triage_shared_reason){0};
    if ((s->value = json_string(line)) == NULL)
        return GW_ENOMEM;
    int rc = jw_string(&b, line, strlen(line));
    if (rc != GW_OK) {
        jw_buf_free(&b);
        return rc;
    }
    /* the buffer's bytes become the text (jw_buf_free is a free() of them) */
    s->json = b.data;
    s->json_len = b.len;
    return GW_OK;
}

void triage_shared_reason_free(triage_shared_reason *s)
{
    json_decref(s->value);
    free(s->json);
    *s = (triage_shared_reason){0};
}

static int grow_items(triage_reasons *r)
{
    triage_reason *items = grow_array(r->items, &r->cap, r->count + 1, sizeof *items, 8);
    if (items == NULL)
        return GW_ENOMEM;
    r->items = items;
    return GW_OK;
}

int triage_reasons_share(triage_reasons *r, const triage_shared_reason *s)
{
    if (s == NULL || s->value == NULL || grow_items(r) != GW_OK)
        return GW_ENOMEM;
    r->items[r->count++] = (triage_reason){.shared = s};
    return GW_OK;
}

int triage_reasons_line(triage_reasons *r, const char *text, size_t len)
{
    if (len > UINT32_MAX || r->used > UINT32_MAX - len || grow_items(r) != GW_OK)
        return GW_ENOMEM;
    char *t = grow_array(r->text, &r->text_cap, r->used + len, 1, 512);
    if (t == NULL)
        return GW_ENOMEM;
    r->text = t;
    memcpy(r->text + r->used, text, len);
    r->items[r->count++] = (triage_reason){.off = (uint32_t)r->used, .len = (uint32_t)len};
    r->used += len;
    return GW_OK;
}

const char *triage_reasons_text(const triage_reasons *r, size_t i, size_t *len)
{
    const triage_reason *it = &r->items[i];
    if (it->shared != NULL) {
        *len = json_string_length(it->shared->value);
        return json_string_value(it->shared->value);
    }
    *len = it->len;
    return r->text + it->off;
}

void triage_reasons_free(triage_reasons *r)
{
    free(r->items);
    free(r->text);
    *r = (triage_reasons){0};
}

int triage_reasons_write(jw_buf *b, const triage_reasons *r)
{
    int rc = jw_raw(b, "[", 1);
    for (size_t i = 0; i < r->count && rc == GW_OK; i++) {
        const triage_reason *it = &r->items[i];
        if (i > 0 && (rc = jw_raw(b, ",", 1)) != GW_OK)
            break;
        if (it->shared != NULL)
            rc = jw_raw(b, it->shared->json, it->shared->json_len);
        else
            rc = jw_string(b, r->text + it->off, it->len);
    }
    return rc != GW_OK ? rc : jw_raw(b, "]", 1);
}

json_t *triage_reasons_array(const triage_reasons *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < r->count; i++) {
        const triage_reason *it = &r->items[i];
        int failed = it->shared != NULL
                         ? json_array_append(arr, it->shared->value)
                         : json_array_append_new(arr, json_stringn(r->text + it->off, it->len));
        if (failed) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}
