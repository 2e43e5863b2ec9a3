/* nats_options.c - the nats sink's keys, and libnats connection options
 * from its settings; see nats_options.h. */
#include "sinks/nats_options.h"

#include <stdio.h>
#include <string.h>

#include "gateway/error.h"

/* Bytes libnats may buffer while it reconnects on its own: one small
 * reply at a time. Publishes beyond it fail at once, so nothing sent
 * before a reconnection can overtake what is resent after it. */
#define NATS_RECONNECT_BUFFER 64 * 1024
/* Wait between two reconnection attempts to one server. */
#define NATS_RECONNECT_WAIT_MS 500
/* A server that answers no ping for two of these is taken as gone (the
 * library's default, two minutes, would hold a batch that long). */
#define NATS_PING_INTERVAL_MS 10000

const gw_option nats_options_keys[] = {
    {.name = "url",
     .type = GW_OPT_STRING,
     .default_value = "nats://127.0.0.1:4222",
     .help = "the NATS server: nats://host:port, tls://host:port for TLS, or a comma-separated "
             "list of one cluster's servers (no user or password here: see token and "
             "credentials)"},
    {.name = "stream",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_REQUIRED,
     .help = "the JetStream stream the events are stored in; a publish that lands in another "
             "stream, or in none, fails and is retried"},
    {.name = "subject",
     .type = GW_OPT_STRING,
     .default_value = "social.{network}.{account}.{type}",
     .help = "the subject of each event: dot-separated tokens, each literal text or one of "
             "{network}, {account}, {type}; '.', '*', '>' and spaces in a value become '_' "
             "(action.succeeded -> action_succeeded)"},
    {.name = "create_stream",
     .type = GW_OPT_BOOL,
     .default_value = "false",
     .help = "create the stream when it does not exist: file storage, the subject template "
             "with each {..} as '*', max_age and duplicate_window below (an existing stream "
             "is left as it is)"},
    {.name = "max_age",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "0s",
     .min = 0,
     .max = 3650.0 * 86400000,
     .help = "with create_stream: how long the stream keeps an event; 0 keeps them until other "
             "limits remove them"},
    {.name = "duplicate_window",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "10m",
     .min = 1000,
     .max = 7.0 * 86400000,
     .help = "with create_stream: how long JetStream remembers an event id to drop a resent "
             "copy; make it longer than the longest gateway restart plus retry_max, or a "
             "resent event may be stored twice"},
    {.name = "credentials",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_PATH,
     .help = "a NATS credentials file (user JWT and NKey seed) to connect with"},
    {.name = "token",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_SECRET,
     .help = "a NATS authentication token; write it as \"${ENV_VAR}\""},
    {.name = "tls_ca",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_PATH,
     .help = "PEM file of the CA the server's certificate is verified against (turns TLS "
             "on; without it a tls:// url is verified against the system's CAs)"},
    {.name = "tls_cert",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_PATH,
     .help = "PEM client certificate, for a server that verifies clients (with tls_key)"},
    {.name = "tls_key",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_PATH,
     .help = "PEM private key of tls_cert"},
    {.name = "timeout",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "5s",
     .min = 100,
     .max = 600000,
     .help = "longest wait to connect, and for the server to acknowledge a whole batch; then "
             "the batch is sent again"},
    {.name = "actions_subject",
     .type = GW_OPT_STRING,
     .help = "answer action requests over NATS too: a request on "
             "<actions_subject>.<network>.<account> with the body of POST /v1/actions gets "
             "the HTTP API's JSON answer (off when unset; see docs/sinks.md)"},
    {.name = NULL},
};

static const char *setting(const json_t *settings, const char *key)
{
    const char *v = json_string_value(json_object_get(settings, key));
    return v != NULL && v[0] != '\0' ? v : NULL;
}

int nats_options_check(const json_t *settings, const char **key, char *err, size_t errlen)
{
    const char *url = setting(settings, "url");
    *key = "url";
    if (url == NULL) {
        snprintf(err, errlen, "url must not be empty");
        return GW_EINVAL;
    }
    /* A comma-separated list of servers of one cluster is allowed. */
    const char *p = url;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        if (!((len > 7 && strncmp(p, "nats://", 7) == 0) ||
              (len > 6 && strncmp(p, "tls://", 6) == 0))) {
            snprintf(err, errlen,
                     "url must be nats://host:port or tls://host:port (a comma-separated list "
                     "for a cluster)");
            return GW_EINVAL;
        }
        if (memchr(p, '@', len) != NULL) {
            snprintf(err, errlen,
                     "url must not carry a user or password (it would be logged): use token "
                     "= \"${ENV_VAR}\" or credentials = \"file.creds\"");
            return GW_EINVAL;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    *key = "credentials";
    if (setting(settings, "token") != NULL && setting(settings, "credentials") != NULL) {
        snprintf(err, errlen, "set token or credentials, not both");
        return GW_EINVAL;
    }
    *key = setting(settings, "tls_cert") != NULL ? "tls_cert" : "tls_key";
    if ((setting(settings, "tls_cert") == NULL) != (setting(settings, "tls_key") == NULL)) {
        snprintf(err, errlen,
                 "tls_cert and tls_key go together (the client certificate and "
                 "its private key)");
        return GW_EINVAL;
    }
    *key = NULL;
    return GW_OK;
}

void nats_options_describe(const nats_lib *lib, natsStatus s, char *out, size_t outlen)
{
    natsStatus last = NATS_OK;
    const char *text = lib->nats_GetLastError(&last);
    if (text != NULL && text[0] != '\0' && last == s)
        snprintf(out, outlen, "%s (%s)", lib->natsStatus_GetText(s), text);
    else
        snprintf(out, outlen, "%s", lib->natsStatus_GetText(s));
}

int nats_options_new(const nats_lib *lib, const json_t *settings, const char *name, int reconnect,
                     natsOptions **out, char *err, size_t errlen)
{
    natsOptions *o = NULL;
    natsStatus s = lib->natsOptions_Create(&o);
    const char *what = "the options";
    json_int_t timeout = json_integer_value(json_object_get(settings, "timeout"));
    const char *token = setting(settings, "token");
    const char *creds = setting(settings, "credentials");
    const char *ca = setting(settings, "tls_ca");
    const char *cert = setting(settings, "tls_cert");
    const char *url = setting(settings, "url");

    if (s == NATS_OK) {
        what = "url";
        s = lib->natsOptions_SetURL(o, url);
    }
    if (s == NATS_OK)
        s = lib->natsOptions_SetName(o, name);
    if (s == NATS_OK)
        s = lib->natsOptions_SetTimeout(o, timeout > 0 ? (int64_t)timeout : 5000);
    if (s == NATS_OK)
        s = lib->natsOptions_SetPingInterval(o, NATS_PING_INTERVAL_MS);
    if (s == NATS_OK)
        s = lib->natsOptions_SetAllowReconnect(o, reconnect != 0);
    if (s == NATS_OK && reconnect) {
        s = lib->natsOptions_SetMaxReconnect(o, -1);
        if (s == NATS_OK)
            s = lib->natsOptions_SetReconnectWait(o, NATS_RECONNECT_WAIT_MS);
        if (s == NATS_OK)
            s = lib->natsOptions_SetReconnectBufSize(o, NATS_RECONNECT_BUFFER);
    }
    if (s == NATS_OK && token != NULL) {
        what = "token";
        s = lib->natsOptions_SetToken(o, token);
    }
    if (s == NATS_OK && creds != NULL) {
        what = "credentials";
        s = lib->natsOptions_SetUserCredentialsFromFiles(o, creds, NULL);
    }
    if (s == NATS_OK && (ca != NULL || cert != NULL || strstr(url, "tls://") != NULL)) {
        /* TLS is verified always: against tls_ca, else the system's CAs. */
        what = "TLS";
        s = lib->natsOptions_SetSecure(o, true);
        if (s == NATS_OK && ca != NULL) {
            what = "tls_ca";
            s = lib->natsOptions_LoadCATrustedCertificates(o, ca);
        }
        if (s == NATS_OK && cert != NULL) {
            what = "tls_cert/tls_key";
            s = lib->natsOptions_LoadCertificatesChain(o, cert, setting(settings, "tls_key"));
        }
    }
    if (s != NATS_OK) {
        char why[200];
        nats_options_describe(lib, s, why, sizeof why);
        snprintf(err, errlen, "cannot use %s: %s", what, why);
        lib->natsOptions_Destroy(o);
        return s == NATS_NO_MEMORY ? GW_ENOMEM : GW_EINVAL;
    }
    *out = o;
    return GW_OK;
}
