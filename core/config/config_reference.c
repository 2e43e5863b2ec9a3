/* config_reference.c - the Markdown configuration reference
 * (docs/configuration.md) rendered from every declaration: the core
 * sections (config_schema.c), the sink types (core/sinks/) and the
 * plugins' options. Writes to the caller's FILE; owns nothing past a call.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config_reference.h"
#include "config/config_schema.h"
#include "config/config_types.h"
#include "gateway/error.h"
#include "sinks/sink.h"

/* ---- Markdown rendering ---------------------------------------------- */

/* Write text for a table cell or heading: a '|' would end the cell and a
 * newline the row; outside a code span "<network>" would be taken for an
 * HTML tag and vanish. */
static void md_write(FILE *out, const char *text, int in_code)
{
    for (; text && *text; text++) {
        if (*text == '|')
            fputs("\\|", out);
        else if (*text == '\n' || *text == '\r')
            fputc(' ', out);
        else if (!in_code && *text == '<')
            fputs("&lt;", out);
        else if (!in_code && *text == '>')
            fputs("&gt;", out);
        else
            fputc(*text, out);
    }
}

static void md_text(FILE *out, const char *text)
{
    md_write(out, text, 0);
}

static void md_code(FILE *out, const char *text)
{
    md_write(out, text, 1);
}

static int option_is_quoted(gw_option_type type)
{
    return type == GW_OPT_STRING || type == GW_OPT_DURATION || type == GW_OPT_SIZE;
}

/* The default as the user would write it in the file: strings quoted,
 * string arrays in TOML array syntax. */
static void md_default(FILE *out, const gw_option *opt)
{
    const char *d = opt->default_value;

    if (!d)
        return;
    fputc('`', out);
    if (option_is_quoted(opt->type)) {
        fputc('"', out);
        md_code(out, d);
        fputc('"', out);
    } else if (opt->type == GW_OPT_STRING_ARRAY) {
        /* a comma-separated default, shown as the TOML array it means */
        const char *sep = "";
        fputc('[', out);
        while (*d) {
            size_t n = strcspn(d, ",");
            fprintf(out, "%s\"", sep);
            fwrite(d, 1, n, out);
            fputc('"', out);
            sep = ", ";
            d += n;
            if (*d == ',')
                d++;
        }
        fputc(']', out);
    } else {
        md_code(out, d);
    }
    fputc('`', out);
}

static void md_range(FILE *out, const gw_option *opt)
{
    char lo[48], hi[48];
    const char *p;

    if (opt->allowed && (opt->type == GW_OPT_STRING || opt->type == GW_OPT_STRING_ARRAY)) {
        for (p = opt->allowed;;) {
            size_t n = strcspn(p, "|");
            fprintf(out, "%s`\"%.*s\"`", p == opt->allowed ? "" : ", ", (int)n, p);
            if (!p[n])
                break;
            p += n + 1;
        }
        return;
    }
    if (!(opt->flags & GW_OPTF_BOUNDED))
        return;
    config_format_bound(opt, opt->min, lo, sizeof lo);
    config_format_bound(opt, opt->max, hi, sizeof hi);
    fprintf(out, "%s to %s", lo, hi);
}

static void md_table(FILE *out, const gw_option *opts, int with_account_options)
{
    size_t i;

    if ((!opts || !opts[0].name) && !with_account_options) {
        fputs("No keys of its own.\n\n", out);
        return;
    }
    fputs("| key | type | required | default | allowed/range | description |\n"
          "|---|---|---|---|---|---|\n",
          out);
    for (i = 0; opts && opts[i].name; i++) {
        const gw_option *o = &opts[i];
        fputs("| `", out);
        md_code(out, o->name);
        fprintf(out, "` | %s%s%s | %s | ", config_type_name(o->type),
                config_option_is_path(o) ? " (path)" : "",
                (o->flags & GW_OPTF_SECRET) ? " (secret)" : "",
                (o->flags & GW_OPTF_REQUIRED) ? "yes" : "no");
        md_default(out, o);
        fputs(" | ", out);
        md_range(out, o);
        fputs(" | ", out);
        md_text(out, o->help);
        fputs(" |\n", out);
    }
    if (with_account_options)
        fputs("| `" CONFIG_ACCOUNT_OPTIONS_KEY "` | table | depends on the plugin |  |  | "
              "the network plugin's own keys, written as `[account.options]` after the "
              "`[[account]]` header; see the plugin sections below |\n",
              out);
    fputc('\n', out);
}

static const char reference_intro[] =
    "# Configuration reference\n"
    "\n"
    "<!-- Generated from the key declarations in the source (core/config/config_schema.c,\n"
    "     core/sinks/, plugins/); do not edit by hand, regenerate it. -->\n"
    "\n"
    "The gateway reads one TOML file, `gateway.toml`. Every table and key it\n"
    "accepts is listed below; any other key is an error, reported with a\n"
    "suggestion when it looks like a misspelling of a known one.\n"
    "\n"
    "- **Relative paths** resolve against the directory that holds the\n"
    "  configuration file, not the working directory. This applies to every\n"
    "  string key marked *(path)* (declared with the path flag), in any section\n"
    "  including `[account.options]`.\n"
    "- **Environment variables**: `${NAME}` anywhere in a string value is\n"
    "  replaced by the variable's value (names are letters, digits and `_`).\n"
    "  An unset variable is an error naming it. Write `$${` for a literal `${`.\n"
    "  Use this for secrets: `token = \"${TWITTER_TOKEN}\"`.\n"
    "- **Durations** are strings such as `\"500ms\"`, `\"30s\"`, `\"5m\"`, `\"2h\"` or\n"
    "  `\"1d\"`. Terms add up (`\"1h30m\"`) and may have a fraction (`\"1.5s\"`) as\n"
    "  long as the total is a whole number of milliseconds. A bare number,\n"
    "  quoted or not (`30`), means seconds. Negative durations are rejected.\n"
    "- **Sizes** are strings such as `\"512B\"`, `\"64KB\"`, `\"10MB\"`, `\"1GB\"` or\n"
    "  `\"1TB\"`, in powers of 1024; `KiB`, `MiB`, `GiB` and `TiB` mean the same\n"
    "  and case does not matter. A fraction is allowed when the total is a\n"
    "  whole number of bytes. A bare number means bytes.\n"
    "- **Errors** are reported all at once, one line each, as\n"
    "  `file:line:column: key.path: what was expected, found what was found`.\n"
    "  A TOML syntax error inside a value names its key the same way, and a\n"
    "  duration or size written without quotes (`poll_interval = 5s`) gets a\n"
    "  hint to quote it. The value of a *(secret)* key is never echoed.\n"
    "\n";

static int plugin_name_cmp(const void *a, const void *b)
{
    const gw_plugin *pa = *(const gw_plugin *const *)a;
    const gw_plugin *pb = *(const gw_plugin *const *)b;
    return strcmp(pa->name ? pa->name : "", pb->name ? pb->name : "");
}

int config_write_reference(FILE *out, const gw_plugin *const *plugins, size_t plugin_count)
{
    const sink_type *const *types = sink_types();
    gw_option sink_common[CONFIG_SINK_COMMON_MAX];
    const gw_plugin **sorted = NULL;
    char *type_names = NULL;
    size_t i;
    int rc;

    rc = config_sink_common_options(sink_common, &type_names);
    if (rc < 0)
        goto fail;
    /* The caller's order may come from a directory listing; sorting keeps
     * the generated file identical from one machine to the next. */
    if (plugin_count > 0) {
        sorted = malloc(plugin_count * sizeof *sorted);
        if (!sorted) {
            rc = GW_ENOMEM;
            goto fail;
        }
        memcpy(sorted, plugins, plugin_count * sizeof *sorted);
        qsort(sorted, plugin_count, sizeof *sorted, plugin_name_cmp);
    }

    fputs(reference_intro, out);

    fputs("## `[gateway]`\n\n"
          "Settings of the whole process. The table is optional and every key has a\n"
          "default.\n\n",
          out);
    md_table(out, config_gateway_options, 0);

    fputs("## `[http]`\n\n"
          "The embedded HTTP server: health, readiness, Prometheus metrics and\n"
          "webhook deliveries. It binds to loopback unless told otherwise; put a\n"
          "TLS-terminating proxy in front of it for the networks' webhooks.\n\n",
          out);
    md_table(out, config_http_options, 0);

    fputs("## `[api]`\n\n"
          "The action API, through which a help desk answers customers\n"
          "(`POST /v1/actions`, see `docs/openapi.yaml`). It is served by the `[http]`\n"
          "server and stays disabled until a `token` is set.\n\n",
          out);
    md_table(out, config_api_options, 0);

    fputs("## `[service]`\n\n"
          "Conversations and contacts: every customer item belongs to a conversation\n"
          "(per network thread) and every author to a contact per network; events carry\n"
          "`conversation_id` and `contact`, and `GET /v1/conversations` is the work queue\n"
          "(see `docs/openapi.yaml`).\n\n",
          out);
    md_table(out, config_service_options, 0);

    fputs("## `[[account]]`\n\n"
          "One table per account to listen on; there may be none. The pair\n"
          "`network` + `name` must be unique.\n\n",
          out);
    md_table(out, config_account_options, 1);

    fputs("## `[[sink]]`\n\n"
          "One table per destination of the event stream; there may be none. Every\n"
          "sink has these keys, plus the keys of its type listed in the next\n"
          "sections.\n\n",
          out);
    md_table(out, sink_common, 0);

    for (i = 0; types && types[i]; i++) {
        fputs("## `[[sink]]` of type `\"", out);
        md_code(out, types[i]->name);
        fputs("\"`\n\n", out);
        if (types[i]->help) {
            md_text(out, types[i]->help);
            fputs("\n\n", out);
        }
        md_table(out, types[i]->options, 0);
    }

    fputs("## `[triage]`\n\n"
          "Triage enrichment: every item a plugin delivers is tagged before it is\n"
          "stored (intent, sentiment, influence, brand keywords, priority and its\n"
          "reasons). `docs/triage.md` explains each tag, the lexicons and the\n"
          "built-in points; `gateway triage \"text\"` shows the tags of a sample.\n\n",
          out);
    md_table(out, config_triage_options, 0);

    fputs("## `[[rule]]`\n\n"
          "Priority rules, on top of the built-in points: one table per rule, in\n"
          "the order they apply. Every match key given must hold; a rule adds\n"
          "`points`, sets a `level`, or both.\n\n",
          out);
    md_table(out, config_rule_options, 0);

    for (i = 0; i < plugin_count; i++) {
        const gw_plugin *p = sorted[i];
        fputs("## `[account.options]` for network `\"", out);
        md_code(out, p->name);
        fputs("\"`\n\n", out);
        fputs("Keys of the `options` table of an `[[account]]` whose `network` is `\"", out);
        md_code(out, p->name);
        fputs("\"`.\n\n", out);
        md_table(out, p->options, 0);
    }

    rc = ferror(out) ? GW_EIO : 0;
fail:
    free(sorted);
    free(type_names);
    return rc;
}
