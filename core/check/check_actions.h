/* check_actions.h - the checks of the action hooks and the webhook hook
 * (check_actions.c), and the run's context the scenario (check_run.c)
 * hands them. Only check_run.c includes it.
 */
#ifndef GW_CHECK_ACTIONS_H
#define GW_CHECK_ACTIONS_H

#include <stdio.h>

#include <jansson.h>
#include <uv.h>

#include "check/check.h"
#include "check/check_host.h"
#include "check/check_report.h"

typedef struct check_ctx {
    const check_config *cfg;
    const gw_plugin *desc; /* borrowed from the loader's set */
    json_t *options;       /* owned: validated options */
    check_report *rep;     /* owned */
    uv_loop_t loop;
    http_client *client; /* owned */
    check_limits limits;
    FILE *notes; /* borrowed: where what ran is told (stderr) */
} check_ctx;

/* The action hooks and the webhook hook of a created instance that has
 * fetched events (borrowed, by native_id; may be empty). */
void check_actions_run(check_ctx *c, check_host *h, gw_instance *inst, const json_t *events);
void check_webhook_run(check_ctx *c, check_host *h, gw_instance *inst);

#endif /* GW_CHECK_ACTIONS_H */
