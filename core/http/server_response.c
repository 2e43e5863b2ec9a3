/* server_response.c - an answer's head and the server's JSON error bodies;
 * see server_response.h.
 */
#include "http/server_response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "http/server_parse.h"

char *server_error_json(const char *code, const char *message)
{
    json_t *obj = json_pack("{s:s, s:s}", "error", code, "message", message);
    if (obj == NULL)
        return NULL;
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return text;
}

static const char *reason_phrase(unsigned status)
{
    static const struct {
        unsigned status;
        const char *text;
    } reasons[] = {
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {411, "Length Required"},
        {412, "Precondition Failed"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {415, "Unsupported Media Type"},
        {422, "Unprocessable Content"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        if (reasons[i].status == status)
            return reasons[i].text;
    }
    return "Status"; /* the phrase is informative only (RFC 9112 4) */
}

static bool header_name_ok(const char *name)
{
    if (name == NULL || !parse_is_token(name, strlen(name)))
        return false;
    static const char *const managed[] = {"content-length", "transfer-encoding", "connection",
                                          "date"};
    for (size_t i = 0; i < sizeof managed / sizeof managed[0]; i++) {
        if (strcasecmp(name, managed[i]) == 0)
            return false;
    }
    return true;
}

const char *server_response_refused(const response_head *h)
{
    if (h->content_type && !parse_is_field_value(h->content_type))
        return "Content-Type";
    for (size_t i = 0; i < h->n_extra; i++) {
        const char *name = h->extra[i].name;
        if (!header_name_ok(name) || !parse_is_field_value(h->extra[i].value))
            return name && *name ? name : "(empty name)";
    }
    return NULL;
}

/* Appends to a buffer that may be too small: counts what it cannot hold. */
typedef struct head_out {
    char *p;
    size_t cap, len;
} head_out;

static void put(head_out *o, const char *s, size_t n)
{
    if (o->len < o->cap)
        memcpy(o->p + o->len, s, o->len + n <= o->cap ? n : o->cap - o->len);
    o->len += n;
}

static void put_str(head_out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_header(head_out *o, const char *name, const char *value)
{
    put_str(o, name);
    put(o, ": ", 2);
    put_str(o, value ? value : "");
    put(o, "\r\n", 2);
}

size_t server_response_head(char *out, size_t cap, const response_head *h, const char *date)
{
    head_out o = {out, cap, 0};
    char line[64];
    snprintf(line, sizeof line, "HTTP/1.1 %03u ", h->status);
    put_str(&o, line);
    put_str(&o, reason_phrase(h->status));
    put(&o, "\r\n", 2);
    put_header(&o, "Date", date);
    if (h->content_type)
        put_header(&o, "Content-Type", h->content_type);
    for (size_t i = 0; i < h->n_extra; i++)
        put_header(&o, h->extra[i].name, h->extra[i].value);
    if (h->allow) {
        char list[64];
        server_methods_format(h->allow, list, sizeof list);
        put_header(&o, "Allow", list);
    }
    if (h->close)
        put_header(&o, "Connection", "close");
    if (h->chunked) {
        put_header(&o, "Transfer-Encoding", "chunked");
    } else if (h->status != 204 && h->status != 304) {
        snprintf(line, sizeof line, "%zu", h->content_length);
        put_header(&o, "Content-Length", line);
    }
    put(&o, "\r\n", 2);
    return o.len;
}

const char *server_response_date(http_server *s)
{
    time_t now = time(NULL);
    if ((int64_t)now != s->date_sec || s->date_text[0] == '\0') {
        /* Spelled out rather than strftime's %a/%b, which follow the locale. */
        static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(s->date_text, sizeof s->date_text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        s->date_sec = (int64_t)now;
    }
    return s->date_text;
}
