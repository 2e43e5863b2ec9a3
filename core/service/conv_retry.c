/* conv_retry.c - the service's commit (handing the tick's rows to the
 * writer) and what follows a failed one: the service goes on from
 * memory, writes nothing, and retries on a timer.
 */
#include <stdio.h>

#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"
#include "service/conv_writer.h"

/* After a failed commit of its database the service goes on from memory
 * (right for every event the log holds) and writes nothing until a
 * retry, which rolls back, reloads the tables, applies the log's events
 * after their applied seq and commits. One reload per retry, backing off
 * from 1 s to 30 s: a reload at every tick of a lasting failure would
 * apply an ever longer stretch of the log at every tick. */
#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000

static void retry_timer_cb(uv_timer_t *t)
{
    conv_service *svc = t->data;
    uint64_t delay = svc->retry_ms;
    svc->retry_ms = 0; /* writing again, for this attempt */
    char err[256];
    int rc = conv_service_reload(svc);
    if (rc == GW_OK)
        rc = conv_flush_rows(svc);
    if (rc == GW_OK)
        rc = conv_db_commit(svc);
    if (rc == GW_OK) /* waits for the batch */
        rc = conv_writer_take_failure(svc->writer, err, sizeof err);
    if (rc == GW_OK) {
        log_write(svc->log, GW_LOG_INFO, "conversations", "%s written again", store_path(svc->db));
        return;
    }
    conv_writer_discard(svc->writer);
    svc->retry_ms = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
    uv_update_time(svc->loop);
    uv_timer_start(&svc->retry_timer, retry_timer_cb, svc->retry_ms, 0);
}

/* why: the writer's message (the store's last error). */
static void start_failing(conv_service *svc, const char *why)
{
    if (svc->retry_ms > 0)
        return;
    svc->retry_ms = RETRY_FIRST_MS;
    uv_update_time(svc->loop); /* the failure may have waited (a busy lock) */
    uv_timer_start(&svc->retry_timer, retry_timer_cb, svc->retry_ms, 0);
    log_write(svc->log, GW_LOG_ERROR, "conversations",
              "cannot commit %s: %s; nothing more is written to it until a retry (in %d s, "
              "then backing off to %d s) succeeds; the conversations go on from memory and "
              "the log",
              store_path(svc->db), why, RETRY_FIRST_MS / 1000, RETRY_MAX_MS / 1000);
}

int conv_service_commit(conv_service *svc)
{
    if (svc->retry_ms > 0)
        return GW_EIO; /* failing: the retry writes */
    int rc = conv_flush_rows(svc);
    if (rc == GW_OK)
        rc = conv_db_commit(svc);
    if (rc != GW_OK) {
        conv_writer_discard(svc->writer);
        start_failing(svc, "out of memory");
    }
    return rc;
}

int conv_service_failing(const conv_service *svc)
{
    return svc->retry_ms > 0;
}

int conv_service_sync(conv_service *svc)
{
    char err[256];
    if (conv_writer_take_failure(svc->writer, err, sizeof err) != GW_OK) /* after a wait */
        start_failing(svc, err);
    return svc->retry_ms > 0 ? GW_EIO : GW_OK;
}

/* The writer's uv_async, on the loop: a batch failed. */
static void writer_failed(void *arg)
{
    conv_service_sync(arg);
}

/* The writer's uv_async, on the loop: a commit recorded a higher applied
 * seq, so the events up to it may leave with their members. */
static void writer_durable(void *arg)
{
    conv_service *svc = arg;
    int64_t durable = conv_writer_durable(svc->writer);
    if (durable <= svc->durable_seq)
        return;
    svc->durable_seq = durable;
    if (svc->opt.durable != NULL)
        svc->opt.durable(svc->opt.durable_arg);
}

int conv_retry_start_writer(conv_service *svc, char *err, size_t errlen)
{
    conv_writer_hooks hooks = {.failed = writer_failed, .durable = writer_durable, .arg = svc};
    return conv_db_start_writer(svc, &hooks, err, errlen);
}
