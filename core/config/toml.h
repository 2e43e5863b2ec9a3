/* toml.h - a TOML 1.0 parser producing a read-only document tree.
 *
 * Why our own: Debian packages no C TOML library, and gateway.toml is the
 * first thing every user touches, so errors must carry line and column.
 *
 * The tree is plain structs, readable directly; every node records where
 * it came from so the config layer can point at the exact key. The whole
 * tree is owned by its root and freed with toml_free().
 */
#ifndef GW_TOML_H
#define GW_TOML_H

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

/* Parse error details; message names what was expected and what was found. */
typedef struct toml_error {
    int line, column; /* 1-based; 0 when not tied to a position */
    char message[256];
} toml_error;

/* Parse a whole document. Returns 0 and sets *out (caller frees with
 * toml_free) or a negative GW_E* code (GW_EPARSE for invalid TOML,
 * GW_ENOMEM) with err filled. text need not be NUL-terminated. */
int toml_parse(const char *text, size_t len, toml_value **out, toml_error *err);

/* Free a tree returned by toml_parse. NULL is a no-op. */
void toml_free(toml_value *root);

/* Look up a key in a table (no dotted paths). Returns the entry, borrowed
 * from the tree, or NULL when absent or when `table` is not a table. */
const toml_keyval *toml_table_find(const toml_value *table, const char *key);

/* A short lower-case name of a type for messages: "string", "integer",
 * "float", "boolean", "offset date-time", "local date-time", "local date",
 * "local time", "array", "table". Ownership: static string. */
const char *toml_type_name(toml_type type);

#endif /* GW_TOML_H */
