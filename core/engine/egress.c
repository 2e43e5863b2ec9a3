/* egress.c - an event's text as it leaves the gateway; see egress.h. */
#include "engine/egress.h"

#include <string.h>

#include "gateway/error.h"

void egress_begin(egress_reader *r, const event_egress *eg)
{
    *r = (egress_reader){.eg = eg != NULL && eg->pass_open != NULL ? eg : NULL};
}

int egress_members(egress_reader *r, int64_t seq, const char *json, size_t len,
                   const char **members, size_t *n)
{
    *members = NULL;
    *n = 0;
    if (r->eg == NULL)
        return GW_OK;
    if (r->pass == NULL && (r->pass = r->eg->pass_open(r->eg->arg)) == NULL)
        return GW_ENOMEM;
    int rc = r->eg->pass_find(r->pass, seq, members, n);
    if (rc <= 0)
        *n = 0;
    if (rc < 0)
        return rc;
    /* Stored events are objects written by base/json_write, '}' last: one
     * that is not gets no members spliced in, nor leaves without them. */
    if (*n > 0 && (len < 2 || json[len - 1] != '}'))
        return GW_EINVAL;
    return GW_OK;
}

size_t egress_spliced_len(size_t len, size_t n)
{
    /* the members and a ',' before them, unless the object was empty */
    return n == 0 ? len : len + n + (len > 2);
}

void egress_splice(char *out, const char *json, size_t len, const char *members, size_t n)
{
    if (n == 0) {
        memcpy(out, json, len);
        return;
    }
    /* '{' alone before the brace: no comma */
    size_t head = len - 1, comma = len > 2;
    memcpy(out, json, head);
    if (comma)
        out[head] = ',';
    memcpy(out + head + comma, members, n);
    out[head + comma + n] = '}';
}

int egress_event(egress_reader *r, int64_t seq, const char *json, size_t len, const char **out,
                 size_t *out_len)
{
    *out = json;
    *out_len = len;
    const char *members;
    size_t n;
    int rc = egress_members(r, seq, json, len, &members, &n);
    if (rc != GW_OK || n == 0)
        return rc;
    size_t total = egress_spliced_len(len, n);
    r->text.len = 0;
    if (jw_grow(&r->text, total) != GW_OK)
        return GW_ENOMEM;
    egress_splice(r->text.data, json, len, members, n);
    r->text.len = total;
    *out = r->text.data;
    *out_len = total;
    return GW_OK;
}

void egress_end(egress_reader *r)
{
    if (r->pass != NULL)
        r->eg->pass_close(r->pass);
    jw_buf_free(&r->text);
    *r = (egress_reader){0};
}

int64_t egress_limit(const event_egress *eg, int64_t committed)
{
    if (eg == NULL || eg->bound == NULL)
        return committed;
    int64_t bound = eg->bound(eg->arg);
    return bound < committed ? bound : committed;
}
