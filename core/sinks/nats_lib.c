/* nats_lib.c - libnats, loaded on first need; see nats_lib.h. */
#include "sinks/nats_lib.h"

#include <dlfcn.h>
#include <string.h>

#include "base/dynlib.h"
#include "gateway/error.h"

/* Every function of the table, once: the list below feeds both the
 * lookup and the type check. */
#define NATS_FUNCTIONS(X)                                                                          \
    X(nats_GetLastError)                                                                           \
    X(natsStatus_GetText)                                                                          \
    X(natsOptions_Create)                                                                          \
    X(natsOptions_Destroy)                                                                         \
    X(natsOptions_SetURL)                                                                          \
    X(natsOptions_SetName)                                                                         \
    X(natsOptions_SetTimeout)                                                                      \
    X(natsOptions_SetPingInterval)                                                                 \
    X(natsOptions_SetAllowReconnect)                                                               \
    X(natsOptions_SetMaxReconnect)                                                                 \
    X(natsOptions_SetReconnectWait)                                                                \
    X(natsOptions_SetReconnectBufSize)                                                             \
    X(natsOptions_SetRetryOnFailedConnect)                                                         \
    X(natsOptions_SetToken)                                                                        \
    X(natsOptions_SetUserCredentialsFromFiles)                                                     \
    X(natsOptions_SetSecure)                                                                       \
    X(natsOptions_LoadCATrustedCertificates)                                                       \
    X(natsOptions_LoadCertificatesChain)                                                           \
    X(natsConnection_Connect)                                                                      \
    X(natsConnection_Status)                                                                       \
    X(natsConnection_FlushTimeout)                                                                 \
    X(natsConnection_Destroy)                                                                      \
    X(natsConnection_PublishMsg)                                                                   \
    X(natsConnection_QueueSubscribe)                                                               \
    X(natsSubscription_SetOnCompleteCB)                                                            \
    X(natsSubscription_Unsubscribe)                                                                \
    X(natsSubscription_Destroy)                                                                    \
    X(natsMsg_Create)                                                                              \
    X(natsMsg_Destroy)                                                                             \
    X(natsMsg_GetSubject)                                                                          \
    X(natsMsg_GetReply)                                                                            \
    X(natsMsg_GetData)                                                                             \
    X(natsMsg_GetDataLength)                                                                       \
    X(natsMsgHeader_Get)                                                                           \
    X(natsMsgHeader_Set)                                                                           \
    X(natsMsgList_Destroy)                                                                         \
    X(natsConnection_JetStream)                                                                    \
    X(jsCtx_Destroy)                                                                               \
    X(jsOptions_Init)                                                                              \
    X(jsPubOptions_Init)                                                                           \
    X(js_PublishMsgAsync)                                                                          \
    X(js_PublishAsyncGetPendingList)                                                               \
    X(jsStreamConfig_Init)                                                                         \
    X(js_GetStreamInfo)                                                                            \
    X(js_AddStream)                                                                                \
    X(jsStreamInfo_Destroy)

/* Each field has exactly the type nats.h declares for its function: a
 * mistyped field would be called wrongly with no diagnostic at run time.
 * (_Generic does not evaluate its operand: no reference to libnats.) */
#define NATS_SAME_TYPE(name)                                                                       \
    _Static_assert(_Generic(&name, __typeof__(((nats_lib *)NULL)->name) : 1, default : 0),         \
                   "nats_lib." #name " does not match nats.h");
NATS_FUNCTIONS(NATS_SAME_TYPE)

/* One entry per function: its name in libnats and where it goes. */
#define NATS_FN(name) {#name, offsetof(nats_lib, name)},

static const dynlib_fn functions[] = {NATS_FUNCTIONS(NATS_FN)};

int nats_lib_open(nats_lib *lib, char *err, size_t errlen)
{
    memset(lib, 0, sizeof *lib);
    void *h = dynlib_open(NATS_LIB_SONAME, NATS_LIB_PACKAGE, functions,
                          sizeof functions / sizeof functions[0], lib, err, errlen);
    if (h == NULL)
        return GW_EIO;
    lib->handle = h;
    return GW_OK;
}

void nats_lib_close(nats_lib *lib)
{
    if (lib->handle == NULL)
        return;
    dlclose(lib->handle);
    memset(lib, 0, sizeof *lib);
}
