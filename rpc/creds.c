/*
 * creds.c — fetches a RunTask's credentials by reference through
 * integrations' fn_creds (see rpc_creds.h for why this file stands
 * apart): one fn_creds_t cache per fetch, one (provider, ref) lookup.
 *
 * Thread: reactor. Owns: the cache (and so the secret) until freed.
 * Does not: log (the caller decides), read env var names of the request
 * (task_run.c resolves password_env itself).
 */
#include "rpc_creds.h"

#include <errno.h>
#include <stdlib.h>

#include "fn_creds.h"
#include "fn_err.h"

struct fn__rpc_fetch {
    fn_creds_t *cache;
    fn__rpc_fetch_cb *cb;
    void *arg;
};

static void fetch_done(int status, const fn_cred_t *cred, const char *reason,
                       void *arg)
{
    fn__rpc_fetch_t *f = arg;
    if (status == 0)
        f->cb(0, cred->username, cred->secret, "", f->arg);
    else
        f->cb(status, NULL, NULL, reason ? reason : "", f->arg);
}

int fn__rpc_fetch_start(fn__rpc_fetch_t **out, struct fn_http *http,
                        const struct fn_config *cfg, const char *provider,
                        const char *ref, fn__rpc_fetch_cb *cb, void *arg)
{
    *out = NULL;
    fn__rpc_fetch_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->cb = cb;
    f->arg = arg;
    int rc = fn_creds_new(&f->cache, http, cfg);
    if (rc == 0)
        rc = fn_creds_get(f->cache, provider, ref, fetch_done, f);
    if (rc < 0) {
        fn_creds_free(f->cache);
        free(f);
        return rc == -EINVAL ? FN_ECREDS : rc;
    }
    *out = f;
    return 0;
}

void fn__rpc_fetch_free(fn__rpc_fetch_t *f)
{
    if (!f)
        return;
    fn_creds_free(f->cache);
    free(f);
}
