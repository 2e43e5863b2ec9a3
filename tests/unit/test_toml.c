/* test_toml.c - the TOML parser: tree shape, the line and column of every
 * key, header and value, value decoding, and the position and wording of
 * the errors users actually make. Full grammar coverage comes from the
 * toml-test conformance suite; this file pins what the config layer relies
 * on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "config/toml.h"

static toml_value *parse_ok(const char *text)
{
    toml_value *doc = NULL;
    toml_error err;
    int rc = toml_parse(text, strlen(text), &doc, &err);
    if (rc != 0)
        fail_msg("unexpected error %d at %d:%d: %s", rc, err.line, err.column, err.message);
    assert_non_null(doc);
    return doc;
}

/* Parse text that must fail and check where and why. */
static void expect_error(const char *text, size_t len, int line, int column, const char *message)
{
    toml_value *doc = (toml_value *)(uintptr_t)1;
    toml_error err;
    int rc = toml_parse(text, len, &doc, &err);
    if (rc == 0)
        toml_free(doc);
    assert_int_equal(rc, GW_EPARSE);
    assert_null(doc);
    assert_string_equal(err.message, message);
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, column);
}

#define EXPECT_ERROR(text, line, column, message)                                                  \
    expect_error(text, sizeof(text) - 1, line, column, message)

static const toml_keyval *entry(const toml_value *table, const char *key)
{
    const toml_keyval *kv = toml_table_find(table, key);
    if (!kv)
        fail_msg("key \"%s\" not found", key);
    return kv;
}

static void assert_key_at(const toml_keyval *kv, int line, int column)
{
    if (kv->line != line || kv->column != column)
        fail_msg("key \"%s\" at %d:%d, expected %d:%d", kv->key, kv->line, kv->column, line,
                 column);
}

static void assert_value_at(const toml_value *v, int line, int column)
{
    if (v->line != line || v->column != column)
        fail_msg("%s value at %d:%d, expected %d:%d", toml_type_name(v->type), v->line, v->column,
                 line, column);
}

static const char representative[] = "# gateway.toml\n"                       /* 1 */
                                     "title = \"Gateway\"\n"                  /* 2 */
                                     "  port = 8_080   # admin\n"             /* 3 */
                                     "\n"                                     /* 4 */
                                     "[server]\n"                             /* 5 */
                                     "host = \"h\xC3\xA9llo\"\n"              /* 6 */
                                     "limits = { s = \"\xC3\xA9\", n = 1 }\n" /* 7 */
                                     "[[account]]\n"                          /* 8 */
                                     "network = \"mock\"\n"                   /* 9 */
                                     "[[ account ]]\n"                        /* 10 */
                                     "[a.b.c]\n"                              /* 11 */
                                     "[a]\n"                                  /* 12 */
                                     "x.y = 2020-02-29T12:00:00.5+01:30\n"    /* 13 */
                                     "list = [\n"                             /* 14 */
                                     "  1,  # one\n"                          /* 15 */
                                     "  \"two\",\n"                           /* 16 */
                                     "]\n";                                   /* 17 */

static void test_tree_shape_and_order(void **state)
{
    (void)state;
    toml_value *doc = parse_ok(representative);

    assert_int_equal(doc->type, TOML_TABLE);
    assert_int_equal(doc->u.table.len, 5);
    const char *order[] = {"title", "port", "server", "account", "a"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(doc->u.table.items[i].key, order[i]);

    const toml_value *title = entry(doc, "title")->value;
    assert_int_equal(title->type, TOML_STRING);
    assert_string_equal(title->u.string.ptr, "Gateway");
    assert_int_equal(title->u.string.len, 7);
    assert_int_equal(entry(doc, "port")->value->u.integer, 8080);

    const toml_value *server = entry(doc, "server")->value;
    assert_int_equal(server->type, TOML_TABLE);
    assert_string_equal(entry(server, "host")->value->u.string.ptr, "h\xC3\xA9llo");
    const toml_value *limits = entry(server, "limits")->value;
    assert_int_equal(limits->type, TOML_TABLE);
    assert_int_equal(limits->u.table.len, 2);
    assert_string_equal(limits->u.table.items[0].key, "s");
    assert_string_equal(limits->u.table.items[1].key, "n");

    const toml_value *accounts = entry(doc, "account")->value;
    assert_int_equal(accounts->type, TOML_ARRAY);
    assert_int_equal(accounts->u.array.len, 2);
    assert_int_equal(accounts->u.array.items[0]->type, TOML_TABLE);
    assert_string_equal(entry(accounts->u.array.items[0], "network")->value->u.string.ptr, "mock");
    assert_int_equal(accounts->u.array.items[1]->u.table.len, 0);

    const toml_value *a = entry(doc, "a")->value;
    assert_int_equal(a->u.table.len, 3);
    assert_string_equal(a->u.table.items[0].key, "b");
    assert_string_equal(a->u.table.items[1].key, "x");
    assert_string_equal(a->u.table.items[2].key, "list");
    const toml_value *c = entry(entry(a, "b")->value, "c")->value;
    assert_int_equal(c->type, TOML_TABLE);
    assert_int_equal(c->u.table.len, 0);

    const toml_value *y = entry(entry(a, "x")->value, "y")->value;
    assert_int_equal(y->type, TOML_DATETIME);
    assert_int_equal(y->u.datetime.year, 2020);
    assert_int_equal(y->u.datetime.month, 2);
    assert_int_equal(y->u.datetime.day, 29);
    assert_int_equal(y->u.datetime.hour, 12);
    assert_int_equal(y->u.datetime.nanosecond, 500000000);
    assert_int_equal(y->u.datetime.offset_minutes, 90);

    const toml_value *list = entry(a, "list")->value;
    assert_int_equal(list->type, TOML_ARRAY);
    assert_int_equal(list->u.array.len, 2);
    assert_int_equal(list->u.array.items[0]->u.integer, 1);
    assert_string_equal(list->u.array.items[1]->u.string.ptr, "two");

    assert_null(toml_table_find(doc, "missing"));
    assert_null(toml_table_find(title, "title"));
    assert_null(toml_table_find(NULL, "title"));
    toml_free(doc);
}

static void test_positions_of_keys_values_and_headers(void **state)
{
    (void)state;
    toml_value *doc = parse_ok(representative);

    assert_value_at(doc, 1, 1);
    assert_key_at(entry(doc, "title"), 2, 1);
    assert_value_at(entry(doc, "title")->value, 2, 9);
    assert_key_at(entry(doc, "port"), 3, 3);
    assert_value_at(entry(doc, "port")->value, 3, 10);

    /* [server]: the key where the header names it, the table at '['. */
    const toml_keyval *server = entry(doc, "server");
    assert_key_at(server, 5, 2);
    assert_value_at(server->value, 5, 1);
    assert_key_at(entry(server->value, "host"), 6, 1);
    assert_value_at(entry(server->value, "host")->value, 6, 8);

    /* Columns count characters: the two-byte e-acute is one column. */
    const toml_keyval *limits = entry(server->value, "limits");
    assert_key_at(limits, 7, 1);
    assert_value_at(limits->value, 7, 10);
    assert_key_at(entry(limits->value, "s"), 7, 12);
    assert_value_at(entry(limits->value, "s")->value, 7, 16);
    assert_key_at(entry(limits->value, "n"), 7, 21);
    assert_value_at(entry(limits->value, "n")->value, 7, 25);

    /* [[account]]: the array's key at its first header; each element at
     * the '[[' that opened it. */
    const toml_keyval *account = entry(doc, "account");
    assert_key_at(account, 8, 3);
    assert_value_at(account->value, 8, 1);
    assert_value_at(account->value->u.array.items[0], 8, 1);
    assert_value_at(account->value->u.array.items[1], 10, 1);
    assert_key_at(entry(account->value->u.array.items[0], "network"), 9, 1);

    /* [a.b.c] names a and b first (implicitly); [a] later defines a, so
     * the table starts there while the key keeps its first mention. */
    const toml_keyval *a = entry(doc, "a");
    assert_key_at(a, 11, 2);
    assert_value_at(a->value, 12, 1);
    const toml_keyval *b = entry(a->value, "b");
    assert_key_at(b, 11, 4);
    assert_value_at(b->value, 11, 4);
    const toml_keyval *c = entry(b->value, "c");
    assert_key_at(c, 11, 6);
    assert_value_at(c->value, 11, 1);

    /* Dotted keys: each part where it is written. */
    const toml_keyval *x = entry(a->value, "x");
    assert_key_at(x, 13, 1);
    assert_value_at(x->value, 13, 1);
    assert_key_at(entry(x->value, "y"), 13, 3);
    assert_value_at(entry(x->value, "y")->value, 13, 7);

    /* A multi-line array: elements on their own lines. */
    const toml_keyval *list = entry(a->value, "list");
    assert_key_at(list, 14, 1);
    assert_value_at(list->value, 14, 8);
    assert_value_at(list->value->u.array.items[0], 15, 3);
    assert_value_at(list->value->u.array.items[1], 16, 3);
    toml_free(doc);
}

static void test_positions_after_multiline_strings_bom_and_crlf(void **state)
{
    (void)state;
    toml_value *doc = parse_ok("\xEF\xBB\xBF"
                               "s = \"\"\"\r\n"
                               "one\r\n"
                               "two\"\"\"\r\n"
                               "k = 'x'\r\n");
    assert_key_at(entry(doc, "s"), 1, 1);
    assert_string_equal(entry(doc, "s")->value->u.string.ptr, "one\ntwo");
    assert_key_at(entry(doc, "k"), 4, 1);
    assert_value_at(entry(doc, "k")->value, 4, 5);
    toml_free(doc);
}

static void test_scalar_values(void **state)
{
    (void)state;
    toml_value *doc = parse_ok("max = 9223372036854775807\n"
                               "min = -9223372036854775808\n"
                               "hex = 0xdead_BEEF\n"
                               "oct = 0o755\n"
                               "bin = 0b1101\n"
                               "f = -1_000.5e-3\n"
                               "pinf = +inf\n"
                               "ninf = -inf\n"
                               "qnan = nan\n"
                               "yes = true\n"
                               "no = false\n"
                               "ld = 2024-02-29\n"
                               "lt = 23:59:60.123456789999\n"
                               "ldt = 1979-05-27 07:32:00\n"
                               "odt = 1979-05-27t07:32:00z\n"
                               "neg = 1979-05-27T00:32:00-07:00\n");
    assert_int_equal(entry(doc, "max")->value->u.integer, INT64_MAX);
    assert_true(entry(doc, "min")->value->u.integer == INT64_MIN);
    assert_int_equal(entry(doc, "hex")->value->u.integer, 0xdeadbeef);
    assert_int_equal(entry(doc, "oct")->value->u.integer, 0755);
    assert_int_equal(entry(doc, "bin")->value->u.integer, 13);
    assert_int_equal(entry(doc, "f")->value->type, TOML_FLOAT);
    assert_true(entry(doc, "f")->value->u.floating == -1.0005);
    assert_true(isinf(entry(doc, "pinf")->value->u.floating));
    assert_true(entry(doc, "ninf")->value->u.floating < 0);
    assert_true(isnan(entry(doc, "qnan")->value->u.floating));
    assert_int_equal(entry(doc, "yes")->value->u.boolean, 1);
    assert_int_equal(entry(doc, "no")->value->u.boolean, 0);

    const toml_value *ld = entry(doc, "ld")->value;
    assert_int_equal(ld->type, TOML_DATE_LOCAL);
    assert_int_equal(ld->u.datetime.day, 29);
    const toml_value *lt = entry(doc, "lt")->value;
    assert_int_equal(lt->type, TOML_TIME_LOCAL);
    assert_int_equal(lt->u.datetime.second, 60);
    assert_int_equal(lt->u.datetime.nanosecond, 123456789);
    assert_int_equal(entry(doc, "ldt")->value->type, TOML_DATETIME_LOCAL);
    assert_int_equal(entry(doc, "odt")->value->type, TOML_DATETIME);
    assert_int_equal(entry(doc, "odt")->value->u.datetime.offset_minutes, 0);
    assert_int_equal(entry(doc, "neg")->value->u.datetime.offset_minutes, -420);
    assert_string_equal(toml_type_name(entry(doc, "odt")->value->type), "offset date-time");
    assert_string_equal(toml_type_name(TOML_BOOL), "boolean");
    toml_free(doc);
}

static void test_strings_and_escapes(void **state)
{
    (void)state;
    toml_value *doc = parse_ok("e = \"\\b\\t\\n\\f\\r\\\"\\\\ \\u00E9 \\U0001F600\"\n"
                               "nul = \"a\\u0000b\"\n"
                               "\"k\\u0000ey\" = 1\n"
                               "lit = 'C:\\path'\n"
                               "ml = \"\"\"\n"
                               "first \\\n"
                               "    second\"\"\"\"\"\n"
                               "mll = '''\n"
                               "raw \\n ''\n"
                               "'''\n");
    assert_string_equal(entry(doc, "e")->value->u.string.ptr,
                        "\b\t\n\f\r\"\\ \xC3\xA9 \xF0\x9F\x98\x80");
    const toml_value *nul = entry(doc, "nul")->value;
    assert_int_equal(nul->u.string.len, 3);
    assert_memory_equal(nul->u.string.ptr, "a\0b", 4);
    const toml_keyval *kv = &doc->u.table.items[2];
    assert_int_equal(kv->key_len, 4);
    assert_memory_equal(kv->key, "k\0ey", 5);
    assert_string_equal(entry(doc, "lit")->value->u.string.ptr, "C:\\path");
    assert_string_equal(entry(doc, "ml")->value->u.string.ptr, "first second\"\"");
    assert_string_equal(entry(doc, "mll")->value->u.string.ptr, "raw \\n ''\n");
    toml_free(doc);
}

static void test_many_keys_are_found_and_duplicates_caught(void **state)
{
    (void)state;
    size_t cap = 64 * 1024, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(text + n, cap - n, "key_%d = %d\n", i, i);

    toml_value *doc = NULL;
    toml_error err;
    assert_int_equal(toml_parse(text, n, &doc, &err), 0);
    assert_int_equal(doc->u.table.len, 2000);
    for (int i = 0; i < 2000; i += 7) {
        char key[32];
        snprintf(key, sizeof(key), "key_%d", i);
        const toml_keyval *kv = entry(doc, key);
        assert_int_equal(kv->value->u.integer, i);
        assert_key_at(kv, i + 1, 1);
    }
    toml_free(doc);

    n += (size_t)snprintf(text + n, cap - n, "key_1234 = 0\n");
    expect_error(text, n, 2001, 1,
                 "duplicate key \"key_1234\" (first defined at line 1235, "
                 "column 1)");
    free(text);
}

static void test_user_mistakes(void **state)
{
    (void)state;
    EXPECT_ERROR("name\n", 1, 5, "expected '=' after key \"name\", found newline");
    EXPECT_ERROR("name \"x\"\n", 1, 6, "expected '=' after key \"name\", found '\"'");
    EXPECT_ERROR("a = \n", 1, 5, "expected a value, found newline");
    EXPECT_ERROR("mode = fast\n", 1, 8, "expected a value, found 'fast' (strings need quotes)");
    EXPECT_ERROR("a = \"abc\nb = 1\n", 1, 5,
                 "unterminated string: expected closing '\"' before the end of the line, found "
                 "newline");
    EXPECT_ERROR("a = \"\"\"abc\n\n", 1, 5,
                 "unterminated string: expected closing \"\"\", found end of file");
    EXPECT_ERROR("a = 1\nb = 2\na = 3\n", 3, 1,
                 "duplicate key \"a\" (first defined at line 1, column 1)");
    EXPECT_ERROR("[srv]\nport.tcp = 1\nport.tcp = 2\n", 3, 6,
                 "duplicate key \"port.tcp\" (first defined at line 2, column 6)");
    EXPECT_ERROR("path = \"C:\\data\"\n", 1, 11,
                 "invalid escape sequence: '\\' followed by 'd' (valid: \\b \\t \\n \\f \\r \\\" "
                 "\\\\ \\uXXXX \\UXXXXXXXX)");
    EXPECT_ERROR("s = \"\\uD800\"\n", 1, 6,
                 "invalid escape \\uD800: surrogate code points are not characters");
    EXPECT_ERROR("s = \"\\U00110000\"\n", 1, 6, "invalid escape \\U00110000: beyond U+10FFFF");
    EXPECT_ERROR("[server]\nport = 1\n\n[server]\n", 4, 2,
                 "table [server] is defined twice (first at line 1, column 1)");
    EXPECT_ERROR("n = 9223372036854775808\n", 1, 5, "integer 9223372036854775808 is out of range");
    EXPECT_ERROR("n = 0x8000000000000000\n", 1, 5, "integer 0x8000000000000000 is out of range");
    EXPECT_ERROR("n = 007\n", 1, 5, "invalid number: leading zeros are not allowed");
    EXPECT_ERROR("n = 1__000\n", 1, 6, "invalid number: '_' must be between two digits");
    EXPECT_ERROR("d = 2023-02-29\n", 1, 5, "invalid date: 2023-02 has no day 29");
    EXPECT_ERROR("d = 2023-13-01\n", 1, 5, "invalid date: month 13 is not in 01-12");
    EXPECT_ERROR("t = 24:00:00\n", 1, 5, "invalid time: 24:00:00 is out of range");
    EXPECT_ERROR("t = 12:30\n", 1, 10,
                 "invalid date or time: expected ':' after the minute, found newline");
    EXPECT_ERROR("t = { a = 1, }\n", 1, 12, "trailing comma is not allowed in an inline table");
    EXPECT_ERROR("t = { a = 1,\n  b = 2 }\n", 1, 13,
                 "expected a key in inline table, found newline (an inline table must be on "
                 "one line)");
    EXPECT_ERROR("t = { a = 1\n", 1, 12,
                 "expected ',' or '}' in inline table, found newline (an inline table must be "
                 "on one line)");
    EXPECT_ERROR("a = \"\xC3\x28\"\n", 1, 6,
                 "invalid UTF-8: byte 0x28 after 0xC3 is not a continuation byte");
    EXPECT_ERROR("# caf\xC3\xA9\nx = 1\n\xFF = 2\n", 3, 1,
                 "invalid UTF-8: byte 0xFF cannot start a character");
    EXPECT_ERROR("a = [1 2]\n", 1, 8, "expected ',' or ']' after an array element, found '2'");
    EXPECT_ERROR("[server\nport = 1\n", 1, 8,
                 "expected ']' to close the table header, found newline");
    EXPECT_ERROR("a = 1 b = 2\n", 1, 7, "expected end of line after a value, found 'b'");
    EXPECT_ERROR("a = 1 # bell \x07\n", 1, 14,
                 "control character U+0007 is not allowed in a comment");
    EXPECT_ERROR("a = 1\rb = 2\n", 1, 6,
                 "expected end of line after a value, found carriage return without a "
                 "following newline");
    EXPECT_ERROR("k = \"\xC3\xBC\" x\n", 1, 9, "expected end of line after a value, found 'x'");
}

static void test_long_and_quoted_keys_in_messages(void **state)
{
    (void)state;
    char text[512], want[256];
    char key[151];
    memset(key, 'k', 150);
    key[150] = '\0';
    size_t n = (size_t)snprintf(text, sizeof(text), "%s = 1\n%s = 2\n", key, key);
    /* Keys longer than the message allows are cut with "...". */
    snprintf(want, sizeof(want), "duplicate key \"%.92s...\" (first defined at line 1, column 1)",
             key);
    expect_error(text, n, 2, 1, want);

    EXPECT_ERROR("site.\"example.com\" = 1\nsite.'example.com' = 2\n", 2, 6,
                 "duplicate key \"site.'example.com'\" (first defined at line 1, column 6)");
}

/* Parse text that must fail inside a value, and check where, under which
 * key path, and where that value starts. */
static void expect_value_error(const char *text, int line, int column, const char *key,
                               int value_line, int value_column)
{
    toml_value *doc = NULL;
    toml_error err;
    int rc = toml_parse(text, strlen(text), &doc, &err);
    if (rc == 0)
        toml_free(doc);
    assert_int_equal(rc, GW_EPARSE);
    assert_string_equal(err.key, key);
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, column);
    assert_int_equal(err.value_line, value_line);
    assert_int_equal(err.value_column, value_column);
}

static void test_value_errors_name_the_key(void **state)
{
    (void)state;
    expect_value_error("a = 5s\n", 1, 6, "a", 1, 5);
    expect_value_error("[t]\nx.y = \"abc\n", 2, 7, "t.x.y", 2, 7);
    /* A header resets the path; an array of tables adds the position of
     * its current table, an array its item's. */
    expect_value_error("[x]\n[y]\nz = @\n", 3, 5, "y.z", 3, 5);
    expect_value_error("[[fruit]]\nname = \"apple\"\n[fruit.physical]\ncolor = red\n", 4, 9,
                       "fruit[0].physical.color", 4, 9);
    expect_value_error("[[a]]\n[[a]]\n[a.b]\nc = [1, [2, 3x]]\n", 4, 14, "a[1].b.c[1][1]", 4, 13);
    expect_value_error("[[a.b]]\n[[a.b]]\n[[a.b]]\nc = 1x\n", 4, 6, "a.b[2].c", 4, 5);
    expect_value_error("a = [\n  1,\n  2x,\n]\n", 3, 4, "a[1]", 3, 3);
    expect_value_error("p = {q = {r = tru}}\n", 1, 15, "p.q.r", 1, 15);
    /* An error in an inline table's own syntax names the table's key. */
    expect_value_error("p = {a = 1, a = 2}\n", 1, 13, "p", 1, 5);
    expect_value_error("a = [1, 2\n", 2, 1, "a", 1, 5);
    /* Keys that are not bare are quoted as the config layer quotes them. */
    expect_value_error("\"a b\".'c\"d' = @\n", 1, 15, "\"a b\".\"c\\\"d\"", 1, 15);

    /* Outside a value: no key, no value position. */
    const char *outside[] = {"a = 1 x\n", "[a\n", "a = 1\na = 2\n", "= 1\n", "a.b = 1\na = 2\n"};
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
        toml_value *doc = NULL;
        toml_error err;
        assert_int_equal(toml_parse(outside[i], strlen(outside[i]), &doc, &err), GW_EPARSE);
        assert_string_equal(err.key, "");
        assert_int_equal(err.value_line, 0);
    }
}

static void test_long_key_path_is_cut(void **state)
{
    (void)state;
    char text[700], key[301];
    toml_value *doc = NULL;
    toml_error err;

    memset(key, 'k', 300);
    key[300] = '\0';
    snprintf(text, sizeof(text), "[t]\n%s = @\n", key);
    assert_int_equal(toml_parse(text, strlen(text), &doc, &err), GW_EPARSE);
    /* "t." and as much of the key as fits, then "...". */
    assert_int_equal(strlen(err.key), sizeof(err.key) - 1);
    assert_memory_equal(err.key, "t.kkkk", 6);
    assert_string_equal(err.key + sizeof(err.key) - 4, "...");

    /* A cut never splits a character, wherever the cut falls. */
    for (int shift = 1; shift <= 4; shift++) {
        char wide[400];
        size_t w = (size_t)snprintf(wide, sizeof(wide), "%.*s", shift, "kkkk");
        for (int part = 0; part < 6; part++) {
            w += (size_t)snprintf(wide + w, sizeof(wide) - w, ".\"");
            for (int i = 0; i < 25; i++)
                w += (size_t)snprintf(wide + w, sizeof(wide) - w, "\xC3\xA9");
            w += (size_t)snprintf(wide + w, sizeof(wide) - w, "\"");
        }
        snprintf(text, sizeof(text), "%s = @\n", wide);
        assert_int_equal(toml_parse(text, strlen(text), &doc, &err), GW_EPARSE);
        size_t n = strlen(err.key);
        assert_true(n >= 4 && n < sizeof(err.key));
        assert_string_equal(err.key + n - 3, "...");
        /* Every 0xC3 is followed by its continuation byte. */
        for (size_t i = 0; i + 3 < n; i++)
            if ((unsigned char)err.key[i] == 0xC3)
                assert_int_equal((unsigned char)err.key[i + 1], 0xA9);
        assert_true((unsigned char)err.key[n - 4] != 0xC3);
    }
}

static void test_redefinition_rules(void **state)
{
    (void)state;
    EXPECT_ERROR("a.b = 1\n[a]\n", 2, 2,
                 "table [a] is already defined by dotted keys at line 1, column 1; a header "
                 "cannot reopen it");
    EXPECT_ERROR("[a.b]\nc = 1\n[a]\nb.d = 2\n", 4, 1,
                 "cannot add keys to table \"b\" with a dotted key: it has its own header at "
                 "line 1, column 1; put them there");
    /* The earlier definition is the header that defined the table, not
     * the header that first named it as a parent. */
    EXPECT_ERROR("[a.b.c]\n\n[a.b]\n[a]\nb.x = 1\n", 5, 1,
                 "cannot add keys to table \"b\" with a dotted key: it has its own header at "
                 "line 3, column 1; put them there");
    EXPECT_ERROR("[a.b]\n[a]\n[a]\n", 3, 2,
                 "table [a] is defined twice (first at line 2, column 1)");
    EXPECT_ERROR("t = { x = 1 }\n[t.y]\n", 2, 2,
                 "cannot add a table to inline table \"t\" (line 1, column 1): an inline table "
                 "is complete where it is written");
    EXPECT_ERROR("t = { x = 1 }\nt.y = 2\n", 2, 1,
                 "cannot add keys to inline table \"t\" (line 1, column 1): an inline table is "
                 "complete where it is written");
    EXPECT_ERROR("t = { x = 1 }\n[t]\n", 2, 2,
                 "table [t] is already defined as an inline table at line 1, column 1");
    EXPECT_ERROR("a = [1]\n[[a]]\n", 2, 3,
                 "cannot append a table to \"a\": it is a static array (line 1, column 1), not an "
                 "array of tables");
    EXPECT_ERROR(
        "[[a]]\n[a]\n", 2, 2,
        "table [a] conflicts with an array of tables of the same name at line 1, column 3");
    EXPECT_ERROR("[a]\n[[a]]\n", 2, 3,
                 "cannot define array of tables [[a]]: the key is already a table (line 1, "
                 "column 2)");
    EXPECT_ERROR("a = 1\n[a.b]\n", 2, 2,
                 "cannot add a table to \"a\": it is already an integer (line 1, column 1)");
    EXPECT_ERROR("a = false\na.b = true\n", 2, 1,
                 "cannot add keys to \"a\": it is already a boolean (line 1, column 1)");

    /* What the spec allows: headers below dotted tables, [[ ]] appends,
     * defining an implicit parent later. */
    toml_value *doc = parse_ok("[fruit]\napple.color = 'red'\n[fruit.apple.texture]\n"
                               "smooth = true\n[[x.y]]\n[[x.y]]\n[x]\nz = 1\n");
    assert_int_equal(entry(entry(doc, "x")->value, "y")->value->u.array.len, 2);
    toml_free(doc);
}

static void test_nesting_limit(void **state)
{
    (void)state;
    char text[1200];
    size_t n = (size_t)snprintf(text, sizeof(text), "a = ");
    for (int i = 0; i < 300; i++)
        text[n++] = '[';
    /* Depth 1 is the array that is a's value; the 257th bracket is too deep. */
    expect_error(text, n, 1, 4 + 257, "arrays and tables nested deeper than 256 levels");

    n = (size_t)snprintf(text, sizeof(text), "[t");
    for (int i = 1; i < 300; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, ".t");
    n += (size_t)snprintf(text + n, sizeof(text) - n, "]\n");
    expect_error(text, n, 1, 2 + 256 * 2, "tables nested deeper than 256 levels");

    /* Exactly at the limit is fine. */
    n = (size_t)snprintf(text, sizeof(text), "a = ");
    for (int i = 0; i < 256; i++)
        text[n++] = '[';
    for (int i = 0; i < 256; i++)
        text[n++] = ']';
    toml_value *doc = NULL;
    toml_error err;
    assert_int_equal(toml_parse(text, n, &doc, &err), 0);
    toml_free(doc);
}

static void test_empty_and_odd_arguments(void **state)
{
    (void)state;
    toml_value *doc = NULL;
    toml_error err;
    assert_int_equal(toml_parse("", 0, &doc, &err), 0);
    assert_int_equal(doc->type, TOML_TABLE);
    assert_int_equal(doc->u.table.len, 0);
    toml_free(doc);
    assert_int_equal(toml_parse(NULL, 0, &doc, NULL), 0);
    toml_free(doc);
    /* Not NUL-terminated: only len bytes count. */
    assert_int_equal(toml_parse("a = 1xyz", 5, &doc, &err), 0);
    assert_int_equal(entry(doc, "a")->value->u.integer, 1);
    toml_free(doc);
    toml_free(NULL);

    /* Lookups also work on tables a caller assembled by hand. */
    toml_value one = {.type = TOML_INTEGER};
    toml_keyval items[2] = {{.key = "x", .key_len = 1, .value = &one},
                            {.key = "y", .key_len = 1, .value = &one}};
    toml_value table = {.type = TOML_TABLE};
    table.u.table.items = items;
    table.u.table.len = 2;
    assert_ptr_equal(toml_table_find(&table, "y"), &items[1]);
    assert_null(toml_table_find(&table, "z"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_shape_and_order),
        cmocka_unit_test(test_positions_of_keys_values_and_headers),
        cmocka_unit_test(test_positions_after_multiline_strings_bom_and_crlf),
        cmocka_unit_test(test_scalar_values),
        cmocka_unit_test(test_strings_and_escapes),
        cmocka_unit_test(test_many_keys_are_found_and_duplicates_caught),
        cmocka_unit_test(test_user_mistakes),
        cmocka_unit_test(test_long_and_quoted_keys_in_messages),
        cmocka_unit_test(test_value_errors_name_the_key),
        cmocka_unit_test(test_long_key_path_is_cut),
        cmocka_unit_test(test_redefinition_rules),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_empty_and_odd_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
