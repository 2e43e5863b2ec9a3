/* toml_tree.h - the TOML document tree: its types, the error a parse
 * reports, and the operations on a tree (building, lookup, freeing, naming
 * keys in messages).
 *
 * The bottom of the TOML parser: the lexer writes scalars into toml_value
 * and errors into toml_error, the parser links nodes into a tree with the
 * builders below. Everything here is public through config/toml.h except
 * the builders, which only the parser (toml.c) calls.
 *
 * The tree is plain structs, readable directly; every node records where
 * it came from so the config layer can point at the exact key. The whole
 * tree is owned by its root and freed with toml_free().
 */
#ifndef GW_TOML_TREE_H
#define GW_TOML_TREE_H

#include <stddef.h>
#include <stdint.h>

typedef enum toml_type {
    TOML_STRING = 1,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
    TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
    TOML_DATE_LOCAL,     /* 1979-05-27 */
    TOML_TIME_LOCAL,     /* 07:32:00 */
    TOML_ARRAY,
    TOML_TABLE
} toml_type;

typedef struct toml_datetime {
    int year, month, day;          /* date part, when the type has one */
    int hour, minute, second;      /* time part, when the type has one */
    int nanosecond;                /* fractional seconds, truncated to ns */
    int offset_minutes;            /* TOML_DATETIME only: UTC offset */
} toml_datetime;

typedef struct toml_value toml_value;

typedef struct toml_keyval {
    char *key;          /* UTF-8, NUL-terminated; may hold NULs, see key_len */
    size_t key_len;
    int line, column;   /* where the key (or [header]) was written, 1-based */
    toml_value *value;
} toml_keyval;

struct toml_value {
    toml_type type;
    int line, column; /* where the value starts, 1-based */
    union {
        struct { char *ptr; size_t len; } string; /* NUL-terminated too */
        int64_t integer;
        double floating;
        int boolean;
        toml_datetime datetime;
        struct { toml_value **items; size_t len; } array;
        struct { toml_keyval *items; size_t len; } table; /* in file order */
    } u;
};

/* Room for a key path in toml_error, its NUL included. */
#define TOML_PATH_MAX 256

/* Parse error details; message names what was expected and what was found. */
typedef struct toml_error {
    int line, column; /* 1-based; 0 when not tied to a position */
    char message[256];
    /* When the error lies inside a key's value: the key's path, written
     * as the config layer names keys ("gateway.poll_interval",
     * "account[0].options.token"; an array item adds "[2]"), and where the
     * innermost value being read starts (its line, column and byte offset
     * in the text). key is "" and the rest 0 otherwise. */
    char key[TOML_PATH_MAX];
    int value_line, value_column;
    size_t value_offset;
} toml_error;

/* Free a tree returned by toml_parse. NULL is a no-op. */
void toml_free(toml_value *root);

/* Look up a key in a table (no dotted paths). Returns the entry, borrowed
 * from the tree, or NULL when absent or when `table` is not a table. */
const toml_keyval *toml_table_find(const toml_value *table, const char *key);

/* A short lower-case name of a type for messages: "string", "integer",
 * "float", "boolean", "offset date-time", "local date-time", "local date",
 * "local time", "array", "table". Ownership: static string. */
const char *toml_type_name(toml_type type);

/* Append a key to the key path in buf (NUL-terminated, size bytes): a "."
 * when buf is not empty, then the key as written when it is bare
 * (A-Za-z0-9_-), otherwise double-quoted with '"', '\\' and control
 * characters escaped and cut after 60 bytes with "...". A path that does
 * not fit ends in "...". This is how every message names a key. */
void toml_path_key(char *buf, size_t size, const char *key, size_t key_len);

/* Append "[index]" to the key path in buf, as toml_path_key does. */
void toml_path_index(char *buf, size_t size, size_t index);

/* ---- building a tree (the parser only) -------------------------------- */

/* A new, empty value of `type` at depth `depth` (the root is 0) and the
 * given position. The caller owns it until it is linked into a tree, and
 * frees it with toml_free. Returns NULL when out of memory. */
toml_value *toml_tree_new(toml_type type, int depth, int line, int column);

/* Bits the parser keeps on a node (its own meanings; the tree only stores
 * them) and the node's depth. v must come from toml_tree_new. */
unsigned toml_tree_flags(const toml_value *v);
void toml_tree_add_flags(toml_value *v, unsigned flags);
int toml_tree_depth(const toml_value *v);

/* Find a key (len bytes, may hold NULs) in table t, which must come from
 * toml_tree_new; large tables use a hash index. Returns the entry,
 * borrowed and valid until the table grows, or NULL. */
toml_keyval *toml_tree_find(const toml_value *t, const char *name, size_t len);

/* Append an entry to table t. On success the table owns name and v; on
 * failure (GW_ENOMEM) the caller still does. No duplicate check. */
int toml_tree_insert(toml_value *t, char *name, size_t len, int line, int column, toml_value *v);

/* Append v to array a. On success a owns v; GW_ENOMEM otherwise. */
int toml_tree_append(toml_value *a, toml_value *v);

#endif /* GW_TOML_TREE_H */
