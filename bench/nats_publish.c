/* nats_publish.c - the nats sink bench's baseline: a bare libnats
 * JetStream publisher, asynchronous, at most WINDOW messages awaiting
 * their PubAck (the gateway's default batch_size), each with a
 * Nats-Msg-Id, into a stream it creates when missing.
 *
 *   nats_publish URL STREAM SUBJECT COUNT SIZE [WINDOW]
 *
 * Prints {"events":N,"seconds":S,"events_per_s":R} measured from the first
 * publish to the last PubAck. Exit 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

static int fail(const char *what, natsStatus s)
{
    natsStatus last;
    const char *text = nats_GetLastError(&last);
    fprintf(stderr, "nats_publish: %s: %s%s%s\n", what, natsStatus_GetText(s), text ? ": " : "",
            text ? text : "");
    return 1;
}

/* Counts failed acks; libnats calls it on its own thread. */
static void on_error(jsCtx *js, jsPubAckErr *pae, void *closure)
{
    (void)js;
    (void)pae;
    __atomic_add_fetch((int *)closure, 1, __ATOMIC_RELAXED);
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: nats_publish URL STREAM SUBJECT COUNT SIZE [WINDOW]\n");
        return 2;
    }
    const char *url = argv[1], *stream = argv[2], *subject = argv[3];
    long count = atol(argv[4]), size = atol(argv[5]);
    long window = argc > 6 ? atol(argv[6]) : 1024;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    int errors = 0;
    natsStatus s = natsConnection_ConnectTo(&nc, url);
    if (s != NATS_OK)
        return fail("connect", s);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = window;
    jo.PublishAsync.StallWait = 10000;
    jo.PublishAsync.ErrHandler = on_error;
    jo.PublishAsync.ErrHandlerClosure = &errors;
    if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK)
        return fail("jetstream", s);
    jsStreamInfo *si = NULL;
    if (js_GetStreamInfo(&si, js, stream, NULL, NULL) != NATS_OK) {
        char filter[256];
        snprintf(filter, sizeof filter, "%s.>", subject);
        const char *subjects[] = {filter};
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = stream;
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Storage = js_FileStorage;
        if ((s = js_AddStream(&si, js, &cfg, NULL, NULL)) != NATS_OK)
            return fail("create stream", s);
    }
    jsStreamInfo_Destroy(si);

    char *payload = malloc((size_t)size + 1);
    if (payload == NULL)
        return 1;
    memset(payload, 'x', (size_t)size);
    int64_t start = nats_NowInNanoSeconds();
    for (long i = 1; i <= count; i++) {
        char id[32], subj[256];
        snprintf(id, sizeof id, "bench:%ld", i);
        snprintf(subj, sizeof subj, "%s.event", subject);
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = id;
        if ((s = js_PublishAsync(js, subj, payload, (int)size, &po)) != NATS_OK)
            return fail("publish", s);
    }
    jsPubOptions wait;
    jsPubOptions_Init(&wait);
    wait.MaxWait = 60000;
    if ((s = js_PublishAsyncComplete(js, &wait)) != NATS_OK)
        return fail("waiting for the acks", s);
    double seconds = (double)(nats_NowInNanoSeconds() - start) / 1e9;
    printf("{\"events\":%ld,\"seconds\":%.3f,\"events_per_s\":%.0f,\"failed_acks\":%d}\n", count,
           seconds, seconds > 0 ? (double)count / seconds : 0.0, errors);
    free(payload);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return errors == 0 ? 0 : 1;
}
