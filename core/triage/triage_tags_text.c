/* triage_tags_text.c - see triage_tags_text.h. The order of the members
 * is put_facts' then put_priority's in triage.c; test_triage_analyse
 * compares the two paths over the labelled sample. */
#include "triage/triage_tags_text.h"

#include <string.h>
#include <strings.h>

#include "gateway/error.h"

static int member(jw_buf *b, const triage_member_text *m)
{
    return jw_raw(b, m->text, m->len);
}

#define LIT(b, s) jw_raw((b), (s), sizeof(s) - 1)

static int keywords(jw_buf *b, const triage_tag_set *s)
{
    int rc = LIT(b, "\"keywords\":[");
    for (size_t i = 0; i < s->keyword_count && rc == GW_OK; i++) {
        const char *d = s->keywords[i]->display;
        size_t j = 0;
        /* once per spelling, case aside, as merge_keywords lists them */
        while (j < i && strcasecmp(s->keywords[j]->display, d) != 0)
            j++;
        if (j < i)
            continue;
        if (i > 0)
            rc = LIT(b, ",");
        if (rc == GW_OK)
            rc = jw_string(b, d, strlen(d));
    }
    return rc != GW_OK ? rc : LIT(b, "],");
}

int triage_tags_text(jw_buf *b, const triage_values *v, const triage_tag_set *s)
{
    b->len = 0;
    int rc = LIT(b, "\"tags\":{");
    if (rc == GW_OK && s->keyword_count > 0)
        rc = keywords(b, s);
    if (rc == GW_OK)
        rc = s->mentioned ? LIT(b, "\"mentioned\":true") : LIT(b, "\"mentioned\":false");
    if (rc == GW_OK && s->unaddressed)
        rc = LIT(b, ",\"unaddressed\":true");
    if (rc == GW_OK && s->intents != 0)
        rc = member(b, &v->intents_text[s->intents]);
    if (rc == GW_OK)
        rc = member(b, &v->sentiment_text[s->sentiment]);
    if (rc == GW_OK)
        rc = member(b, &v->sentiment_score_text[s->sentiment_score]);
    if (rc == GW_OK && s->influence >= 0)
        rc = member(b, &v->influence_text[s->influence]);
    if (rc == GW_OK)
        rc = member(b, &v->level_text[s->level]);
    if (rc == GW_OK)
        rc = member(b, &v->score_text[s->score]);
    if (rc == GW_OK && s->reasons->count > 0) {
        rc = LIT(b, ",\"priority_reasons\":");
        if (rc == GW_OK)
            rc = triage_reasons_write(b, s->reasons);
    }
    if (rc == GW_OK)
        rc = LIT(b, "}");
    if (rc != GW_OK)
        b->len = 0;
    return rc;
}
