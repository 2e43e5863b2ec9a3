/* outbox_submit.c - deciding on a help desk's request to answer; see
 * outbox_submit.h for the checks and outbox.h for the contract. A new,
 * acceptable request becomes a queued row (store/outbox_store.c) and an
 * entry of the send queue (outbox_enqueue, outbox.c).
 */
#define _GNU_SOURCE /* getrandom */
#include "engine/outbox_submit.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

#include "base/clock.h"
#include "engine/account.h"
#include "engine/outbox_internal.h"

#define COMPONENT "outbox"

/* ---- small helpers ------------------------------------------------------ */

/* Unicode code points in a valid UTF-8 string (jansson only hands out
 * valid UTF-8): every byte that does not continue a sequence starts one. */
static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The code point starting at *s (valid UTF-8, not at its end); *s moves
 * past it. */
static uint32_t utf8_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t c = p[0];
    size_t n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    if (n > 0)
        c &= 0x3Fu >> n;
    size_t i = 1;
    for (; i <= n && p[i] != '\0'; i++) /* never past the end, even if cut */
        c = (c << 6) | (p[i] & 0x3Fu);
    *s += i;
    return c;
}

/* Unicode's White_Space, and the invisible joiners and marks that show
 * nothing on their own: a text of these alone would post as a blank. */
static int is_blank(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200D) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x2060 || c == 0x3000 || c == 0xFEFF;
}

/* 1 when the text shows nothing: empty, or whitespace only. */
static int text_is_blank(const char *s)
{
    while (*s != '\0')
        if (!is_blank(utf8_next(&s)))
            return 0;
    return 1;
}

/* The most characters the account's network takes: what its plugin
 * declares, at most the host's cap; the host's cap for an unknown
 * account. */
static size_t text_limit(gw_account *acct)
{
    size_t limit = acct != NULL ? account_max_text_length(acct) : 0;
    return limit == 0 || limit > OUTBOX_TEXT_MAX ? OUTBOX_TEXT_MAX : limit;
}

/* "act_" and 20 hex digits from the kernel's random source; ids must not
 * be guessable from one another, since GET /v1/actions/<id> shows the
 * text. Falls back to the runtime's PRNG mixed with the clock. */
static void make_action_id(outbox *ob, char *buf, size_t len)
{
    unsigned char r[10];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint64_t a = backoff_next(&ob->rt->rng) ^ clock_wall_ms();
        uint64_t b = backoff_next(&ob->rt->rng);
        memcpy(r, &a, 8);
        memcpy(r + 8, &b, 2);
    }
    int n = snprintf(buf, len, "act_");
    for (size_t i = 0; i < sizeof r && n > 0 && (size_t)n + 2 < len; i++)
        n += snprintf(buf + n, len - (size_t)n, "%02x", r[i]);
}

static void verdict(outbox_result *res, outbox_verdict v, const char *fmt, ...) GW_PRINTF(3, 4);

static void verdict(outbox_result *res, outbox_verdict v, const char *fmt, ...)
{
    va_list ap;
    res->verdict = v;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

static int same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The key is known: the same request gets its action back, a different
 * one is refused (a key reused by mistake must not hide a new answer). */
typedef struct repeat_check {
    const outbox_request *req;
    outbox_result *res;
} repeat_check;

static int check_repeat(void *arg, const outbox_row *row)
{
    const outbox_request *req = ((repeat_check *)arg)->req;
    outbox_result *res = ((repeat_check *)arg)->res;
    const char *id = row->id;
    snprintf(res->action_id, sizeof res->action_id, "%s", id ? id : "");
    if (same_text(row->network, req->network) && same_text(row->account, req->account) &&
        same_text(row->kind, outbox_kind_name(req->kind)) &&
        same_text(row->in_reply_to, req->in_reply_to) && same_text(row->to_given, req->to) &&
        same_text(row->text, req->text)) {
        verdict(res, OUTBOX_EXISTING, "the idempotency key names action %s", res->action_id);
        return GW_OK;
    }
    verdict(res, OUTBOX_KEY_REUSED,
            "the idempotency key was already used for a different request (action %s); use a "
            "new key for a new answer",
            id ? id : "?");
    return GW_OK;
}

/* The kept key of a pruned action (outbox_prune.h), within the window:
 * the same request by its fingerprint is the action again, another one a
 * reused key. */
typedef struct key_check {
    const char *fingerprint;
    outbox_result *res;
} key_check;

static int check_kept_key(void *arg, const outbox_key_row *row)
{
    key_check *k = arg;
    const char *id = row->action_id != NULL ? row->action_id : "?";
    snprintf(k->res->action_id, sizeof k->res->action_id, "%s", id);
    if (row->fingerprint != NULL && strcmp(row->fingerprint, k->fingerprint) == 0) {
        k->res->verdict = OUTBOX_EXISTING;
        snprintf(k->res->message, sizeof k->res->message,
                 "the idempotency key names action %s (finished, its record pruned)", id);
    } else {
        k->res->verdict = OUTBOX_KEY_REUSED;
        snprintf(k->res->message, sizeof k->res->message,
                 "the idempotency key was already used for a different request (action %s); "
                 "use a new key for a new answer",
                 id);
    }
    return GW_OK;
}

static int lookup_pruned_key(outbox *ob, const outbox_request *req, outbox_result *res)
{
    if (ob->window_ms <= 0)
        return 0;
    char fp[OUTBOX_FINGERPRINT_SIZE];
    outbox_store_fingerprint(req->network, req->account, outbox_kind_name(req->kind),
                             req->in_reply_to, req->to, req->text, fp);
    key_check k = {fp, res};
    return outbox_store_get_pruned_key(ob->db, req->idempotency_key,
                                       (int64_t)clock_wall_ms() - ob->window_ms, check_kept_key,
                                       &k);
}

/* Look the key up, among the rows and then the kept keys of pruned
 * actions; 1 when found (res filled), 0 when new, or GW_E*. */
static int lookup_key(outbox *ob, const outbox_request *req, outbox_result *res)
{
    repeat_check check = {req, res};
    int rc = outbox_store_get_by_key(ob->db, req->idempotency_key, check_repeat, &check);
    return rc == 0 ? lookup_pruned_key(ob, req, res) : rc;
}

/* What the answered event tells: its native id, the thread, the author.
 * The strings point into ev (borrowed with it). */
typedef struct answered_item {
    json_t *ev;         /* owned */
    const char *native; /* native_id */
    const char *thread; /* thread_id, or NULL */
    const char *author; /* author.id, or NULL */
    int is_private;
} answered_item;

/* Find the event answered and check it belongs to the account. Returns 0
 * and fills item, or sets a refusal verdict and returns 1, or GW_E*. */
static int load_answered(outbox *ob, const outbox_request *req, answered_item *item,
                         outbox_result *res)
{
    int rc = store_event_get(ob->rt->store, req->in_reply_to, &item->ev);
    if (rc == GW_ENOENT) {
        verdict(res, OUTBOX_UNKNOWN_EVENT,
                "no event \"%s\" in the log (in_reply_to takes an "
                "event id such as \"mock:123\")",
                req->in_reply_to);
        return 1;
    }
    if (rc != GW_OK)
        return rc;
    const json_t *ev = item->ev;
    const char *network = json_string_value(json_object_get(ev, "network"));
    const char *account = json_string_value(json_object_get(ev, "account"));
    if (!same_text(network, req->network) || !same_text(account, req->account)) {
        verdict(res, OUTBOX_UNKNOWN_EVENT, "event \"%s\" belongs to %s/%s, not to %s/%s",
                req->in_reply_to, network ? network : "?", account ? account : "?", req->network,
                req->account);
        return 1;
    }
    const char *type = json_string_value(json_object_get(ev, "type"));
    if (type == NULL || strchr(type, '.') != NULL) {
        verdict(res, OUTBOX_NOT_ANSWERABLE,
                "event \"%s\" is a gateway event (%s), not an item a customer wrote",
                req->in_reply_to, type ? type : "no type");
        return 1;
    }
    item->native = json_string_value(json_object_get(ev, "native_id"));
    item->thread = json_string_value(json_object_get(ev, "thread_id"));
    if (item->thread != NULL && item->thread[0] == '\0')
        item->thread = NULL;
    item->author = json_string_value(json_object_get(json_object_get(ev, "author"), "id"));
    const char *vis = json_string_value(json_object_get(ev, "visibility"));
    item->is_private = vis != NULL && strcmp(vis, "private") == 0;
    return 0;
}

/* The plugin's own rules for the answer (gw_plugin.check_action): 1 with
 * a refusal verdict set, 0 when it accepts. */
static int plugin_refuses(gw_account *acct, const outbox_request *req, const answered_item *item,
                          const char *thread, const char *recipient, outbox_result *res)
{
    gw_action action = {
        .struct_size = sizeof action,
        .action_id = "",
        .idempotency_key = req->idempotency_key,
        .text = req->text,
        .in_reply_to = item->native,
        .thread_id = thread,
        .to = recipient,
        .in_reply_to_event = item->ev,
    };
    char why[256];
    int rc = account_check_action(acct, req->kind == OUTBOX_PRIVATE, &action, why, sizeof why);
    if (rc == GW_OK)
        return 0;
    verdict(res, rc == GW_EUNSUPPORTED ? OUTBOX_UNSUPPORTED : OUTBOX_REFUSED, "%s", why);
    return 1;
}

static int insert_row(outbox *ob, const char *id, const outbox_request *req,
                      const answered_item *item, const char *thread, const char *recipient)
{
    outbox_new_row row = {
        .id = id,
        .key = req->idempotency_key,
        .network = req->network,
        .account = req->account,
        .kind = outbox_kind_name(req->kind),
        .in_reply_to = req->in_reply_to,
        .reply_native = item->native,
        .thread = thread,
        .recipient = recipient,
        .to_given = req->to,
        .text = req->text,
        .force = req->force,
        .now_ms = clock_wall_ms(),
    };
    return outbox_store_insert(ob->db, &row);
}

typedef struct enqueue_result {
    outbox *ob;
    int rc;
} enqueue_result;

static int enqueue_row(void *arg, const outbox_row *row)
{
    enqueue_result *q = arg;
    q->rc = outbox_enqueue(q->ob, row);
    return q->rc;
}

/* Everything after the idempotency check; res says the verdict. */
static int submit_new(outbox *ob, const outbox_request *req, outbox_result *res,
                      answered_item *item)
{
    gw_runtime *rt = ob->rt;
    gw_account *acct = account_find(rt, req->network, req->account);
    if (acct == NULL) {
        verdict(res, OUTBOX_UNKNOWN_ACCOUNT, "no running account %s/%s", req->network,
                req->account);
        return GW_OK;
    }
    if (account_stopped(acct)) {
        account_status st;
        account_status_get(acct, &st);
        verdict(res, OUTBOX_ACCOUNT_STOPPED,
                "account %s/%s was stopped by the circuit breaker after %u consecutive failures "
                "(last error: %.120s); fix the cause, then restart it: `gateway accounts restart "
                "%s/%s` or POST /v1/accounts/%s/%s/restart",
                req->network, req->account, st.failures,
                st.last_error[0] ? st.last_error : "none", req->network, req->account,
                req->network, req->account);
        return GW_OK;
    }
    uint32_t need = req->kind == OUTBOX_PRIVATE ? GW_CAP_SEND_PRIVATE : GW_CAP_POST_PUBLIC;
    if (!(account_capabilities(acct) & need)) {
        const char *why = account_capability_reason(acct);
        const char *what =
            req->kind == OUTBOX_PRIVATE ? "send private messages" : "post public replies";
        if (why != NULL)
            verdict(res, OUTBOX_UNSUPPORTED, "account %s/%s cannot %s: %s", req->network,
                    req->account, what, why);
        else
            verdict(res, OUTBOX_UNSUPPORTED, "the %s network cannot %s", req->network, what);
        return GW_OK;
    }
    if (req->in_reply_to != NULL) {
        int rc = load_answered(ob, req, item, res);
        if (rc != 0)
            return rc < 0 ? rc : GW_OK;
        /* A private message has no public thread to reply in. */
        if (req->kind == OUTBOX_REPLY && item->is_private) {
            verdict(res, OUTBOX_NOT_ANSWERABLE,
                    "event \"%s\" is a private message; answer it with kind \"private\"",
                    req->in_reply_to);
            return GW_OK;
        }
    }
    /* Replies collide on the thread; a private answer to a public item
     * goes to its author, and a private answer to a message stays in
     * that conversation. */
    const char *thread = NULL, *recipient = req->to;
    if (req->kind == OUTBOX_REPLY)
        thread = item->thread != NULL ? item->thread : item->native;
    else if (item->is_private)
        thread = item->thread;
    if (req->kind == OUTBOX_PRIVATE && recipient == NULL) {
        recipient = item->author;
        if (recipient == NULL) {
            verdict(res, OUTBOX_NO_RECIPIENT,
                    "event \"%s\" names no author to write to; give \"to\"", req->in_reply_to);
            return GW_OK;
        }
    }
    size_t limit = text_limit(acct);
    size_t length = utf8_length(req->text);
    if (length > limit) {
        res->limit = limit;
        res->length = length;
        verdict(res, OUTBOX_TEXT_TOO_LONG, "the text has %zu characters; %s takes at most %zu",
                length, req->network, limit);
        return GW_OK;
    }
    if (plugin_refuses(acct, req, item, thread, recipient, res))
        return GW_OK;
    if (req->kind == OUTBOX_REPLY && !req->force) {
        int rc = outbox_store_collision(ob->db, req->network, req->account, thread, res->action_id,
                                        sizeof res->action_id);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            verdict(res, OUTBOX_COLLISION,
                    "thread %s already has reply %s; send \"force\": true to reply anyway", thread,
                    res->action_id);
            return GW_OK;
        }
    }
    if (ob->quiesced || rt->stopping) {
        verdict(res, OUTBOX_STOPPING,
                "the gateway is shutting down; send the action again "
                "after it restarts");
        return GW_OK;
    }

    char id[48];
    make_action_id(ob, id, sizeof id);
    int rc = insert_row(ob, id, req, item, thread, recipient);
    if (rc != GW_OK)
        return rc;
    enqueue_result q = {ob, GW_ENOMEM};
    if (outbox_store_get(ob->db, id, enqueue_row, &q) != 1 || q.rc != GW_OK)
        /* The row stays queued and is sent after the next restart. */
        log_error(&rt->log, COMPONENT, "action %s queued but not scheduled: out of memory", id);
    ob->stats.accepted++;
    snprintf(res->action_id, sizeof res->action_id, "%s", id);
    verdict(res, OUTBOX_CREATED, "queued");
    log_info(&rt->log, account_label(acct), "action %s (%s%s) queued%s%s", id,
             outbox_kind_name(req->kind), req->force ? ", forced" : "",
             req->in_reply_to ? " in reply to " : "", req->in_reply_to ? req->in_reply_to : "");
    return GW_OK;
}

/* A blank text is refused before anything else, even an idempotent
 * repeat: it is the request's shape that is wrong, and a customer must
 * never be sent an empty answer. Returns 1 with the verdict set. */
static int refuse_blank(outbox *ob, const outbox_request *req, outbox_result *res)
{
    if (!text_is_blank(req->text))
        return 0;
    size_t limit = text_limit(account_find(ob->rt, req->network, req->account));
    res->limit = limit;
    res->length = utf8_length(req->text);
    if (req->text[0] == '\0')
        verdict(res, OUTBOX_EMPTY_TEXT, "the text is empty; write 1 to %zu characters", limit);
    else
        verdict(res, OUTBOX_EMPTY_TEXT,
                "the text has nothing but whitespace; write 1 to %zu characters, not all of "
                "them whitespace",
                limit);
    return 1;
}

int outbox_submit(outbox *ob, const outbox_request *req, outbox_result *res)
{
    memset(res, 0, sizeof *res);
    if (ob == NULL || req == NULL || req->network == NULL || req->account == NULL ||
        req->text == NULL || req->idempotency_key == NULL ||
        (req->kind == OUTBOX_REPLY && req->in_reply_to == NULL) ||
        (req->kind == OUTBOX_PRIVATE && req->in_reply_to == NULL && req->to == NULL))
        return GW_EINVAL;
    if (refuse_blank(ob, req, res))
        return GW_OK;
    int rc = lookup_key(ob, req, res);
    if (rc == 1) {
        if (res->verdict == OUTBOX_EXISTING)
            ob->stats.replayed++;
        return GW_OK;
    }
    answered_item item = {0};
    if (rc == 0)
        rc = submit_new(ob, req, res, &item);
    json_decref(item.ev);
    if (rc < 0) {
        res->action_id[0] = '\0';
        verdict(res, OUTBOX_STORE_ERROR, "the outbox could not be read or written; try again");
        log_error(&ob->rt->log, COMPONENT, "submitting an action: %s",
                  store_last_error(ob->rt->store));
    }
    return GW_OK;
}
