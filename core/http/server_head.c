/* server_head.c - NUL bytes hidden in the request head; see server_head.h.
 *
 * What MHD 0.9.75 leaves in its read buffer once the headers are parsed:
 *   METHOD \0 [spaces] URI... \0 VERSION \0[\0]          (request line)
 *   KEY \0 [spaces/tabs] VALUE \0[\0]                    (each header)
 *   \0[\0]                                               (the empty line)
 * where each "\0[\0]" was the line's CR LF or bare LF, the \0 after the
 * method and after the URI were spaces and the one after KEY its colon.
 * The URI's own bytes are percent-decoded in place after the URI-log
 * callback, so only its ends are compared. Anything else between the
 * strings is what a NUL in the request hid. One case stays invisible: a
 * single NUL just before a bare LF reads like CR LF; it hides nothing.
 */
#include "http/server_head.h"

#include <string.h>

typedef struct head_walk {
    uintptr_t begin, end; /* the head: [begin, end) */
    const char *at;       /* just past the last string checked */
    bool clean;
} head_walk;

static bool inside(const head_walk *w, const char *p)
{
    return (uintptr_t)p >= w->begin && (uintptr_t)p <= w->end;
}

/* [from, to) is a line end: 1 or 2 bytes (LF, CR LF) that MHD zeroed. */
static bool line_end(const head_walk *w, const char *from, const char *to, size_t most)
{
    if (!inside(w, from) || !inside(w, to) || (uintptr_t)to <= (uintptr_t)from)
        return false;
    size_t n = (size_t)((uintptr_t)to - (uintptr_t)from);
    if (n > most)
        return false;
    for (size_t i = 0; i < n; i++)
        if (from[i] != '\0')
            return false;
    return true;
}

/* From `from` (the \0 that was a separator) to `to` only blanks. */
static bool separator(const head_walk *w, const char *from, const char *to, const char *blanks)
{
    if (!inside(w, from) || !inside(w, to) || (uintptr_t)to <= (uintptr_t)from || *from != '\0')
        return false;
    for (const char *p = from + 1; p != to; p++)
        if (*p == '\0' || strchr(blanks, *p) == NULL)
            return false;
    return true;
}

/* Headers come in the order received; each starts right after the
 * previous line's end. */
static enum MHD_Result walk_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    head_walk *w = cls;
    if (key == NULL || value == NULL || !line_end(w, w->at, key, 2) ||
        !separator(w, key + strlen(key), value, " \t")) {
        w->clean = false;
        return MHD_NO;
    }
    w->at = value + strlen(value);
    return MHD_YES;
}

bool server_head_is_clean(struct MHD_Connection *c, const char *method, uintptr_t uri,
                          size_t uri_len, const char *version)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (info == NULL || method == NULL || version == NULL || uri == 0)
        return false;
    head_walk w = {(uintptr_t)method, (uintptr_t)method + info->header_size, NULL, true};
    /* The request line: the method, its space, the URI up to the space
     * before the version, the version. */
    if (uri <= w.begin || uri >= w.end)
        return false;
    const char *uri_at = method + (uri - w.begin);
    if (!separator(&w, method + strlen(method), uri_at, " ") || !inside(&w, version) ||
        (uintptr_t)version != uri + uri_len + 1 || uri_at[uri_len] != '\0')
        return false;
    w.at = version + strlen(version);
    MHD_get_connection_values(c, MHD_HEADER_KIND, walk_header, &w);
    /* The last line's end and the empty line's. */
    return w.clean && line_end(&w, w.at, method + info->header_size, 4) &&
           (uintptr_t)w.at + 2 <= w.end;
}
