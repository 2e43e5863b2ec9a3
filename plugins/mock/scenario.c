/* plugins/mock/scenario.c - replay of a scripted JSONL file.
 *
 * With the `scenario` option the mock emits the events of a file instead
 * of synthetic ones, so a test can script exactly what a network delivers.
 *
 * Format (JSON Lines, UTF-8):
 *   - each line is one event object in the shape plugins emit (see
 *     docs/event.schema.json): "type" and "native_id" are required;
 *     "visibility" defaults to "private" for type "message" and "public"
 *     otherwise; "created_at" defaults to the time of emission; every
 *     other member is passed to the host as written. Leave out what the
 *     host fills: id, seq, network, account, received_at.
 *   - blank lines and lines starting with '#' are skipped (comments).
 *   - events are emitted in file order, paced by `rate` and `batch` like
 *     synthetic ones, and `count` still caps the total.
 *   - progress is the number of events emitted, kept under the key
 *     "scenario_next" of the host's key/value store: a restarted gateway
 *     resumes after the last event it kept. When the file ends the mock
 *     idles (fetch completes with the poll interval).
 *   - a relative path is taken as written, i.e. relative to the working
 *     directory of the gateway process.
 * The whole file is checked and loaded at create(), so a typo fails the
 * account at start with "file:line: reason" rather than midway.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

struct mock_scenario {
    json_t *events; /* owned array of event objects, in file order */
};

static bool line_is_skipped(const char *line)
{
    while (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\n')
        line++;
    return *line == '\0' || *line == '#';
}

static void scenario_error(char *err, size_t errlen, const char *path, size_t lineno,
                           const char *reason)
{
    char msg[512];
    snprintf(msg, sizeof msg, "mock: scenario %s:%zu: %s", path, lineno, reason);
    gw_sdk_str_copy(err, errlen, msg);
}

int mock_scenario_load(const char *path, mock_scenario **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "mock: cannot open scenario '%s': %s (relative paths are "
                 "relative to the working directory)",
                 path, strerror(errno));
        gw_sdk_str_copy(err, errlen, msg);
        return GW_ENOENT;
    }
    mock_scenario *sc = calloc(1, sizeof *sc);
    json_t *events = json_array();
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = 0;
    if (sc == NULL || events == NULL) {
        gw_sdk_str_copy(err, errlen, "mock: out of memory");
        rc = GW_ENOMEM;
        goto done;
    }
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (line_is_skipped(line))
            continue;
        json_error_t jerr;
        json_t *event = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
        if (event == NULL) {
            char reason[256];
            snprintf(reason, sizeof reason, "column %d: %s", jerr.column, jerr.text);
            scenario_error(err, errlen, path, lineno, reason);
            rc = GW_EPARSE;
            goto done;
        }
        /* Check now what emit time would refuse; 0 stands for "now". */
        char reason[128];
        json_t *probe = json_deep_copy(event);
        rc = probe != NULL ? mock_event_prepare(probe, 0, reason, sizeof reason) : GW_ENOMEM;
        json_decref(probe);
        if (rc < 0) {
            json_decref(event);
            scenario_error(err, errlen, path, lineno, rc == GW_ENOMEM ? "out of memory" : reason);
            goto done;
        }
        if (json_array_append_new(events, event) < 0) {
            gw_sdk_str_copy(err, errlen, "mock: out of memory");
            rc = GW_ENOMEM;
            goto done;
        }
    }
    if (ferror(f)) {
        scenario_error(err, errlen, path, lineno + 1, strerror(errno));
        rc = GW_EIO;
        goto done;
    }

done:
    free(line);
    fclose(f);
    if (rc < 0) {
        json_decref(events);
        free(sc);
        return rc;
    }
    sc->events = events;
    *out = sc;
    return 0;
}

size_t mock_scenario_size(const mock_scenario *sc)
{
    return sc != NULL ? json_array_size(sc->events) : 0;
}

json_t *mock_scenario_event(const mock_scenario *sc, size_t index)
{
    /* A copy, because the host may modify the event it is handed (it adds
     * id, seq...) and the loaded original must stay as written. */
    if (sc == NULL)
        return NULL;
    return json_deep_copy(json_array_get(sc->events, index));
}

void mock_scenario_free(mock_scenario *sc)
{
    if (sc == NULL)
        return;
    json_decref(sc->events);
    free(sc);
}
