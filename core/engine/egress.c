/* egress.c - an event's text as it leaves the gateway; see egress.h. */
#include "engine/egress.h"

#include "gateway/error.h"

void egress_begin(egress_reader *r, const event_egress *eg)
{
    *r = (egress_reader){.eg = eg != NULL && eg->pass_open != NULL ? eg : NULL};
}

int egress_event(egress_reader *r, int64_t seq, const char *json, size_t len, const char **out,
                 size_t *out_len)
{
    *out = json;
    *out_len = len;
    if (r->eg == NULL)
        return GW_OK;
    if (r->pass == NULL && (r->pass = r->eg->pass_open(r->eg->arg)) == NULL)
        return GW_ENOMEM;
    const char *members;
    size_t n;
    int rc = r->eg->pass_find(r->pass, seq, &members, &n);
    if (rc <= 0 || n == 0)
        return rc < 0 ? rc : GW_OK;
    /* Stored events are objects written by base/json_write: '}' last. */
    if (len < 2 || json[len - 1] != '}')
        return GW_EINVAL;
    r->text.len = 0;
    if (jw_raw(&r->text, json, len - 1) != GW_OK ||
        (len > 2 && jw_raw(&r->text, ",", 1) != GW_OK) || jw_raw(&r->text, members, n) != GW_OK ||
        jw_raw(&r->text, "}", 1) != GW_OK)
        return GW_ENOMEM;
    *out = r->text.data;
    *out_len = r->text.len;
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
