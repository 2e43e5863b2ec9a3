/* conv_contacts.c - the contact cache: the most recently seen contacts
 * in memory (LRU, bounded by contact_cache), a miss read from SQLite,
 * changes written at the flush. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "gateway/sdk.h"
#include "service/conv_state.h"
#include "service/conv_writer.h"

void conv_contact_touch(conv_service *svc, contact *ct)
{
    if (svc->lru.next != &ct->lru_link) {
        dlink_remove(&ct->lru_link);
        dlink_insert_after(&svc->lru, &ct->lru_link);
    }
}

void conv_contact_mark(conv_service *svc, contact *ct)
{
    if (!dlink_linked(&ct->dirty_link))
        dlink_push_back(&svc->dirty_contacts, &ct->dirty_link);
}

static void contact_free(contact *ct)
{
    free(ct->key);
    free(ct->handle);
    free(ct->name);
    jw_buf_free(&ct->head);
    free(ct);
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* A new cache entry (indexed, at the LRU front); NULL without memory. */
static contact *contact_add(conv_service *svc, int64_t id, const char *network, size_t net_len,
                            const char *author)
{
    contact *ct = calloc(1, sizeof *ct);
    size_t alen = strlen(author);
    if (ct == NULL || (ct->key = malloc(net_len + 1 + alen + 1)) == NULL) {
        free(ct);
        return NULL;
    }
    memcpy(ct->key, network, net_len);
    ct->key[net_len] = '\x1f';
    memcpy(ct->key + net_len + 1, author, alen + 1);
    ct->key_len = net_len + 1 + alen;
    ct->net_len = net_len;
    ct->id = ct->person = id;
    ct->followers = -1;
    dlink_init(&ct->lru_link);
    dlink_init(&ct->dirty_link);
    conv_id_format("ct_", id, ct->idstr, sizeof ct->idstr);
    if (strmap_put(svc->contacts, ct->key, ct->key_len, ct) != GW_OK ||
        strmap_put(svc->contact_ids, &ct->id, sizeof ct->id, ct) != GW_OK) {
        strmap_remove(svc->contacts, ct->key, ct->key_len, ct);
        contact_free(ct);
        return NULL;
    }
    dlink_insert_after(&svc->lru, &ct->lru_link); /* the most recent */
    svc->contact_count++;
    return ct;
}

static int contact_from_row(void *arg, const contact_row *r)
{
    conv_service *svc = arg;
    contact *ct = contact_add(svc, r->id, r->network, strlen(r->network), r->author);
    if (ct == NULL)
        return GW_ENOMEM;
    /* read most recent first: each goes after those read before it */
    dlink_remove(&ct->lru_link);
    dlink_push_back(&svc->lru, &ct->lru_link);
    ct->handle = dup_or_null(r->handle);
    ct->name = dup_or_null(r->name);
    ct->followers = r->followers;
    ct->first_ms = r->first_ms;
    gw_sdk_time_format(ct->first_ms, ct->first_seen, sizeof ct->first_seen);
    ct->last_ms = r->last_ms;
    ct->items = r->items;
    ct->open = r->open;
    ct->person = r->person;
    return GW_OK;
}

int conv_contact_load(conv_service *svc)
{
    int64_t total = contact_store_count(svc->ks);
    int rc = contact_store_each_recent(svc->ks, svc->opt.contact_cache, contact_from_row, svc);
    if (rc < 0)
        return rc;
    svc->contacts_all_loaded = total <= (int64_t)svc->opt.contact_cache;
    return GW_OK;
}

contact *conv_contact_lookup(conv_service *svc, const char *network, size_t net_len,
                             const char *author, uint64_t now_ms)
{
    char key[512];
    size_t alen = strlen(author);
    if (net_len + 1 + alen >= sizeof key)
        return NULL;
    memcpy(key, network, net_len);
    key[net_len] = '\x1f';
    memcpy(key + net_len + 1, author, alen + 1);
    contact *ct = strmap_get(svc->contacts, key, net_len + 1 + alen);
    if (ct != NULL) {
        conv_contact_touch(svc, ct);
        return ct;
    }
    /* A miss: rare once the cache is warm, and none at all while every
     * stored contact fits in it. */
    if (!svc->contacts_all_loaded) {
        char net[128];
        snprintf(net, sizeof net, "%.*s", (int)net_len, network);
        conv_db_ready(svc); /* it may have been written since it left the cache */
        int rc = contact_store_find(svc->ks, net, author, contact_from_row, svc);
        if (rc < 0)
            return NULL;
        if (rc > 0) {
            ct = strmap_get(svc->contacts, key, net_len + 1 + alen);
            if (ct != NULL)
                conv_contact_count_open(svc, ct);
            return ct;
        }
    }
    ct = contact_add(svc, svc->next_contact_id, network, net_len, author);
    if (ct == NULL)
        return NULL;
    svc->next_contact_id++;
    ct->first_ms = ct->last_ms = (int64_t)now_ms;
    gw_sdk_time_format(ct->first_ms, ct->first_seen, sizeof ct->first_seen);
    /* written at this tick's flush: the conversation rows name it */
    conv_contact_mark(svc, ct);
    return ct;
}

contact *conv_contact_by_id(conv_service *svc, int64_t id)
{
    contact *ct = strmap_get(svc->contact_ids, &id, sizeof id);
    if (ct == NULL)
        conv_db_ready(svc);
    if (ct == NULL && contact_store_get(svc->ks, id, contact_from_row, svc) > 0 &&
        (ct = strmap_get(svc->contact_ids, &id, sizeof id)) != NULL)
        conv_contact_count_open(svc, ct);
    return ct;
}

/* A contact read back from the table: its open count comes from the
 * conversations (the column is written lazily, see conv_contact_flush).
 * The caller's read of the contact has waited for the writer. */
void conv_contact_count_open(conv_service *svc, contact *ct)
{
    ct->open = conv_store_open_of_contact(svc->cs, ct->id);
}

static void contact_row_of(const contact *ct, contact_row *r, char *net, size_t netlen)
{
    snprintf(net, netlen, "%.*s", (int)ct->net_len, ct->key);
    *r = (contact_row){.id = ct->id,
                       .network = net,
                       .author = ct->key + ct->net_len + 1,
                       .handle = ct->handle,
                       .name = ct->name,
                       .followers = ct->followers,
                       .first_ms = ct->first_ms,
                       .last_ms = ct->last_ms,
                       .items = ct->items,
                       .open = ct->open,
                       .person = ct->person};
}

static int contact_write(conv_service *svc, contact *ct)
{
    char net[128];
    contact_row r;
    contact_row_of(ct, &r, net, sizeof net);
    ct->stale = 0;
    return conv_writer_contact(svc->writer, &r);
}

/* Write the new contacts (every tick: conversation rows name them) and,
 * with stale_too, those whose counters or profile changed; then evict
 * from the LRU tail down to the bound, writing a stale one first.
 * Counters (items, last seen, profile) are written lazily, by the sweep
 * timer: writing some 400 authors' rows per tick cost a tenth of the
 * flood benchmark, and a crash loses at most a sweep's worth of these
 * soft figures; open counts are recounted when a contact is read back. */
int conv_contact_flush(conv_service *svc, int stale_too)
{
    int rc = GW_OK, wrc;
    while (!dlink_empty(&svc->dirty_contacts)) {
        contact *ct = CONTAINER_OF(svc->dirty_contacts.next, contact, dirty_link);
        dlink_remove(&ct->dirty_link);
        if ((wrc = contact_write(svc, ct)) != GW_OK && rc == GW_OK)
            rc = wrc;
    }
    for (contact *ct = stale_too ? conv_lru_first(svc) : NULL; ct != NULL;
         ct = conv_lru_next(svc, ct)) {
        if (ct->stale && (wrc = contact_write(svc, ct)) != GW_OK && rc == GW_OK)
            rc = wrc;
    }
    while (svc->contact_count > svc->opt.contact_cache && !dlink_empty(&svc->lru)) {
        contact *ct = CONTAINER_OF(svc->lru.prev, contact, lru_link); /* the least recent */
        if (ct->stale && (wrc = contact_write(svc, ct)) != GW_OK && rc == GW_OK)
            rc = wrc;
        dlink_remove(&ct->lru_link);
        strmap_remove(svc->contacts, ct->key, ct->key_len, ct);
        strmap_remove(svc->contact_ids, &ct->id, sizeof ct->id, ct);
        contact_free(ct);
        svc->contact_count--;
        svc->contacts_all_loaded = 0;
    }
    return rc;
}

void conv_contact_free_all(conv_service *svc)
{
    for (contact *ct = conv_lru_first(svc), *next; ct != NULL; ct = next) {
        next = conv_lru_next(svc, ct);
        contact_free(ct);
    }
    dlink_init(&svc->lru);
    svc->contact_count = 0;
}

/* `"contact":{` and the members that stay with the contact: id, name,
 * handle, followers, first_seen. */
static int contact_head(jw_buf *b, const contact *ct)
{
    const char *fields[] = {"id", ct->idstr, "display_name", ct->name, "handle", ct->handle};
    int rc = jw_raw(b, "\"contact\":{", 11);
    for (size_t i = 0; rc == 0 && i < 6; i += 2) {
        if (fields[i + 1] == NULL)
            continue;
        rc = i == 0 ? jw_raw(b, "\"", 1) : jw_raw(b, ",\"", 2);
        if (rc == 0 && (rc = jw_raw(b, fields[i], strlen(fields[i]))) == 0 &&
            (rc = jw_raw(b, "\":", 2)) == 0)
            rc = jw_string(b, fields[i + 1], strlen(fields[i + 1]));
    }
    if (rc == 0 && ct->followers >= 0 && (rc = jw_raw(b, ",\"followers\":", 13)) == 0)
        rc = jw_integer(b, ct->followers);
    if (rc == 0 && (rc = jw_raw(b, ",\"first_seen\":", 14)) == 0)
        rc = jw_string(b, ct->first_seen, strlen(ct->first_seen));
    return rc;
}

/* The members that change with every item, and the closing brace. */
static int contact_tail(jw_buf *b, const contact *ct, const char *last_seen)
{
    int rc = jw_raw(b, ",\"last_seen\":", 13);
    if (rc == 0)
        rc = jw_string(b, last_seen, strlen(last_seen));
    if (rc == 0 && (rc = jw_raw(b, ",\"interactions\":", 16)) == 0)
        rc = jw_integer(b, ct->items);
    if (rc == 0 && (rc = jw_raw(b, ",\"open_conversations\":", 22)) == 0)
        rc = jw_integer(b, ct->open);
    if (rc == 0)
        rc = jw_raw(b, "}", 1);
    return rc;
}

/* The whole member for ct. */
static int contact_text(jw_buf *b, const contact *ct, const char *last_seen)
{
    int rc = contact_head(b, ct);
    return rc == 0 ? contact_tail(b, ct, last_seen) : rc;
}

static int same_text(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int conv_contact_text_of(jw_buf *b, contact *ct, const contact *shown, const char *last_seen)
{
    if (!same_text(shown->handle, ct->handle) || !same_text(shown->name, ct->name) ||
        shown->followers != ct->followers)
        return contact_text(b, shown, last_seen);
    /* kept for every cached contact: a few hundred bytes, not the
     * writer's first 1 KB */
    if (ct->head.len == 0 && ((ct->head.cap == 0 && jw_buf_reserve(&ct->head, 192) != GW_OK) ||
                              contact_head(&ct->head, ct) != GW_OK)) {
        ct->head.len = 0;
        return contact_text(b, shown, last_seen);
    }
    int rc = jw_raw(b, ct->head.data, ct->head.len);
    return rc == 0 ? contact_tail(b, shown, last_seen) : rc;
}
