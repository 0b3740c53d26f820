/*
 * store_hostkey.c — pinned SSH host keys ("address:port" -> HostKey):
 * trust on first use, refuse or replace a changed key.
 *
 * Decides nothing about policy (strict, accept-new, off: the engine
 * does); only keeps the pins, lists them, forgets one (`flexnet hostkeys`). Any
 * thread; every write commits at once.
 */
#include "store_int.h"

#include "fn_err.h"
#include "fn_time.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct pin_ctx {
    const Flexnet__V1__HostKey *hk;
    int replace;
} pin_ctx_t;

static int same_key(const Flexnet__V1__HostKey *a,
                    const Flexnet__V1__HostKey *b)
{
    const char *ta = a->type ? a->type : "", *tb = b->type ? b->type : "";
    return strcmp(a->sha256, b->sha256) == 0 && strcmp(ta, tb) == 0;
}

static int pin_fn(fn_store_t *st, MDB_txn *txn, void *arg)
{
    pin_ctx_t *c = arg;
    Flexnet__V1__HostKey hk = *c->hk;
    int64_t now = fn_time_wall_us();
    MDB_val k = {strlen(hk.host), hk.host}, v;
    int rc = mdb_get(txn, st->dbi[DB_HOSTKEYS], &k, &v);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    Flexnet__V1__HostKey *old =
        rc == 0 ? flexnet__v1__host_key__unpack(NULL, v.mv_size, v.mv_data)
                : NULL;
    if (old && same_key(old, &hk)) {
        hk.first_seen_us = old->first_seen_us;
    } else if (old && !c->replace) {
        fn__store_failf(st, FN_EHOSTKEY,
                        "host key of %.200s changed: pinned %.80s, offered "
                        "%.80s",
                        hk.host, old->sha256, hk.sha256);
        flexnet__v1__host_key__free_unpacked(old, NULL);
        return FN_EHOSTKEY;
    }
    if (old)
        flexnet__v1__host_key__free_unpacked(old, NULL);
    if (!hk.first_seen_us)
        hk.first_seen_us = now;
    if (!hk.last_seen_us || hk.last_seen_us < now)
        hk.last_seen_us = now;
    size_t len;
    uint8_t *buf = fn__store_pack(&hk.base, &len);
    if (!buf)
        return ENOMEM;
    v.mv_size = len;
    v.mv_data = buf;
    rc = mdb_put(txn, st->dbi[DB_HOSTKEYS], &k, &v, 0);
    free(buf);
    return rc;
}

static int hostkey_pin(fn_store_t *st, const Flexnet__V1__HostKey *hk,
                       int replace)
{
    if (!st || !hk)
        return FN_EPARSE;
    size_t hl = hk->host ? strlen(hk->host) : 0;
    if (hl == 0 || hl > FN_STORE_HOST_MAX || !hk->sha256 || !hk->sha256[0])
        return fn__store_failf(st, FN_EPARSE,
                               "host key needs a host and a fingerprint");
    pin_ctx_t c = {hk, replace};
    return fn__store_write(st, pin_fn, &c);
}

int fn_store_hostkey_pin(fn_store_t *st, const Flexnet__V1__HostKey *hk)
{
    return hostkey_pin(st, hk, 0);
}

int fn_store_hostkey_replace(fn_store_t *st, const Flexnet__V1__HostKey *hk)
{
    return hostkey_pin(st, hk, 1);
}

int fn_store_hostkey_get(fn_store_t *st, const char *host,
                         Flexnet__V1__HostKey **out)
{
    if (!st || !host || !host[0] || !out)
        return FN_EPARSE;
    *out = NULL;
    MDB_txn *txn;
    int rc = fn__store_read_begin(st, &txn);
    if (rc)
        return rc;
    MDB_val k = {strlen(host), (void *)host}, v;
    rc = mdb_get(txn, st->dbi[DB_HOSTKEYS], &k, &v);
    if (rc == 0) {
        *out = flexnet__v1__host_key__unpack(NULL, v.mv_size, v.mv_data);
        rc = *out ? 0 : FN_EPARSE;
    }
    fn__store_read_end(st, txn);
    if (rc == MDB_NOTFOUND)
        return fn__store_failf(st, FN_ENOTFOUND, "no key pinned for %.200s",
                               host);
    return fn__store_fail(st, rc, "host key");
}

static int del_fn(fn_store_t *st, MDB_txn *txn, void *arg)
{
    const char *host = arg;
    MDB_val k = {strlen(host), (void *)host};
    int rc = mdb_del(txn, st->dbi[DB_HOSTKEYS], &k, NULL);
    if (rc == MDB_NOTFOUND)
        return fn__store_failf(st, FN_ENOTFOUND, "no key pinned for %.200s",
                               host);
    return rc;
}

int fn_store_hostkey_delete(fn_store_t *st, const char *host)
{
    if (!st || !host || !host[0] || strlen(host) > FN_STORE_HOST_MAX)
        return FN_EPARSE;
    return fn__store_write(st, del_fn, (void *)host);
}

int fn__store_hostkey_merge(fn_store_t *dst, MDB_txn *dtxn, const MDB_val *k,
                            const MDB_val *v, int *outcome)
{
    MDB_val key = *k, old;
    *outcome = 0;
    Flexnet__V1__HostKey *in =
        flexnet__v1__host_key__unpack(NULL, v->mv_size, v->mv_data);
    if (!in)
        return fn__store_failf(dst, FN_EPARSE, "source host key: corrupt");
    int rc = mdb_get(dtxn, dst->dbi[DB_HOSTKEYS], &key, &old);
    Flexnet__V1__HostKey *have =
        rc == 0 ? flexnet__v1__host_key__unpack(NULL, old.mv_size, old.mv_data)
                : NULL;
    if (rc == 0 && !have)
        rc = fn__store_failf(dst, FN_EPARSE, "host key: corrupt");
    else if (rc == 0 && !same_key(have, in))
        *outcome = -1; /* a pin is a trust decision: never overwrite it */
    else if (rc == 0 && (in->first_seen_us < have->first_seen_us ||
                         in->last_seen_us > have->last_seen_us)) {
        if (have->first_seen_us < in->first_seen_us)
            in->first_seen_us = have->first_seen_us;
        if (have->last_seen_us > in->last_seen_us)
            in->last_seen_us = have->last_seen_us;
        *outcome = 1;
    } else if (rc == MDB_NOTFOUND) {
        *outcome = 1;
        rc = 0;
    }
    if (rc == 0 && *outcome > 0) {
        size_t len;
        uint8_t *buf = fn__store_pack(&in->base, &len);
        MDB_val val = {len, buf};
        rc =
            buf ? mdb_put(dtxn, dst->dbi[DB_HOSTKEYS], &key, &val, 0) : -ENOMEM;
        free(buf);
    }
    if (have)
        flexnet__v1__host_key__free_unpacked(have, NULL);
    flexnet__v1__host_key__free_unpacked(in, NULL);
    return rc;
}

int fn_store_hostkey_list(fn_store_t *st, fn_store_hostkey_cb *cb, void *arg)
{
    if (!st || !cb)
        return FN_EPARSE;
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = fn__store_read_begin(st, &txn);
    if (rc)
        return rc;
    rc = mdb_cursor_open(txn, st->dbi[DB_HOSTKEYS], &cur);
    int opened = rc == 0;
    MDB_val k, v;
    int op = MDB_FIRST, stop = 0;
    while (!rc && !stop && (rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        Flexnet__V1__HostKey *hk =
            flexnet__v1__host_key__unpack(NULL, v.mv_size, v.mv_data);
        if (!hk) {
            rc = FN_EPARSE;
            break;
        }
        stop = cb(hk, arg);
        flexnet__v1__host_key__free_unpacked(hk, NULL);
    }
    if (opened)
        mdb_cursor_close(cur);
    fn__store_read_end(st, txn);
    if (stop)
        return stop;
    return rc == MDB_NOTFOUND ? 0 : fn__store_fail(st, rc, "host keys");
}
