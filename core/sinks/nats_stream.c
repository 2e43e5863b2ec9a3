/* nats_stream.c - the nats sink's create_stream; see nats_stream.h. */
#include "sinks/nats_stream.h"

#include <stdio.h>

#include "gateway/error.h"
#include "sinks/nats_options.h"
#include "sinks/nats_subject.h"

int nats_stream_ensure(const nats_lib *lib, jsCtx *js, const char *stream,
                       const char *subject_template, int create, int64_t max_age_ms,
                       int64_t duplicate_window_ms, char *err, size_t errlen)
{
    jsErrCode jerr = 0;
    jsStreamInfo *si = NULL;
    natsStatus s = lib->js_GetStreamInfo(&si, js, stream, NULL, &jerr);
    if (s == NATS_OK) {
        lib->jsStreamInfo_Destroy(si);
        return GW_OK;
    }
    char filter[NATS_SUBJECT_MAX], why[240];
    if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
        nats_options_describe(lib, s, why, sizeof why);
        snprintf(err, errlen, "cannot look up stream %.64s: %.200s", stream, why);
        return GW_EIO;
    }
    if (!create) {
        snprintf(err, errlen,
                 "stream %.64s does not exist (create it, or set create_stream = true)", stream);
        return GW_EIO;
    }
    nats_subject_wildcard(subject_template, filter, sizeof filter);
    const char *subjects[] = {filter};
    jsStreamConfig cfg;
    lib->jsStreamConfig_Init(&cfg);
    cfg.Name = stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.MaxAge = max_age_ms * 1000000;
    cfg.Duplicates = duplicate_window_ms * 1000000;
    s = lib->js_AddStream(&si, js, &cfg, NULL, &jerr);
    if (s != NATS_OK) {
        nats_options_describe(lib, s, why, sizeof why);
        snprintf(err, errlen, "cannot create stream %.64s on %.100s: %.120s", stream, filter, why);
        return GW_EIO;
    }
    lib->jsStreamInfo_Destroy(si);
    return GW_OK;
}
