/* test_config.c - gateway.toml validation: every user-facing message is
 * asserted verbatim (file, line, column, key path, wording), because the
 * message is the feature. Also defaults, ${ENV}, path resolution, the
 * duration and size syntax, plugin options and the generated reference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "gateway/error.h"
#include "sinks/sink.h"

#define BASE "/etc/gw"
#define FIXTURES GW_SOURCE_DIR "/tests/fixtures/config"

/* ---- helpers ------------------------------------------------------------ */

static void print_errors(const cfg_errors *errs)
{
    for (size_t i = 0; i < errs->count; i++)
        print_message("  got: %s\n", errs->lines[i]);
}

/* Load text that must fail with rc and exactly the expected lines, in
 * order (NULL-ended). */
static void expect_errors_rc(const char *text, int rc_expected, const char *const *expected)
{
    cfg_errors errs = {0};
    gw_config *cfg = (gw_config *)1;
    size_t n = 0;
    int rc = config_load_string(text, strlen(text), "gateway.toml", BASE, &cfg, &errs);

    while (expected[n])
        n++;
    if (rc != rc_expected || errs.count != n)
        print_errors(&errs);
    assert_int_equal(rc, rc_expected);
    assert_null(cfg);
    assert_int_equal(errs.count, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(errs.lines[i], expected[i]);
    cfg_errors_free(&errs);
    assert_int_equal(errs.count, 0);
}

#define EXPECT_ERRORS(text, ...)                                                                   \
    expect_errors_rc(text, GW_EINVAL, (const char *const[]){__VA_ARGS__, NULL})

static gw_config *load_ok(const char *text)
{
    cfg_errors errs = {0};
    gw_config *cfg = NULL;
    int rc = config_load_string(text, strlen(text), "gateway.toml", BASE, &cfg, &errs);

    if (rc != 0)
        print_errors(&errs);
    assert_int_equal(rc, 0);
    assert_int_equal(errs.count, 0);
    assert_non_null(cfg);
    return cfg;
}

static const gw_option *find_decl(const gw_option *opts, const char *name)
{
    for (; opts && opts->name; opts++)
        if (strcmp(opts->name, name) == 0)
            return opts;
    return NULL;
}

/* `"stdout", "file"` from the registry, so a new sink type does not break
 * the exact messages below. */
static void sink_type_list(char *buf, size_t len)
{
    const sink_type *const *t = sink_types();
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; t[i]; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s\"%s\"", i ? ", " : "", t[i]->name);
}

static json_int_t int_at(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static const char *str_at(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

/* ---- defaults ------------------------------------------------------------- */

static void test_empty_file_gets_every_default(void **state)
{
    (void)state;
    gw_config *cfg = load_ok("");
    const json_t *g = cfg->gateway;

    assert_string_equal(cfg->path, "gateway.toml");
    assert_string_equal(cfg->dir, BASE);
    assert_int_equal(json_object_size(g), 17);
    assert_string_equal(str_at(g, "data_dir"), BASE "/var");
    assert_string_equal(str_at(g, "plugin_dir"), BASE "/build/plugins");
    assert_string_equal(str_at(g, "log_level"), "info");
    assert_int_equal(int_at(g, "retention"), 7 * 86400000LL);
    assert_int_equal(int_at(g, "action_retention"), 7 * 86400000LL);
    assert_int_equal(int_at(g, "idempotency_window"), 86400000LL);
    assert_string_equal(str_at(g, "synchronous"), "full");
    assert_string_equal(str_at(g, "log_page_size"), "16KB");
    assert_true(json_is_true(json_object_get(g, "huge_pages")));
    assert_int_equal(int_at(g, "fetch_timeout"), 60000);
    assert_int_equal(int_at(g, "max_failures"), 5);
    assert_int_equal(int_at(g, "retry_base"), 1000);
    assert_int_equal(int_at(g, "retry_max"), 300000);
    assert_int_equal(int_at(g, "shutdown_timeout"), 10000);
    assert_int_equal(cfg->account_count, 0);
    assert_int_equal(cfg->sink_count, 0);
    config_free(cfg);
}

static void test_account_and_sink_defaults(void **state)
{
    (void)state;
    gw_config *cfg = load_ok("[[account]]\n"
                             "network = \"mock\"\n"
                             "name = \"main\"\n"
                             "\n"
                             "[[account]]\n"
                             "network = \"mock\"\n"
                             "name = \"second\"\n"
                             "poll_interval = 5\n"
                             "enabled = false\n"
                             "[account.options]\n"
                             "rate = 3\n"
                             "\n"
                             "[[sink]]\n"
                             "name = \"out\"\n"
                             "type = \"stdout\"\n"
                             "\n"
                             "[[sink]]\n"
                             "name = \"archive\"\n"
                             "type = \"file\"\n"
                             "path = \"events.jsonl\"\n"
                             "batch_size = 10\n");

    assert_int_equal(cfg->account_count, 2);
    assert_string_equal(cfg->accounts[0].network, "mock");
    assert_string_equal(cfg->accounts[0].name, "main");
    assert_int_equal(cfg->accounts[0].line, 1);
    assert_int_equal(cfg->accounts[0].column, 1);
    assert_int_equal(json_object_size(cfg->accounts[0].settings), 6);
    assert_int_equal(int_at(cfg->accounts[0].settings, "poll_interval"), 60000);
    assert_true(json_is_true(json_object_get(cfg->accounts[0].settings, "enabled")));
    assert_true(json_is_false(json_object_get(cfg->accounts[0].settings, "optional")));
    assert_null(json_object_get(cfg->accounts[0].settings, "options"));
    assert_null(cfg->accounts[0].options);
    assert_string_equal(cfg->accounts[1].name, "second");
    assert_int_equal(cfg->accounts[1].line, 5);
    assert_int_equal(int_at(cfg->accounts[1].settings, "poll_interval"), 5000);
    assert_true(json_is_false(json_object_get(cfg->accounts[1].settings, "enabled")));
    assert_non_null(cfg->accounts[1].options);
    assert_int_equal(cfg->accounts[1].options->type, TOML_TABLE);
    assert_int_equal(cfg->accounts[1].options->u.table.len, 1);

    assert_int_equal(cfg->sink_count, 2);
    assert_string_equal(cfg->sinks[0].name, "out");
    assert_string_equal(cfg->sinks[0].type, "stdout");
    assert_int_equal(cfg->sinks[0].line, 13);
    assert_int_equal(int_at(cfg->sinks[0].settings, "batch_size"), 1024);
    assert_int_equal(int_at(cfg->sinks[0].settings, "retry_max"), 30000);
    assert_string_equal(cfg->sinks[1].type, "file");
    assert_int_equal(int_at(cfg->sinks[1].settings, "batch_size"), 10);
    assert_string_equal(str_at(cfg->sinks[1].settings, "path"), BASE "/events.jsonl");
    /* every key the file sink declares is present, defaults filled */
    for (const gw_option *o = sink_type_find("file")->options; o->name; o++)
        assert_non_null(json_object_get(cfg->sinks[1].settings, o->name));
    config_free(cfg);
}

/* ---- the error messages ---------------------------------------------------- */

static void test_unknown_key_did_you_mean(void **state)
{
    (void)state;
    EXPECT_ERRORS("[gateway]\n"
                  "data_dir = \"var\"\n"
                  "log_levl = \"debug\"\n",
                  "gateway.toml:3:1: gateway.log_levl: unknown key; did you mean \"log_level\"?");
    /* case, a transposition, a prefix */
    EXPECT_ERRORS("[gateway]\nLog_Level = \"debug\"\nmax_failrues = 3\nretent = \"1d\"\n",
                  "gateway.toml:2:1: gateway.Log_Level: unknown key; did you mean \"log_level\"?",
                  "gateway.toml:3:1: gateway.max_failrues: unknown key; did you mean "
                  "\"max_failures\"?",
                  "gateway.toml:4:1: gateway.retent: unknown key; did you mean \"retention\"?");
    EXPECT_ERRORS("[[account]]\nnetwork = \"mock\"\nname = \"a\"\n  option = 1\n",
                  "gateway.toml:4:3: account[0].option: unknown key; did you mean \"options\"?");
}

static void test_unknown_key_without_suggestion(void **state)
{
    (void)state;
    EXPECT_ERRORS("[gateway]\nzzz = 1\n",
                  "gateway.toml:2:1: gateway.zzz: unknown key; expected one of data_dir, "
                  "plugin_dir, log_level, retention, action_retention, idempotency_window, "
                  "synchronous, log_page_size, huge_pages, fetch_timeout, max_failures, "
                  "retry_base, retry_max, shutdown_timeout, isolate_networks, isolation_heartbeat, "
                  "isolation_memory_limit");
    EXPECT_ERRORS("[gateway]\n\"a b\" = 1\n",
                  "gateway.toml:2:1: gateway.\"a b\": unknown key; expected one of data_dir, "
                  "plugin_dir, log_level, retention, action_retention, idempotency_window, "
                  "synchronous, log_page_size, huge_pages, fetch_timeout, max_failures, "
                  "retry_base, retry_max, shutdown_timeout, isolate_networks, isolation_heartbeat, "
                  "isolation_memory_limit");
}

static void test_unknown_top_level(void **state)
{
    (void)state;
    EXPECT_ERRORS("[gatway]\nlog_level = \"info\"\n\nfoo = 1\n",
                  "gateway.toml:1:2: gatway: unknown key; did you mean \"gateway\"?");
    EXPECT_ERRORS("[[accounts]]\nnetwork = \"mock\"\n",
                  "gateway.toml:1:3: accounts: unknown key; did you mean \"account\"?");
    EXPECT_ERRORS("version = 2\n",
                  "gateway.toml:1:1: version: unknown key; expected one of gateway, http, api, "
                  "account, sink, triage, rule, service");
}

static void test_wrong_type(void **state)
{
    (void)state;
    EXPECT_ERRORS("[gateway]\n"
                  "max_failures = \"5\"\n"
                  "log_level = 3\n"
                  "data_dir = [\"a\"]\n"
                  "[[account]]\n"
                  "network = \"mock\"\n"
                  "name = 42\n"
                  "enabled = \"yes\"\n"
                  "poll_interval = true\n"
                  "[[sink]]\n"
                  "name = \"f\"\n"
                  "type = \"file\"\n"
                  "path = \"x\"\n"
                  "batch_size = 1.5\n"
                  "max_size = 1979-05-27\n",
                  "gateway.toml:2:16: gateway.max_failures: expected an integer from 1 to 1000, "
                  "found \"5\"",
                  "gateway.toml:3:13: gateway.log_level: expected one of \"error\", \"warn\", "
                  "\"info\", \"debug\", found 3",
                  "gateway.toml:4:12: gateway.data_dir: expected a string, found an array",
                  "gateway.toml:7:8: account[0].name: expected a string, found 42",
                  "gateway.toml:8:11: account[0].enabled: expected true or false, found \"yes\"",
                  "gateway.toml:9:17: account[0].poll_interval: expected a duration like \"30s\" "
                  "or \"5m\", found true",
                  "gateway.toml:14:14: sink[0].batch_size: expected an integer from 1 to 100000, "
                  "found 1.5",
                  "gateway.toml:15:12: sink[0].max_size: expected a size like \"64KB\" or "
                  "\"10MB\", found a local date");
}

static void test_section_of_the_wrong_kind(void **state)
{
    (void)state;
    EXPECT_ERRORS("gateway = \"x\"\n[account]\nnetwork = \"mock\"\n",
                  "gateway.toml:1:11: gateway: expected a table ([gateway]), found \"x\"",
                  "gateway.toml:2:1: account: expected an array of tables ([[account]]), found a "
                  "table");
    EXPECT_ERRORS("sink = [1]\n", "gateway.toml:1:9: sink[0]: expected a table, found 1");
    EXPECT_ERRORS("[[account]]\nnetwork = \"mock\"\nname = \"a\"\noptions = \"fast\"\n",
                  "gateway.toml:4:11: account[0].options: expected a table ([account.options]), "
                  "found \"fast\"");
}

static void test_bad_duration(void **state)
{
    (void)state;
    EXPECT_ERRORS("[[account]]\n"
                  "network = \"mock\"\n"
                  "name = \"a\"\n"
                  "poll_interval = \"fast\"\n",
                  "gateway.toml:4:17: account[0].poll_interval: expected a duration like \"30s\" "
                  "or \"5m\", found \"fast\"");
    EXPECT_ERRORS("[gateway]\n"
                  "retention = \"5x\"\n"
                  "retry_base = \"-1s\"\n"
                  "retry_max = \"999999999999d\"\n"
                  "shutdown_timeout = \"0.5ms\"\n"
                  "fetch_timeout = \"1h30\"\n",
                  "gateway.toml:2:13: gateway.retention: expected a duration like \"30s\" or "
                  "\"5m\", found \"5x\" (unknown unit \"x\"; use ms, s, m, h or d)",
                  "gateway.toml:3:14: gateway.retry_base: expected a duration like \"30s\" or "
                  "\"5m\", found \"-1s\" (negative values are not allowed)",
                  "gateway.toml:4:13: gateway.retry_max: expected a duration like \"30s\" or "
                  "\"5m\", found \"999999999999d\" (too large)",
                  "gateway.toml:5:20: gateway.shutdown_timeout: expected a duration like \"30s\" "
                  "or \"5m\", found \"0.5ms\" (not a whole number of milliseconds)",
                  "gateway.toml:6:17: gateway.fetch_timeout: expected a duration like \"30s\" or "
                  "\"5m\", found \"1h30\" (every number needs a unit: ms, s, m, h or d)");
    EXPECT_ERRORS("[gateway]\nretention = -5\n",
                  "gateway.toml:2:13: gateway.retention: expected a duration like \"30s\" or "
                  "\"5m\", found -5 (negative values are not allowed)");
}

static void test_bad_size(void **state)
{
    (void)state;
    EXPECT_ERRORS("[[sink]]\n"
                  "name = \"f\"\n"
                  "type = \"file\"\n"
                  "path = \"events.jsonl\"\n"
                  "max_size = \"10XB\"\n",
                  "gateway.toml:5:12: sink[0].max_size: expected a size like \"64KB\" or \"10MB\", "
                  "found \"10XB\" (unknown unit \"XB\"; use B, KB, MB, GB or TB)");
    EXPECT_ERRORS("[[sink]]\n"
                  "name = \"f\"\n"
                  "type = \"file\"\n"
                  "path = \"events.jsonl\"\n"
                  "max_size = \"ten\"\n",
                  "gateway.toml:5:12: sink[0].max_size: expected a size like \"64KB\" or \"10MB\", "
                  "found \"ten\"");
}

static void test_out_of_range(void **state)
{
    (void)state;
    EXPECT_ERRORS("[gateway]\n"
                  "max_failures = 0\n"
                  "fetch_timeout = \"2h\"\n"
                  "[[account]]\n"
                  "network = \"mock\"\n"
                  "name = \"a\"\n"
                  "poll_interval = \"50ms\"\n"
                  "[[sink]]\n"
                  "name = \"s\"\n"
                  "type = \"stdout\"\n"
                  "batch_size = 100001\n",
                  "gateway.toml:2:16: gateway.max_failures: expected an integer from 1 to 1000, "
                  "found 0",
                  "gateway.toml:3:17: gateway.fetch_timeout: expected a duration from 1s to 1h, "
                  "found \"2h\"",
                  "gateway.toml:7:17: account[0].poll_interval: expected a duration from 100ms to "
                  "1d, found \"50ms\"",
                  "gateway.toml:11:14: sink[0].batch_size: expected an integer from 1 to 100000, "
                  "found 100001");
}

static void test_disallowed_value(void **state)
{
    (void)state;
    EXPECT_ERRORS("[gateway]\nlog_level = \"verbose\"\nsynchronous = \"NORMAL\"\n",
                  "gateway.toml:2:13: gateway.log_level: expected one of \"error\", \"warn\", "
                  "\"info\", \"debug\", found \"verbose\"",
                  "gateway.toml:3:15: gateway.synchronous: expected one of \"full\", \"normal\", "
                  "found \"NORMAL\"; did you mean \"normal\"?");
    EXPECT_ERRORS("[gateway]\nlog_level = \"dbug\"\n",
                  "gateway.toml:2:13: gateway.log_level: expected one of \"error\", \"warn\", "
                  "\"info\", \"debug\", found \"dbug\"; did you mean \"debug\"?");
}

static void test_missing_required_key(void **state)
{
    (void)state;
    const gw_option *path = find_decl(sink_type_find("file")->options, "path");
    char expected[512];

    assert_non_null(path);
    snprintf(expected, sizeof expected,
             "gateway.toml:5:1: sink[1]: missing required key \"path\" (%s)", path->help);
    EXPECT_ERRORS("[[sink]]\n"
                  "name = \"out\"\n"
                  "type = \"stdout\"\n"
                  "\n"
                  "[[sink]]\n"
                  "name = \"archive\"\n"
                  "type = \"file\"\n",
                  expected);
    EXPECT_ERRORS("\n[[account]]\nnetwork = \"mock\"\n",
                  "gateway.toml:2:1: account[0]: missing required key \"name\" (the account's "
                  "name, unique within its network; events carry it as \"account\")");
}

static void test_duplicate_account(void **state)
{
    (void)state;
    EXPECT_ERRORS("[[account]]\n"
                  "network = \"mock\"\n"
                  "name = \"main\"\n"
                  "[[account]]\n"
                  "network = \"twitter\"\n"
                  "name = \"main\"\n"
                  "[[account]]\n"
                  "network = \"mock\"\n"
                  "name = \"main\"\n",
                  "gateway.toml:7:1: account[2]: duplicate account: network \"mock\" with name "
                  "\"main\" is already defined at line 1 (account[0])");
}

static void test_duplicate_sink_name(void **state)
{
    (void)state;
    EXPECT_ERRORS("[[sink]]\n"
                  "name = \"out\"\n"
                  "type = \"stdout\"\n"
                  "[[sink]]\n"
                  "name = \"out\"\n"
                  "type = \"file\"\n"
                  "path = \"e.jsonl\"\n",
                  "gateway.toml:5:8: sink[1].name: duplicate sink name \"out\": already used at "
                  "line 1 (sink[0])");
}

static void test_unknown_sink_type(void **state)
{
    (void)state;
    char types[256], expected[512];

    sink_type_list(types, sizeof types);
    snprintf(expected, sizeof expected,
             "gateway.toml:3:8: sink[0].type: expected one of %s, found \"fil\"; did you mean "
             "\"file\"?",
             types);
    /* The type's own keys are unknown until the type is: path is not
     * reported as an unknown key. */
    EXPECT_ERRORS("[[sink]]\nname = \"a\"\ntype = \"fil\"\npath = \"x\"\n", expected);
    /* Once the type is known, its keys are checked too. */
    EXPECT_ERRORS("[[sink]]\nname = \"a\"\ntype = \"stdout\"\npath = \"x\"\n",
                  "gateway.toml:4:1: sink[0].path: unknown key; expected one of name, type, "
                  "batch_size, retry_max, format");
}

static void test_env_unset(void **state)
{
    (void)state;
    unsetenv("GW_TEST_UNSET");
    EXPECT_ERRORS("[gateway]\ndata_dir = \"${GW_TEST_UNSET}/x\"\n",
                  "gateway.toml:2:12: gateway.data_dir: environment variable \"GW_TEST_UNSET\" is "
                  "not set");
    EXPECT_ERRORS("[gateway]\nlog_level = \"${GW-LEVEL}\"\nretention = \"${\"\n",
                  "gateway.toml:2:13: gateway.log_level: expected \"${NAME}\" to insert an "
                  "environment variable (or \"$${\" for a literal \"${\"), found \"${GW-LEVEL}\" "
                  "(a variable name has only letters, digits and \"_\")",
                  "gateway.toml:3:13: gateway.retention: expected \"${NAME}\" to insert an "
                  "environment variable (or \"$${\" for a literal \"${\"), found \"${\" "
                  "(\"${\" without a closing \"}\")");
}

static void test_env_expansion(void **state)
{
    (void)state;
    gw_config *cfg;

    setenv("GW_TEST_LEVEL", "debug", 1);
    setenv("GW_TEST_POLL", "90s", 1);
    setenv("GW_TEST_EMPTY", "", 1);
    cfg = load_ok("[gateway]\n"
                  "log_level = \"${GW_TEST_LEVEL}\"\n"
                  "data_dir = \"/srv/$${literal}${GW_TEST_EMPTY}\"\n"
                  "[[account]]\n"
                  "network = \"mock\"\n"
                  "name = \"acct-${GW_TEST_LEVEL}\"\n"
                  "poll_interval = \"${GW_TEST_POLL}\"\n");
    assert_string_equal(str_at(cfg->gateway, "log_level"), "debug");
    assert_string_equal(str_at(cfg->gateway, "data_dir"), "/srv/${literal}");
    assert_string_equal(cfg->accounts[0].name, "acct-debug");
    assert_int_equal(int_at(cfg->accounts[0].settings, "poll_interval"), 90000);
    config_free(cfg);

    /* A bad expanded value shows both the value and where it came from. */
    setenv("GW_TEST_POLL", "fast", 1);
    EXPECT_ERRORS(
        "[[account]]\nnetwork = \"mock\"\nname = \"a\"\npoll_interval = \"${GW_TEST_POLL}\"\n",
        "gateway.toml:4:17: account[0].poll_interval: expected a duration like \"30s\" "
        "or \"5m\", found \"fast\" (from \"${GW_TEST_POLL}\")");
    unsetenv("GW_TEST_LEVEL");
    unsetenv("GW_TEST_POLL");
    unsetenv("GW_TEST_EMPTY");
}

static void test_cfg_expand_env(void **state)
{
    (void)state;
    char missing[16], *out = NULL;

    setenv("GW_TEST_A", "alpha", 1);
    unsetenv("GW_TEST_UNSET");
    assert_int_equal(cfg_expand_env("x${GW_TEST_A}y${GW_TEST_A}", &out, missing, sizeof missing),
                     0);
    assert_string_equal(out, "xalphayalpha");
    free(out);
    assert_int_equal(cfg_expand_env("$${GW_TEST_A} $$ $x $", &out, missing, sizeof missing), 0);
    assert_string_equal(out, "${GW_TEST_A} $$ $x $");
    free(out);
    assert_int_equal(cfg_expand_env("", &out, missing, sizeof missing), 0);
    assert_string_equal(out, "");
    free(out);
    out = (char *)1;
    assert_int_equal(cfg_expand_env("a${GW_TEST_UNSET}", &out, missing, sizeof missing), GW_ENOENT);
    assert_string_equal(missing, "GW_TEST_UNSET");
    assert_null(out);
    /* the name is cut to the buffer, never overflowing it */
    assert_int_equal(cfg_expand_env("${GW_TEST_A_VERY_LONG_UNSET_NAME}", &out, missing, 8),
                     GW_ENOENT);
    assert_string_equal(missing, "GW_TEST");
    assert_int_equal(cfg_expand_env("${}", &out, missing, sizeof missing), GW_EINVAL);
    assert_int_equal(cfg_expand_env("${1A}", &out, missing, sizeof missing), GW_EINVAL);
    assert_int_equal(cfg_expand_env("${A", &out, missing, sizeof missing), GW_EINVAL);
    assert_int_equal(cfg_expand_env("${A:-x}", &out, missing, sizeof missing), GW_EINVAL);
    /* a value is not expanded again */
    setenv("GW_TEST_B", "${GW_TEST_A}", 1);
    assert_int_equal(cfg_expand_env("${GW_TEST_B}", &out, missing, sizeof missing), 0);
    assert_string_equal(out, "${GW_TEST_A}");
    free(out);
    unsetenv("GW_TEST_A");
    unsetenv("GW_TEST_B");
}

static void test_toml_syntax_error(void **state)
{
    (void)state;
    const char *text = "[gateway]\nlog_level = \"info\nretention = \"1d\"\n";
    toml_error terr;
    toml_value *doc = NULL;
    char expected[512];

    /* The position and the key are ours to assert; the wording belongs to
     * the parser. */
    assert_int_equal(toml_parse(text, strlen(text), &doc, &terr), GW_EPARSE);
    assert_int_equal(terr.line, 2);
    snprintf(expected, sizeof expected, "gateway.toml:%d:%d: gateway.log_level: %s", terr.line,
             terr.column, terr.message);
    expect_errors_rc(text, GW_EPARSE, (const char *const[]){expected, NULL});

    text = "[[account]]\nname = \"a\"\nname = \"b\"\n";
    assert_int_equal(toml_parse(text, strlen(text), &doc, &terr), GW_EPARSE);
    assert_int_equal(terr.line, 3);
    assert_int_equal(terr.column, 1);
    snprintf(expected, sizeof expected, "gateway.toml:3:1: %s", terr.message);
    expect_errors_rc(text, GW_EPARSE, (const char *const[]){expected, NULL});
}

/* A TOML error inside a value names the value's key the way validation
 * errors do (account[0].options.token), and a bare value meant as a
 * duration or a size gets a hint to quote it, at the value's start. */
static void test_toml_error_names_key(void **state)
{
    (void)state;
    expect_errors_rc("[gateway]\nlog_level = \"info\"\npoll_interval = 5s\n", GW_EPARSE,
                     (const char *const[]){"gateway.toml:3:17: gateway.poll_interval: invalid "
                                           "value: unexpected 's'; durations are strings: "
                                           "write \"5s\"",
                                           NULL});
    expect_errors_rc("[http]\nmax_body = 10MB\n", GW_EPARSE,
                     (const char *const[]){"gateway.toml:2:12: http.max_body: invalid value: "
                                           "unexpected 'M'; sizes are strings: write \"10MB\"",
                                           NULL});
    expect_errors_rc("[gateway]\nretention = 1.5GiB\n", GW_EPARSE,
                     (const char *const[]){"gateway.toml:2:13: gateway.retention: invalid "
                                           "value: unexpected 'G'; sizes are strings: write "
                                           "\"1.5GiB\"",
                                           NULL});
    /* [[account]] tables are named by their position, as everywhere. */
    expect_errors_rc("[[account]]\nnetwork = \"mock\"\nname = \"a\"\n[[account]]\n"
                     "network = \"mock\"\nname = \"b\"\npoll_interval = 1h30m\n",
                     GW_EPARSE,
                     (const char *const[]){"gateway.toml:7:17: account[1].poll_interval: "
                                           "invalid value: unexpected 'h'; durations are "
                                           "strings: write \"1h30m\"",
                                           NULL});
    expect_errors_rc("[[account]]\nnetwork = \"mock\"\nname = \"a\"\n[account.options]\n"
                     "token = \"abc\n",
                     GW_EPARSE,
                     (const char *const[]){"gateway.toml:5:9: account[0].options.token: "
                                           "unterminated string: expected closing '\"' before "
                                           "the end of the line, found newline",
                                           NULL});
    /* Array items and quoted keys, written as validation writes them. */
    expect_errors_rc("[[sink]]\nname = \"s\"\ntype = \"stdout\"\nretry_max = [30s]\n", GW_EPARSE,
                     (const char *const[]){"gateway.toml:4:14: sink[0].retry_max[0]: invalid "
                                           "value: unexpected 's'; durations are strings: "
                                           "write \"30s\"",
                                           NULL});
    expect_errors_rc("[[account]]\n[account.options]\n\"poll every\" = 5m\n", GW_EPARSE,
                     (const char *const[]){"gateway.toml:3:16: account[0].options.\"poll "
                                           "every\": invalid value: unexpected 'm'; durations "
                                           "are strings: write \"5m\"",
                                           NULL});
    /* No hint when the value would not be a duration or size either; the
     * parser's own position and words stay. */
    expect_errors_rc("[gateway]\nretention = 7x\n", GW_EPARSE,
                     (const char *const[]){"gateway.toml:2:14: gateway.retention: invalid "
                                           "number: unexpected 'x'",
                                           NULL});
    expect_errors_rc("[gateway]\nlog_level = info\n", GW_EPARSE,
                     (const char *const[]){"gateway.toml:2:13: gateway.log_level: expected a "
                                           "value, found 'info' (strings need quotes)",
                                           NULL});
    /* An error outside any value names no key. */
    expect_errors_rc("[gateway]\nlog_level = \"info\" x\n", GW_EPARSE,
                     (const char *const[]){"gateway.toml:2:20: expected end of line after a "
                                           "value, found 'x'",
                                           NULL});
}

static void test_all_errors_collected(void **state)
{
    (void)state;
    EXPECT_ERRORS("[gateway]\n"
                  "log_level = \"loud\"\n"
                  "retry_base = \"10m\"\n"
                  "[[account]]\n"
                  "network = \"mock\"\n"
                  "[[account]]\n"
                  "name = \"b\"\n"
                  "poll_interval = \"1w\"\n"
                  "[[sink]]\n"
                  "type = \"stdout\"\n",
                  "gateway.toml:2:13: gateway.log_level: expected one of \"error\", \"warn\", "
                  "\"info\", \"debug\", found \"loud\"",
                  "gateway.toml:4:1: account[0]: missing required key \"name\" (the account's "
                  "name, unique within its network; events carry it as \"account\")",
                  "gateway.toml:6:1: account[1]: missing required key \"network\" (network plugin "
                  "serving the account, e.g. \"mock\" for <plugin_dir>/mock.so)",
                  "gateway.toml:8:17: account[1].poll_interval: expected a duration like \"30s\" "
                  "or \"5m\", found \"1w\" (unknown unit \"w\"; use ms, s, m, h or d)",
                  "gateway.toml:9:1: sink[0]: missing required key \"name\" (unique name of the "
                  "sink; its delivery position is stored under it)");
}

static void test_retry_order(void **state)
{
    (void)state;
    EXPECT_ERRORS("[gateway]\nretry_base = \"10m\"\n",
                  "gateway.toml:2:14: gateway.retry_base: expected a duration at most retry_max "
                  "(5m), found \"10m\"");
    EXPECT_ERRORS("[gateway]\nretry_base = \"2s\"\nretry_max = \"1500ms\"\n",
                  "gateway.toml:3:13: gateway.retry_max: expected a duration at least retry_base "
                  "(2s), found \"1500ms\"");
}

/* ---- paths ---------------------------------------------------------------- */

static void test_relative_paths(void **state)
{
    (void)state;
    gw_config *cfg = load_ok("[gateway]\n"
                             "data_dir = \"./state\"\n"
                             "plugin_dir = \"/usr/lib/gateway\"\n"
                             "[[sink]]\n"
                             "name = \"f\"\n"
                             "type = \"file\"\n"
                             "path = \"../logs/events.jsonl\"\n");

    assert_string_equal(str_at(cfg->gateway, "data_dir"), BASE "/state");
    assert_string_equal(str_at(cfg->gateway, "plugin_dir"), "/usr/lib/gateway");
    assert_string_equal(str_at(cfg->sinks[0].settings, "path"), BASE "/../logs/events.jsonl");
    /* Plain strings are left alone even when they look like paths. */
    assert_string_equal(str_at(cfg->sinks[0].settings, "fsync"), "batch");
    config_free(cfg);
}

static void test_relative_base_dir(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = NULL;
    char *cwd = getcwd(NULL, 0);
    char expected[4096];

    assert_int_equal(config_load_string("", 0, "x.toml", "no/such/dir", &cfg, &errs), 0);
    snprintf(expected, sizeof expected, "%s/no/such/dir/var", strcmp(cwd, "/") ? cwd : "");
    assert_string_equal(str_at(cfg->gateway, "data_dir"), expected);
    config_free(cfg);
    free(cwd);
}

/* ---- fixture files ----------------------------------------------------------- */

static void test_fixture_valid(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = NULL;
    char *dir = realpath(FIXTURES, NULL);
    char expected[4096];
    int rc;

    setenv("GW_TEST_TOKEN", "s3cret", 1);
    rc = config_load(FIXTURES "/valid.toml", &cfg, &errs);
    if (rc != 0)
        print_errors(&errs);
    assert_int_equal(rc, 0);
    assert_non_null(dir);
    assert_string_equal(cfg->path, FIXTURES "/valid.toml");
    assert_string_equal(cfg->dir, dir);
    snprintf(expected, sizeof expected, "%s/var/state", dir);
    assert_string_equal(str_at(cfg->gateway, "data_dir"), expected);
    assert_string_equal(str_at(cfg->gateway, "log_level"), "debug");
    assert_int_equal(int_at(cfg->gateway, "retention"), 36 * 3600000LL);
    assert_string_equal(str_at(cfg->gateway, "synchronous"), "normal");
    assert_int_equal(cfg->account_count, 2);
    assert_string_equal(cfg->accounts[1].name, "support");
    assert_int_equal(int_at(cfg->accounts[1].settings, "poll_interval"), 1500);
    assert_int_equal(cfg->sink_count, 2);
    snprintf(expected, sizeof expected, "%s/out/events.jsonl", dir);
    assert_string_equal(str_at(cfg->sinks[1].settings, "path"), expected);
    assert_int_equal(int_at(cfg->sinks[1].settings, "max_size"), 64LL << 20);
    config_free(cfg);
    free(dir);
    unsetenv("GW_TEST_TOKEN");
}

static void test_fixture_invalid(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = NULL;
    const char *f = FIXTURES "/invalid.toml";
    char expected[3][512];

    snprintf(expected[0], sizeof expected[0],
             "%s:4:1: gateway.plugins_dir: unknown key; did you mean \"plugin_dir\"?", f);
    snprintf(expected[1], sizeof expected[1],
             "%s:10:17: account[0].poll_interval: expected a duration like \"30s\" or \"5m\", "
             "found \"fast\"",
             f);
    snprintf(expected[2], sizeof expected[2],
             "%s:14:1: account[1]: duplicate account: network \"mock\" with name \"main\" is "
             "already defined at line 7 (account[0])",
             f);
    assert_int_equal(config_load(f, &cfg, &errs), GW_EINVAL);
    if (errs.count != 3)
        print_errors(&errs);
    assert_null(cfg);
    assert_int_equal(errs.count, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(errs.lines[i], expected[i]);
    cfg_errors_free(&errs);
}

static void test_missing_file(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = NULL;

    assert_int_equal(config_load(FIXTURES "/no-such.toml", &cfg, &errs), GW_EIO);
    assert_int_equal(errs.count, 1);
    assert_string_equal(errs.lines[0], FIXTURES "/no-such.toml: cannot open the configuration "
                                                "file: No such file or directory");
    cfg_errors_free(&errs);
}

/* A directory given as the configuration file is named as one, not
 * measured (it used to "hold" 9223372036854775807 bytes). */
static void test_directory_as_file(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = NULL;

    assert_int_equal(config_load(FIXTURES, &cfg, &errs), GW_EIO);
    assert_null(cfg);
    assert_int_equal(errs.count, 1);
    assert_string_equal(errs.lines[0], FIXTURES ": is a directory, not a configuration file");
    cfg_errors_free(&errs);
}

/* ---- plugin options ----------------------------------------------------------- */

static const gw_option test_plugin_options[] = {
    {.name = "rate",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_REQUIRED | GW_OPTF_BOUNDED,
     .min = 1,
     .max = 100,
     .help = "requests per minute"},
    {.name = "token",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_REQUIRED | GW_OPTF_SECRET,
     .help = "API token"},
    {.name = "mode",
     .type = GW_OPT_STRING,
     .default_value = "poll",
     .allowed = "poll|stream",
     .help = "how items arrive"},
    {.name = "ratio",
     .type = GW_OPT_FLOAT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "0.5",
     .min = 0,
     .max = 1,
     .help = "share of items sampled"},
    {.name = "timeout", .type = GW_OPT_DURATION, .default_value = "1.5s", .help = "per request"},
    {.name = "buffer", .type = GW_OPT_SIZE, .default_value = "64KiB", .help = "read buffer"},
    {.name = "tags", .type = GW_OPT_STRING_ARRAY, .default_value = "a,b", .help = "labels"},
    {.name = "cert_path",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_PATH,
     .help = "client certificate"},
    {.name = "verbose", .type = GW_OPT_BOOL, .default_value = "false", .help = "log more"},
    {.name = NULL},
};

static const gw_plugin test_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "testnet",
    .version = "0.0.1",
    .options = test_plugin_options,
};

static const gw_plugin empty_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "bare",
    .version = "0.0.1",
};

static void test_plugin_options_valid(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    json_t *opts = NULL, *tags;
    gw_config *cfg;

    setenv("GW_TEST_TOKEN", "s3cret", 1);
    cfg = load_ok("[[account]]\n"
                  "network = \"testnet\"\n"
                  "name = \"a\"\n"
                  "[account.options]\n"
                  "rate = 10\n"
                  "token = \"${GW_TEST_TOKEN}\"\n"
                  "ratio = 1\n"
                  "cert_path = \"certs/client.pem\"\n"
                  "tags = [\"x\", \"${GW_TEST_TOKEN}\"]\n"
                  "[[account]]\n"
                  "network = \"bare\"\n"
                  "name = \"b\"\n");
    assert_int_equal(config_validate_options(cfg, 0, test_plugin_options, &opts, &errs), 0);
    assert_int_equal(errs.count, 0);
    assert_int_equal(json_object_size(opts), 9);
    assert_int_equal(int_at(opts, "rate"), 10);
    assert_string_equal(str_at(opts, "token"), "s3cret");
    assert_string_equal(str_at(opts, "mode"), "poll");
    assert_true(json_is_real(json_object_get(opts, "ratio")));
    assert_true(json_real_value(json_object_get(opts, "ratio")) == 1.0);
    assert_int_equal(int_at(opts, "timeout"), 1500);
    assert_int_equal(int_at(opts, "buffer"), 65536);
    assert_string_equal(str_at(opts, "cert_path"), BASE "/certs/client.pem");
    assert_true(json_is_false(json_object_get(opts, "verbose")));
    tags = json_object_get(opts, "tags");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "s3cret");
    json_decref(opts);

    /* No table and nothing required: {}; absent optional keys are null. */
    assert_int_equal(config_validate_options(cfg, 1, NULL, &opts, &errs), 0);
    assert_int_equal(json_object_size(opts), 0);
    json_decref(opts);
    assert_int_equal(config_validate_options(cfg, 1, test_plugin_options + 2, &opts, &errs), 0);
    assert_true(json_is_null(json_object_get(opts, "cert_path")));
    tags = json_object_get(opts, "tags");
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "a");
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "b");
    json_decref(opts);
    config_free(cfg);
    unsetenv("GW_TEST_TOKEN");
}

static void test_plugin_options_errors(void **state)
{
    (void)state;
    static const char *const expected[] = {
        "gateway.toml:11:8: account[2].options.rate: expected an integer from 1 to 100, found 0",
        "gateway.toml:12:9: account[2].options.token: expected a string, found an integer "
        "(value hidden)",
        "gateway.toml:13:8: account[2].options.mode: expected one of \"poll\", \"stream\", found "
        "\"streem\"; did you mean \"stream\"?",
        "gateway.toml:14:9: account[2].options.ratio: expected a number from 0 to 1, found 1.5",
        "gateway.toml:15:11: account[2].options.timeout: expected a duration like \"30s\" or "
        "\"5m\", found \"soon\"",
        "gateway.toml:16:10: account[2].options.buffer: expected a size like \"64KB\" or "
        "\"10MB\", found \"1.3B\" (not a whole number of bytes)",
        "gateway.toml:17:14: account[2].options.tags[1]: expected a string, found 2",
        "gateway.toml:18:1: account[2].options.rat: unknown key; did you mean \"rate\"?",
        NULL,
    };
    cfg_errors errs = {0};
    json_t *opts = (json_t *)1;
    gw_config *cfg;
    size_t i;

    cfg = load_ok("[[account]]\n"
                  "network = \"testnet\"\n"
                  "name = \"a\"\n"
                  "[[account]]\n"
                  "network = \"testnet\"\n"
                  "name = \"b\"\n"
                  "[[account]]\n"
                  "network = \"testnet\"\n"
                  "name = \"c\"\n"
                  "[account.options]\n"
                  "rate = 0\n"
                  "token = 12345\n"
                  "mode = \"streem\"\n"
                  "ratio = 1.5\n"
                  "timeout = \"soon\"\n"
                  "buffer = \"1.3B\"\n"
                  "tags = [\"x\", 2]\n"
                  "rat = 1\n");
    assert_int_equal(config_validate_options(cfg, 2, test_plugin_options, &opts, &errs), GW_EINVAL);
    assert_null(opts);
    for (i = 0; expected[i]; i++)
        ;
    if (errs.count != i)
        print_errors(&errs);
    assert_int_equal(errs.count, i);
    for (i = 0; expected[i]; i++)
        assert_string_equal(errs.lines[i], expected[i]);
    cfg_errors_free(&errs);
    config_free(cfg);
}

static void test_plugin_options_missing(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    json_t *opts = (json_t *)1;
    gw_config *cfg = load_ok("[[account]]\nnetwork = \"testnet\"\nname = \"a\"\n"
                             "\n[[account]]\nnetwork = \"testnet\"\nname = \"b\"\n"
                             "[account.options]\nrate = 5\n");

    assert_int_equal(config_validate_options(cfg, 0, test_plugin_options, &opts, &errs), GW_EINVAL);
    assert_null(opts);
    assert_int_equal(config_validate_options(cfg, 1, test_plugin_options, &opts, &errs), GW_EINVAL);
    if (errs.count != 3)
        print_errors(&errs);
    assert_int_equal(errs.count, 3);
    /* absent table: the account's header; present: the options header */
    assert_string_equal(errs.lines[0], "gateway.toml:1:1: account[0].options: missing required "
                                       "key \"rate\" (requests per minute)");
    assert_string_equal(errs.lines[1], "gateway.toml:1:1: account[0].options: missing required "
                                       "key \"token\" (API token)");
    assert_string_equal(errs.lines[2], "gateway.toml:8:1: account[1].options: missing required "
                                       "key \"token\" (API token)");
    cfg_errors_free(&errs);
    assert_int_equal(config_validate_options(cfg, 2, test_plugin_options, &opts, &errs), GW_EINVAL);
    assert_string_equal(errs.lines[0], "gateway.toml: account[2]: no such account");
    cfg_errors_free(&errs);
    config_free(cfg);
}

static void test_plugin_secret_never_echoed(void **state)
{
    (void)state;
    static const gw_option secret_opts[] = {
        {.name = "key", .type = GW_OPT_STRING, .flags = GW_OPTF_SECRET, .allowed = "a|b"},
        {.name = "pin", .type = GW_OPT_DURATION, .flags = GW_OPTF_SECRET},
        {.name = NULL},
    };
    cfg_errors errs = {0};
    json_t *opts = NULL;
    gw_config *cfg;

    setenv("GW_TEST_TOKEN", "hunter2", 1);
    cfg = load_ok("[[account]]\nnetwork = \"testnet\"\nname = \"a\"\n[account.options]\n"
                  "key = \"${GW_TEST_TOKEN}\"\npin = \"5hunter\"\n");
    assert_int_equal(config_validate_options(cfg, 0, secret_opts, &opts, &errs), GW_EINVAL);
    assert_int_equal(errs.count, 2);
    assert_string_equal(errs.lines[0], "gateway.toml:5:7: account[0].options.key: expected one "
                                       "of \"a\", \"b\", found a string (value hidden)");
    assert_string_equal(errs.lines[1], "gateway.toml:6:7: account[0].options.pin: expected a "
                                       "duration like \"30s\" or \"5m\", found a string (value "
                                       "hidden)");
    cfg_errors_free(&errs);
    config_free(cfg);
    unsetenv("GW_TEST_TOKEN");
}

/* A bug in a declaration is reported as such, without a file position,
 * after the user's own mistakes. */
static void test_broken_declared_default(void **state)
{
    (void)state;
    static const gw_option broken[] = {
        {.name = "wait", .type = GW_OPT_DURATION, .default_value = "soon"},
        {.name = "count", .type = GW_OPT_INT, .default_value = "many"},
        {.name = "flag", .type = GW_OPT_BOOL, .default_value = "yes"},
        {.name = NULL},
    };
    cfg_errors errs = {0};
    json_t *opts = NULL;
    gw_config *cfg = load_ok("[[account]]\nnetwork = \"t\"\nname = \"a\"\n"
                             "[account.options]\nwat = 1\n");

    assert_int_equal(config_validate_options(cfg, 0, broken, &opts, &errs), GW_EINVAL);
    if (errs.count != 4)
        print_errors(&errs);
    assert_int_equal(errs.count, 4);
    assert_string_equal(errs.lines[0], "gateway.toml:5:1: account[0].options.wat: unknown key; "
                                       "did you mean \"wait\"?");
    assert_string_equal(errs.lines[1], "gateway.toml: account[0].options.wait: the declared "
                                       "default is invalid: expected a duration like \"30s\" "
                                       "or \"5m\", found \"soon\"");
    assert_string_equal(errs.lines[2], "gateway.toml: account[0].options.count: the declared "
                                       "default is invalid: expected an integer, found \"many\"");
    assert_string_equal(errs.lines[3], "gateway.toml: account[0].options.flag: the declared "
                                       "default is invalid: expected true or false, found "
                                       "\"yes\"");
    cfg_errors_free(&errs);
    config_free(cfg);
}

/* ---- value syntax -------------------------------------------------------------- */

static void test_parse_duration(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        uint64_t ms;
    } cases[] = {
        {"500ms", 0, 500},
        {"30s", 0, 30000},
        {"5m", 0, 300000},
        {"2h", 0, 7200000},
        {"1d", 0, 86400000},
        {"0", 0, 0},
        {"0s", 0, 0},
        {"45", 0, 45000},
        {"1.5", 0, 1500},
        {"1.5s", 0, 1500},
        {"0.1s", 0, 100},
        {"1.25h", 0, 4500000},
        {"1h30m", 0, 5400000},
        {"1d2h3m4s5ms", 0, 93784005},
        {"9223372036854775807ms", 0, 9223372036854775807ull},
        {"9223372036854775808ms", GW_ERANGE, 0},
        {"106751991167301d", GW_ERANGE, 0},
        {"99999999999999999999999s", GW_ERANGE, 0},
        {"0.5ms", GW_EINVAL, 0},
        {"0.0001s", GW_EINVAL, 0},
        {"1.0000000001s", GW_EINVAL, 0},
        {"-1s", GW_EINVAL, 0},
        {"+1s", GW_EINVAL, 0},
        {"", GW_EINVAL, 0},
        {"s", GW_EINVAL, 0},
        {"5", 0, 5000},
        {"5 s", GW_EINVAL, 0},
        {" 5s", GW_EINVAL, 0},
        {"5S", GW_EINVAL, 0},
        {"5sec", GW_EINVAL, 0},
        {"5w", GW_EINVAL, 0},
        {"1h30", GW_EINVAL, 0},
        {"1.s", GW_EINVAL, 0},
        {".5s", GW_EINVAL, 0},
        {"1e3s", GW_EINVAL, 0},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t ms = 12345;
        int rc = cfg_parse_duration(cases[i].text, &ms);
        if (rc != cases[i].rc || (rc == 0 && ms != cases[i].ms))
            print_message("case \"%s\": rc %d ms %llu\n", cases[i].text, rc,
                          (unsigned long long)ms);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_true(ms == cases[i].ms);
    }
    assert_int_equal(cfg_parse_duration(NULL, &(uint64_t){0}), GW_EINVAL);
}

static void test_parse_size(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        uint64_t bytes;
    } cases[] = {
        {"512", 0, 512},
        {"512B", 0, 512},
        {"64KB", 0, 65536},
        {"64KiB", 0, 65536},
        {"64kb", 0, 65536},
        {"10MB", 0, 10485760},
        {"10MiB", 0, 10485760},
        {"1GB", 0, 1073741824},
        {"1TB", 0, 1099511627776ull},
        {"1.5KB", 0, 1536},
        {"0.5B", GW_EINVAL, 0},
        {"0", 0, 0},
        {"8388607TB", 0, 8388607ull << 40},
        {"8388608TB", GW_ERANGE, 0},
        {"10XB", GW_EINVAL, 0},
        {"10 MB", GW_EINVAL, 0},
        {"1GB512MB", GW_EINVAL, 0},
        {"-1KB", GW_EINVAL, 0},
        {"KB", GW_EINVAL, 0},
        {"", GW_EINVAL, 0},
        {"10M", GW_EINVAL, 0},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t bytes = 12345;
        int rc = cfg_parse_size(cases[i].text, &bytes);
        if (rc != cases[i].rc || (rc == 0 && bytes != cases[i].bytes))
            print_message("case \"%s\": rc %d bytes %llu\n", cases[i].text, rc,
                          (unsigned long long)bytes);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_true(bytes == cases[i].bytes);
    }
}

static void test_duration_and_size_accept_numbers(void **state)
{
    (void)state;
    gw_config *cfg = load_ok("[gateway]\nretention = 0\nshutdown_timeout = 2.5\n"
                             "[[sink]]\nname = \"f\"\ntype = \"file\"\npath = \"/x\"\n"
                             "max_size = 4096\n");

    assert_int_equal(int_at(cfg->gateway, "retention"), 0);
    assert_int_equal(int_at(cfg->gateway, "shutdown_timeout"), 2500);
    assert_int_equal(int_at(cfg->sinks[0].settings, "max_size"), 4096);
    config_free(cfg);
}

/* ---- the generated reference --------------------------------------------------- */

static char *reference(const gw_plugin *const *plugins, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    assert_int_equal(config_write_reference(f, plugins, n), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(strlen(buf), len);
    return buf;
}

static void assert_keys_documented(const char *doc, const gw_option *opts)
{
    char row[128];

    for (; opts && opts->name; opts++) {
        snprintf(row, sizeof row, "\n| `%s` | ", opts->name);
        if (!strstr(doc, row))
            print_message("missing row for %s\n", opts->name);
        assert_non_null(strstr(doc, row));
    }
}

static void test_reference(void **state)
{
    (void)state;
    const gw_plugin *plugins[] = {&test_plugin, &empty_plugin};
    const gw_plugin *reversed[] = {&empty_plugin, &test_plugin};
    char *doc = reference(plugins, 2), *again = reference(reversed, 2);
    const sink_type *const *types = sink_types();
    const char *bare, *testnet;
    char heading[128];

    /* deterministic, whatever order the plugins were found in */
    assert_string_equal(doc, again);
    assert_true(strncmp(doc, "# Configuration reference\n", 26) == 0);
    assert_non_null(strstr(doc, "## `[gateway]`\n"));
    assert_non_null(strstr(doc, "## `[[account]]`\n"));
    assert_non_null(strstr(doc, "## `[[sink]]`\n"));
    assert_non_null(strstr(doc, "| key | type | required | default | allowed/range | "
                                "description |\n"));
    assert_non_null(strstr(doc, "| `log_level` | string | no | `\"info\"` | `\"error\"`, "
                                "`\"warn\"`, `\"info\"`, `\"debug\"` | least severe level "
                                "written to the log |\n"));
    assert_non_null(strstr(doc, "| `poll_interval` | duration | no | `\"60s\"` | 100ms to 1d |"));
    assert_non_null(strstr(doc, "| `max_failures` | integer | no | `5` | 1 to 1000 |"));
    assert_non_null(strstr(doc, "| `data_dir` | string (path) | no | `\"var\"` |  |"));
    assert_non_null(strstr(doc, "| `token` | string (secret) | yes |  |  | API token |\n"));
    assert_non_null(strstr(doc, "| `tags` | array of strings | no | `[\"a\", \"b\"]` |  |"));
    assert_non_null(strstr(doc, "| `options` | table |"));
    assert_keys_documented(doc, test_plugin_options);
    for (size_t i = 0; types[i]; i++) {
        snprintf(heading, sizeof heading, "## `[[sink]]` of type `\"%s\"`\n", types[i]->name);
        assert_non_null(strstr(doc, heading));
        assert_keys_documented(doc, types[i]->options);
    }
    bare = strstr(doc, "## `[account.options]` for network `\"bare\"`\n");
    testnet = strstr(doc, "## `[account.options]` for network `\"testnet\"`\n");
    assert_non_null(bare);
    assert_non_null(testnet);
    assert_true(bare < testnet);
    assert_non_null(strstr(bare, "`.\n\nNo keys of its own.\n"));
    assert_non_null(strstr(doc, "(&lt;network&gt;.so)"));
    free(doc);
    free(again);
}

static void test_reference_covers_core_keys(void **state)
{
    (void)state;
    char *doc = reference(NULL, 0);
    gw_config *cfg = load_ok("[[account]]\nnetwork = \"m\"\nname = \"n\"\n"
                             "[[sink]]\nname = \"s\"\ntype = \"stdout\"\n");
    const char *key;
    json_t *v;
    char row[128];

    /* every key the validator fills is documented, and vice versa */
    json_object_foreach(cfg->gateway, key, v)
    {
        snprintf(row, sizeof row, "\n| `%s` | ", key);
        assert_non_null(strstr(doc, row));
    }
    json_object_foreach(cfg->accounts[0].settings, key, v)
    {
        snprintf(row, sizeof row, "\n| `%s` | ", key);
        assert_non_null(strstr(doc, row));
    }
    json_object_foreach(cfg->sinks[0].settings, key, v)
    {
        snprintf(row, sizeof row, "\n| `%s` | ", key);
        assert_non_null(strstr(doc, row));
    }
    assert_null(strstr(doc, "[account.options]` for network"));
    config_free(cfg);
    free(doc);
}

static void test_check_declaration(void **state)
{
    (void)state;
    static const gw_option bad[] = {
        {.name = "rate", .type = GW_OPT_INT, .flags = GW_OPTF_BOUNDED, .default_value = "500",
         .min = 0, .max = 100, .help = "requests per minute"},
        {.name = "mode", .type = GW_OPT_STRING, .default_value = "push", .allowed = "poll|stream",
         .help = "how items arrive"},
        {.name = "wait", .type = GW_OPT_DURATION, .default_value = "soon", .help = "a pause"},
        {.name = "quiet", .type = GW_OPT_BOOL, .help = ""},
        {.name = NULL},
    };
    cfg_errors errs = {0};

    assert_int_equal(config_check_declaration(test_plugin_options, "testnet.so", &errs), 0);
    assert_int_equal(errs.count, 0);
    assert_int_equal(config_check_declaration(NULL, "none.so", &errs), 0);
    assert_int_equal(config_check_declaration(bad, "bad.so", &errs), GW_EINVAL);
    assert_int_equal(errs.count, 4);
    assert_string_equal(errs.lines[0], "bad.so: rate: the declared default is invalid: expected "
                                       "an integer from 0 to 100, found 500");
    assert_string_equal(errs.lines[1], "bad.so: mode: the declared default is invalid: expected "
                                       "one of \"poll\", \"stream\", found \"push\"");
    assert_non_null(strstr(errs.lines[2], "bad.so: wait: the declared default is invalid: "));
    assert_string_equal(errs.lines[3], "bad.so: quiet: the declaration has no help line");
    cfg_errors_free(&errs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_declaration),
        cmocka_unit_test(test_empty_file_gets_every_default),
        cmocka_unit_test(test_account_and_sink_defaults),
        cmocka_unit_test(test_unknown_key_did_you_mean),
        cmocka_unit_test(test_unknown_key_without_suggestion),
        cmocka_unit_test(test_unknown_top_level),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_section_of_the_wrong_kind),
        cmocka_unit_test(test_bad_duration),
        cmocka_unit_test(test_bad_size),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_disallowed_value),
        cmocka_unit_test(test_missing_required_key),
        cmocka_unit_test(test_duplicate_account),
        cmocka_unit_test(test_duplicate_sink_name),
        cmocka_unit_test(test_unknown_sink_type),
        cmocka_unit_test(test_env_unset),
        cmocka_unit_test(test_env_expansion),
        cmocka_unit_test(test_cfg_expand_env),
        cmocka_unit_test(test_toml_syntax_error),
        cmocka_unit_test(test_toml_error_names_key),
        cmocka_unit_test(test_all_errors_collected),
        cmocka_unit_test(test_retry_order),
        cmocka_unit_test(test_relative_paths),
        cmocka_unit_test(test_relative_base_dir),
        cmocka_unit_test(test_fixture_valid),
        cmocka_unit_test(test_fixture_invalid),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_directory_as_file),
        cmocka_unit_test(test_plugin_options_valid),
        cmocka_unit_test(test_plugin_options_errors),
        cmocka_unit_test(test_plugin_options_missing),
        cmocka_unit_test(test_plugin_secret_never_echoed),
        cmocka_unit_test(test_broken_declared_default),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_duration_and_size_accept_numbers),
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_reference_covers_core_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
