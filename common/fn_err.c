/*
 * fn_err.c — messages and names for flexnet error codes and -errno.
 * Pure tables; no state, thread-safe.
 */
#include "fn_err.h"

#include <errno.h>
#include <string.h>

const char *fn_strerror(int err)
{
    switch (err) {
    case FN_OK:
        return "success";
#define FN__ERR_MSG(name, value, msg)                                          \
    case name:                                                                 \
        return msg;
        FN_ERR_MAP(FN__ERR_MSG)
#undef FN__ERR_MSG
    default:
        break;
    }
    if (err < 0 && err > -1000)
        return strerror(-err); /* glibc: static strings for known errno */
    return "unknown error";
}

const char *fn_err_name(int err)
{
    switch (err) {
    case FN_OK:
        return "FN_OK";
#define FN__ERR_NAME(name, value, msg)                                         \
    case name:                                                                 \
        return #name;
        FN_ERR_MAP(FN__ERR_NAME)
#undef FN__ERR_NAME
    default:
        break;
    }
    if (err < 0 && err > -1000) {
        const char *n = strerrorname_np(-err);
        if (n)
            return n;
    }
    return "unknown";
}
