/* check.h - `gateway plugin-check`: load one plugin in a test host, run
 * it through its life (create, fetch, a refetch from scratch, the action
 * hooks, a forged webhook delivery, destroy) and report every breach of
 * the contract in include/gateway/plugin.h, one line each. docs/
 * plugin-check.md lists the checks.
 */
#ifndef GW_CHECK_H
#define GW_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "base/sanitizer.h"

/* How long one call may hold the loop unless --max-block-ms says. A
 * sanitizer build of the gateway (-DGW_SANITIZE=ON: ASan and UBSan at
 * -O0) runs its own part of every call, and a plugin built to load into
 * it, several times slower, so its default is four times as long: with
 * 5 ms, the skeleton's own test failed there on a busy machine (7 ms on
 * the CPU for one callback), where the normal build's passes. */
#ifdef GW_UNDER_ASAN
#define CHECK_DEFAULT_MAX_BLOCK_MS 20
#else
#define CHECK_DEFAULT_MAX_BLOCK_MS 5
#endif
#define CHECK_DEFAULT_DEADLINE_MS 60000 /* the gateway's default fetch_timeout */

typedef struct check_config {
    const char *plugin_path;  /* the .so */
    const char *options_path; /* TOML options file, or NULL */
    uint64_t max_block_ms;    /* longest a call may hold the loop */
    uint64_t deadline_ms;     /* longest a hook may take to complete */
    int json;                 /* print the report as JSON */
} check_config;

/* Run every check. The report goes to out; errors that stop the check
 * before it starts (no such file, options the declaration refuses) go to
 * errout. Returns the exit code: 0 no breach, 1 breaches, 2 a usage or
 * options error. */
int check_plugin(const check_config *cfg, FILE *out, FILE *errout);

#endif /* GW_CHECK_H */
