/* contacts_api.c - handlers of /v1/contacts; see contacts_api.h. The
 * contacts and their links are the conversation service's. */
#include "api/contacts_api.h"

#include <stdio.h>
#include <string.h>

#include "api/conversations_api.h"
#include "gateway/sdk.h"
#include "http/http_server.h"
#include "service/conv_service.h"

#define LINKS_SUFFIX "/links"
#define HISTORY_MAX 200 /* conversations listed with a contact */

static json_t *time_or_null(int64_t ms)
{
    char at[40];
    if (ms <= 0 || gw_sdk_time_format(ms, at, sizeof at) < 0)
        return json_null();
    return json_string(at);
}

static json_t *contact_doc(const contact_row *r)
{
    char id[24], person[24];
    conv_id_format("ct_", r->id, id, sizeof id);
    conv_id_format("ct_", r->person, person, sizeof person);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:s}", "id", id,
                            "network", r->network, "author_id", r->author, "handle",
                            r->handle ? json_string(r->handle) : json_null(), "display_name",
                            r->name ? json_string(r->name) : json_null(), "followers",
                            r->followers >= 0 ? json_integer(r->followers) : json_null(),
                            "first_seen", time_or_null(r->first_ms), "last_seen",
                            time_or_null(r->last_ms), "interactions", (json_int_t)r->items,
                            "open_conversations", (json_int_t)r->open, "person", person);
    return doc;
}

static int on_contact(void *arg, const contact_row *row)
{
    json_t *list = arg;
    json_t *doc = contact_doc(row);
    return doc != NULL && json_array_append_new(list, doc) == 0 ? 0 : GW_ENOMEM;
}

static int on_conversation(void *arg, const conv_row *row)
{
    json_t *list = arg;
    json_t *doc = conversations_api_doc(row);
    return doc != NULL && json_array_append_new(list, doc) == 0 ? 0 : GW_ENOMEM;
}

/* The contact of id with its person's contacts and conversations, or NULL
 * (*status says why: 404 unknown, 503 store). */
static json_t *person_doc(gw_runtime *rt, int64_t id, int *status)
{
    json_t *one = json_array(), *linked = json_array(), *history = json_array();
    json_t *doc = NULL;
    *status = 503;
    int rc = one && linked && history && id > 0 ? conv_service_contact(rt->conv, id, on_contact, one)
                                                : 0;
    if (rc == 0 && one != NULL)
        *status = 404;
    if (rc <= 0 || json_array_size(one) != 1)
        goto done;
    int64_t person = conv_id_parse("ct_", json_string_value(json_object_get(
                                              json_array_get(one, 0), "person")));
    if (conv_service_person(rt->conv, person, on_contact, linked, HISTORY_MAX, on_conversation,
                            history) < 0)
        goto done;
    doc = json_pack("{s:O, s:O, s:O}", "contact", json_array_get(one, 0), "linked", linked,
                    "conversations", history);
done:
    json_decref(one);
    json_decref(linked);
    json_decref(history);
    return doc;
}

static void answer_person(gw_runtime *rt, http_exchange *ex, int64_t id)
{
    int status;
    json_t *doc = person_doc(rt, id, &status);
    if (doc != NULL)
        http_exchange_respond_json(ex, 200, doc);
    else if (status == 404)
        http_exchange_respond_error(ex, 404, "unknown_contact", "no contact with that id");
    else
        http_exchange_respond_error(ex, 503, "store_unavailable", "the contact could not be read");
}

static void link_contacts(gw_runtime *rt, http_exchange *ex, int64_t id)
{
    size_t len = 0;
    const unsigned char *body = http_exchange_body(ex, &len);
    json_t *req = body ? json_loadb((const char *)body, len, 0, NULL) : NULL;
    int64_t other = conv_id_parse("ct_", json_string_value(json_object_get(req, "contact")));
    json_decref(req);
    if (other <= 0) {
        http_exchange_respond_error(ex, 400, "invalid_body",
                                    "send {\"contact\": \"ct_...\"}, the contact to link");
        return;
    }
    int rc = id > 0 ? conv_service_link(rt->conv, id, other) : 0;
    if (rc < 0) {
        http_exchange_respond_error(ex, 503, "store_unavailable", "the link could not be stored");
        return;
    }
    if (rc == 0) {
        http_exchange_respond_error(ex, 404, "unknown_contact", "no contact with that id");
        return;
    }
    answer_person(rt, ex, id);
}

static void one_contact(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!conversations_api_enabled(rt, ex))
        return;
    const char *tail = http_exchange_path_tail(ex);
    const char *method = http_exchange_method(ex);
    size_t len = strlen(tail), slen = strlen(LINKS_SUFFIX);
    int links = len > slen && strcmp(tail + len - slen, LINKS_SUFFIX) == 0;
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (links ? strcmp(method, "POST") != 0 : !get) {
        gw_http_header allow = {"Allow", links ? "POST" : "GET, HEAD"};
        http_exchange_respond_error_headers(ex, 405, "method_not_allowed",
                                            links ? "links takes POST" : "a contact takes GET",
                                            &allow, 1);
        return;
    }
    char idbuf[64];
    snprintf(idbuf, sizeof idbuf, "%.*s", (int)(links ? len - slen : len), tail);
    int64_t id = conv_id_parse("ct_", idbuf);
    if (links)
        link_contacts(rt, ex, id);
    else
        answer_person(rt, ex, id);
}

int contacts_api_install(gw_runtime *rt)
{
    return http_server_route(rt->server, "GET,POST", "/v1/contacts/", 1, one_contact, rt);
}
