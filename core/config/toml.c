/* toml.c - the structural half of the TOML 1.0 parser: reads the document
 * line by line, builds the toml_value tree and enforces which keys and
 * tables may be defined where (duplicates, redefined tables, inline tables
 * being complete, static arrays, dotted keys versus headers).
 *
 * Every node of a tree is allocated here and owned by the tree's root until
 * toml_free(). Token scanning lives in toml_lex.c.
 */
#include "config/toml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "config/toml_lex.h"

/* How deep tables and arrays may nest. Bounds both the parser's recursion
 * on hostile input and the recursion of everyone walking the tree. */
#define TOML_MAX_DEPTH 256

/* Tables with at least this many keys get a hash index. */
#define TOML_INDEX_MIN 8

enum {
    NODE_HEADER = 1u << 0, /* table defined by a [header] or [[header]] */
    NODE_DOTTED = 1u << 1, /* table created or entered by a dotted key */
    NODE_INLINE = 1u << 2, /* inline table: complete once its '}' is read */
    NODE_AOT = 1u << 3     /* array made by [[header]]: headers may append */
};

/* Every value is allocated as a node so the parser can keep bookkeeping
 * that the public struct does not show. value comes first, so a
 * toml_value pointer from the tree converts back to its node. */
typedef struct toml_node {
    toml_value value;
    unsigned flags;
    int depth;        /* root is 0 */
    size_t cap;       /* allocated items of a table or array */
    size_t *index;    /* table only: open addressing, entry position + 1 */
    size_t index_cap; /* power of two, or 0 */
} toml_node;

typedef struct toml_key_part {
    char *name;
    size_t len;
    int owned;     /* 0 once the name has moved into the tree */
    size_t offset; /* byte offset in the document */
    toml_pos pos;
} toml_key_part;

typedef struct toml_key {
    toml_key_part *parts;
    size_t len, cap;
} toml_key;

typedef struct toml_parser {
    toml_lexer lx;
    toml_value *root;
    toml_value *current; /* table that receives key/value lines */
} toml_parser;

static int parse_value(toml_parser *p, int depth, toml_value **out);

static toml_node *node_of(const toml_value *v)
{
    return (toml_node *)(uintptr_t)v;
}

/* Returns a zeroed value of `type`; the caller owns it until it is linked
 * into the tree. */
static toml_value *value_new(toml_type type, int depth, toml_pos pos)
{
    toml_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->value.type = type;
    n->value.line = pos.line;
    n->value.column = pos.column;
    n->depth = depth;
    return &n->value;
}

static void value_free(toml_value *v)
{
    if (!v)
        return;
    toml_node *n = node_of(v);
    switch (v->type) {
    case TOML_STRING:
        free(v->u.string.ptr);
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < v->u.array.len; i++)
            value_free(v->u.array.items[i]);
        free(v->u.array.items);
        break;
    case TOML_TABLE:
        for (size_t i = 0; i < v->u.table.len; i++) {
            free(v->u.table.items[i].key);
            value_free(v->u.table.items[i].value);
        }
        free(v->u.table.items);
        free(n->index);
        break;
    default:
        break;
    }
    free(n);
}

static uint64_t key_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

/* Returns the entry, borrowed; valid until the table grows. */
static toml_keyval *table_find(const toml_value *t, const char *name, size_t len)
{
    const toml_node *n = node_of(t);
    toml_keyval *items = t->u.table.items;

    if (n->index) {
        size_t mask = n->index_cap - 1;
        for (size_t i = (size_t)key_hash(name, len) & mask;; i = (i + 1) & mask) {
            size_t slot = n->index[i];
            if (!slot)
                return NULL;
            toml_keyval *kv = &items[slot - 1];
            if (kv->key_len == len && memcmp(kv->key, name, len) == 0)
                return kv;
        }
    }
    for (size_t i = 0; i < t->u.table.len; i++)
        if (items[i].key_len == len && memcmp(items[i].key, name, len) == 0)
            return &items[i];
    return NULL;
}

static void index_put(toml_node *n, size_t entry)
{
    const toml_keyval *kv = &n->value.u.table.items[entry];
    size_t mask = n->index_cap - 1;
    size_t i = (size_t)key_hash(kv->key, kv->key_len) & mask;
    while (n->index[i])
        i = (i + 1) & mask;
    n->index[i] = entry + 1;
}

/* The index only speeds up lookups, so when memory for it runs out the
 * table silently falls back to a linear scan. */
static void index_rebuild(toml_node *n, size_t cap)
{
    free(n->index);
    n->index = calloc(cap, sizeof(*n->index));
    n->index_cap = n->index ? cap : 0;
    if (!n->index)
        return;
    for (size_t i = 0; i < n->value.u.table.len; i++)
        index_put(n, i);
}

/* Append an entry to table t. On success the table owns name and v; on
 * failure (GW_ENOMEM) the caller still does. */
static int table_insert(toml_parser *p, toml_value *t, char *name, size_t len, toml_pos pos,
                        toml_value *v)
{
    toml_node *n = node_of(t);

    if (t->u.table.len == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 4;
        toml_keyval *items = realloc(t->u.table.items, cap * sizeof(*items));
        if (!items)
            return toml_lex_nomem(&p->lx);
        t->u.table.items = items;
        n->cap = cap;
    }
    toml_keyval *kv = &t->u.table.items[t->u.table.len++];
    kv->key = name;
    kv->key_len = len;
    kv->line = pos.line;
    kv->column = pos.column;
    kv->value = v;

    if (n->index && t->u.table.len * 2 <= n->index_cap)
        index_put(n, t->u.table.len - 1);
    else if (t->u.table.len >= TOML_INDEX_MIN)
        index_rebuild(n, n->index_cap ? n->index_cap * 2 : TOML_INDEX_MIN * 4);
    return 0;
}

/* Append v to array a; on success a owns v. */
static int array_append(toml_parser *p, toml_value *a, toml_value *v)
{
    toml_node *n = node_of(a);

    if (a->u.array.len == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 4;
        toml_value **items = realloc(a->u.array.items, cap * sizeof(*items));
        if (!items)
            return toml_lex_nomem(&p->lx);
        a->u.array.items = items;
        n->cap = cap;
    }
    a->u.array.items[a->u.array.len++] = v;
    return 0;
}

static void key_free(toml_key *key)
{
    for (size_t i = 0; i < key->len; i++)
        if (key->parts[i].owned)
            free(key->parts[i].name);
    free(key->parts);
    memset(key, 0, sizeof(*key));
}

/* Render parts [0, count) of a key for messages, quoting parts that are
 * not bare keys, truncated to fit buf. Returns buf. */
static const char *key_display(const toml_key *key, size_t count, char *buf, size_t size)
{
    size_t n = 0;
    int truncated = 0;

#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (n + 1 < size)                                                                          \
            buf[n++] = (c);                                                                        \
        else                                                                                       \
            truncated = 1;                                                                         \
    } while (0)
    for (size_t i = 0; i < count; i++) {
        const toml_key_part *part = &key->parts[i];
        int bare = part->len > 0;
        for (size_t k = 0; k < part->len; k++) {
            char c = part->name[k];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-'))
                bare = 0;
        }
        if (i > 0)
            PUT('.');
        if (!bare)
            PUT('\'');
        for (size_t k = 0; k < part->len; k++) {
            unsigned char c = (unsigned char)part->name[k];
            PUT(c < 0x20 || c == 0x7f ? '?' : (char)c);
        }
        if (!bare)
            PUT('\'');
    }
#undef PUT
    if (truncated && size > 4) {
        /* Cut on a character boundary so the message stays valid UTF-8. */
        n = size - 4;
        while (n > 0 && ((unsigned char)buf[n] & 0xC0) == 0x80)
            n--;
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* "an integer", "a table": for messages about what a key already holds. */
static const char *type_with_article(toml_type type)
{
    switch (type) {
    case TOML_INTEGER:
        return "an integer";
    case TOML_DATETIME:
        return "an offset date-time";
    case TOML_ARRAY:
        return "an array";
    case TOML_STRING:
        return "a string";
    case TOML_FLOAT:
        return "a float";
    case TOML_BOOL:
        return "a boolean";
    case TOML_DATETIME_LOCAL:
        return "a local date-time";
    case TOML_DATE_LOCAL:
        return "a local date";
    case TOML_TIME_LOCAL:
        return "a local time";
    case TOML_TABLE:
        return "a table";
    }
    return "a value";
}

static int key_push(toml_parser *p, toml_key *key, toml_key_part part)
{
    if (key->len == key->cap) {
        size_t cap = key->cap ? key->cap * 2 : 4;
        toml_key_part *parts = realloc(key->parts, cap * sizeof(*parts));
        if (!parts)
            return toml_lex_nomem(&p->lx);
        key->parts = parts;
        key->cap = cap;
    }
    key->parts[key->len++] = part;
    return 0;
}

/* Read a possibly dotted key at the cursor into key (which the caller
 * frees with key_free, also on failure). */
static int parse_key(toml_parser *p, toml_key *key)
{
    toml_lexer *lx = &p->lx;

    for (;;) {
        toml_key_part part = {0};
        part.offset = lx->pos;
        part.pos = toml_lex_pos_at(lx, lx->pos);
        part.owned = 1;
        int rc = toml_lex_key_part(lx, &part.name, &part.len);
        if (rc)
            return rc;
        rc = key_push(p, key, part);
        if (rc) {
            free(part.name);
            return rc;
        }
        toml_lex_skip_space(lx);
        if (toml_lex_peek(lx) != '.')
            return 0;
        lx->pos++;
        toml_lex_skip_space(lx);
    }
}

/* Create an empty table under t for key part i and link it in. The name
 * moves into the tree; the part keeps a borrowed pointer for messages. */
static int add_table(toml_parser *p, toml_value *t, toml_key *key, size_t i, unsigned flags,
                     toml_pos value_pos, toml_value **out)
{
    toml_key_part *part = &key->parts[i];
    int depth = node_of(t)->depth + 1;

    if (depth > TOML_MAX_DEPTH)
        return toml_lex_fail(&p->lx, part->offset, "tables nested deeper than %d levels",
                             TOML_MAX_DEPTH);
    toml_value *v = value_new(TOML_TABLE, depth, value_pos);
    if (!v)
        return toml_lex_nomem(&p->lx);
    node_of(v)->flags = flags;
    int rc = table_insert(p, t, part->name, part->len, part->pos, v);
    if (rc) {
        value_free(v);
        return rc;
    }
    part->owned = 0;
    *out = v;
    return 0;
}

/* Step from table *t into the table named by part i of a dotted key on a
 * key/value line, creating it when absent. */
static int enter_dotted(toml_parser *p, toml_value **t, toml_key *key, size_t i)
{
    toml_key_part *part = &key->parts[i];
    char name[96];
    toml_keyval *kv = table_find(*t, part->name, part->len);

    if (!kv)
        return add_table(p, *t, key, i, NODE_DOTTED, part->pos, t);
    toml_value *v = kv->value;
    key_display(key, i + 1, name, sizeof(name));
    if (v->type != TOML_TABLE)
        return toml_lex_fail(&p->lx, part->offset,
                             "cannot add keys to \"%s\": it is already %s (line %d, column %d)",
                             name, type_with_article(v->type), kv->line, kv->column);
    if (node_of(v)->flags & NODE_INLINE)
        return toml_lex_fail(&p->lx, part->offset,
                             "cannot add keys to inline table \"%s\" (line %d, column %d): an "
                             "inline table is complete where it is written",
                             name, kv->line, kv->column);
    if (node_of(v)->flags & NODE_HEADER)
        return toml_lex_fail(&p->lx, part->offset,
                             "cannot add keys to table \"%s\" with a dotted key: it has its own "
                             "header at line %d, column %d; put them there",
                             name, v->line, v->column);
    node_of(v)->flags |= NODE_DOTTED;
    *t = v;
    return 0;
}

/* One `key = value` into table t (the current table, or an inline table
 * being read). */
static int parse_keyval(toml_parser *p, toml_value *t)
{
    toml_lexer *lx = &p->lx;
    toml_key key = {0};
    char name[96];
    char d[TOML_LEX_DESCRIBE_SIZE];
    toml_value *v = NULL;
    int rc;

    if ((rc = parse_key(p, &key)))
        goto fail;
    if (toml_lex_peek(lx) != '=') {
        rc = toml_lex_fail(lx, lx->pos, "expected '=' after key \"%s\", found %s",
                           key_display(&key, key.len, name, sizeof(name)),
                           toml_lex_describe(lx, lx->pos, d));
        goto fail;
    }
    lx->pos++;
    toml_lex_skip_space(lx);
    for (size_t i = 0; i + 1 < key.len; i++)
        if ((rc = enter_dotted(p, &t, &key, i)))
            goto fail;

    toml_key_part *last = &key.parts[key.len - 1];
    toml_keyval *kv = table_find(t, last->name, last->len);
    if (kv) {
        rc = toml_lex_fail(lx, last->offset,
                           "duplicate key \"%s\" (first defined at line %d, "
                           "column %d)",
                           key_display(&key, key.len, name, sizeof(name)), kv->line, kv->column);
        goto fail;
    }
    if ((rc = parse_value(p, node_of(t)->depth + 1, &v)))
        goto fail;
    if ((rc = table_insert(p, t, last->name, last->len, last->pos, v)))
        goto fail;
    last->owned = 0;
    key_free(&key);
    return 0;

fail:
    value_free(v);
    key_free(&key);
    return rc;
}

static int parse_array(toml_parser *p, int depth, toml_pos pos, toml_value **out)
{
    toml_lexer *lx = &p->lx;
    char d[TOML_LEX_DESCRIBE_SIZE];
    size_t open = lx->pos;
    toml_value *a = NULL;
    int rc;

    if (depth > TOML_MAX_DEPTH)
        return toml_lex_fail(lx, open, "arrays and tables nested deeper than %d levels",
                             TOML_MAX_DEPTH);
    if (!(a = value_new(TOML_ARRAY, depth, pos)))
        return toml_lex_nomem(lx);
    lx->pos++;
    if ((rc = toml_lex_skip_blank(lx)))
        goto fail;
    while (toml_lex_peek(lx) != ']') {
        toml_value *item;
        if (toml_lex_at_end(lx)) {
            rc = toml_lex_fail(lx, lx->pos,
                               "unterminated array (opened at line %d, column %d): "
                               "expected ']', found end of file",
                               pos.line, pos.column);
            goto fail;
        }
        if ((rc = parse_value(p, depth + 1, &item)))
            goto fail;
        if ((rc = array_append(p, a, item))) {
            value_free(item);
            goto fail;
        }
        if ((rc = toml_lex_skip_blank(lx)))
            goto fail;
        if (toml_lex_peek(lx) == ',') {
            lx->pos++;
            if ((rc = toml_lex_skip_blank(lx)))
                goto fail;
        } else if (toml_lex_peek(lx) != ']') {
            rc = toml_lex_fail(lx, lx->pos, "expected ',' or ']' after an array element, found %s",
                               toml_lex_describe(lx, lx->pos, d));
            goto fail;
        }
    }
    lx->pos++;
    *out = a;
    return 0;

fail:
    value_free(a);
    return rc;
}

static int parse_inline_table(toml_parser *p, int depth, toml_pos pos, toml_value **out)
{
    toml_lexer *lx = &p->lx;
    char d[TOML_LEX_DESCRIBE_SIZE];
    size_t open = lx->pos;
    toml_value *t = NULL;
    int rc;

    if (depth > TOML_MAX_DEPTH)
        return toml_lex_fail(lx, open, "arrays and tables nested deeper than %d levels",
                             TOML_MAX_DEPTH);
    if (!(t = value_new(TOML_TABLE, depth, pos)))
        return toml_lex_nomem(lx);
    lx->pos++;
    toml_lex_skip_space(lx);
    if (toml_lex_peek(lx) == '}') {
        lx->pos++;
        goto done;
    }
    for (;;) {
        if (toml_lex_at_newline(lx) || toml_lex_at_end(lx) || toml_lex_peek(lx) == '#') {
            rc = toml_lex_fail(lx, lx->pos,
                               "expected a key in inline table, found %s (an inline "
                               "table must be on one line)",
                               toml_lex_describe(lx, lx->pos, d));
            goto fail;
        }
        if ((rc = parse_keyval(p, t)))
            goto fail;
        toml_lex_skip_space(lx);
        int c = toml_lex_peek(lx);
        if (c == '}') {
            lx->pos++;
            break;
        }
        if (c != ',') {
            rc = toml_lex_fail(lx, lx->pos, "expected ',' or '}' in inline table, found %s%s",
                               toml_lex_describe(lx, lx->pos, d),
                               toml_lex_at_newline(lx) || toml_lex_at_end(lx)
                                   ? " (an inline table must be on one line)"
                                   : "");
            goto fail;
        }
        size_t comma = lx->pos++;
        toml_lex_skip_space(lx);
        if (toml_lex_peek(lx) == '}') {
            rc = toml_lex_fail(lx, comma, "trailing comma is not allowed in an inline table");
            goto fail;
        }
    }
done:
    node_of(t)->flags |= NODE_INLINE;
    *out = t;
    return 0;

fail:
    value_free(t);
    return rc;
}

/* Parse the value at the cursor. depth is the nesting level it will have
 * in the tree. On success *out is owned by the caller. */
static int parse_value(toml_parser *p, int depth, toml_value **out)
{
    toml_lexer *lx = &p->lx;
    toml_pos pos = toml_lex_pos_at(lx, lx->pos);
    int c = toml_lex_peek(lx);

    if (c == '[')
        return parse_array(p, depth, pos, out);
    if (c == '{')
        return parse_inline_table(p, depth, pos, out);
    toml_value *v = value_new(TOML_BOOL, depth, pos);
    if (!v)
        return toml_lex_nomem(lx);
    int rc = toml_lex_scalar(lx, v);
    if (rc) {
        /* A failed scan owns nothing, but it may have left a type and a
         * half-written union that disagree; free it as a plain node. */
        v->type = TOML_BOOL;
        value_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* After a complete line item: optional whitespace and comment, then a
 * newline or the end of the file. */
static int expect_line_end(toml_parser *p, const char *after)
{
    toml_lexer *lx = &p->lx;
    char d[TOML_LEX_DESCRIBE_SIZE];
    int rc;

    toml_lex_skip_space(lx);
    if ((rc = toml_lex_skip_comment(lx)))
        return rc;
    if (toml_lex_at_end(lx) || toml_lex_skip_newline(lx))
        return 0;
    return toml_lex_fail(lx, lx->pos, "expected end of line after %s, found %s", after,
                         toml_lex_describe(lx, lx->pos, d));
}

/* Walk the parent parts of a header, creating implicit tables, and return
 * the table that will hold the last part. */
static int header_parent(toml_parser *p, toml_key *key, toml_value **out)
{
    char name[96];
    toml_value *t = p->root;

    for (size_t i = 0; i + 1 < key->len; i++) {
        toml_key_part *part = &key->parts[i];
        toml_keyval *kv = table_find(t, part->name, part->len);
        if (!kv) {
            int rc = add_table(p, t, key, i, 0, part->pos, &t);
            if (rc)
                return rc;
            continue;
        }
        toml_value *v = kv->value;
        key_display(key, i + 1, name, sizeof(name));
        if (v->type == TOML_TABLE && (node_of(v)->flags & NODE_INLINE))
            return toml_lex_fail(&p->lx, part->offset,
                                 "cannot add a table to inline table \"%s\" (line %d, column "
                                 "%d): an inline table is complete where it is written",
                                 name, kv->line, kv->column);
        if (v->type == TOML_TABLE) {
            t = v;
        } else if (v->type == TOML_ARRAY && (node_of(v)->flags & NODE_AOT)) {
            t = v->u.array.items[v->u.array.len - 1];
        } else if (v->type == TOML_ARRAY) {
            return toml_lex_fail(&p->lx, part->offset,
                                 "cannot add a table to \"%s\": it is a static array (line %d, "
                                 "column %d), not an array of tables",
                                 name, kv->line, kv->column);
        } else {
            return toml_lex_fail(&p->lx, part->offset,
                                 "cannot add a table to \"%s\": it is already %s (line %d, "
                                 "column %d)",
                                 name, type_with_article(v->type), kv->line, kv->column);
        }
    }
    *out = t;
    return 0;
}

/* Define the table named by a [header]. */
static int define_table(toml_parser *p, toml_value *parent, toml_key *key, toml_pos open)
{
    toml_key_part *part = &key->parts[key->len - 1];
    char name[96];
    toml_keyval *kv = table_find(parent, part->name, part->len);

    if (!kv)
        return add_table(p, parent, key, key->len - 1, NODE_HEADER, open, &p->current);
    toml_value *v = kv->value;
    unsigned flags = node_of(v)->flags;
    key_display(key, key->len, name, sizeof(name));
    if (v->type == TOML_TABLE && !(flags & (NODE_HEADER | NODE_DOTTED | NODE_INLINE))) {
        /* Named before only as the parent of another header: this is its
         * definition, so the table now starts here. */
        node_of(v)->flags |= NODE_HEADER;
        v->line = open.line;
        v->column = open.column;
        p->current = v;
        return 0;
    }
    if (v->type == TOML_TABLE && (flags & NODE_HEADER))
        return toml_lex_fail(&p->lx, part->offset,
                             "table [%s] is defined twice (first at line %d, column %d)", name,
                             v->line, v->column);
    if (v->type == TOML_TABLE && (flags & NODE_INLINE))
        return toml_lex_fail(&p->lx, part->offset,
                             "table [%s] is already defined as an inline table at line %d, "
                             "column %d",
                             name, kv->line, kv->column);
    if (v->type == TOML_TABLE)
        return toml_lex_fail(&p->lx, part->offset,
                             "table [%s] is already defined by dotted keys at line %d, column "
                             "%d; a header cannot reopen it",
                             name, kv->line, kv->column);
    if (v->type == TOML_ARRAY && (flags & NODE_AOT))
        return toml_lex_fail(&p->lx, part->offset,
                             "table [%s] conflicts with an array of tables of the same name "
                             "at line %d, column %d",
                             name, kv->line, kv->column);
    return toml_lex_fail(&p->lx, part->offset,
                         "cannot define table [%s]: the key is already %s (line %d, column %d)",
                         name, type_with_article(v->type), kv->line, kv->column);
}

/* Append a new table to the array named by a [[header]]. */
static int append_table(toml_parser *p, toml_value *parent, toml_key *key, toml_pos open)
{
    toml_key_part *part = &key->parts[key->len - 1];
    char name[96];
    toml_keyval *kv = table_find(parent, part->name, part->len);
    toml_value *array;
    int depth = node_of(parent)->depth + 1;
    int rc;

    if (kv) {
        array = kv->value;
        key_display(key, key->len, name, sizeof(name));
        if (array->type == TOML_ARRAY && !(node_of(array)->flags & NODE_AOT))
            return toml_lex_fail(&p->lx, part->offset,
                                 "cannot append a table to \"%s\": it is a static array "
                                 "(line %d, column %d), not an array of tables",
                                 name, kv->line, kv->column);
        if (array->type != TOML_ARRAY)
            return toml_lex_fail(&p->lx, part->offset,
                                 "cannot define array of tables [[%s]]: the key is already %s "
                                 "(line %d, column %d)",
                                 name, type_with_article(array->type), kv->line, kv->column);
    } else {
        if (depth + 1 > TOML_MAX_DEPTH)
            return toml_lex_fail(&p->lx, part->offset, "tables nested deeper than %d levels",
                                 TOML_MAX_DEPTH);
        if (!(array = value_new(TOML_ARRAY, depth, open)))
            return toml_lex_nomem(&p->lx);
        node_of(array)->flags = NODE_AOT;
        if ((rc = table_insert(p, parent, part->name, part->len, part->pos, array))) {
            value_free(array);
            return rc;
        }
        part->owned = 0;
    }

    toml_value *t = value_new(TOML_TABLE, node_of(array)->depth + 1, open);
    if (!t)
        return toml_lex_nomem(&p->lx);
    node_of(t)->flags = NODE_HEADER;
    if ((rc = array_append(p, array, t))) {
        value_free(t);
        return rc;
    }
    p->current = t;
    return 0;
}

static int parse_header(toml_parser *p)
{
    toml_lexer *lx = &p->lx;
    char d[TOML_LEX_DESCRIBE_SIZE];
    toml_pos open = toml_lex_pos_at(lx, lx->pos);
    int aot = lx->pos + 1 < lx->len && lx->text[lx->pos + 1] == '[';
    toml_key key = {0};
    toml_value *parent = NULL;
    int rc;

    lx->pos += aot ? 2 : 1;
    toml_lex_skip_space(lx);
    if ((rc = parse_key(p, &key)))
        goto done;
    if (aot &&
        !(toml_lex_peek(lx) == ']' && lx->pos + 1 < lx->len && lx->text[lx->pos + 1] == ']')) {
        rc = toml_lex_fail(lx, lx->pos,
                           "expected ']]' to close the array of tables header, "
                           "found %s",
                           toml_lex_describe(lx, lx->pos, d));
        goto done;
    }
    if (!aot && toml_lex_peek(lx) != ']') {
        rc = toml_lex_fail(lx, lx->pos, "expected ']' to close the table header, found %s",
                           toml_lex_describe(lx, lx->pos, d));
        goto done;
    }
    lx->pos += aot ? 2 : 1;
    if ((rc = header_parent(p, &key, &parent)))
        goto done;
    rc = aot ? append_table(p, parent, &key, open) : define_table(p, parent, &key, open);
    if (rc)
        goto done;
    rc = expect_line_end(p, aot ? "an array of tables header" : "a table header");
done:
    key_free(&key);
    return rc;
}

int toml_parse(const char *text, size_t len, toml_value **out, toml_error *err)
{
    toml_error scratch;
    toml_parser p;
    toml_pos origin = {1, 1};
    int rc;

    if (!err)
        err = &scratch;
    memset(err, 0, sizeof(*err));
    if (!out || (!text && len)) {
        snprintf(err->message, sizeof(err->message), "invalid arguments to toml_parse");
        return GW_EINVAL;
    }
    *out = NULL;
    toml_lex_init(&p.lx, text ? text : "", len, err);
    if ((rc = toml_lex_check_utf8(&p.lx)))
        return rc;
    if (!(p.root = value_new(TOML_TABLE, 0, origin)))
        return toml_lex_nomem(&p.lx);
    p.current = p.root;

    for (;;) {
        toml_lex_skip_space(&p.lx);
        int c = toml_lex_peek(&p.lx);
        if (c < 0)
            break;
        if (toml_lex_skip_newline(&p.lx))
            continue;
        if (c == '#') {
            rc = expect_line_end(&p, "a comment");
        } else if (c == '[') {
            rc = parse_header(&p);
        } else {
            rc = parse_keyval(&p, p.current);
            if (!rc)
                rc = expect_line_end(&p, "a value");
        }
        if (rc)
            goto fail;
    }
    *out = p.root;
    return 0;

fail:
    value_free(p.root);
    return rc;
}

void toml_free(toml_value *root)
{
    value_free(root);
}

const toml_keyval *toml_table_find(const toml_value *table, const char *key)
{
    if (!table || table->type != TOML_TABLE || !key)
        return NULL;
    /* A plain scan rather than the parser's index: callers may hand in
     * tables they built themselves, which have no node around them. */
    size_t len = strlen(key);
    for (size_t i = 0; i < table->u.table.len; i++) {
        const toml_keyval *kv = &table->u.table.items[i];
        if (kv->key_len == len && memcmp(kv->key, key, len) == 0)
            return kv;
    }
    return NULL;
}

const char *toml_type_name(toml_type type)
{
    switch (type) {
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOL:
        return "boolean";
    case TOML_DATETIME:
        return "offset date-time";
    case TOML_DATETIME_LOCAL:
        return "local date-time";
    case TOML_DATE_LOCAL:
        return "local date";
    case TOML_TIME_LOCAL:
        return "local time";
    case TOML_ARRAY:
        return "array";
    case TOML_TABLE:
        return "table";
    }
    return "unknown";
}
