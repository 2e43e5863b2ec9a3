/* pipeline.c - validation and normalisation of items into the log. */
#include "engine/pipeline.h"

#include <stdio.h>
#include <string.h>

#include "gateway/error.h"
#include "gateway/sdk.h"

#define NATIVE_ID_MAX 256
#define TEXT_MAX (64 * 1024)

/* Members a plugin may set, in enum pipeline_member's order. */
static const char *const event_members[] = {
    "type", "visibility", "native_id", "thread_id", "in_reply_to", "url",     "author",
    "text", "lang",       "rating",    "created_at", "tags",       "contact", "raw",
    "context", NULL};
_Static_assert(sizeof event_members / sizeof *event_members == PIPELINE_MEMBERS + 1,
               "one name per enum pipeline_member");
/* Members only the host sets; "detail" belongs to host events, and to the
 * item.* events below. */
static const char *const host_members[] = {"id", "seq", "network", "account", "received_at",
                                           "detail", NULL};

static const char *const plugin_types[] = {"mention", "comment", "review", "message", NULL};
/* Gateway events a plugin may emit: a network's item was edited or
 * removed. They are not customer items; their "detail" names the item
 * ("item_id", its native id). */
static const char *const plugin_item_events[] = {"item.edited", "item.removed", NULL};

enum { MEMBER_UNKNOWN = -1, MEMBER_HOST = -2 };

/* What a top-level key is: its enum pipeline_member, MEMBER_HOST or
 * MEMBER_UNKNOWN (the first letter is compared before the string). */
static int member_kind(const char *k)
{
    for (int i = 0; event_members[i]; i++) {
        if (event_members[i][0] == k[0] && strcmp(event_members[i], k) == 0)
            return i;
    }
    for (const char *const *m = host_members; *m; m++) {
        if ((*m)[0] == k[0] && strcmp(*m, k) == 0)
            return MEMBER_HOST;
    }
    return MEMBER_UNKNOWN;
}

static int in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++) {
        if (strcmp(s, list[i]) == 0)
            return 1;
    }
    return 0;
}

static int check_string(const pipeline_item *item, int member, int required, size_t max, char *err,
                        size_t errlen)
{
    const char *key = event_members[member];
    const json_t *v = item->m[member];
    if (v == NULL || json_is_null(v)) {
        if (required) {
            snprintf(err, errlen, "\"%s\" is required", key);
            return GW_EINVAL;
        }
        return GW_OK;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "\"%s\" must be a string", key);
        return GW_EINVAL;
    }
    size_t len = json_string_length(v);
    if (required && len == 0) {
        snprintf(err, errlen, "\"%s\" must not be empty", key);
        return GW_EINVAL;
    }
    if (len > max) {
        snprintf(err, errlen, "\"%s\" is %zu bytes, at most %zu allowed", key, len, max);
        return GW_EINVAL;
    }
    return GW_OK;
}

static int check_author(pipeline_item *item, char *err, size_t errlen)
{
    const json_t *author = item->m[PIPELINE_AUTHOR];
    if (author == NULL)
        return GW_OK;
    if (!json_is_object(author)) {
        snprintf(err, errlen, "\"author\" must be an object");
        return GW_EINVAL;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)author, key, v) {
        int ok;
        const json_t **slot = strcmp(key, "id") == 0          ? &item->author_id
                              : strcmp(key, "handle") == 0    ? &item->author_handle
                              : strcmp(key, "name") == 0      ? &item->author_name
                              : strcmp(key, "followers") == 0 ? &item->author_followers
                              : strcmp(key, "verified") == 0  ? &item->author_verified
                                                              : NULL;
        if (slot == NULL) {
            snprintf(err, errlen, "\"author.%s\" is not a gateway.event/1 member", key);
            return GW_EINVAL;
        }
        if (slot == &item->author_followers)
            ok = (json_is_integer(v) && json_integer_value(v) >= 0) || json_is_null(v);
        else if (slot == &item->author_verified)
            ok = json_is_boolean(v) || json_is_null(v);
        else
            ok = json_is_string(v) || json_is_null(v);
        if (!ok) {
            snprintf(err, errlen, "\"author.%s\" has the wrong type", key);
            return GW_EINVAL;
        }
        *slot = v;
    }
    if (!json_is_string(item->author_id)) {
        snprintf(err, errlen, "\"author.id\" is required when \"author\" is given");
        return GW_EINVAL;
    }
    return GW_OK;
}

int pipeline_validate(const json_t *ev, char *err, size_t errlen)
{
    pipeline_item item;
    return pipeline_validate_item(ev, &item, err, errlen);
}

int pipeline_validate_item(const json_t *ev, pipeline_item *item, char *err, size_t errlen)
{
    *item = (pipeline_item){.validated = 1};
    if (!json_is_object(ev)) {
        snprintf(err, errlen, "an event must be a JSON object");
        return GW_EINVAL;
    }
    /* One pass: every member is looked up once, here, and the checks
     * below (and enrichment after them) read the view. */
    const char *key;
    const json_t *v;
    const json_t *detail = NULL;
    json_object_foreach((json_t *)ev, key, v) {
        int kind = member_kind(key);
        if (kind >= 0) {
            item->m[kind] = v;
            item->nulls += json_is_null(v);
        } else if (kind == MEMBER_HOST && strcmp(key, "detail") == 0) {
            detail = v; /* allowed on item.* events only: checked below */
        } else {
            snprintf(err, errlen, "\"%s\" is %s", key,
                     kind == MEMBER_HOST ? "set by the host, not the plugin"
                                         : "not a gateway.event/1 member");
            return GW_EINVAL;
        }
    }
    const char *ev_type = json_string_value(item->m[PIPELINE_TYPE]);
    int item_event = ev_type != NULL && in_list(ev_type, plugin_item_events);
    if (detail != NULL && !item_event) {
        snprintf(err, errlen, "\"detail\" is set by the host, not the plugin");
        return GW_EINVAL;
    }
    int rc;
    if ((rc = check_string(item, PIPELINE_TYPE, 1, 64, err, errlen)) ||
        (rc = check_string(item, PIPELINE_NATIVE_ID, 1, NATIVE_ID_MAX, err, errlen)) ||
        (rc = check_string(item, PIPELINE_VISIBILITY, 1, 16, err, errlen)) ||
        (rc = check_string(item, PIPELINE_THREAD_ID, 0, NATIVE_ID_MAX, err, errlen)) ||
        (rc = check_string(item, PIPELINE_IN_REPLY_TO, 0, NATIVE_ID_MAX, err, errlen)) ||
        (rc = check_string(item, PIPELINE_URL, 0, 2048, err, errlen)) ||
        (rc = check_string(item, PIPELINE_TEXT, 0, TEXT_MAX, err, errlen)) ||
        (rc = check_string(item, PIPELINE_LANG, 0, 35, err, errlen)) ||
        (rc = check_string(item, PIPELINE_CREATED_AT, 0, 64, err, errlen)))
        return rc;
    const char *type = json_string_value(item->m[PIPELINE_TYPE]);
    if (item_event) {
        if (!json_is_object(detail) || !json_is_string(json_object_get(detail, "item_id"))) {
            snprintf(err, errlen, "an %s event needs \"detail\" with \"item_id\"", type);
            return GW_EINVAL;
        }
    } else if (!in_list(type, plugin_types)) {
        snprintf(err, errlen, "\"type\" is \"%s\", expected mention, comment, review, message, "
                              "item.edited or item.removed",
                 type);
        return GW_EINVAL;
    }
    const char *vis = json_string_value(item->m[PIPELINE_VISIBILITY]);
    if (strcmp(vis, "public") != 0 && strcmp(vis, "private") != 0) {
        snprintf(err, errlen, "\"visibility\" is \"%s\", expected public or private", vis);
        return GW_EINVAL;
    }
    if (strcmp(type, "message") == 0 && strcmp(vis, "private") != 0) {
        snprintf(err, errlen, "a message must have \"visibility\": \"private\"");
        return GW_EINVAL;
    }
    const char *created = json_string_value(item->m[PIPELINE_CREATED_AT]);
    int64_t created_ms;
    if (created != NULL && gw_sdk_time_parse(created, &created_ms) != GW_OK) {
        snprintf(err, errlen, "\"created_at\" is \"%s\", expected RFC 3339 like "
                              "2026-11-20T10:00:00Z", created);
        return GW_EINVAL;
    }
    const json_t *rating = item->m[PIPELINE_RATING];
    if (rating != NULL && !json_is_null(rating)) {
        double r = json_number_value(rating);
        if (!json_is_number(rating) || r < 1 || r > 5) {
            snprintf(err, errlen, "\"rating\" must be a number from 1 to 5");
            return GW_EINVAL;
        }
        if (strcmp(type, "review") != 0) {
            snprintf(err, errlen, "only a review carries a \"rating\"");
            return GW_EINVAL;
        }
    }
    static const int objects[] = {PIPELINE_TAGS, PIPELINE_CONTACT, PIPELINE_CONTEXT};
    for (size_t k = 0; k < sizeof objects / sizeof *objects; k++) {
        const json_t *o = item->m[objects[k]];
        if (o != NULL && !json_is_object(o)) {
            snprintf(err, errlen, "\"%s\" must be an object", event_members[objects[k]]);
            return GW_EINVAL;
        }
    }
    return check_author(item, err, errlen);
}

/* Build the stored form with host members first, then append. Steals ev. */
static int normalise_and_append(store *st, const char *network, const char *account, json_t *ev,
                                uint64_t now_ms, pipeline_stats *stats,
                                const pipeline_observer *obs, const pipeline_enriched *en,
                                pipeline_item *item)
{
    pipeline_item host = {0}; /* a host event: nothing validated */
    if (item == NULL)
        item = &host;
    char id[512];
    char received[40];
    int rc = GW_ENOMEM;
    const char *native = json_string_value(item->validated ? item->m[PIPELINE_NATIVE_ID]
                                                           : json_object_get(ev, "native_id"));
    int n = snprintf(id, sizeof id, "%s:%s", network, native);
    if (n < 0 || (size_t)n >= sizeof id) {
        json_decref(ev);
        return GW_EINVAL;
    }
    gw_sdk_time_format((int64_t)now_ms, received, sizeof received);

    /* The event is ours (stolen), so the host members are added in place:
     * copying every event into a fresh object in a canonical order cost a
     * tenth of the ingest time. Members keep the plugin's order, the
     * host's follow. Explicit nulls mean "absent" and are dropped. */
    const char *key;
    void *tmp;
    json_t *v;
    const json_t *created =
        item->validated ? item->m[PIPELINE_CREATED_AT] : json_object_get(ev, "created_at");
    int has_created = created != NULL && !json_is_null(created); /* before it is deleted */
    if (!item->validated || item->nulls > 0) {
        json_object_foreach_safe(ev, tmp, key, v)
        {
            if (json_is_null(v))
                json_object_del(ev, key);
        }
    }
    if (!has_created &&
        json_object_set_new(ev, "created_at", json_string(received)))
        goto done;
    if (json_object_set_new(ev, "id", json_string(id)) ||
        json_object_set_new(ev, "network", json_string(network)) ||
        json_object_set_new(ev, "account", json_string(account)) ||
        json_object_set_new(ev, "received_at", json_string(received)))
        goto done;

    item->network = network;
    item->account = account;
    item->received_at = received;
    if (obs != NULL && obs->annotate != NULL)
        obs->annotate(obs->arg, ev, item, now_ms);
    /* the enrichment's members (triage's tags) */
    store_members parts[1] = {{en->members, en->len}};
    int64_t seq = 0;
    rc = store_append_parts(st, ev, parts, 1, &seq);
    if (rc == 1 && obs != NULL && obs->stored != NULL)
        obs->stored(obs->arg, ev, item, seq, en, now_ms);
    if (rc == 1)
        stats->accepted++;
    else if (rc == 0)
        stats->duplicates++;
done:
    json_decref(ev);
    return rc;
}

int pipeline_ingest(store *st, const char *network, const char *account, json_t *event,
                    uint64_t now_ms, pipeline_stats *stats, char *err, size_t errlen)
{
    return pipeline_ingest_echo(st, network, account, event, now_ms, stats, NULL, err, errlen);
}

int pipeline_ingest_echo(store *st, const char *network, const char *account, json_t *event,
                         uint64_t now_ms, pipeline_stats *stats, const pipeline_echo *echo,
                         char *err, size_t errlen)
{
    pipeline_hooks hooks = {.echo = echo};
    return pipeline_ingest_hooked(st, network, account, event, now_ms, stats, &hooks, err,
                                  errlen);
}

int pipeline_ingest_hooked(store *st, const char *network, const char *account, json_t *event,
                           uint64_t now_ms, pipeline_stats *stats, const pipeline_hooks *hooks,
                           char *err, size_t errlen)
{
    pipeline_item item;
    int rc = pipeline_validate_item(event, &item, err, errlen);
    if (rc != GW_OK) {
        stats->invalid++;
        json_decref(event);
        return rc;
    }
    /* After validation, so the predicate may rely on a string native_id. */
    const pipeline_echo *echo = hooks != NULL ? hooks->echo : NULL;
    if (echo != NULL && echo->is_echo != NULL &&
        echo->is_echo(echo->arg, network, account, event)) {
        stats->echoes++;
        json_decref(event);
        return 0;
    }
    /* Before the one serialisation, so the stored event carries the tags;
     * a failure (out of memory) stores the item untagged rather than
     * losing it. */
    const pipeline_enrich *enrich = hooks != NULL ? hooks->enrich : NULL;
    pipeline_enriched en = {.priority_score = -1};
    if (enrich != NULL && enrich->enrich != NULL &&
        enrich->enrich(enrich->arg, network, event, &item, &en) != GW_OK)
        en = (pipeline_enriched){.priority_score = -1};
    /* The enrichment may have set "tags" (replacing the plugin's):
     * normalising reads only native_id, created_at and the nulls. */
    return normalise_and_append(st, network, account, event, now_ms, stats,
                                hooks != NULL ? hooks->observer : NULL, &en, &item);
}

int pipeline_ingest_host(store *st, const char *network, const char *account, json_t *event,
                         uint64_t now_ms, pipeline_stats *stats)
{
    return pipeline_ingest_host_observed(st, network, account, event, now_ms, stats, NULL);
}

int pipeline_ingest_host_observed(store *st, const char *network, const char *account,
                                  json_t *event, uint64_t now_ms, pipeline_stats *stats,
                                  const pipeline_observer *obs)
{
    if (!json_is_string(json_object_get(event, "type")) ||
        !json_is_string(json_object_get(event, "native_id"))) {
        json_decref(event);
        return GW_EINVAL;
    }
    pipeline_enriched none = {.priority_score = -1};
    return normalise_and_append(st, network, account, event, now_ms, stats, obs, &none, NULL);
}
