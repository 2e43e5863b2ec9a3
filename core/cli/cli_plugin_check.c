/* cli_plugin_check.c - `gateway plugin-check`; see cli_plugin_check.h. */
#include "cli/cli_plugin_check.h"

#include <stdio.h>
#include <stdlib.h>

#include "check/check.h"

/* A whole number of milliseconds from option name's value, or the
 * default; 0 and a usage message when it is not one. */
static int read_ms(const cli_parsed *p, const char *name, uint64_t dflt, uint64_t min,
                   uint64_t *out)
{
    const char *text = cli_value(p, name);
    *out = dflt;
    if (text == NULL)
        return 1;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || text[0] == '-' || v < min) {
        fprintf(stderr,
                "gateway plugin-check: --%s takes whole milliseconds, at least %llu "
                "(found \"%s\")\n",
                name, (unsigned long long)min, text);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_plugin_check_main(const cli_parsed *p)
{
    if (p->argc != 1) {
        fprintf(stderr, "gateway plugin-check: %s (see gateway plugin-check --help)\n",
                p->argc == 0 ? "give the plugin's FILE.so" : "give one FILE.so at a time");
        return CLI_EXIT_USAGE;
    }
    check_config cfg = {
        .plugin_path = p->argv[0],
        .options_path = cli_value(p, "options"),
        .json = cli_value(p, "json") != NULL,
    };
    if (!read_ms(p, "max-block-ms", CHECK_DEFAULT_MAX_BLOCK_MS, 1, &cfg.max_block_ms) ||
        !read_ms(p, "deadline-ms", CHECK_DEFAULT_DEADLINE_MS, 10, &cfg.deadline_ms))
        return CLI_EXIT_USAGE;
    const char *fake = cli_value(p, "fake");
    /* The one process-wide change: the options file reads it as ${FAKE_URL}. */
    if (fake != NULL && setenv("FAKE_URL", fake, 1) != 0) {
        perror("gateway plugin-check: setenv");
        return CLI_EXIT_USAGE;
    }
    return check_plugin(&cfg, stdout, stderr);
}
