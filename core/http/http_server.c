/* http_server.c - the embedded HTTP/1.1 server on the loop; see
 * http_server.h for the contract and docs/design.md ("HTTP server") for
 * why it is built this way.
 *
 * libmicrohttpd (MHD) parses and frames; it runs in "external epoll" mode,
 * so it owns no thread: its epoll fd is watched by one uv_poll_t and its
 * own timeouts by one uv_timer_t, and MHD_run() is called from those
 * callbacks only, never re-entered. This module owns:
 *   - the listen socket (bound here so a bind error names the address),
 *     adopted by MHD;
 *   - one http_conn per TCP connection (MHD's socket context), for the
 *     connection limit and the receive deadline that MHD 0.9.75 lacks;
 *   - one http_exchange per request (MHD's request context), which
 *     carries copies of everything a handler reads and outlives the
 *     connection while the handler holds it;
 *   - the routes.
 * Memory reaches MHD only as copies (MHD_RESPMEM_MUST_COPY), so nothing
 * MHD holds points into our structures.
 */
#include "http/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>

#include "gateway/error.h"

#define COMPONENT "http"

#define DEFAULT_MAX_BODY_BYTES ((size_t)1 << 20)
#define DEFAULT_MAX_HEADER_BYTES ((size_t)16 << 10)
#define DEFAULT_MAX_CONNECTIONS 256u
#define DEFAULT_IDLE_TIMEOUT_S 30u
#define DEFAULT_RECEIVE_TIMEOUT_MS 15000u
#define DEFAULT_REQUEST_TIMEOUT_MS 10000u

/* Below this MHD cannot even hold a typical request line and the answer. */
#define MIN_HEADER_BYTES 1024u
/* Far above what one process can hold open anyway; keeps max + 1 safe. */
#define MAX_CONNECTIONS_CAP 100000u
/* MHD keeps the raw request header, one ~56-byte entry per header line
 * and the response header in one per-connection memory pool of fixed
 * size; a request filling it gets MHD's own 431 (or, within ~200 bytes
 * of full, no answer at all: no room left for one). So the pool is
 * max_header_bytes plus room for entries and the answer, and the limit
 * itself is checked here, with a JSON 431. */
#define POOL_SIZE(max_header) ((max_header) + (max_header) / 2 + 2048u)
/* After close, in-flight answers get this long to leave the socket. */
#define DRAIN_GRACE_MS 2000u
/* First allocation for a body of unknown length (chunked). */
#define BODY_INITIAL_CAP 4096u

/* ------------------------------------------------------------------------
 * Intrusive doubly-linked circular lists. An unlinked node points at
 * itself, so removing it twice is harmless.
 */
typedef struct dlink {
    struct dlink *prev, *next;
} dlink;

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static void dlink_init(dlink *l)
{
    l->prev = l->next = l;
}

static bool dlink_empty(const dlink *head)
{
    return head->next == head;
}

static void dlink_push_back(dlink *head, dlink *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static void dlink_remove(dlink *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    dlink_init(l);
}

/* ------------------------------------------------------------------------
 * Methods as bits, so a route's method list and the Allow header are cheap.
 */
static const char *const method_names[] = {"GET",    "HEAD",  "POST",   "PUT",
                                           "DELETE", "PATCH", "OPTIONS"};
#define METHOD_COUNT (sizeof method_names / sizeof method_names[0])
#define METHOD_GET 1u
#define METHOD_HEAD 2u

static unsigned method_bit(const char *name, size_t len)
{
    for (size_t i = 0; i < METHOD_COUNT; i++) {
        if (strlen(method_names[i]) == len && memcmp(method_names[i], name, len) == 0)
            return 1u << i;
    }
    return 0;
}

/* Parse "GET, POST" into bits; GET brings HEAD along. 0 when invalid. */
static unsigned methods_parse(const char *list)
{
    unsigned mask = 0;
    const char *p = list;
    for (;;) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ',' && *p != ' ')
            p++;
        unsigned bit = method_bit(start, (size_t)(p - start));
        if (bit == 0)
            return 0;
        mask |= bit;
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        if (*p != ',')
            return 0;
        p++;
    }
    if (mask & METHOD_GET)
        mask |= METHOD_HEAD;
    return mask;
}

/* "GET, HEAD, POST" for an Allow header; buf must hold all names. */
static void methods_format(unsigned mask, char *buf, size_t buflen)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < METHOD_COUNT; i++) {
        if (!(mask & (1u << i)))
            continue;
        int n = snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "", method_names[i]);
        if (n < 0 || (size_t)n >= buflen - used)
            return;
        used += (size_t)n;
    }
}

/* ------------------------------------------------------------------------
 * State.
 */
typedef struct route {
    char *path; /* owned copy */
    size_t path_len;
    int prefix;
    unsigned methods;
    http_handler handler;
    void *arg;
} route;

/* One TCP connection (MHD's socket context). */
typedef struct http_conn {
    struct MHD_Connection *mhd;
    dlink reading;             /* in server->reading while a request is due */
    uint64_t reading_since_ms; /* loop time the current request became due */
} http_conn;

typedef enum exchange_state {
    EX_NEW,        /* request line seen, headers not complete yet */
    EX_RECEIVING,  /* routed, collecting the body */
    EX_DISCARDING, /* body over the limit: dropping it, 413 follows */
    EX_REJECTING,  /* bodiless request already judged: answer at the last call */
    EX_HANDLING,   /* handed to the handler; suspended after its call */
    EX_ANSWERED    /* response queued to MHD */
} exchange_state;

struct http_exchange {
    http_server *server;         /* NULL once detached from a freed server */
    struct MHD_Connection *conn; /* NULL once MHD finished with the request */
    dlink all;                   /* in server->exchanges */
    dlink waiting;               /* in server->waiting while suspended */
    exchange_state state;
    bool handler_holds; /* the handler still owes its respond call */
    bool in_handler;    /* inside the handler call: respond must not resume */
    bool suspended;
    bool expired;              /* the server answered, or the client is gone */
    uint64_t waiting_since_ms; /* loop time of dispatch */

    char *target;            /* owned: the raw request target, split into: */
    const char *path;        /* ... the raw path (points into target) */
    const char *query;       /* ... and the raw query ("" when none) */
    char *method;            /* owned */
    gw_http_header *headers; /* owned: one block, array then strings */
    size_t header_count;
    unsigned char *body; /* owned, body_cap bytes, NUL after body_len */
    size_t body_len, body_cap;
    uint64_t body_seen; /* bytes received, including discarded ones */
    char remote[INET6_ADDRSTRLEN];

    http_handler handler; /* copied from the route: routes may grow */
    void *handler_arg;
    const char *path_tail;

    struct MHD_Response *response; /* owned until queued */
    unsigned status;

    /* A server-made answer decided at the headers, sent at the last call. */
    int reject_status;
    const char *reject_code, *reject_message; /* static strings */
    unsigned reject_allow;
};

struct http_server {
    uv_loop_t *loop;   /* borrowed */
    const logger *log; /* borrowed */
    http_server_limits limits;
    struct MHD_Daemon *mhd; /* owned; NULL once stopped */
    int port;

    uv_poll_t poll;         /* MHD's epoll fd */
    uv_timer_t mhd_timer;   /* MHD_get_timeout, and "run again soon" */
    uv_timer_t sweep_timer; /* receive and handler deadlines */
    uv_timer_t drain_timer; /* close's grace period */
    int handles_open;

    route *routes; /* owned array */
    size_t route_count, route_cap;

    dlink reading;   /* http_conn owing a request, oldest first */
    dlink exchanges; /* every http_exchange attached to the server */
    dlink waiting;   /* suspended ones awaiting a handler, oldest first */
    unsigned conn_count;
    http_server_stats stats;

    bool in_run;     /* inside MHD_run */
    bool kicked;     /* MHD must run again before it sleeps */
    bool closing;    /* http_server_close was called */
    bool finalizing; /* handles are closing; MHD is stopped */
    void (*done)(void *);
    void *done_arg;

    char *start_err; /* during start only: MHD's messages land here */
    size_t start_errlen;
};

static void server_kick(http_server *s);
static void server_arm_sweep(http_server *s);
static void server_finalize(http_server *s);
static void on_mhd_timer(uv_timer_t *t);

/* ------------------------------------------------------------------------
 * Small helpers.
 */
static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

/* {"error": code, "message": message}, compact; caller frees. */
static char *error_json(const char *code, const char *message)
{
    json_t *obj = json_pack("{s:s, s:s}", "error", code, "message", message);
    if (obj == NULL)
        return NULL;
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return text;
}

/* A response with copies of everything; NULL (logged) when MHD refuses a
 * header or memory runs out. */
static struct MHD_Response *response_build(http_server *s, const char *content_type,
                                           const void *body, size_t len,
                                           const gw_http_header *extra, size_t n_extra,
                                           unsigned allow)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return NULL;
    const char *bad = NULL;
    if (content_type && MHD_add_response_header(resp, "Content-Type", content_type) != MHD_YES)
        bad = "Content-Type";
    for (size_t i = 0; bad == NULL && i < n_extra; i++) {
        const char *name = extra[i].name ? extra[i].name : "";
        if (MHD_add_response_header(resp, name, extra[i].value ? extra[i].value : "") != MHD_YES)
            bad = name;
    }
    if (bad == NULL && allow) {
        char list[64];
        methods_format(allow, list, sizeof list);
        if (MHD_add_response_header(resp, "Allow", list) != MHD_YES)
            bad = "Allow";
    }
    /* While closing, a kept-alive connection would only delay the drain. */
    if (bad == NULL && s->closing &&
        MHD_add_response_header(resp, "Connection", "close") != MHD_YES)
        bad = "Connection";
    if (bad) {
        log_warn(s->log, COMPONENT,
                 "refused response header \"%.64s\" (empty, CR/LF, or "
                 "managed by the server such as Content-Length); answering 500",
                 bad);
        MHD_destroy_response(resp);
        return NULL;
    }
    return resp;
}

static struct MHD_Response *response_error(http_server *s, const char *code, const char *message,
                                           unsigned allow)
{
    /* Used only when even the JSON cannot be built: the body stays valid. */
    static const char fallback[] = "{\"error\":\"internal_error\",\"message\":\"out of memory\"}";
    char *text = error_json(code, message);
    struct MHD_Response *resp =
        response_build(s, "application/json", text ? text : fallback,
                       text ? strlen(text) : sizeof fallback - 1, NULL, 0, allow);
    free(text);
    return resp;
}

/* ------------------------------------------------------------------------
 * Connections and the receive deadline.
 */
static http_conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

static void conn_start_reading(http_server *s, http_conn *hc)
{
    if (hc == NULL)
        return;
    dlink_remove(&hc->reading);
    hc->reading_since_ms = uv_now(s->loop);
    dlink_push_back(&s->reading, &hc->reading);
}

static void conn_stop_reading(http_conn *hc)
{
    if (hc)
        dlink_remove(&hc->reading);
}

/* MHD 0.9.75 has no per-request deadline and no way to close a connection
 * from outside its callbacks, and its idle timeout is reset by every byte.
 * shutdown() (not close: MHD still owns the fd) makes the socket readable
 * at EOF, so MHD's next run closes the connection the normal way. */
static void conn_cut(http_server *s, http_conn *hc)
{
    conn_stop_reading(hc);
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(hc->mhd, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info && info->connect_fd != MHD_INVALID_SOCKET)
        (void)shutdown(info->connect_fd, SHUT_RDWR);
    s->stats.receive_timeouts++;
    log_debug(s->log, COMPONENT, "cut a connection that did not deliver its request within %llu ms",
              (unsigned long long)s->limits.receive_timeout_ms);
    server_kick(s);
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    http_server *s = cls;
    /* Refusing here makes MHD close the socket at once. MHD's own limit,
     * reached, would instead stop accepting and leave clients hanging in
     * the kernel's backlog, so it is set one above ours and never hit. */
    if (s->closing || s->conn_count >= s->limits.max_connections) {
        s->stats.connections_refused++;
        log_debug(s->log, COMPONENT, "refused a connection: %u open, limit %u", s->conn_count,
                  s->limits.max_connections);
        return MHD_NO;
    }
    return MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    http_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        s->conn_count++;
        s->stats.connections_accepted++;
        http_conn *hc = calloc(1, sizeof *hc);
        *socket_context = hc;
        if (hc == NULL)
            return; /* served, only without a receive deadline */
        hc->mhd = c;
        dlink_init(&hc->reading);
        conn_start_reading(s, hc);
    } else {
        s->conn_count--;
        http_conn *hc = *socket_context;
        *socket_context = NULL;
        if (hc) {
            dlink_remove(&hc->reading);
            free(hc);
        }
    }
}

/* ------------------------------------------------------------------------
 * Exchanges.
 */
static void exchange_free(http_exchange *ex)
{
    if (ex->response)
        MHD_destroy_response(ex->response);
    free(ex->target);
    free(ex->method);
    free(ex->headers);
    free(ex->body);
    free(ex);
}

/* Free once neither the handler nor MHD holds it. */
static void exchange_release(http_exchange *ex)
{
    if (ex->handler_holds || ex->conn != NULL)
        return;
    dlink_remove(&ex->waiting);
    dlink_remove(&ex->all);
    exchange_free(ex);
}

/* The request line is complete: MHD hands over the raw target before it
 * splits and percent-decodes it, so this is where the raw path and query
 * are kept. The return value becomes the request context. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    http_server *s = cls;
    s->stats.requests++;
    http_exchange *ex = calloc(1, sizeof *ex);
    if (ex == NULL)
        return NULL;
    ex->target = dup_string(uri ? uri : "");
    if (ex->target == NULL) {
        free(ex);
        return NULL;
    }
    char *q = strchr(ex->target, '?');
    if (q) {
        *q = '\0';
        ex->query = q + 1;
    } else {
        ex->query = "";
    }
    ex->path = ex->target;
    ex->path_tail = "";
    ex->server = s;
    ex->conn = c;
    ex->state = EX_NEW;
    dlink_init(&ex->waiting);
    dlink_push_back(&s->exchanges, &ex->all);
    return ex;
}

typedef struct header_copy {
    size_t count, bytes; /* first pass: sizes */
    gw_http_header *out; /* second pass: fill */
    char *text;
    size_t i;
} header_copy;

static enum MHD_Result header_measure(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    header_copy *hc = cls;
    hc->count++;
    hc->bytes += strlen(key) + 1 + strlen(value ? value : "") + 1;
    return MHD_YES;
}

static enum MHD_Result header_fill(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    header_copy *hc = cls;
    if (hc->i >= hc->count)
        return MHD_NO;
    gw_http_header *h = &hc->out[hc->i++];
    size_t klen = strlen(key);
    for (size_t k = 0; k <= klen; k++)
        hc->text[k] = (char)((key[k] >= 'A' && key[k] <= 'Z') ? key[k] - 'A' + 'a' : key[k]);
    h->name = hc->text;
    hc->text += klen + 1;
    size_t vlen = strlen(value ? value : "");
    memcpy(hc->text, value ? value : "", vlen + 1);
    h->value = hc->text;
    hc->text += vlen + 1;
    return MHD_YES;
}

/* Copy method, headers and peer address out of MHD's per-connection pool,
 * which may be gone by the time a suspended handler answers. */
static int exchange_capture(http_exchange *ex, struct MHD_Connection *c, const char *method)
{
    ex->method = dup_string(method);
    if (ex->method == NULL)
        return GW_ENOMEM;
    header_copy hc = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, header_measure, &hc);
    if (hc.count > 0) {
        ex->headers = malloc(hc.count * sizeof(gw_http_header) + hc.bytes);
        if (ex->headers == NULL)
            return GW_ENOMEM;
        hc.out = ex->headers;
        hc.text = (char *)(ex->headers + hc.count);
        MHD_get_connection_values(c, MHD_HEADER_KIND, header_fill, &hc);
        ex->header_count = hc.i;
    }
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ex->remote,
                  sizeof ex->remote);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ex->remote,
                  sizeof ex->remote);
    return GW_OK;
}

/* Origin-form only ("/path?query"): the absolute and asterisk forms are
 * meaningless for these routes, and control characters or spaces in a
 * target are a malformed request that MHD's lenient parser let through. */
static bool target_is_valid(const char *target)
{
    if (target[0] != '/')
        return false;
    for (const unsigned char *p = (const unsigned char *)target; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '#')
            return false;
    }
    return true;
}

static bool is_token(const char *name)
{
    if (*name == '\0')
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *p) != NULL))
            return false;
    }
    return true;
}

/* Checks left to us: MHD 0.9.75's strict mode would do the Host check but
 * garbles its own 400 (headers sent twice), and it accepts header names
 * with spaces. One unambiguous body framing keeps a proxy in front and
 * this server agreed on where a request ends. NULL when fine, else the
 * reason for a 400. */
static const char *request_malformed(const http_exchange *ex, const char *version)
{
    bool http11_or_later =
        strncmp(version, "HTTP/1.", 7) == 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0;
    if (http11_or_later && http_exchange_header(ex, "host") == NULL)
        return "HTTP/1.1 requests must carry a Host header";
    size_t lengths = 0, encodings = 0;
    for (size_t i = 0; i < ex->header_count; i++) {
        const char *name = ex->headers[i].name;
        if (!is_token(name))
            return "a header name is not a valid token";
        lengths += strcmp(name, "content-length") == 0;
        encodings += strcmp(name, "transfer-encoding") == 0;
    }
    if (lengths > 1 || encodings > 1 || (lengths && encodings))
        return "the body length is ambiguous: repeated or combined Content-Length and "
               "Transfer-Encoding headers";
    return NULL;
}

static const route *route_find(const http_server *s, const char *path, unsigned method,
                               unsigned *allowed)
{
    const route *best = NULL;
    size_t best_score = 0;
    *allowed = 0;
    for (size_t i = 0; i < s->route_count; i++) {
        const route *r = &s->routes[i];
        bool match =
            r->prefix ? strncmp(path, r->path, r->path_len) == 0 : strcmp(path, r->path) == 0;
        if (!match)
            continue;
        *allowed |= r->methods;
        if (!(r->methods & method))
            continue;
        size_t score = r->prefix ? r->path_len : SIZE_MAX;
        if (best == NULL || score > best_score) {
            best = r;
            best_score = score;
        }
    }
    return best;
}

/* Content-Length as a number; -1 when absent or not a plain number (MHD
 * has already answered 400 to a malformed one). */
static long long content_length(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (v == NULL || *v < '0' || *v > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end != '\0' || n > LLONG_MAX)
        return LLONG_MAX;
    return (long long)n;
}

static bool request_has_body(struct MHD_Connection *c)
{
    long long len = content_length(c);
    return len > 0 || MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

/* Hand the pending response to MHD; it takes its own reference. */
static enum MHD_Result exchange_queue(http_exchange *ex, struct MHD_Connection *c)
{
    struct MHD_Response *resp = ex->response;
    ex->response = NULL;
    ex->state = EX_ANSWERED;
    conn_stop_reading(conn_of(c));
    if (resp == NULL)
        return MHD_NO; /* no memory for an answer: MHD closes the connection */
    enum MHD_Result ret = MHD_queue_response(c, ex->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result exchange_answer_now(http_exchange *ex, struct MHD_Connection *c,
                                           unsigned status, const char *code, const char *message,
                                           unsigned allow)
{
    if (ex->response)
        MHD_destroy_response(ex->response);
    ex->response = response_error(ex->server, code, message, allow);
    ex->status = status;
    return exchange_queue(ex, c);
}

/* Resume a suspended exchange whose response is now set (or which must
 * be closed), and make sure MHD runs to act on it. */
static void exchange_resume(http_exchange *ex)
{
    if (!ex->suspended)
        return;
    dlink_remove(&ex->waiting);
    ex->suspended = false;
    MHD_resume_connection(ex->conn);
    server_kick(ex->server);
}

/* The server answers in the handler's place (timeout, shutdown). The
 * handler keeps its reference; its later respond only releases it. */
static void exchange_answer_for_handler(http_exchange *ex, unsigned status, const char *code,
                                        const char *message)
{
    ex->expired = true;
    if (ex->response)
        MHD_destroy_response(ex->response);
    ex->response = response_error(ex->server, code, message, 0);
    ex->status = status;
    exchange_resume(ex);
}

static enum MHD_Result exchange_dispatch(http_exchange *ex, struct MHD_Connection *c)
{
    http_server *s = ex->server;
    conn_stop_reading(conn_of(c));
    ex->state = EX_HANDLING;
    ex->handler_holds = true;
    ex->in_handler = true;
    ex->handler(ex->handler_arg, ex);
    ex->in_handler = false;
    if (ex->response)
        return exchange_queue(ex, c);
    if (!ex->handler_holds)
        return MHD_NO; /* it answered, but no response could be built */
    if (s->closing) {
        ex->expired = true;
        return exchange_answer_now(ex, c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                                   "the server is shutting down", 0);
    }
    /* Answer later: MHD stops watching the socket until resumed. */
    MHD_suspend_connection(c);
    ex->suspended = true;
    ex->waiting_since_ms = uv_now(s->loop);
    dlink_push_back(&s->waiting, &ex->waiting);
    return MHD_YES;
}

/* First call, headers complete: decide everything that does not need the
 * body, so a doomed request is answered before its body is read. */
static enum MHD_Result exchange_begin(http_exchange *ex, struct MHD_Connection *c,
                                      const char *method, const char *version)
{
    http_server *s = ex->server;
    if (exchange_capture(ex, c, method) != GW_OK)
        return MHD_NO;

    unsigned allowed = 0;
    const route *r = NULL;
    const char *malformed = request_malformed(ex, version);
    const char *te = http_exchange_header(ex, "transfer-encoding");
    const union MHD_ConnectionInfo *head =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (s->closing) {
        ex->reject_status = MHD_HTTP_SERVICE_UNAVAILABLE;
        ex->reject_code = "shutting_down";
        ex->reject_message = "the server is shutting down";
    } else if (head && head->header_size > s->limits.max_header_bytes) {
        ex->reject_status = MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE;
        ex->reject_code = "headers_too_large";
        ex->reject_message = "the request line and headers exceed the server's limit";
    } else if (malformed) {
        ex->reject_status = MHD_HTTP_BAD_REQUEST;
        ex->reject_code = "bad_request";
        ex->reject_message = malformed;
    } else if (te && strcasecmp(te, "chunked") != 0) {
        /* MHD would read such a body until the connection ends. */
        ex->reject_status = MHD_HTTP_NOT_IMPLEMENTED;
        ex->reject_code = "unsupported_transfer_encoding";
        ex->reject_message = "only Transfer-Encoding: chunked is supported";
    } else if (!target_is_valid(ex->target)) {
        ex->reject_status = MHD_HTTP_BAD_REQUEST;
        ex->reject_code = "bad_request";
        ex->reject_message = "the request target must be a path starting with '/', "
                             "without spaces or control characters";
    } else if ((r = route_find(s, ex->path, method_bit(method, strlen(method)), &allowed)) ==
               NULL) {
        if (allowed) {
            ex->reject_status = MHD_HTTP_METHOD_NOT_ALLOWED;
            ex->reject_code = "method_not_allowed";
            ex->reject_message = "this path does not accept this method; see the Allow header";
            ex->reject_allow = allowed;
        } else {
            ex->reject_status = MHD_HTTP_NOT_FOUND;
            ex->reject_code = "not_found";
            ex->reject_message = "no such path";
        }
    } else if (content_length(c) > 0 &&
               (unsigned long long)content_length(c) > s->limits.max_body_bytes) {
        ex->reject_status = MHD_HTTP_CONTENT_TOO_LARGE;
        ex->reject_code = "body_too_large";
        ex->reject_message = "the request body exceeds the server's limit";
        s->stats.rejected_body_too_large++;
    }

    if (ex->reject_status) {
        /* With a body, or when where the request ends is in doubt, answer
         * now: MHD then skips the body and closes the connection. Else
         * answer at the next call (same MHD run), keeping it alive. */
        if (request_has_body(c) || ex->reject_status == MHD_HTTP_BAD_REQUEST ||
            ex->reject_status == MHD_HTTP_NOT_IMPLEMENTED ||
            ex->reject_status == MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE)
            return exchange_answer_now(ex, c, (unsigned)ex->reject_status, ex->reject_code,
                                       ex->reject_message, ex->reject_allow);
        ex->state = EX_REJECTING;
        return MHD_YES;
    }

    ex->handler = r->handler;
    ex->handler_arg = r->arg;
    ex->path_tail = r->prefix ? ex->path + r->path_len : "";
    /* Content-Length (already checked against the limit) sizes the buffer
     * exactly; a chunked body grows it; no body needs only the NUL. */
    long long len = content_length(c);
    size_t cap = 0;
    if (len > 0)
        cap = (size_t)len;
    else if (te)
        cap = BODY_INITIAL_CAP < s->limits.max_body_bytes ? BODY_INITIAL_CAP
                                                          : s->limits.max_body_bytes;
    ex->body_cap = cap + 1;
    ex->body = malloc(ex->body_cap);
    if (ex->body == NULL)
        return MHD_NO;
    ex->body[0] = '\0';
    ex->state = EX_RECEIVING;
    return MHD_YES;
}

/* A body chunk. Bytes are always consumed so MHD keeps reading. */
static enum MHD_Result exchange_take(http_exchange *ex, const char *data, size_t size)
{
    http_server *s = ex->server;
    ex->body_seen += size;
    if (ex->state == EX_DISCARDING) {
        /* Only a chunked body gets here; answering needs its end, but a
         * client still sending after twice the limit is not waited for. */
        if (ex->body_seen > 2 * (uint64_t)s->limits.max_body_bytes + BODY_INITIAL_CAP) {
            log_debug(s->log, COMPONENT, "closing a connection whose oversized body goes on");
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (ex->body_len + size > s->limits.max_body_bytes) {
        ex->state = EX_DISCARDING;
        s->stats.rejected_body_too_large++;
        free(ex->body);
        ex->body = NULL;
        ex->body_len = ex->body_cap = 0;
        return MHD_YES;
    }
    if (ex->body_len + size + 1 > ex->body_cap) {
        size_t cap = ex->body_cap < BODY_INITIAL_CAP ? BODY_INITIAL_CAP : ex->body_cap;
        while (cap < ex->body_len + size + 1)
            cap *= 2;
        if (cap > s->limits.max_body_bytes + 1)
            cap = s->limits.max_body_bytes + 1;
        unsigned char *grown = realloc(ex->body, cap);
        if (grown == NULL)
            return MHD_NO;
        ex->body = grown;
        ex->body_cap = cap;
    }
    memcpy(ex->body + ex->body_len, data, size);
    ex->body_len += size;
    ex->body[ex->body_len] = '\0';
    return MHD_YES;
}

/* MHD's access handler: called at headers complete, per body chunk, at
 * body end, and again after each resume until a response is queued. */
static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)url; /* already percent-decoded by MHD; the raw one came to on_uri */
    http_exchange *ex = *con_cls;
    if (ex == NULL)
        return MHD_NO; /* on_uri ran out of memory */

    switch (ex->state) {
    case EX_NEW:
        return exchange_begin(ex, c, method, version);
    case EX_RECEIVING:
    case EX_DISCARDING:
        if (*upload_data_size > 0) {
            size_t size = *upload_data_size;
            *upload_data_size = 0;
            return exchange_take(ex, upload_data, size);
        }
        if (ex->state == EX_DISCARDING)
            return exchange_answer_now(ex, c, MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large",
                                       "the request body exceeds the server's limit", 0);
        if (ex->server->closing)
            return exchange_answer_now(ex, c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                                       "the server is shutting down", 0);
        return exchange_dispatch(ex, c);
    case EX_REJECTING:
        *upload_data_size = 0;
        return exchange_answer_now(ex, c, (unsigned)ex->reject_status, ex->reject_code,
                                   ex->reject_message, ex->reject_allow);
    case EX_HANDLING:
        /* Resumed: the handler (or the server for it) set the answer. */
        return exchange_queue(ex, c);
    case EX_ANSWERED:
        break;
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server *s = cls;
    http_exchange *ex = *con_cls;
    *con_cls = NULL;

    /* MHD still holds the response here, including its own 4xx. */
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
    unsigned status = info ? info->http_status : 0;
    if (status > 0 && status < 600)
        s->stats.responses_by_status[status]++;
    if (status == MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE || status == MHD_HTTP_URI_TOO_LONG)
        s->stats.rejected_header_too_large++;
    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
        s->stats.idle_timeouts++;
    else if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK &&
             !(toe == MHD_REQUEST_TERMINATED_WITH_ERROR && status != 0))
        s->stats.aborted++;

    /* A kept-alive connection now owes its next request. */
    if (!s->finalizing)
        conn_start_reading(s, conn_of(c));

    if (ex == NULL)
        return;
    if (ex->suspended) {
        /* Only MHD_stop_daemon ends a suspended request. */
        dlink_remove(&ex->waiting);
        ex->suspended = false;
    }
    if (ex->response) {
        MHD_destroy_response(ex->response);
        ex->response = NULL;
    }
    ex->conn = NULL;
    ex->expired = true;
    exchange_release(ex);
}

/* ------------------------------------------------------------------------
 * Driving MHD from the loop.
 */
static void server_after_run(http_server *s)
{
    if (s->finalizing)
        return;
    if (s->closing) {
        bool drained = true;
        for (dlink *l = s->exchanges.next; l != &s->exchanges; l = l->next) {
            if (CONTAINER_OF(l, http_exchange, all)->conn != NULL) {
                drained = false;
                break;
            }
        }
        if (drained) {
            server_finalize(s);
            return;
        }
    }
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (s->kicked)
        uv_timer_start(&s->mhd_timer, on_mhd_timer, 0, 0);
    else if (MHD_get_timeout(s->mhd, &ms) == MHD_YES)
        uv_timer_start(&s->mhd_timer, on_mhd_timer, (uint64_t)ms, 0);
    else
        uv_timer_stop(&s->mhd_timer);
    server_arm_sweep(s);
}

static void server_run(http_server *s)
{
    if (s->finalizing || s->in_run)
        return;
    s->kicked = false;
    s->in_run = true;
    if (MHD_run(s->mhd) != MHD_YES)
        log_error(s->log, COMPONENT, "libmicrohttpd failed to run its event loop step");
    s->in_run = false;
    server_after_run(s);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)events;
    http_server *s = h->data;
    if (status < 0)
        log_error(s->log, COMPONENT, "polling libmicrohttpd's epoll fd: %s", uv_strerror(status));
    server_run(s);
}

static void on_mhd_timer(uv_timer_t *t)
{
    server_run(t->data);
}

/* Run MHD from the next loop iteration: after a resume or a cut, and
 * never from inside MHD_run itself. */
static void server_kick(http_server *s)
{
    if (s == NULL || s->finalizing)
        return;
    s->kicked = true;
    if (!s->in_run)
        uv_timer_start(&s->mhd_timer, on_mhd_timer, 0, 0);
}

static void on_sweep(uv_timer_t *t)
{
    http_server *s = t->data;
    uint64_t now = uv_now(s->loop);
    /* Both lists are in deadline order: entries join at the tail at "now"
     * and the timeouts are fixed. */
    while (!dlink_empty(&s->reading)) {
        http_conn *hc = CONTAINER_OF(s->reading.next, http_conn, reading);
        if (hc->reading_since_ms + s->limits.receive_timeout_ms > now)
            break;
        conn_cut(s, hc);
    }
    while (!dlink_empty(&s->waiting)) {
        http_exchange *ex = CONTAINER_OF(s->waiting.next, http_exchange, waiting);
        if (ex->waiting_since_ms + s->limits.request_timeout_ms > now)
            break;
        s->stats.handler_timeouts++;
        log_warn(s->log, COMPONENT,
                 "%s %.200s: no answer from its handler within %llu ms; "
                 "answered 503",
                 ex->method, ex->path, (unsigned long long)s->limits.request_timeout_ms);
        exchange_answer_for_handler(ex, MHD_HTTP_SERVICE_UNAVAILABLE, "handler_timeout",
                                    "the request was not answered in time; retry later");
    }
    server_arm_sweep(s);
}

static void server_arm_sweep(http_server *s)
{
    if (s->finalizing)
        return;
    uint64_t next = UINT64_MAX;
    if (!dlink_empty(&s->reading))
        next = CONTAINER_OF(s->reading.next, http_conn, reading)->reading_since_ms +
               s->limits.receive_timeout_ms;
    if (!dlink_empty(&s->waiting)) {
        uint64_t w = CONTAINER_OF(s->waiting.next, http_exchange, waiting)->waiting_since_ms +
                     s->limits.request_timeout_ms;
        if (w < next)
            next = w;
    }
    if (next == UINT64_MAX) {
        uv_timer_stop(&s->sweep_timer);
        return;
    }
    uint64_t now = uv_now(s->loop);
    uv_timer_start(&s->sweep_timer, on_sweep, next > now ? next - now : 0, 0);
}

/* ------------------------------------------------------------------------
 * Start and close.
 */
GW_PRINTF(2, 0)
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    http_server *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    if (s->start_err) {
        snprintf(s->start_err, s->start_errlen, "%s", msg);
        return;
    }
    /* Mostly client mistakes ("Error processing request ... 431"). */
    log_debug(s->log, COMPONENT, "libmicrohttpd: %s", msg);
}

static void on_handle_closed(uv_handle_t *h)
{
    http_server *s = h->data;
    if (--s->handles_open > 0)
        return;
    void (*done)(void *) = s->done;
    void *arg = s->done_arg;
    for (size_t i = 0; i < s->route_count; i++)
        free(s->routes[i].path);
    free(s->routes);
    free(s);
    if (done)
        done(arg);
}

/* Stop MHD and close the handles; never called from inside MHD_run. */
static void server_finalize(http_server *s)
{
    if (s->finalizing)
        return;
    s->finalizing = true;
    /* Stop polling the epoll fd before MHD closes it. */
    uv_close((uv_handle_t *)&s->poll, on_handle_closed);
    uv_close((uv_handle_t *)&s->mhd_timer, on_handle_closed);
    uv_close((uv_handle_t *)&s->sweep_timer, on_handle_closed);
    uv_close((uv_handle_t *)&s->drain_timer, on_handle_closed);
    /* Every request still open is completed (freeing what no handler
     * holds) and every connection closed, through our callbacks. */
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
    while (!dlink_empty(&s->exchanges)) {
        http_exchange *ex = CONTAINER_OF(s->exchanges.next, http_exchange, all);
        dlink_remove(&ex->all);
        dlink_remove(&ex->waiting);
        ex->server = NULL;
        ex->conn = NULL;
        ex->expired = true;
    }
    log_info(s->log, COMPONENT, "HTTP server on port %d stopped", s->port);
}

static void on_drain_timeout(uv_timer_t *t)
{
    http_server *s = t->data;
    log_warn(s->log, COMPONENT, "closing with requests still in flight after %u ms",
             DRAIN_GRACE_MS);
    server_finalize(s);
}

void http_server_close(http_server *s, void (*done)(void *arg), void *arg)
{
    if (s == NULL || s->closing)
        return;
    s->closing = true;
    s->done = done;
    s->done_arg = arg;
    /* New connections are refused by the kernel from here on. */
    MHD_socket lfd = MHD_quiesce_daemon(s->mhd);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    while (!dlink_empty(&s->waiting)) {
        http_exchange *ex = CONTAINER_OF(s->waiting.next, http_exchange, waiting);
        exchange_answer_for_handler(ex, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                                    "the server is shutting down");
    }
    uv_timer_start(&s->drain_timer, on_drain_timeout, DRAIN_GRACE_MS, 0);
    server_kick(s);
}

/* "1.2.3.4:80" or "[::1]:80"; numeric only, so starting never blocks on
 * a resolver. */
static int listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *sslen)
{
    char host[INET6_ADDRSTRLEN];
    const char *port;
    size_t hlen;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':')
            return GW_EINVAL;
        hlen = (size_t)(close - text - 1);
        if (hlen == 0 || hlen >= sizeof host)
            return GW_EINVAL;
        memcpy(host, text + 1, hlen);
        port = close + 2;
    } else {
        const char *colon = strchr(text, ':');
        if (colon == NULL || strchr(colon + 1, ':') != NULL)
            return GW_EINVAL;
        hlen = (size_t)(colon - text);
        if (hlen == 0 || hlen >= sizeof host)
            return GW_EINVAL;
        memcpy(host, text, hlen);
        port = colon + 1;
    }
    host[hlen] = '\0';
    size_t plen = strlen(port);
    if (plen == 0 || plen > 5 || strspn(port, "0123456789") != plen)
        return GW_EINVAL;
    unsigned long pnum = strtoul(port, NULL, 10);
    if (pnum > 65535)
        return GW_EINVAL;

    memset(ss, 0, sizeof *ss);
    if (text[0] == '[') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)pnum);
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return GW_EINVAL;
        *sslen = sizeof *a6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)pnum);
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return GW_EINVAL;
        *sslen = sizeof *a4;
    }
    return GW_OK;
}

/* Our own socket: bind errors name the address with errno's words, and
 * the bound port is known for port 0. */
static int listen_open(const struct sockaddr_storage *ss, socklen_t sslen, int *port_out)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss->ss_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (bind(fd, (const struct sockaddr *)ss, sslen) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    *port_out = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

static void limits_fill(const http_server_limits *in, http_server_limits *out)
{
    if (in)
        *out = *in;
    else
        memset(out, 0, sizeof *out);
    if (out->max_body_bytes == 0)
        out->max_body_bytes = DEFAULT_MAX_BODY_BYTES;
    if (out->max_header_bytes == 0)
        out->max_header_bytes = DEFAULT_MAX_HEADER_BYTES;
    if (out->max_connections == 0)
        out->max_connections = DEFAULT_MAX_CONNECTIONS;
    if (out->idle_timeout_s == 0)
        out->idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S;
    if (out->receive_timeout_ms == 0)
        out->receive_timeout_ms = DEFAULT_RECEIVE_TIMEOUT_MS;
    if (out->request_timeout_ms == 0)
        out->request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
}

int http_server_start(uv_loop_t *loop, const logger *log, const char *listen,
                      const http_server_limits *limits, http_server **out, char *err, size_t errlen)
{
    char scratch[8];
    if (err == NULL || errlen == 0) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    if (loop == NULL || out == NULL) {
        snprintf(err, errlen, "http_server_start: loop and out are required");
        return GW_EINVAL;
    }
    *out = NULL;
    if (listen == NULL)
        listen = HTTP_SERVER_DEFAULT_LISTEN;

    http_server_limits lim;
    limits_fill(limits, &lim);
    if (lim.max_header_bytes < MIN_HEADER_BYTES || lim.max_header_bytes > SIZE_MAX / 2 ||
        lim.max_body_bytes > SIZE_MAX / 4 || lim.max_connections > MAX_CONNECTIONS_CAP ||
        lim.receive_timeout_ms > UINT64_MAX / 4 || lim.request_timeout_ms > UINT64_MAX / 4) {
        snprintf(err, errlen,
                 "HTTP server limits out of range: max_header_bytes must be at least %u and "
                 "max_connections at most %u",
                 MIN_HEADER_BYTES, MAX_CONNECTIONS_CAP);
        return GW_EINVAL;
    }

    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    if (listen_parse(listen, &ss, &sslen) != GW_OK) {
        snprintf(err, errlen,
                 "HTTP listen address \"%.100s\" is invalid: expected a numeric \"IPv4:port\" "
                 "or \"[IPv6]:port\" with a port from 0 to 65535, e.g. \"127.0.0.1:8080\"",
                 listen);
        return GW_EINVAL;
    }

    http_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "HTTP server: out of memory");
        return GW_ENOMEM;
    }
    s->loop = loop;
    s->log = log;
    s->limits = lim;
    dlink_init(&s->reading);
    dlink_init(&s->exchanges);
    dlink_init(&s->waiting);

    int fd = listen_open(&ss, sslen, &s->port);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %.100s: %s", listen, strerror(-fd));
        free(s);
        return GW_EIO;
    }

    char mhd_err[256] = "";
    s->start_err = mhd_err;
    s->start_errlen = sizeof mhd_err;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(
        flags, 0, on_accept, s, on_access, s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(lim.max_connections + 1),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)lim.idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)POOL_SIZE(lim.max_header_bytes),
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        s, MHD_OPTION_END);
    s->start_err = NULL;
    if (s->mhd == NULL) {
        snprintf(err, errlen, "cannot start the HTTP server on %.100s: %s", listen,
                 mhd_err[0] ? mhd_err : "libmicrohttpd refused its options");
        close(fd);
        free(s);
        return GW_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    int rc = info ? uv_poll_init(loop, &s->poll, info->epoll_fd) : UV_EINVAL;
    if (rc != 0) {
        snprintf(err, errlen, "cannot watch the HTTP server's epoll fd: %s", uv_strerror(rc));
        MHD_stop_daemon(s->mhd); /* closes the listen socket it adopted */
        free(s);
        return GW_EIO;
    }
    uv_timer_init(loop, &s->mhd_timer);
    uv_timer_init(loop, &s->sweep_timer);
    uv_timer_init(loop, &s->drain_timer);
    s->poll.data = s->mhd_timer.data = s->sweep_timer.data = s->drain_timer.data = s;
    s->handles_open = 4;
    rc = uv_poll_start(&s->poll, UV_READABLE, on_poll);
    if (rc != 0) {
        snprintf(err, errlen, "cannot watch the HTTP server's epoll fd: %s", uv_strerror(rc));
        s->closing = true;
        server_finalize(s); /* s is freed once the loop has closed its handles */
        return GW_EIO;
    }
    server_after_run(s);
    log_info(log, COMPONENT, "HTTP server listening on %s (port %d)", listen, s->port);
    *out = s;
    return GW_OK;
}

int http_server_port(const http_server *s)
{
    return s ? s->port : -1;
}

const http_server_stats *http_server_stats_get(const http_server *s)
{
    return &s->stats;
}

int http_server_route(http_server *s, const char *methods, const char *path, int prefix,
                      http_handler h, void *arg)
{
    if (s == NULL || methods == NULL || path == NULL || h == NULL || path[0] != '/' ||
        !target_is_valid(path) || strchr(path, '?') != NULL)
        return GW_EINVAL;
    size_t len = strlen(path);
    if (prefix && path[len - 1] != '/')
        return GW_EINVAL; /* "/static" would also match "/staticky" */
    unsigned mask = methods_parse(methods);
    if (mask == 0)
        return GW_EINVAL;
    for (size_t i = 0; i < s->route_count; i++) {
        const route *r = &s->routes[i];
        if (!r->prefix == !prefix && strcmp(r->path, path) == 0 && (r->methods & mask))
            return GW_EEXIST;
    }
    if (s->route_count == s->route_cap) {
        size_t cap = s->route_cap ? s->route_cap * 2 : 8;
        route *grown = realloc(s->routes, cap * sizeof *grown);
        if (grown == NULL)
            return GW_ENOMEM;
        s->routes = grown;
        s->route_cap = cap;
    }
    char *copy = dup_string(path);
    if (copy == NULL)
        return GW_ENOMEM;
    s->routes[s->route_count++] = (route){copy, len, prefix ? 1 : 0, mask, h, arg};
    return GW_OK;
}

/* ------------------------------------------------------------------------
 * Exchange accessors and answers.
 */
const char *http_exchange_method(const http_exchange *ex)
{
    return ex->method;
}

const char *http_exchange_path(const http_exchange *ex)
{
    return ex->path;
}

const char *http_exchange_path_tail(const http_exchange *ex)
{
    return ex->path_tail;
}

const char *http_exchange_query(const http_exchange *ex)
{
    return ex->query;
}

const char *http_exchange_header(const http_exchange *ex, const char *name)
{
    for (size_t i = 0; i < ex->header_count; i++) {
        if (strcasecmp(ex->headers[i].name, name) == 0)
            return ex->headers[i].value;
    }
    return NULL;
}

const gw_http_header *http_exchange_headers(const http_exchange *ex, size_t *count)
{
    if (count)
        *count = ex->header_count;
    return ex->headers;
}

const unsigned char *http_exchange_body(const http_exchange *ex, size_t *len)
{
    if (len)
        *len = ex->body_len;
    return ex->body;
}

const char *http_exchange_remote_addr(const http_exchange *ex)
{
    return ex->remote;
}

int http_exchange_expired(const http_exchange *ex)
{
    return ex->expired || ex->conn == NULL;
}

void http_exchange_respond(http_exchange *ex, int status, const char *content_type,
                           const void *body, size_t len, const gw_http_header *extra_headers,
                           size_t n_extra)
{
    if (ex == NULL || !ex->handler_holds)
        return; /* a second respond: the contract says once; ignore it */
    ex->handler_holds = false;
    if (ex->expired || ex->conn == NULL) {
        exchange_release(ex);
        return;
    }
    http_server *s = ex->server;
    if (status < 200 || status > 599) {
        log_warn(s->log, COMPONENT, "%s %.200s: handler answered status %d; answering 500",
                 ex->method, ex->path, status);
        ex->response = response_error(s, "internal_error",
                                      "the handler produced an invalid "
                                      "status",
                                      0);
        ex->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    } else {
        ex->response = response_build(s, content_type, body, len, extra_headers, n_extra, 0);
        ex->status = (unsigned)status;
        if (ex->response == NULL) {
            ex->response = response_error(s, "internal_error",
                                          "the handler's answer could "
                                          "not be sent",
                                          0);
            ex->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    /* Inside the handler call, exchange_dispatch queues it directly. A
     * NULL response (no memory) resumes too: MHD then closes. */
    if (!ex->in_handler)
        exchange_resume(ex);
}

void http_exchange_respond_json(http_exchange *ex, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        http_exchange_respond_error(ex, 500, "internal_error",
                                    "the handler's answer could not be serialised");
        return;
    }
    http_exchange_respond(ex, status, "application/json", text, strlen(text), NULL, 0);
    free(text);
}

void http_exchange_respond_error(http_exchange *ex, int status, const char *code,
                                 const char *message)
{
    char *text = error_json(code ? code : "error", message ? message : "");
    if (text == NULL) {
        static const char fallback[] =
            "{\"error\":\"internal_error\",\"message\":\"out of memory\"}";
        http_exchange_respond(ex, 500, "application/json", fallback, sizeof fallback - 1, NULL, 0);
        return;
    }
    http_exchange_respond(ex, status, "application/json", text, strlen(text), NULL, 0);
    free(text);
}
