/* triage_tags_text.c - see triage_tags_text.h. The order of the members
 * is put_facts' then put_priority's in triage.c; test_triage_analyse
 * compares the two paths over the labelled sample. */
#include "triage/triage_tags_text.h"

#include <string.h>
#include <strings.h>

#include "gateway/error.h"

static int lit(jw_buf *b, const char *s)
{
    return jw_raw(b, s, strlen(s));
}

/* `,"key":` then the value's text. */
static int member_text(jw_buf *b, const char *key_part, const char *value)
{
    int rc = lit(b, key_part);
    return rc != GW_OK ? rc : lit(b, value);
}

static int string_array(jw_buf *b, const json_t *arr)
{
    int rc = lit(b, "[");
    size_t i;
    const json_t *s;
    json_array_foreach(arr, i, s)
    {
        if (rc == GW_OK && i > 0)
            rc = lit(b, ",");
        if (rc == GW_OK)
            rc = jw_string(b, json_string_value(s), json_string_length(s));
    }
    return rc != GW_OK ? rc : lit(b, "]");
}

static int keywords(jw_buf *b, const triage_tag_set *s)
{
    int rc = lit(b, "\"keywords\":[");
    for (size_t i = 0; i < s->keyword_count && rc == GW_OK; i++) {
        const char *d = s->keywords[i]->display;
        size_t j = 0;
        /* once per spelling, case aside, as merge_keywords lists them */
        while (j < i && strcasecmp(s->keywords[j]->display, d) != 0)
            j++;
        if (j < i)
            continue;
        if (i > 0)
            rc = lit(b, ",");
        if (rc == GW_OK)
            rc = jw_string(b, d, strlen(d));
    }
    return rc != GW_OK ? rc : lit(b, "],");
}

int triage_tags_text(jw_buf *b, const triage_values *v, const triage_tag_set *s)
{
    b->len = 0;
    int rc = lit(b, "\"tags\":{");
    if (rc == GW_OK && s->keyword_count > 0)
        rc = keywords(b, s);
    if (rc == GW_OK)
        rc = lit(b, s->mentioned ? "\"mentioned\":true" : "\"mentioned\":false");
    if (rc == GW_OK && s->unaddressed)
        rc = lit(b, ",\"unaddressed\":true");
    if (rc == GW_OK && s->intents != 0)
        rc = member_text(b, ",\"intent\":", v->intents_text[s->intents]);
    if (rc == GW_OK)
        rc = member_text(b, ",\"sentiment\":", v->sentiment_text[s->sentiment]);
    if (rc == GW_OK)
        rc = member_text(b, ",\"sentiment_score\":", v->sentiment_score_text[s->sentiment_score]);
    if (rc == GW_OK && s->influence >= 0)
        rc = member_text(b, ",\"influence\":", v->influence_text[s->influence]);
    if (rc == GW_OK)
        rc = member_text(b, ",\"priority\":", v->level_text[s->level]);
    if (rc == GW_OK)
        rc = lit(b, ",\"priority_score\":");
    if (rc == GW_OK)
        rc = jw_integer(b, s->score);
    if (rc == GW_OK && json_array_size(s->reasons) > 0) {
        rc = lit(b, ",\"priority_reasons\":");
        if (rc == GW_OK)
            rc = string_array(b, s->reasons);
    }
    if (rc == GW_OK)
        rc = lit(b, "}");
    if (rc != GW_OK)
        b->len = 0;
    return rc;
}
