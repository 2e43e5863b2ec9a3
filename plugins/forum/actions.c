/* plugins/forum/actions.c - post_public and send_private.
 *
 * Both end in one POST /posts.json (Discourse creates topics, replies and
 * private messages through the same call):
 *   post_public   {"topic_id", "raw", "reply_to_post_number"}: a reply in
 *                 the answered post's topic, threaded under that post;
 *   send_private  in a private-message thread (the answered event is a
 *                 message): {"topic_id": <PM topic>, "raw", ...}, a reply
 *                 in that conversation; otherwise a new conversation:
 *                 {"title": private_title, "raw", "target_recipients":
 *                 <username>, "archetype": "private_message"}.
 * The recipient is the answered event's author.handle when action->to is
 * absent or names that author (the action API fills in author.id, the
 * user id, while target_recipients takes usernames); any other `to` is a
 * forum username. A thread without its event (retention pruned it) is
 * answered in only once GET /t/{id}.json says it is a private message.
 *
 * Where the answered post sits: the topic is action->thread_id or the
 * event's thread_id; the post number (topic-local, which is what
 * reply_to_post_number wants) is the event's raw.post_number, else the
 * last segment of its url. When neither is known but in_reply_to is, one
 * GET /posts/{id}.json asks the forum first.
 *
 * Outcomes follow the ABI's rule for answers: RETRY only when the forum
 * certainly did not take the post (429, 503, or the host held the request
 * back for the rate limit); FATAL with the forum's words for 401, 403,
 * 404 and 422 ("Body is too short..."); and FATAL "outcome unknown" when
 * the post may have been created (a transport error after sending, 500,
 * 502, 504, or a 2xx whose body cannot be read), so it is never posted
 * twice. The result is {"native_id": <post id>, "url": <post URL>}.
 */
#include <stdlib.h>
#include <string.h>

#include "forum.h"

typedef enum action_step {
    ACTION_LOOKUP,      /* GET /posts/{id}.json: where the answered post is */
    ACTION_CHECK_TOPIC, /* GET /t/{id}.json: is the thread a private message? */
    ACTION_POST         /* POST /posts.json */
} action_step;

typedef struct forum_action {
    forum_job job; /* first member */
    bool private_message;
    action_step step;
    char *text;          /* owned */
    char *recipient;     /* owned; new conversation only */
    int64_t topic_id;    /* reply in this topic, 0 = a new conversation */
    int64_t post_number; /* reply_to_post_number, 0 = none */
    int64_t answered_id; /* in_reply_to as a post id, 0 = none */
} forum_action;

static void action_free(forum_job *job)
{
    forum_action *a = (forum_action *)job;
    free(a->text);
    free(a->recipient);
    free(a);
}

/* A decimal id in a string (an action's borrowed ids), 0 when not one. */
static int64_t parse_id(const char *s)
{
    if (s == NULL)
        return 0;
    json_t *probe = json_pack("{s:s}", "v", s);
    int64_t id = 0;
    if (probe == NULL || !forum_json_id(probe, "v", &id))
        id = 0;
    json_decref(probe);
    return id;
}

static void action_fail(forum_action *a, gw_outcome outcome, uint64_t delay_ms, const char *message)
{
    forum_job_finish(&a->job, outcome, delay_ms, message, NULL);
}

static void action_post(forum_action *a)
{
    gw_instance *inst = a->job.inst;
    json_t *body = json_object();
    int rc = body == NULL;
    if (a->topic_id > 0) {
        rc |= json_object_set_new(body, "topic_id", json_integer(a->topic_id));
        rc |= gw_sdk_json_set_string(body, "raw", a->text);
        if (a->post_number > 0)
            rc |= json_object_set_new(body, "reply_to_post_number", json_integer(a->post_number));
    } else {
        rc |= gw_sdk_json_set_string(body, "title", inst->opt.private_title);
        rc |= gw_sdk_json_set_string(body, "raw", a->text);
        rc |= gw_sdk_json_set_string(body, "target_recipients", a->recipient);
        rc |= gw_sdk_json_set_string(body, "archetype", "private_message");
    }
    if (rc != 0) {
        json_decref(body);
        action_fail(a, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS, "forum: out of memory");
        return;
    }
    a->step = ACTION_POST;
    rc = forum_job_send(&a->job, "POST", "/posts.json", body);
    json_decref(body);
    if (rc < 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "forum: cannot send POST /posts.json: %s", gw_strerror(rc));
        /* Nothing left: the forum cannot have taken it. */
        action_fail(a, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS, msg);
    }
}

/* Where the post is to go is known, or it never will be. */
static void action_go(forum_action *a)
{
    if (a->topic_id == 0 && a->recipient == NULL) {
        action_fail(a, GW_OUTCOME_FATAL, 0,
                    a->private_message
                        ? "forum: no recipient: give \"to\" (a forum username) or answer an event"
                        : "forum: no topic to reply in: answer an event or give thread_id");
        return;
    }
    action_post(a);
}

/* Reading an answer to POST /posts.json: may the forum have taken it? */
static void post_response(forum_action *a, const gw_http_response *r)
{
    gw_instance *inst = a->job.inst;
    forum_reply reply;
    forum_reply_read(r, "POST /posts.json", &reply);
    char msg[320];
    if (r->error != 0 || r->status == 0) {
        /* The host held it back for the rate limit: nothing was sent. */
        bool held = r->error == GW_EBUSY && r->retry_after_ms > 0 && r->error_message != NULL &&
                    strstr(r->error_message, "rate limit") != NULL;
        snprintf(msg, sizeof msg, "%s%s",
                 held ? "" : "outcome unknown, not retried: ", reply.message);
        action_fail(a, held ? GW_OUTCOME_RETRY : GW_OUTCOME_FATAL, held ? r->retry_after_ms : 0,
                    msg);
    } else if (r->status == 429 || r->status == 503) {
        action_fail(a, GW_OUTCOME_RETRY, reply.delay_ms, reply.message);
    } else if (r->status >= 500) {
        snprintf(msg, sizeof msg, "outcome unknown, not retried: %s", reply.message);
        action_fail(a, GW_OUTCOME_FATAL, 0, msg);
    } else if (r->status < 200 || r->status >= 300) {
        action_fail(a, GW_OUTCOME_FATAL, 0, reply.message);
    } else {
        int64_t id = 0, topic = 0, number = 0;
        if (!forum_json_id(reply.doc, "id", &id)) {
            snprintf(msg, sizeof msg,
                     "outcome unknown, not retried: POST /posts.json: %d "
                     "without a post id in the answer",
                     r->status);
            action_fail(a, GW_OUTCOME_FATAL, 0, msg);
        } else {
            forum_json_id(reply.doc, "topic_id", &topic);
            forum_json_id(reply.doc, "post_number", &number);
            forum_refs_add(inst, topic, number, id);
            char native[24], url[2048];
            snprintf(native, sizeof native, "%lld", (long long)id);
            const char *slug = gw_sdk_json_string(reply.doc, "topic_slug", "-");
            char encoded[512];
            if (slug[0] == '\0' || !forum_url_segment(slug, encoded, sizeof encoded))
                snprintf(encoded, sizeof encoded, "-");
            snprintf(url, sizeof url, "%s/t/%s/%lld/%lld", inst->opt.base, encoded,
                     (long long)topic, (long long)number);
            json_t *result = json_pack("{s:s, s:s}", "native_id", native, "url", url);
            inst->host->log(inst->acct, GW_LOG_INFO, "forum: %s posted as post %lld in topic %lld",
                            a->private_message ? "private message" : "reply", (long long)id,
                            (long long)topic);
            /* A result lost to memory exhaustion still was a post. */
            forum_job_finish(&a->job, GW_OUTCOME_OK, 0, NULL, result);
        }
    }
    forum_reply_clear(&reply);
}

static void lookup_response(forum_action *a, const gw_http_response *r)
{
    forum_reply reply;
    forum_reply_read(r, "GET /posts/{id}.json", &reply);
    if (reply.outcome != GW_OUTCOME_OK) {
        /* A GET: retrying it is always safe; a 404 means the post is gone. */
        action_fail(a, reply.outcome, reply.delay_ms, reply.message);
        forum_reply_clear(&reply);
        return;
    }
    int64_t topic = 0, number = 0;
    forum_json_id(reply.doc, "topic_id", &topic);
    forum_json_id(reply.doc, "post_number", &number);
    forum_reply_clear(&reply);
    if (a->topic_id == 0)
        a->topic_id = topic;
    if (a->post_number == 0)
        a->post_number = number;
    action_go(a);
}

/* send_private in a thread it could not see: stay in it only when it is
 * a private conversation, never answer privately in public. */
static void check_topic_response(forum_action *a, const gw_http_response *r)
{
    forum_reply reply;
    forum_reply_read(r, "GET /t/{id}.json", &reply);
    if (reply.outcome != GW_OUTCOME_OK && reply.status != 403 && reply.status != 404) {
        action_fail(a, reply.outcome, reply.delay_ms, reply.message);
        forum_reply_clear(&reply);
        return;
    }
    const char *archetype = gw_sdk_json_string(reply.doc, "archetype", "");
    if (reply.outcome != GW_OUTCOME_OK || strcmp(archetype, "private_message") != 0)
        a->topic_id = 0; /* a new conversation with the recipient instead */
    forum_reply_clear(&reply);
    action_go(a);
}

static void action_on_response(forum_job *job, const gw_http_response *r)
{
    forum_action *a = (forum_action *)job;
    switch (a->step) {
    case ACTION_LOOKUP:
        lookup_response(a, r);
        break;
    case ACTION_CHECK_TOPIC:
        check_topic_response(a, r);
        break;
    case ACTION_POST:
    default:
        post_response(a, r);
        break;
    }
}

static forum_action *action_new(gw_instance *inst, gw_op *op, const gw_action *action,
                                bool private_message)
{
    if (action == NULL || action->text == NULL || action->text[0] == '\0') {
        inst->host->complete(op, GW_OUTCOME_FATAL, 0, "forum: the text is empty", NULL);
        return NULL;
    }
    forum_action *a = calloc(1, sizeof *a);
    if (a == NULL || (a->text = gw_sdk_str_dup(action->text)) == NULL) {
        free(a);
        inst->host->complete(op, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS, "forum: out of memory",
                             NULL);
        return NULL;
    }
    a->job.op = op;
    a->job.what = private_message ? "send_private" : "post_public";
    a->job.on_response = action_on_response;
    a->job.free_job = action_free;
    a->private_message = private_message;
    forum_job_attach(inst, &a->job);
    return a;
}

/* The answered event, when it is one of this plugin's for in_reply_to. */
static const json_t *answered_event(const gw_action *action)
{
    const json_t *ev =
        GW_HAS_MEMBER(action, gw_action, in_reply_to_event) ? action->in_reply_to_event : NULL;
    if (!json_is_object(ev))
        return NULL;
    const char *native = gw_sdk_json_string(ev, "native_id", NULL);
    if (action->in_reply_to != NULL && native != NULL && strcmp(native, action->in_reply_to) != 0)
        return NULL;
    return ev;
}

/* Learn the answered post's place from the event, or ask the forum. */
static void action_locate(forum_action *a)
{
    if (a->answered_id > 0 && (a->topic_id == 0 || a->post_number == 0)) {
        char path[64];
        snprintf(path, sizeof path, "/posts/%lld.json", (long long)a->answered_id);
        a->step = ACTION_LOOKUP;
        int rc = forum_job_send(&a->job, "GET", path, NULL);
        if (rc < 0) {
            char msg[128];
            snprintf(msg, sizeof msg, "forum: cannot send GET %s: %s", path, gw_strerror(rc));
            action_fail(a, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS, msg);
        }
        return;
    }
    action_go(a);
}

void forum_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    forum_action *a = action_new(inst, op, action, false);
    if (a == NULL)
        return;
    const json_t *ev = answered_event(action);
    a->answered_id = parse_id(action->in_reply_to);
    if (a->answered_id == 0)
        a->answered_id = parse_id(gw_sdk_json_string(ev, "native_id", NULL));
    a->topic_id = parse_id(action->thread_id);
    if (a->topic_id == 0)
        a->topic_id = parse_id(gw_sdk_json_string(ev, "thread_id", NULL));
    if (ev != NULL)
        a->post_number = forum_event_post_number(ev);
    action_locate(a);
}

void forum_send_private(gw_instance *inst, gw_op *op, const gw_action *action)
{
    forum_action *a = action_new(inst, op, action, true);
    if (a == NULL)
        return;
    const json_t *ev = answered_event(action);
    const json_t *author = json_object_get(ev, "author");
    const char *author_id = gw_sdk_json_string(author, "id", NULL);
    const char *handle = gw_sdk_json_string(author, "handle", NULL);
    const char *to = action->to != NULL && action->to[0] != '\0' ? action->to : NULL;
    /* The action API fills `to` with the answered event's author.id (the
     * user id); target_recipients wants the username. */
    const bool to_author = to == NULL || (author_id != NULL && strcmp(to, author_id) == 0) ||
                           forum_username_equal(to, handle);
    const char *recipient = to_author && handle != NULL ? handle : to;
    const char *visibility = gw_sdk_json_string(ev, "visibility", "");

    if (recipient != NULL && (a->recipient = gw_sdk_str_dup(recipient)) == NULL) {
        action_fail(a, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS, "forum: out of memory");
        return;
    }
    if (ev != NULL && strcmp(visibility, "private") == 0 && to_author) {
        /* Answer inside the customer's own conversation. */
        a->topic_id = parse_id(gw_sdk_json_string(ev, "thread_id", NULL));
        if (a->topic_id == 0)
            a->topic_id = parse_id(action->thread_id);
        a->post_number = forum_event_post_number(ev);
    } else if (ev == NULL && to_author && parse_id(action->thread_id) > 0) {
        /* A thread but no event (pruned by retention): ask what it is. */
        a->topic_id = parse_id(action->thread_id);
        char path[64];
        snprintf(path, sizeof path, "/t/%lld.json", (long long)a->topic_id);
        a->step = ACTION_CHECK_TOPIC;
        int rc = forum_job_send(&a->job, "GET", path, NULL);
        if (rc < 0) {
            char msg[128];
            snprintf(msg, sizeof msg, "forum: cannot send GET %s: %s", path, gw_strerror(rc));
            action_fail(a, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS, msg);
        }
        return;
    }
    action_go(a);
}
