/* nats_tool.c - what the nats sink's tests need of a JetStream server,
 * through libnats (Debian has no Python NATS client):
 *
 *   nats_tool dump URL STREAM       every message, one JSON line each:
 *                                   {"stream_seq","subject","msg_id","gateway_seq","event"}
 *   nats_tool info URL STREAM       {"messages","first_seq","last_seq","subjects",
 *                                    "max_age_ms","duplicate_window_ms"}; exit 3 when
 *                                   the stream does not exist
 *   nats_tool create URL STREAM SUBJECT
 *                                   make a stream (file storage, 10 min duplicate window)
 *   nats_tool request URL SUBJECT BODY [IDEMPOTENCY_KEY]
 *                                   one request; prints {"status": <Gateway-Status header>,
 *                                   "body": <the answer's text>}
 *
 * NATS_TOKEN in the environment, when set, is the token to connect with;
 * NATS_CA, a PEM CA file: connect with TLS, verified against it.
 * Exit 0, 1 on an error (one line on stderr), 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nats/nats.h>

static int fail(const char *what, natsStatus s)
{
    natsStatus last;
    const char *text = nats_GetLastError(&last);
    fprintf(stderr, "nats_tool: %s: %s%s%s\n", what, natsStatus_GetText(s), text ? ": " : "",
            text ? text : "");
    return 1;
}

static natsStatus connect_to(const char *url, natsConnection **nc)
{
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK && getenv("NATS_TOKEN") != NULL)
        s = natsOptions_SetToken(o, getenv("NATS_TOKEN"));
    if (s == NATS_OK && getenv("NATS_CA") != NULL)
        s = natsOptions_SetSecure(o, true);
    if (s == NATS_OK && getenv("NATS_CA") != NULL)
        s = natsOptions_LoadCATrustedCertificates(o, getenv("NATS_CA"));
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 5000);
    if (s == NATS_OK)
        s = natsConnection_Connect(nc, o);
    natsOptions_Destroy(o);
    return s;
}

static int dump(jsCtx *js, const char *stream)
{
    jsStreamInfo *si = NULL;
    natsStatus s = js_GetStreamInfo(&si, js, stream, NULL, NULL);
    if (s != NATS_OK)
        return fail("stream info", s);
    for (uint64_t seq = si->State.FirstSeq; seq > 0 && seq <= si->State.LastSeq; seq++) {
        natsMsg *m = NULL;
        s = js_GetMsg(&m, js, stream, seq, NULL, NULL);
        if (s == NATS_NOT_FOUND)
            continue;
        if (s != NATS_OK) {
            jsStreamInfo_Destroy(si);
            return fail("get message", s);
        }
        const char *id = NULL, *gseq = NULL;
        natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
        natsMsgHeader_Get(m, "Gateway-Seq", &gseq);
        json_t *ev = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
        json_t *line = json_pack("{s:I, s:s, s:s?, s:I, s:o?}", "stream_seq", (json_int_t)seq,
                                 "subject", natsMsg_GetSubject(m), "msg_id", id, "gateway_seq",
                                 (json_int_t)(gseq ? strtoll(gseq, NULL, 10) : 0), "event", ev);
        char *text = json_dumps(line, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
        json_decref(line);
        natsMsg_Destroy(m);
    }
    jsStreamInfo_Destroy(si);
    return 0;
}

static int info(jsCtx *js, const char *stream)
{
    jsStreamInfo *si = NULL;
    jsErrCode code = 0;
    natsStatus s = js_GetStreamInfo(&si, js, stream, NULL, &code);
    if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr)
        return 3;
    if (s != NATS_OK)
        return fail("stream info", s);
    json_t *subjects = json_array();
    for (int i = 0; i < si->Config->SubjectsLen; i++)
        json_array_append_new(subjects, json_string(si->Config->Subjects[i]));
    json_t *doc = json_pack("{s:I, s:I, s:I, s:o, s:I, s:I}", "messages",
                            (json_int_t)si->State.Msgs, "first_seq", (json_int_t)si->State.FirstSeq,
                            "last_seq", (json_int_t)si->State.LastSeq, "subjects", subjects,
                            "max_age_ms", (json_int_t)(si->Config->MaxAge / 1000000),
                            "duplicate_window_ms", (json_int_t)(si->Config->Duplicates / 1000000));
    char *text = json_dumps(doc, JSON_COMPACT);
    printf("%s\n", text);
    free(text);
    json_decref(doc);
    jsStreamInfo_Destroy(si);
    return 0;
}

static int create(jsCtx *js, const char *stream, const char *subject)
{
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[] = {subject};
    cfg.Name = stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Duplicates = (int64_t)600 * 1000000000;
    jsStreamInfo *si = NULL;
    natsStatus s = js_AddStream(&si, js, &cfg, NULL, NULL);
    if (s != NATS_OK)
        return fail("create stream", s);
    jsStreamInfo_Destroy(si);
    return 0;
}

static int request(natsConnection *nc, const char *subject, const char *body, const char *key)
{
    natsMsg *req = NULL, *reply = NULL;
    natsStatus s = natsMsg_Create(&req, subject, NULL, body, (int)strlen(body));
    if (s == NATS_OK && key != NULL)
        s = natsMsgHeader_Set(req, "Idempotency-Key", key);
    if (s == NATS_OK)
        s = natsConnection_RequestMsg(&reply, nc, req, 10000);
    natsMsg_Destroy(req);
    if (s != NATS_OK)
        return fail("request", s);
    const char *status = NULL;
    natsMsgHeader_Get(reply, "Gateway-Status", &status);
    json_t *doc = json_pack("{s:s?, s:s%}", "status", status, "body", natsMsg_GetData(reply),
                            (size_t)natsMsg_GetDataLength(reply));
    char *text = json_dumps(doc, JSON_COMPACT);
    printf("%s\n", text);
    free(text);
    json_decref(doc);
    natsMsg_Destroy(reply);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: nats_tool dump|info|create|request URL ...\n");
        return 2;
    }
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsStatus s = connect_to(argv[2], &nc);
    if (s != NATS_OK)
        return fail("connect", s);
    s = natsConnection_JetStream(&js, nc, NULL);
    if (s != NATS_OK)
        return fail("jetstream", s);
    int rc = 2;
    if (strcmp(argv[1], "dump") == 0)
        rc = dump(js, argv[3]);
    else if (strcmp(argv[1], "info") == 0)
        rc = info(js, argv[3]);
    else if (strcmp(argv[1], "create") == 0 && argc == 5)
        rc = create(js, argv[3], argv[4]);
    else if (strcmp(argv[1], "request") == 0 && argc >= 5)
        rc = request(nc, argv[3], argv[4], argc > 5 ? argv[5] : NULL);
    else
        fprintf(stderr, "usage: nats_tool dump|info|create|request URL ...\n");
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return rc;
}
