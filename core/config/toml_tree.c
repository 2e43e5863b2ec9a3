/* toml_tree.c - the TOML document tree: nodes, tables with a hash index
 * for large ones, arrays, lookups, freeing, and how a key is named in a
 * message.
 *
 * Every value is allocated here as a node that carries bookkeeping the
 * public struct does not show (the parser's flags, the depth, capacities,
 * the index). A tree is owned by its root until toml_free(). Knows nothing
 * of TOML syntax: the lexer and the parser sit above it.
 */
#include "config/toml_tree.h"

#include "base/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"

/* Tables with at least this many keys get a hash index. */
#define TOML_INDEX_MIN 8

/* Longest part of a non-bare key written into a path. */
#define TOML_PATH_QUOTE_MAX 60

/* value comes first, so a toml_value pointer from the tree converts back
 * to its node. */
typedef struct toml_node {
    toml_value value;
    unsigned flags;   /* the parser's */
    int depth;        /* root is 0 */
    size_t cap;       /* allocated items of a table or array */
    size_t *index;    /* table only: open addressing, entry position + 1 */
    size_t index_cap; /* power of two, or 0 */
} toml_node;

static toml_node *node_of(const toml_value *v)
{
    return (toml_node *)(uintptr_t)v;
}

toml_value *toml_tree_new(toml_type type, int depth, int line, int column)
{
    toml_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->value.type = type;
    n->value.line = line;
    n->value.column = column;
    n->depth = depth;
    return &n->value;
}

unsigned toml_tree_flags(const toml_value *v)
{
    return node_of(v)->flags;
}

void toml_tree_add_flags(toml_value *v, unsigned flags)
{
    node_of(v)->flags |= flags;
}

int toml_tree_depth(const toml_value *v)
{
    return node_of(v)->depth;
}

void toml_free(toml_value *v)
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
            toml_free(v->u.array.items[i]);
        free(v->u.array.items);
        break;
    case TOML_TABLE:
        for (size_t i = 0; i < v->u.table.len; i++) {
            free(v->u.table.items[i].key);
            toml_free(v->u.table.items[i].value);
        }
        free(v->u.table.items);
        free(n->index);
        break;
    default:
        break;
    }
    free(n);
}


toml_keyval *toml_tree_find(const toml_value *t, const char *name, size_t len)
{
    const toml_node *n = node_of(t);
    toml_keyval *items = t->u.table.items;

    if (n->index) {
        size_t mask = n->index_cap - 1;
        for (size_t i = (size_t)hash_fnv1a(name, len) & mask;; i = (i + 1) & mask) {
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
    size_t i = (size_t)hash_fnv1a(kv->key, kv->key_len) & mask;
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

int toml_tree_insert(toml_value *t, char *name, size_t len, int line, int column, toml_value *v)
{
    toml_node *n = node_of(t);

    if (t->u.table.len == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 4;
        toml_keyval *items = realloc(t->u.table.items, cap * sizeof(*items));
        if (!items)
            return GW_ENOMEM;
        t->u.table.items = items;
        n->cap = cap;
    }
    toml_keyval *kv = &t->u.table.items[t->u.table.len++];
    kv->key = name;
    kv->key_len = len;
    kv->line = line;
    kv->column = column;
    kv->value = v;

    if (n->index && t->u.table.len * 2 <= n->index_cap)
        index_put(n, t->u.table.len - 1);
    else if (t->u.table.len >= TOML_INDEX_MIN)
        index_rebuild(n, n->index_cap ? n->index_cap * 2 : TOML_INDEX_MIN * 4);
    return 0;
}

int toml_tree_append(toml_value *a, toml_value *v)
{
    toml_node *n = node_of(a);

    if (a->u.array.len == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 4;
        toml_value **items = realloc(a->u.array.items, cap * sizeof(*items));
        if (!items)
            return GW_ENOMEM;
        a->u.array.items = items;
        n->cap = cap;
    }
    a->u.array.items[a->u.array.len++] = v;
    return 0;
}

const toml_keyval *toml_table_find(const toml_value *table, const char *key)
{
    if (!table || table->type != TOML_TABLE || !key)
        return NULL;
    /* A plain scan rather than the index: callers may hand in tables they
     * built themselves, which have no node around them. */
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

/* Append piece (n bytes) to the path in buf. Room for "..." is always
 * kept free, so what does not fit is cut (on a character boundary) and
 * marked without touching what the path already held: a caller can undo
 * an append by cutting the path back to its earlier length. */
static void path_put(char *buf, size_t size, const char *piece, size_t n)
{
    size_t len = strlen(buf);

    /* No key part ends in "...": a path that does was cut already. A
     * path longer than keep did not come from here; leave it alone. */
    if (size < 4 || len > size - 4 || (len >= 3 && memcmp(buf + len - 3, "...", 3) == 0))
        return;
    size_t keep = size - 4; /* text before a possible "..." */
    if (len + n <= keep) {
        memcpy(buf + len, piece, n);
        buf[len + n] = '\0';
        return;
    }
    size_t take = keep - len; /* < n, since len + n > keep */
    while (take > 0 && ((unsigned char)piece[take] & 0xC0) == 0x80)
        take--;
    memcpy(buf + len, piece, take);
    memcpy(buf + len + take, "...", 4);
}

void toml_path_key(char *buf, size_t size, const char *key, size_t key_len)
{
    /* Every byte may become a 4-byte escape, plus quotes and "...". */
    char q[TOML_PATH_QUOTE_MAX * 4 + 8];
    size_t i, o = 0;
    int bare = key_len > 0;

    for (i = 0; i < key_len; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            bare = 0;
    }
    if (buf[0])
        path_put(buf, size, ".", 1);
    if (bare) {
        path_put(buf, size, key, key_len);
        return;
    }
    q[o++] = '"';
    for (i = 0; i < key_len && i < TOML_PATH_QUOTE_MAX; i++) {
        unsigned char ch = (unsigned char)key[i];
        if (ch == '"' || ch == '\\') {
            q[o++] = '\\';
            q[o++] = (char)ch;
        } else if (ch == '\n') {
            q[o++] = '\\';
            q[o++] = 'n';
        } else if (ch == '\t') {
            q[o++] = '\\';
            q[o++] = 't';
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(q + o, 5, "\\x%02x", ch);
        } else {
            q[o++] = (char)ch;
        }
    }
    if (i < key_len) {
        memcpy(q + o, "...", 3);
        o += 3;
    }
    q[o++] = '"';
    path_put(buf, size, q, o);
}

void toml_path_index(char *buf, size_t size, size_t index)
{
    char piece[32];
    int n = snprintf(piece, sizeof(piece), "[%zu]", index);
    path_put(buf, size, piece, (size_t)n);
}
