/*
 * rpc_creds.h — rpc/'s bridge to integrations' credential providers
 * (fn_creds.h: env, file, vault, cyberark), in plain types.
 *
 * Why a bridge: engine/fn_engine.h and integrations/fn_creds.h both
 * define `struct fn_creds` (the engine's is a value, integrations' an
 * opaque cache), so no file can include both; creds.c alone includes
 * fn_creds.h and the rest of rpc/ sees only this header.
 *
 * Thread: reactor. Ownership: a fetch owns its fn_creds_t cache; the
 * strings given to the callback are borrowed from it until
 * fn__rpc_fetch_free, which wipes every secret.
 */
#ifndef FN_RPC_CREDS_H
#define FN_RPC_CREDS_H

#include <stddef.h>

struct fn_http;
struct fn_config;

typedef struct fn__rpc_fetch fn__rpc_fetch_t;

/* status 0: user (may be NULL) and secret are borrowed until the fetch
 * is freed; else FN_ECREDS, FN_EAUTH, FN_ENOTFOUND, FN_EREFUSED,
 * FN_ETIMEOUT, FN_EHTTP, FN_EPARSE, FN_ECANCELED or -ENOMEM, with reason
 * (borrowed for the call; never holds a secret). */
typedef void fn__rpc_fetch_cb(int status, const char *user, const char *secret,
                              const char *reason, void *arg);

/* Starts fetching (provider, ref) (borrowed); cb runs exactly once, from
 * the loop (never inside this call). http and cfg are kept (cfg may be
 * NULL: env and file only). Returns 0, FN_ECREDS (unknown provider or
 * empty ref) or -ENOMEM; *out is owned: fn__rpc_fetch_free. */
int fn__rpc_fetch_start(fn__rpc_fetch_t **out, struct fn_http *http,
                        const struct fn_config *cfg, const char *provider,
                        const char *ref, fn__rpc_fetch_cb *cb, void *arg);

/* Cancels a pending fetch (its callback runs inside this call with
 * FN_ECANCELED), wipes the secrets, frees. Accepts NULL. */
void fn__rpc_fetch_free(fn__rpc_fetch_t *f);

#endif /* FN_RPC_CREDS_H */
