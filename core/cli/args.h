/* args.h - reading a command line against a table of commands, and the
 * help printed from that same table (so what the parser accepts and what
 * the help says cannot drift apart).
 *
 * The line is `PROGRAM [OPTIONS] [COMMAND] [ARGS]`. The global options
 * (-c/--config FILE, -h/--help, -V/--version) are accepted before and after
 * the command; a command's own options only after it. Both take the forms
 * `-c FILE`, `-cFILE`, `--config FILE` and `--config=FILE`. `--` ends the
 * options: what follows is an argument even when it starts with '-'.
 * -h and -V act where they stand: before the command they print the
 * overview (or the version), after it the command's help.
 *
 * Errors name the option and the command, e.g.
 *   gateway run: unknown option "--frobnicate" (see gateway run --help)
 * and are exit code 2.
 */
#ifndef GW_CLI_ARGS_H
#define GW_CLI_ARGS_H

#define CLI_DEFAULT_CONFIG "gateway.toml"
#define CLI_MAX_OPTIONS 8

/* cli_parse's answer when the command is to run (every other answer is an
 * exit code: the help or version was printed, or a usage error). */
#define CLI_PARSED (-1)

/* Exit code of a usage error. */
#define CLI_EXIT_USAGE 2

/* One option of a command. */
typedef struct cli_option {
    char short_name;       /* 'o' for -o, or 0 */
    const char *long_name; /* "output" for --output, or NULL; the name cli_value() takes */
    const char *value;     /* what it takes, as the help shows it ("FILE"); NULL: a flag */
    const char *help;      /* lines separated by '\n' */
} cli_option;

/* One command: what it is called, takes and says in its help. */
typedef struct cli_command {
    const char *name;
    const char *usage;      /* after "gateway ": "plugins [FILE...]"; '\n' between forms */
    const char *summary;    /* for the overview; lines separated by '\n' */
    const char *about;      /* for its help; paragraphs */
    const char *exit_codes; /* for its help */
    int max_args;           /* positional arguments it takes; -1: any number */
    cli_option options[CLI_MAX_OPTIONS]; /* its own options; unused slots zero */
} cli_command;

/* A program: its commands and the words around them in the overview. */
typedef struct cli_program {
    const char *name;            /* "gateway" */
    const char *version;         /* the line -V prints */
    const char *about;           /* one line under the usage lines */
    const char *footer;          /* after the options in the overview */
    const char *default_command; /* when none is given; names one of commands */
    const cli_command *commands; /* ends with an entry whose name is NULL */
} cli_program;

/* A parsed command line. Every pointer is borrowed from the program's
 * table or from argv. */
typedef struct cli_parsed {
    const cli_program *program;
    const cli_command *command;
    const char *config_path; /* -c's FILE, or CLI_DEFAULT_CONFIG */
    int config_given;        /* -c was given */
    /* Per entry of command->options: its value, "" for a flag that was
     * given, NULL when not given. */
    const char *values[CLI_MAX_OPTIONS];
    int argc;    /* the command's positional arguments, in order */
    char **argv; /* points into the argv given to cli_parse */
} cli_parsed;

/* Parse argv (argv[0] is the program) against prog. Positional arguments
 * are moved to the front of the part of argv after the command (as GNU
 * getopt permutes), and out->argv points there. Returns CLI_PARSED, or an
 * exit code after printing: 0 for --help and --version (stdout), 2 for a
 * usage error (stderr). */
int cli_parse(const cli_program *prog, int argc, char **argv, cli_parsed *out);

/* The value of the command's option --long_name: its argument, "" for a
 * flag that was given, NULL when not given or not an option of this
 * command. Borrowed. */
const char *cli_value(const cli_parsed *p, const char *long_name);

/* `gateway help [COMMAND]`: print the overview (command NULL), or
 * COMMAND's help (usage, what it does, its options, the global options,
 * its exit codes), to stdout and return 0; an unknown COMMAND is a usage
 * error (2). */
int cli_help(const cli_program *prog, const char *command);

#endif /* GW_CLI_ARGS_H */
