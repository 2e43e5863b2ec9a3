/* toml.c - the structural half of the TOML 1.0 parser: reads the document
 * line by line (key/value lines, arrays, inline tables, [header] and
 * [[header]] lines), builds the toml_value tree and refuses a key defined
 * twice in one table. Which tables a dotted key or a header may create,
 * enter or define (redefined tables, inline tables being complete, static
 * arrays, dotted keys versus headers) is toml_tables.c's.
 *
 * Tokens come from the lexer (toml_lex.c, toml_string.c, toml_scalar.c),
 * keys from toml_key.c, nodes from toml_tree.c; the parser's state is in
 * toml_internal.h. The tree is owned by its root until toml_free(). While
 * reading a value the parser keeps the key path of where it is, so an
 * error inside a value names the key.
 */
#include "config/toml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "config/toml_internal.h"
#include "config/toml_key.h"
#include "config/toml_lex.h"
#include "config/toml_scalar.h"

static int parse_value(toml_parser *p, int depth, toml_value **out);

/* One `key = value` into table t (the current table, or an inline table
 * being read). */
static int parse_keyval(toml_parser *p, toml_value *t)
{
    toml_lexer *lx = &p->lx;
    toml_key key = {0};
    char name[96];
    char d[TOML_LEX_DESCRIBE_SIZE];
    toml_value *v = NULL;
    size_t outer = strlen(p->path);
    int rc;

    if ((rc = toml_key_read(&p->lx, &key)))
        goto fail;
    if (toml_lex_peek(lx) != '=') {
        rc = toml_lex_fail(lx, lx->pos, "expected '=' after key \"%s\", found %s",
                           toml_key_display(&key, key.len, name, sizeof(name)),
                           toml_lex_describe(lx, lx->pos, d));
        goto fail;
    }
    lx->pos++;
    toml_lex_skip_space(lx);
    for (size_t i = 0; i + 1 < key.len; i++)
        if ((rc = toml_tables_enter_dotted(p, &t, &key, i)))
            goto fail;

    toml_key_part *last = &key.parts[key.len - 1];
    toml_keyval *kv = toml_tree_find(t, last->name, last->len);
    if (kv) {
        rc = toml_lex_fail(lx, last->offset,
                           "duplicate key \"%s\" (first defined at line %d, "
                           "column %d)",
                           toml_key_display(&key, key.len, name, sizeof(name)), kv->line,
                           kv->column);
        goto fail;
    }
    for (size_t i = 0; i < key.len; i++)
        toml_path_key(p->path, sizeof(p->path), key.parts[i].name, key.parts[i].len);
    if ((rc = parse_value(p, toml_tree_depth(t) + 1, &v)))
        goto fail;
    if ((rc = table_insert(p, t, last->name, last->len, last->pos, v)))
        goto fail;
    last->owned = 0;
    toml_key_free(&key);
    p->path[outer] = '\0';
    return 0;

fail:
    toml_free(v);
    toml_key_free(&key);
    p->path[outer] = '\0';
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
        size_t outer = strlen(p->path);
        if (toml_lex_at_end(lx)) {
            rc = toml_lex_fail(lx, lx->pos,
                               "unterminated array (opened at line %d, column %d): "
                               "expected ']', found end of file",
                               pos.line, pos.column);
            goto fail;
        }
        toml_path_index(p->path, sizeof(p->path), a->u.array.len);
        rc = parse_value(p, depth + 1, &item);
        p->path[outer] = '\0';
        if (rc)
            goto fail;
        if ((rc = array_append(p, a, item))) {
            toml_free(item);
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
    toml_free(a);
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
    toml_tree_add_flags(t, NODE_INLINE);
    *out = t;
    return 0;

fail:
    toml_free(t);
    return rc;
}

/* The value at the cursor, which starts at pos. */
static int read_value(toml_parser *p, int depth, toml_pos pos, toml_value **out)
{
    toml_lexer *lx = &p->lx;
    int c = toml_lex_peek(lx);

    if (c == '[')
        return parse_array(p, depth, pos, out);
    if (c == '{')
        return parse_inline_table(p, depth, pos, out);
    toml_value *v = value_new(TOML_BOOL, depth, pos);
    if (!v)
        return toml_lex_nomem(lx);
    int rc = toml_scalar_scan(lx, v);
    if (rc) {
        /* A failed scan owns nothing, but it may have left a type and a
         * half-written union that disagree; free it as a plain node. */
        v->type = TOML_BOOL;
        toml_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* Parse the value at the cursor. depth is the nesting level it will have
 * in the tree. On success *out is owned by the caller. On a parse error
 * the error names the key path of the innermost value it lies in, and
 * where that value starts, unless a value nested deeper already did. */
static int parse_value(toml_parser *p, int depth, toml_value **out)
{
    toml_error *err = p->lx.err;
    size_t start = p->lx.pos;
    toml_pos pos = toml_lex_pos_at(&p->lx, start);
    int rc = read_value(p, depth, pos, out);

    if (rc == GW_EPARSE && !err->key[0] && p->path[0]) {
        memcpy(err->key, p->path, sizeof(err->key));
        err->value_line = pos.line;
        err->value_column = pos.column;
        err->value_offset = start;
    }
    return rc;
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
    if ((rc = toml_key_read(&p->lx, &key)))
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
    p->path[0] = '\0'; /* key/value lines after a header start from it */
    if ((rc = toml_tables_header_parent(p, &key, &parent)))
        goto done;
    rc =
        aot ? toml_tables_append(p, parent, &key, open) : toml_tables_define(p, parent, &key, open);
    if (rc)
        goto done;
    rc = expect_line_end(p, aot ? "an array of tables header" : "a table header");
done:
    toml_key_free(&key);
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
    p.path[0] = '\0';

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
    toml_free(p.root);
    return rc;
}
