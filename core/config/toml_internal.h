/* toml_internal.h - the TOML parser's state and what its two files share:
 * toml.c reads the document (key/value lines, values, header lines) and
 * toml_tables.c decides which tables a dotted key or a header may create,
 * enter or define. Not for other modules: they use toml.h.
 */
#ifndef GW_TOML_INTERNAL_H
#define GW_TOML_INTERNAL_H

#include <stddef.h>

#include "config/toml_key.h"
#include "config/toml_lex.h"
#include "config/toml_tree.h"

/* How deep tables and arrays may nest. Bounds both the parser's recursion
 * on hostile input and the recursion of everyone walking the tree. */
#define TOML_MAX_DEPTH 256

/* What the parser records on a node (toml_tree_add_flags). */
enum {
    NODE_HEADER = 1u << 0, /* table defined by a [header] or [[header]] */
    NODE_DOTTED = 1u << 1, /* table created or entered by a dotted key */
    NODE_INLINE = 1u << 2, /* inline table: complete once its '}' is read */
    NODE_AOT = 1u << 3     /* array made by [[header]]: headers may append */
};

typedef struct toml_parser {
    toml_lexer lx;
    toml_value *root;
    toml_value *current; /* table that receives key/value lines */
    /* The key path of what is being read, as toml_path_key writes it: the
     * current table's after a header, plus the keys and array positions
     * of the value being read. Appends are undone by cutting it back. */
    char path[TOML_PATH_MAX];
} toml_parser;

static inline toml_value *value_new(toml_type type, int depth, toml_pos pos)
{
    return toml_tree_new(type, depth, pos.line, pos.column);
}

/* Link v into table t (see toml_tree_insert), recording a failure. */
static inline int table_insert(toml_parser *p, toml_value *t, char *name, size_t len, toml_pos pos,
                               toml_value *v)
{
    return toml_tree_insert(t, name, len, pos.line, pos.column, v) ? toml_lex_nomem(&p->lx) : 0;
}

static inline int array_append(toml_parser *p, toml_value *a, toml_value *v)
{
    return toml_tree_append(a, v) ? toml_lex_nomem(&p->lx) : 0;
}

/* The redefinition rules (toml_tables.c). Each returns 0, or GW_EPARSE
 * or GW_ENOMEM with the error recorded through p->lx. */

/* Into the table named by key part i of a key/value line's dotted key:
 * *t is the table it is in before, and the one it names after. */
int toml_tables_enter_dotted(toml_parser *p, toml_value **t, toml_key *key, size_t i);

/* For a header: *out is the table that will hold its last part; the
 * parts before it are appended to p->path. */
int toml_tables_header_parent(toml_parser *p, toml_key *key, toml_value **out);

/* [header] and [[header]] (opened at open) under parent, as
 * toml_tables_header_parent found it: p->current becomes the table that
 * receives the key/value lines that follow, and its name is appended to
 * p->path. */
int toml_tables_define(toml_parser *p, toml_value *parent, toml_key *key, toml_pos open);
int toml_tables_append(toml_parser *p, toml_value *parent, toml_key *key, toml_pos open);

#endif /* GW_TOML_INTERNAL_H */
