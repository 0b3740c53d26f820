/*
 * fn_err.h — flexnet's error codes.
 *
 * Every flexnet function that can fail returns an int: 0 on success or a
 * negative code. System errors pass through as -errno (e.g. -ECONNREFUSED).
 * flexnet's own codes sit at -1001 and below, out of errno's range and
 * above LMDB's (-30799 ... -30780), so one int carries all three.
 *
 * FN_EAGAIN is not a failure: it means "would block, call again when the
 * reactor says so" (nginx's NGX_AGAIN, libssh's SSH_AGAIN).
 *
 * Human detail never travels in the code: objects keep a bounded reason
 * string (fn_session_reason() …). errno is never an out channel.
 *
 * Thread-safe: both functions only read static tables.
 */
#ifndef FN_ERR_H
#define FN_ERR_H

/* X(name, value, message): one list feeds the enum, the names and the
 * messages, so they cannot drift apart. */
#define FN_ERR_MAP(X)                                                          \
    X(FN_EAGAIN, -1001, "operation would block")                               \
    X(FN_EINTERNAL, -1002, "internal error (a bug in flexnet)")                \
    X(FN_ERECURSE, -1003, "call not allowed inside this callback")             \
    X(FN_EPARSE, -1004, "malformed input")                                     \
    X(FN_ENOTFOUND, -1005, "not found")                                        \
    X(FN_EEXISTS, -1006, "already exists")                                     \
    X(FN_EFULL, -1007, "buffer or queue full")                                 \
    X(FN_ECANCELED, -1008, "cancelled")                                        \
    X(FN_ETIMEOUT, -1009, "timed out")                                         \
    X(FN_EAUTH, -1010, "authentication failed")                                \
    X(FN_EHOSTKEY, -1011, "host key mismatch or not trusted")                  \
    X(FN_ESSH, -1012, "SSH protocol error")                                    \
    X(FN_ECLOSED, -1013, "connection closed by peer")                          \
    X(FN_EVENDOR, -1014, "unknown vendor profile")                             \
    X(FN_ESCHEMA, -1015, "store schema is newer than this flexnet")            \
    X(FN_ESTORE, -1016, "store error")                                         \
    X(FN_EAMBIGUOUS, -1017, "ambiguous identifier prefix")                     \
    X(FN_ESTATE, -1018, "call not valid in the object's current state")        \
    X(FN_EREFUSED, -1019, "connection refused")                                \
    X(FN_ECREDS, -1020, "credentials unavailable")                             \
    X(FN_EHTTP, -1021, "HTTP request failed")                                  \
    X(FN_ENOALGO, -1022, "no common SSH algorithm")                            \
    X(FN_ETEMPLATE, -1040, "invalid TextFSM template or index")                \
    X(FN_EFSM, -1041, "TextFSM template rejected the input (Error action)")

enum fn_err {
    FN_OK = 0,
#define FN__ERR_ENUM(name, value, msg) name = value,
    FN_ERR_MAP(FN__ERR_ENUM)
#undef FN__ERR_ENUM
};

/* Returns a static message for a flexnet code or -errno. Never NULL. */
const char *fn_strerror(int err);

/* Returns the code's symbolic name ("FN_ETIMEOUT", "ECONNREFUSED"), or
 * "unknown". Never NULL. */
const char *fn_err_name(int err);

#endif /* FN_ERR_H */
