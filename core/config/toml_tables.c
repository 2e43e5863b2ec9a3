/* toml_tables.c - the TOML parser's rules for where a table may come
 * from: the implicit tables a dotted key or a header creates on its way,
 * a dotted key entering a table, [header] defining one and [[header]]
 * appending to an array of tables. Each refuses what TOML forbids (a
 * table defined twice, keys added to an inline table or to a table that
 * has its own header, a static array extended by a header, a key that
 * already holds a value) with a message that says where the first
 * definition is.
 *
 * toml.c reads the lines and calls these; the state they work on, and
 * the flags they read and set on nodes, are in toml_internal.h.
 */
#include "config/toml_internal.h"

#include "config/toml_key.h"
#include "config/toml_lex.h"
#include "config/toml_tree.h"

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

/* Create an empty table under t for key part i and link it in. The name
 * moves into the tree; the part keeps a borrowed pointer for messages. */
static int add_table(toml_parser *p, toml_value *t, toml_key *key, size_t i, unsigned flags,
                     toml_pos value_pos, toml_value **out)
{
    toml_key_part *part = &key->parts[i];
    int depth = toml_tree_depth(t) + 1;

    if (depth > TOML_MAX_DEPTH)
        return toml_lex_fail(&p->lx, part->offset, "tables nested deeper than %d levels",
                             TOML_MAX_DEPTH);
    toml_value *v = value_new(TOML_TABLE, depth, value_pos);
    if (!v)
        return toml_lex_nomem(&p->lx);
    toml_tree_add_flags(v, flags);
    int rc = table_insert(p, t, part->name, part->len, part->pos, v);
    if (rc) {
        toml_free(v);
        return rc;
    }
    part->owned = 0;
    *out = v;
    return 0;
}

/* Step from table *t into the table named by part i of a dotted key on a
 * key/value line, creating it when absent. */
int toml_tables_enter_dotted(toml_parser *p, toml_value **t, toml_key *key, size_t i)
{
    toml_key_part *part = &key->parts[i];
    char name[96];
    toml_keyval *kv = toml_tree_find(*t, part->name, part->len);

    if (!kv)
        return add_table(p, *t, key, i, NODE_DOTTED, part->pos, t);
    toml_value *v = kv->value;
    toml_key_display(key, i + 1, name, sizeof(name));
    if (v->type != TOML_TABLE)
        return toml_lex_fail(&p->lx, part->offset,
                             "cannot add keys to \"%s\": it is already %s (line %d, column %d)",
                             name, type_with_article(v->type), kv->line, kv->column);
    if (toml_tree_flags(v) & NODE_INLINE)
        return toml_lex_fail(&p->lx, part->offset,
                             "cannot add keys to inline table \"%s\" (line %d, column %d): an "
                             "inline table is complete where it is written",
                             name, kv->line, kv->column);
    if (toml_tree_flags(v) & NODE_HEADER)
        return toml_lex_fail(&p->lx, part->offset,
                             "cannot add keys to table \"%s\" with a dotted key: it has its own "
                             "header at line %d, column %d; put them there",
                             name, v->line, v->column);
    toml_tree_add_flags(v, NODE_DOTTED);
    *t = v;
    return 0;
}

/* Walk the parent parts of a header, creating implicit tables, and return
 * the table that will hold the last part. The path gets the parts, and an
 * array of tables the position of its last table, which is the one a
 * header inside it extends. */
int toml_tables_header_parent(toml_parser *p, toml_key *key, toml_value **out)
{
    char name[96];
    toml_value *t = p->root;

    for (size_t i = 0; i + 1 < key->len; i++) {
        toml_key_part *part = &key->parts[i];
        toml_keyval *kv = toml_tree_find(t, part->name, part->len);
        toml_path_key(p->path, sizeof(p->path), part->name, part->len);
        if (!kv) {
            int rc = add_table(p, t, key, i, 0, part->pos, &t);
            if (rc)
                return rc;
            continue;
        }
        toml_value *v = kv->value;
        toml_key_display(key, i + 1, name, sizeof(name));
        if (v->type == TOML_TABLE && (toml_tree_flags(v) & NODE_INLINE))
            return toml_lex_fail(&p->lx, part->offset,
                                 "cannot add a table to inline table \"%s\" (line %d, column "
                                 "%d): an inline table is complete where it is written",
                                 name, kv->line, kv->column);
        if (v->type == TOML_TABLE) {
            t = v;
        } else if (v->type == TOML_ARRAY && (toml_tree_flags(v) & NODE_AOT)) {
            t = v->u.array.items[v->u.array.len - 1];
            toml_path_index(p->path, sizeof(p->path), v->u.array.len - 1);
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
int toml_tables_define(toml_parser *p, toml_value *parent, toml_key *key, toml_pos open)
{
    toml_key_part *part = &key->parts[key->len - 1];
    char name[96];
    toml_keyval *kv = toml_tree_find(parent, part->name, part->len);

    toml_path_key(p->path, sizeof(p->path), part->name, part->len);
    if (!kv)
        return add_table(p, parent, key, key->len - 1, NODE_HEADER, open, &p->current);
    toml_value *v = kv->value;
    unsigned flags = toml_tree_flags(v);
    toml_key_display(key, key->len, name, sizeof(name));
    if (v->type == TOML_TABLE && !(flags & (NODE_HEADER | NODE_DOTTED | NODE_INLINE))) {
        /* Named before only as the parent of another header: this is its
         * definition, so the table now starts here. */
        toml_tree_add_flags(v, NODE_HEADER);
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
int toml_tables_append(toml_parser *p, toml_value *parent, toml_key *key, toml_pos open)
{
    toml_key_part *part = &key->parts[key->len - 1];
    char name[96];
    toml_keyval *kv = toml_tree_find(parent, part->name, part->len);
    toml_value *array;
    int depth = toml_tree_depth(parent) + 1;
    int rc;

    if (kv) {
        array = kv->value;
        toml_key_display(key, key->len, name, sizeof(name));
        if (array->type == TOML_ARRAY && !(toml_tree_flags(array) & NODE_AOT))
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
        toml_tree_add_flags(array, NODE_AOT);
        if ((rc = table_insert(p, parent, part->name, part->len, part->pos, array))) {
            toml_free(array);
            return rc;
        }
        part->owned = 0;
    }

    toml_value *t = value_new(TOML_TABLE, toml_tree_depth(array) + 1, open);
    if (!t)
        return toml_lex_nomem(&p->lx);
    toml_tree_add_flags(t, NODE_HEADER);
    if ((rc = array_append(p, array, t))) {
        toml_free(t);
        return rc;
    }
    p->current = t;
    toml_path_key(p->path, sizeof(p->path), part->name, part->len);
    toml_path_index(p->path, sizeof(p->path), array->u.array.len - 1);
    return 0;
}
