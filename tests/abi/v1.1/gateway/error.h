/* gateway/error.h - error codes shared by the host and plugins.
 *
 * Every fallible function in the gateway returns 0 on success or one of
 * these negative codes. Functions that can fail for several user-visible
 * reasons also fill a caller-provided message buffer; the code says what
 * kind of failure it was, the message says where and how to fix it.
 */
#ifndef GATEWAY_ERROR_H
#define GATEWAY_ERROR_H

enum gw_error {
    GW_OK = 0,
    GW_EINVAL = -1,       /* malformed input or argument */
    GW_ENOMEM = -2,       /* allocation failed */
    GW_ENOENT = -3,       /* no such key, file, account or event */
    GW_EIO = -4,          /* an I/O or storage operation failed */
    GW_EEXIST = -5,       /* already present (duplicate id, duplicate plugin) */
    GW_EUNSUPPORTED = -6, /* the operation is not offered */
    GW_EPARSE = -7,       /* syntax error in a document */
    GW_ERANGE = -8,       /* value out of range, or a buffer too small */
    GW_EBUSY = -9,        /* try again later */
    GW_EABI = -10,        /* ABI mismatch between host and plugin */
    GW_ESTATE = -11       /* called in the wrong lifecycle state */
};

/* gw_strerror - a short, static, human-readable name for an error code.
 * Ownership: returns a string literal; never free it. */
static inline const char *gw_strerror(int code)
{
    switch (code) {
    case GW_OK: return "success";
    case GW_EINVAL: return "invalid argument";
    case GW_ENOMEM: return "out of memory";
    case GW_ENOENT: return "not found";
    case GW_EIO: return "I/O error";
    case GW_EEXIST: return "already exists";
    case GW_EUNSUPPORTED: return "unsupported";
    case GW_EPARSE: return "parse error";
    case GW_ERANGE: return "out of range";
    case GW_EBUSY: return "busy";
    case GW_EABI: return "ABI mismatch";
    case GW_ESTATE: return "invalid state";
    default: return "unknown error";
    }
}

#endif /* GATEWAY_ERROR_H */
