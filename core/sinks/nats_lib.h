/* nats_lib.h - libnats, loaded when it is first needed.
 *
 * The gateway does not link libnats: linking it loads libssl, libcrypto
 * and libprotobuf-c into every process at start, although NATS is used
 * only by a [[sink]] of type "nats" (sinks/nats.c) and the action
 * requests over it (api/actions_nats.c). So the functions we call are
 * looked up by nats_lib_open() from libnats.so.3.4 (Debian's libnats3.4,
 * the version the headers come from) when one of those is opened; a
 * gateway without them never maps it, and `check-config` only validates
 * the settings (nats_options_check), without it.
 *
 * No global state: each user holds its own table; dlopen counts its
 * users, so tables may come and go. Once loaded, libnats stays until the
 * process exits (base/dynlib.h: it starts threads of its own that live
 * until then, and leaves a thread-local destructor in every thread that
 * called it): nats_lib_close releases the table's reference only.
 *
 * The fields are named after the functions, so a call reads as the
 * library's documentation does: lib->natsConnection_Connect(&nc, o).
 */
#ifndef GW_SINKS_NATS_LIB_H
#define GW_SINKS_NATS_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

/* The SONAME looked up: libnats puts its minor version in it, so a new
 * minor is a new SONAME (and a new Debian package) to build against. */
#define NATS_LIB_SONAME "libnats.so.3.4"
/* The Debian package that ships it, suggested when it is missing. */
#define NATS_LIB_PACKAGE "libnats3.4"

typedef struct nats_lib {
    void *handle; /* dlopen's; NULL once closed */

    /* The library. */
    const char *(*nats_GetLastError)(natsStatus *status);
    const char *(*natsStatus_GetText)(natsStatus s);

    /* Connection options (sinks/nats_options.c). */
    natsStatus (*natsOptions_Create)(natsOptions **newOpts);
    void (*natsOptions_Destroy)(natsOptions *opts);
    natsStatus (*natsOptions_SetURL)(natsOptions *opts, const char *url);
    natsStatus (*natsOptions_SetName)(natsOptions *opts, const char *name);
    natsStatus (*natsOptions_SetTimeout)(natsOptions *opts, int64_t timeout);
    natsStatus (*natsOptions_SetPingInterval)(natsOptions *opts, int64_t interval);
    natsStatus (*natsOptions_SetAllowReconnect)(natsOptions *opts, bool allow);
    natsStatus (*natsOptions_SetMaxReconnect)(natsOptions *opts, int maxReconnect);
    natsStatus (*natsOptions_SetReconnectWait)(natsOptions *opts, int64_t reconnectWait);
    natsStatus (*natsOptions_SetReconnectBufSize)(natsOptions *opts, int reconnectBufSize);
    natsStatus (*natsOptions_SetRetryOnFailedConnect)(natsOptions *opts, bool retry,
                                                      natsConnectionHandler connectedCb,
                                                      void *closure);
    natsStatus (*natsOptions_SetToken)(natsOptions *opts, const char *token);
    natsStatus (*natsOptions_SetUserCredentialsFromFiles)(natsOptions *opts,
                                                          const char *userOrChainedFile,
                                                          const char *seedFile);
    natsStatus (*natsOptions_SetSecure)(natsOptions *opts, bool secure);
    natsStatus (*natsOptions_LoadCATrustedCertificates)(natsOptions *opts, const char *fileName);
    natsStatus (*natsOptions_LoadCertificatesChain)(natsOptions *opts, const char *certsFileName,
                                                    const char *keyFileName);

    /* Connections. */
    natsStatus (*natsConnection_Connect)(natsConnection **nc, natsOptions *options);
    natsConnStatus (*natsConnection_Status)(natsConnection *nc);
    natsStatus (*natsConnection_FlushTimeout)(natsConnection *nc, int64_t timeout);
    void (*natsConnection_Destroy)(natsConnection *nc);
    natsStatus (*natsConnection_PublishMsg)(natsConnection *nc, natsMsg *msg);
    natsStatus (*natsConnection_QueueSubscribe)(natsSubscription **sub, natsConnection *nc,
                                                const char *subject, const char *queueGroup,
                                                natsMsgHandler cb, void *cbClosure);

    /* Subscriptions (api/actions_nats.c). */
    natsStatus (*natsSubscription_SetOnCompleteCB)(natsSubscription *sub, natsOnCompleteCB cb,
                                                   void *closure);
    natsStatus (*natsSubscription_Unsubscribe)(natsSubscription *sub);
    void (*natsSubscription_Destroy)(natsSubscription *sub);

    /* Messages. */
    natsStatus (*natsMsg_Create)(natsMsg **newMsg, const char *subj, const char *reply,
                                 const char *data, int dataLen);
    void (*natsMsg_Destroy)(natsMsg *msg);
    const char *(*natsMsg_GetSubject)(const natsMsg *msg);
    const char *(*natsMsg_GetReply)(const natsMsg *msg);
    const char *(*natsMsg_GetData)(const natsMsg *msg);
    int (*natsMsg_GetDataLength)(const natsMsg *msg);
    natsStatus (*natsMsgHeader_Get)(natsMsg *msg, const char *key, const char **value);
    natsStatus (*natsMsgHeader_Set)(natsMsg *msg, const char *key, const char *value);
    void (*natsMsgList_Destroy)(natsMsgList *list);

    /* JetStream (sinks/nats_connection.c, sinks/nats_stream.c). */
    natsStatus (*natsConnection_JetStream)(jsCtx **js, natsConnection *nc, jsOptions *opts);
    void (*jsCtx_Destroy)(jsCtx *js);
    natsStatus (*jsOptions_Init)(jsOptions *opts);
    natsStatus (*jsPubOptions_Init)(jsPubOptions *opts);
    natsStatus (*js_PublishMsgAsync)(jsCtx *js, natsMsg **msg, jsPubOptions *opts);
    natsStatus (*js_PublishAsyncGetPendingList)(natsMsgList *pending, jsCtx *js);
    natsStatus (*jsStreamConfig_Init)(jsStreamConfig *cfg);
    natsStatus (*js_GetStreamInfo)(jsStreamInfo **si, jsCtx *js, const char *stream,
                                   jsOptions *opts, jsErrCode *errCode);
    natsStatus (*js_AddStream)(jsStreamInfo **si, jsCtx *js, jsStreamConfig *cfg, jsOptions *opts,
                               jsErrCode *errCode);
    void (*jsStreamInfo_Destroy)(jsStreamInfo *si);
} nats_lib;

/* Load libnats and every function above into *lib (the caller's; it
 * holds no reference to anything else). Returns 0, or GW_EIO with a
 * one-line reason in err naming the library and the Debian package to
 * install (or the missing function); *lib then needs no close. */
int nats_lib_open(nats_lib *lib, char *err, size_t errlen);

/* Release the table's reference to the library and zero *lib; every
 * object made through lib must be destroyed first, and no libnats thread
 * may be about to call back into code that reads lib. The library itself
 * stays mapped (see above). Idempotent; a table never opened but zeroed
 * is a no-op. */
void nats_lib_close(nats_lib *lib);

#endif /* GW_SINKS_NATS_LIB_H */
