/* plugins/forum/cooked.c - text helpers for forum posts.
 *
 * Discourse gives a post's text twice: "raw" (the Markdown the author
 * typed) and "cooked" (the HTML it renders). Topic views (/t/{id}.json)
 * carry only cooked, so the plugin needs a small, forgiving HTML-to-text
 * conversion: the event's text must be plain UTF-8. This is not an HTML
 * parser and does not try to be: it drops tags, turns block ends into
 * line breaks and decodes character references, which is what cooked
 * posts need. Every function here is pure and never fails on any input
 * except memory exhaustion; the fuzz target holds them to that.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "forum.h"

/* A growable output buffer; the functions below keep it NUL-terminated. */
typedef struct tbuf {
    char *data;
    size_t len, cap;
    size_t max; /* bytes allowed before the cut */
    bool full;  /* the cut was reached: ignore further output */
    bool oom;
} tbuf;

static bool tbuf_init(tbuf *b, size_t hint, size_t max)
{
    b->cap = (hint < max ? hint : max) + 8;
    b->data = malloc(b->cap);
    b->len = 0;
    b->max = max;
    b->full = false;
    b->oom = b->data == NULL;
    if (b->data != NULL)
        b->data[0] = '\0';
    return !b->oom;
}

/* Append n bytes forming whole characters; refused as a whole when the
 * cut would fall inside them, so output never ends in half a character. */
static void tbuf_put(tbuf *b, const char *s, size_t n)
{
    if (b->full || b->oom)
        return;
    if (b->len + n > b->max) {
        b->full = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap * 2 > b->len + n + 1 ? b->cap * 2 : b->len + n + 1;
        char *bigger = realloc(b->data, cap);
        if (bigger == NULL) {
            b->oom = true;
            return;
        }
        b->data = bigger;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static char *tbuf_finish(tbuf *b)
{
    if (b->oom) {
        free(b->data);
        return NULL;
    }
    return b->data;
}

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

static void put_codepoint(tbuf *b, uint32_t cp)
{
    char s[4];
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        tbuf_put(b, replacement, 3);
    } else if (cp < 0x80) {
        s[0] = (char)cp;
        tbuf_put(b, s, 1);
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3F));
        tbuf_put(b, s, 2);
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        tbuf_put(b, s, 3);
    } else {
        s[0] = (char)(0xF0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        tbuf_put(b, s, 4);
    }
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when the
 * bytes there are not one (overlong, surrogate, out of range, cut short). */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return c != 0 ? 1 : 0;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

char *forum_text_clean(const char *text, size_t len, size_t max_bytes)
{
    tbuf b;
    if (!tbuf_init(&b, len, max_bytes))
        return NULL;
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len && !b.full) {
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0) {
            tbuf_put(&b, replacement, 3);
            i++;
        } else {
            tbuf_put(&b, (const char *)s + i, n);
            i += n;
        }
    }
    return tbuf_finish(&b);
}

/* ---- cooked HTML -> text ------------------------------------------------- */

/* The converter's white-space state: spaces and line breaks are held back
 * until visible text follows, so runs collapse and both ends are trimmed. */
typedef struct cooker {
    tbuf out;
    bool space;   /* a space is due before the next visible text */
    int newlines; /* line breaks due (0..2) */
} cooker;

static void cook_visible(cooker *c, const char *s, size_t n)
{
    if (c->out.len > 0) {
        if (c->newlines > 0)
            tbuf_put(&c->out, "\n\n", (size_t)c->newlines);
        else if (c->space)
            tbuf_put(&c->out, " ", 1);
    }
    c->space = false;
    c->newlines = 0;
    tbuf_put(&c->out, s, n);
}

static void cook_break(cooker *c, int lines)
{
    if (c->newlines < lines)
        c->newlines = lines;
}

static bool is_html_space(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f';
}

/* Decode a character reference at s ('&' first, n bytes left). Returns the
 * bytes consumed, or 0 when it is not a reference (the '&' is then text). */
static size_t cook_reference(cooker *c, const char *s, size_t n)
{
    static const struct {
        const char *name;
        uint32_t cp;
    } named[] = {{"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
                 {"apos", '\''},    {"nbsp", ' '},     {"#39", '\''},     {"hellip", 0x2026},
                 {"mdash", 0x2014}, {"ndash", 0x2013}, {"rsquo", 0x2019}, {"lsquo", 0x2018},
                 {"rdquo", 0x201D}, {"ldquo", 0x201C}};
    size_t end = 1;
    while (end < n && end < 32 && s[end] != ';')
        end++;
    if (end >= n || s[end] != ';' || end == 1)
        return 0;
    const char *name = s + 1;
    size_t name_len = end - 1;
    uint32_t cp = 0;
    bool found = false;
    if (name[0] == '#' && name_len > 1) {
        bool hex = name[1] == 'x' || name[1] == 'X';
        size_t first = hex ? 2 : 1;
        if (first >= name_len)
            return 0;
        for (size_t i = first; i < name_len; i++) {
            int digit;
            unsigned char ch = (unsigned char)name[i];
            if (isdigit(ch))
                digit = ch - '0';
            else if (hex && isxdigit(ch))
                digit = tolower(ch) - 'a' + 10;
            else
                return 0;
            cp = cp * (hex ? 16u : 10u) + (uint32_t)digit;
            if (cp > 0x10FFFF)
                cp = 0x110000; /* stays out of range, never overflows */
        }
        found = true;
    } else {
        for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
            if (strlen(named[i].name) == name_len && memcmp(named[i].name, name, name_len) == 0) {
                cp = named[i].cp;
                found = true;
                break;
            }
        }
    }
    if (!found)
        return 0;
    if (cp == ' ') {
        c->space = true; /* &nbsp; reads as a space */
    } else {
        tbuf tmp;
        if (!tbuf_init(&tmp, 4, 4)) {
            c->out.oom = true;
            return end + 1;
        }
        put_codepoint(&tmp, cp);
        cook_visible(c, tmp.data, tmp.len);
        free(tmp.data);
    }
    return end + 1;
}

/* Handle the tag at s ('<' first, n bytes left). Returns the bytes
 * consumed, or 0 when it is not a tag (the '<' is then text). */
static size_t cook_tag(cooker *c, const char *s, size_t n)
{
    size_t i = 1;
    bool closing = false;
    if (i < n && s[i] == '/') {
        closing = true;
        i++;
    }
    if (!closing && i < n && s[i] == '!') {
        /* A comment runs to "-->", a doctype to '>'; unterminated, to the
         * end of the document. */
        if (n - i >= 3 && memcmp(s + i, "!--", 3) == 0) {
            for (size_t k = i + 3; k + 3 <= n; k++)
                if (memcmp(s + k, "-->", 3) == 0)
                    return k + 3;
            return n;
        }
        const char *end = memchr(s, '>', n);
        return end != NULL ? (size_t)(end - s) + 1 : n;
    }
    if (i >= n || !isalpha((unsigned char)s[i]))
        return 0;
    char name[12];
    size_t name_len = 0;
    while (i < n && isalnum((unsigned char)s[i])) {
        if (name_len < sizeof name - 1)
            name[name_len++] = (char)tolower((unsigned char)s[i]);
        i++;
    }
    name[name_len] = '\0';
    /* Skip attributes, honouring quotes so a '>' inside one does not end
     * the tag. An unterminated tag swallows the rest, as a browser would. */
    char quote = 0;
    for (; i < n; i++) {
        if (quote != 0) {
            if (s[i] == quote)
                quote = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            quote = s[i];
        } else if (s[i] == '>') {
            break;
        }
    }
    size_t consumed = i < n ? i + 1 : n;

    static const char *const paragraphs[] = {"p",  "div",   "blockquote", "aside", "pre", "ul",
                                             "ol", "table", "h1",         "h2",    "h3",  "h4",
                                             "h5", "h6",    "hr",         NULL};
    static const char *const lines[] = {"br", "li", "tr", NULL};
    for (size_t k = 0; paragraphs[k] != NULL; k++)
        if (strcmp(name, paragraphs[k]) == 0) {
            cook_break(c, 2);
            return consumed;
        }
    for (size_t k = 0; lines[k] != NULL; k++)
        if (strcmp(name, lines[k]) == 0) {
            if (!closing || strcmp(name, "br") != 0)
                cook_break(c, 1);
            return consumed;
        }
    /* Inline tags (a, strong, em, span, code, img...) leave no trace, but
     * a word boundary inside them stays one: "<td>a</td><td>b</td>". */
    if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
        c->space = true;
    return consumed;
}

char *forum_cooked_to_text(const char *html, size_t len, size_t max_bytes)
{
    cooker c = {.space = false, .newlines = 0};
    if (!tbuf_init(&c.out, len, max_bytes))
        return NULL;
    const unsigned char *s = (const unsigned char *)html;
    size_t i = 0;
    while (i < len && !c.out.full && !c.out.oom) {
        unsigned char ch = s[i];
        size_t used = 0;
        if (ch == '<')
            used = cook_tag(&c, html + i, len - i);
        else if (ch == '&')
            used = cook_reference(&c, html + i, len - i);
        if (used > 0) {
            i += used;
            continue;
        }
        if (is_html_space(ch)) {
            c.space = true;
            i++;
            continue;
        }
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0) {
            cook_visible(&c, replacement, 3);
            i++;
        } else {
            cook_visible(&c, html + i, n);
            i += n;
        }
    }
    return tbuf_finish(&c.out);
}

/* ---- names and mentions --------------------------------------------------- */

bool forum_username_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return false;
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

/* Characters of a Discourse user name (ASCII part). */
static bool is_name_char(unsigned char ch)
{
    return isalnum(ch) || ch == '_' || ch == '-' || ch == '.' || ch >= 0x80;
}

bool forum_text_mentions(const char *text, const char *username)
{
    if (text == NULL || username == NULL || username[0] == '\0')
        return false;
    size_t ulen = strlen(username);
    for (const char *at = strchr(text, '@'); at != NULL; at = strchr(at + 1, '@')) {
        if (at > text && is_name_char((unsigned char)at[-1]) && at[-1] != '.' && at[-1] != '-')
            continue; /* an e-mail address, not a mention */
        size_t k = 0;
        while (k < ulen && at[1 + k] != '\0' &&
               tolower((unsigned char)at[1 + k]) == tolower((unsigned char)username[k]))
            k++;
        if (k != ulen)
            continue;
        unsigned char next = (unsigned char)at[1 + ulen];
        /* "@acme." ends a sentence; "@acme.eu" is another user. */
        if (next == '.' || next == '-')
            next = (unsigned char)at[2 + ulen];
        if (!is_name_char(next) || next == '.' || next == '-')
            return true;
    }
    return false;
}

bool forum_json_id(const json_t *obj, const char *key, int64_t *out)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    const int64_t max = INT64_C(9007199254740992);
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 1 || n > max)
            return false;
        *out = (int64_t)n;
        return true;
    }
    const char *s = json_string_value(v);
    if (s == NULL || s[0] == '\0' || strlen(s) > 16)
        return false;
    int64_t n = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        n = n * 10 + (*p - '0');
    }
    if (n < 1 || n > max)
        return false;
    *out = n;
    return true;
}

bool forum_url_segment(const char *s, char *buf, size_t buflen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    if (buflen == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        size_t need = plain ? 1 : 3;
        if (n + need >= buflen) {
            buf[0] = '\0';
            return false;
        }
        if (plain) {
            buf[n++] = (char)*p;
        } else {
            buf[n++] = '%';
            buf[n++] = hex[*p >> 4];
            buf[n++] = hex[*p & 15];
        }
    }
    buf[n] = '\0';
    return true;
}
