/* args.c - the command line parser and the help printed from the command
 * table; see args.h. Knows nothing of what the commands do: the table
 * (commands.c) says what each takes, main.c runs them.
 */
#include "cli/args.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gateway/plugin.h" /* GW_PRINTF */

/* The global options, accepted before and after the command. */
enum { GLOBAL_CONFIG, GLOBAL_HELP, GLOBAL_VERSION, GLOBAL_COUNT };
static const cli_option globals[GLOBAL_COUNT] = {
    [GLOBAL_CONFIG] = {'c', "config", "FILE",
                       "configuration file (default: " CLI_DEFAULT_CONFIG ")"},
    [GLOBAL_HELP] = {'h', "help", NULL, "show this help"},
    [GLOBAL_VERSION] = {'V', "version", NULL, "show the version and plugin ABI"},
};

/* Help texts start in this column, as `gateway --help` always had them. */
#define HELP_COLUMN 23
/* The longest line the help writes. */
#define WIDTH 79

/* ---- help ---- */

/* Print text starting in column col, its words wrapped before WIDTH and
 * every next line starting in column indent. A '\n' in text ends a line
 * (two make an empty one, between paragraphs), so tables read the same
 * whatever the texts' lengths. */
static void print_wrapped(FILE *out, const char *text, int col, int indent)
{
    int fresh = 1; /* no word on this line yet */
    for (const char *s = text; *s != '\0';) {
        if (*s == '\n') {
            fputc('\n', out);
            s++;
            col = *s != '\0' && *s != '\n' ? fprintf(out, "%*s", indent, "") : 0;
            fresh = 1;
            continue;
        }
        if (*s == ' ') {
            s++;
            continue;
        }
        int len = (int)strcspn(s, " \n");
        if (!fresh && col + 1 + len > WIDTH)
            col = fprintf(out, "\n%*s", indent, "") - 1;
        else if (!fresh)
            col += fprintf(out, " ");
        col += fprintf(out, "%.*s", len, s);
        s += len;
        fresh = 0;
    }
}

/* "  NAME   help": NAME may be several lines (a command's forms); the
 * help starts in HELP_COLUMN, on the line after NAME when NAME reaches it. */
static void print_entry(FILE *out, const char *name, const char *help)
{
    int col = 0;
    for (const char *line = name; line != NULL;) {
        const char *nl = strchr(line, '\n');
        int len = nl != NULL ? (int)(nl - line) : (int)strlen(line);
        fprintf(out, "%s  %.*s", line == name ? "" : "\n", len, line);
        col = 2 + len;
        line = nl != NULL ? nl + 1 : NULL;
    }
    if (col >= HELP_COLUMN) {
        fputc('\n', out);
        col = 0;
    }
    fprintf(out, "%*s", HELP_COLUMN - col, "");
    print_wrapped(out, help, HELP_COLUMN, HELP_COLUMN);
    fputc('\n', out);
}

static void print_option(FILE *out, const cli_option *o)
{
    char name[64];
    const char *sep = o->value != NULL ? " " : "";
    const char *value = o->value != NULL ? o->value : "";
    if (o->short_name != 0 && o->long_name != NULL)
        snprintf(name, sizeof name, "-%c, --%s%s%s", o->short_name, o->long_name, sep, value);
    else if (o->short_name != 0)
        snprintf(name, sizeof name, "-%c%s%s", o->short_name, sep, value);
    else
        snprintf(name, sizeof name, "    --%s%s%s", o->long_name, sep, value);
    print_entry(out, name, o->help);
}

static void print_globals(FILE *out)
{
    for (int g = 0; g < GLOBAL_COUNT; g++)
        print_option(out, &globals[g]);
}

static void print_overview(const cli_program *prog, FILE *out)
{
    fprintf(out,
            "usage: %s [-c FILE] [COMMAND] [ARGS]\n"
            "       %s COMMAND --help | %s help COMMAND\n\n%s\n\ncommands:\n",
            prog->name, prog->name, prog->name, prog->about);
    for (const cli_command *c = prog->commands; c->name != NULL; c++)
        print_entry(out, c->usage, c->summary);
    fprintf(out, "\noptions (before or after the command):\n");
    print_globals(out);
    fputc('\n', out);
    print_wrapped(out, prog->footer, 0, 0);
    fputc('\n', out);
}

static void print_command_help(const cli_program *prog, const cli_command *cmd, FILE *out)
{
    /* One usage line per form of the command. */
    const char *lead = "usage:";
    for (const char *line = cmd->usage; line != NULL;) {
        const char *nl = strchr(line, '\n');
        int len = nl != NULL ? (int)(nl - line) : (int)strlen(line);
        fprintf(out, "%s %s %.*s\n", lead, prog->name, len, line);
        lead = "      ";
        line = nl != NULL ? nl + 1 : NULL;
    }
    fputc('\n', out);
    print_wrapped(out, cmd->about, 0, 0);
    fprintf(out, "\n\noptions:\n");
    int own = 0;
    for (; own < CLI_MAX_OPTIONS && cmd->options[own].help != NULL; own++)
        print_option(out, &cmd->options[own]);
    if (own > 0)
        fprintf(out, "\nglobal options (before or after the command):\n");
    print_globals(out);
    int col = fprintf(out, "\nexit codes: ") - 1;
    print_wrapped(out, cmd->exit_codes, col, col);
    fputc('\n', out);
}

static const cli_command *find_command(const cli_program *prog, const char *name)
{
    for (const cli_command *c = prog->commands; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

int cli_help(const cli_program *prog, const char *command)
{
    if (command == NULL) {
        print_overview(prog, stdout);
        return 0;
    }
    const cli_command *cmd = find_command(prog, command);
    if (cmd == NULL) {
        fprintf(stderr, "%s: unknown command \"%s\" (try --help)\n", prog->name, command);
        return CLI_EXIT_USAGE;
    }
    print_command_help(prog, cmd, stdout);
    return 0;
}

/* ---- parsing ---- */

/* "gateway run: WHAT (see gateway run --help)" on stderr; returns the
 * usage exit code. Before the command is known it is just "gateway". */
GW_PRINTF(2, 3)
static int usage_error(const cli_parsed *p, const char *fmt, ...)
{
    const char *prog = p->program->name;
    const char *sp = p->command != NULL ? " " : "";
    const char *cmd = p->command != NULL ? p->command->name : "";
    fprintf(stderr, "%s%s%s: ", prog, sp, cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see %s%s%s --help)\n", prog, sp, cmd);
    return CLI_EXIT_USAGE;
}

/* Does tok name o? Sets *attached to a value written into the same token
 * ("--config=F", "-cF"), or NULL. A flag never matches with letters
 * after it ("-hx"): options are not bundled. */
static int option_matches(const cli_option *o, const char *tok, const char **attached)
{
    *attached = NULL;
    if (tok[1] == '-') {
        const char *name = tok + 2;
        size_t len = strcspn(name, "=");
        if (o->long_name == NULL || strlen(o->long_name) != len ||
            strncmp(o->long_name, name, len) != 0)
            return 0;
        if (name[len] == '=')
            *attached = name + len + 1;
        return 1;
    }
    if (o->short_name == 0 || tok[1] != o->short_name)
        return 0;
    if (tok[2] != '\0') {
        if (o->value == NULL)
            return 0;
        *attached = tok + 2;
    }
    return 1;
}

/* "a FILE", but "SECONDS": the message reads as a sentence. */
static const char *article(const char *value)
{
    size_t n = strlen(value);
    return n > 0 && value[n - 1] == 'S' ? "" : "a ";
}

/* Read the option at argv[*i] (and its value, which may be the next
 * token: *i moves past it). Returns CLI_PARSED or an exit code. */
static int read_option(cli_parsed *p, int argc, char **argv, int *i)
{
    const char *tok = argv[*i];
    const char *attached = NULL;
    const cli_option *opt = NULL;
    int global = -1, own = -1;
    for (int g = 0; g < GLOBAL_COUNT && opt == NULL; g++) {
        if (option_matches(&globals[g], tok, &attached)) {
            opt = &globals[g];
            global = g;
        }
    }
    for (int k = 0; p->command != NULL && opt == NULL && k < CLI_MAX_OPTIONS; k++) {
        const cli_option *o = &p->command->options[k];
        if (o->help != NULL && option_matches(o, tok, &attached)) {
            opt = o;
            own = k;
        }
    }
    if (opt == NULL)
        return usage_error(p, "unknown option \"%s\"", tok);
    const char *value = "";
    if (opt->value == NULL && attached != NULL)
        return usage_error(p, "--%s takes no value", opt->long_name);
    if (opt->value != NULL) {
        if (attached != NULL)
            value = attached;
        else if (*i + 1 < argc)
            value = argv[++*i];
        else
            return usage_error(p, "%s needs %s%s", tok, article(opt->value), opt->value);
    }
    switch (global) {
    case GLOBAL_HELP:
        if (p->command != NULL)
            print_command_help(p->program, p->command, stdout);
        else
            print_overview(p->program, stdout);
        return 0;
    case GLOBAL_VERSION:
        printf("%s\n", p->program->version);
        return 0;
    case GLOBAL_CONFIG:
        p->config_path = value;
        p->config_given = 1;
        return CLI_PARSED;
    default:
        p->values[own] = value;
        return CLI_PARSED;
    }
}

int cli_parse(const cli_program *prog, int argc, char **argv, cli_parsed *out)
{
    memset(out, 0, sizeof *out);
    out->program = prog;
    out->config_path = CLI_DEFAULT_CONFIG;
    out->argv = argv + argc;
    int only_args = 0; /* after "--" */
    int w = argc;      /* where the next positional argument goes */
    for (int i = 1; i < argc; i++) {
        const char *tok = argv[i];
        if (!only_args && strcmp(tok, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (!only_args && tok[0] == '-' && tok[1] != '\0') {
            int rc = read_option(out, argc, argv, &i);
            if (rc != CLI_PARSED)
                return rc;
            continue;
        }
        if (out->command == NULL) {
            out->command = find_command(prog, tok);
            if (out->command == NULL) {
                fprintf(stderr, "%s: unknown command \"%s\" (try --help)\n", prog->name, tok);
                return CLI_EXIT_USAGE;
            }
            w = i + 1;
            out->argv = argv + w;
            continue;
        }
        /* w <= i: this only moves tokens already read. */
        argv[w++] = argv[i];
        out->argc++;
    }
    if (out->command == NULL)
        out->command = find_command(prog, prog->default_command);
    int max = out->command->max_args;
    if (max >= 0 && out->argc > max)
        return usage_error(out, "unexpected argument \"%s\"", out->argv[max]);
    return CLI_PARSED;
}

const char *cli_value(const cli_parsed *p, const char *long_name)
{
    for (int k = 0; k < CLI_MAX_OPTIONS; k++) {
        const cli_option *o = &p->command->options[k];
        if (o->help != NULL && o->long_name != NULL && strcmp(o->long_name, long_name) == 0)
            return p->values[k];
    }
    return NULL;
}
