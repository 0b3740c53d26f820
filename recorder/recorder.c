/*
 * recorder.c — the process-wide half of the recorder: the store's
 * group-commit tick, the S3 copies of backups (fn_s3_put on the loop,
 * the record updated in the callback), S3 deletes, credential fetches
 * by reference, and the warning hook.
 *
 * Does not: convert engine events (rec_task.c does). Thread: the
 * event_base's. Owns the S3 client, the flush timer, each upload's copy
 * of the text until its callback, each fetch's secrets cache.
 */
#include "recorder_int.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_log.h"
#include "fn_s3.h"
#include "fn_str.h"
#include "fn_secrets.h"
#include "fn_store.h"

#define REC_KEY_MAX 1024

typedef struct rec_upload {
    fn_recorder_t *rec;
    char task_id[FN_STORE_ID_LEN + 1];
    char id[FN_STORE_ID_LEN + 1];
    char key[REC_KEY_MAX];
    void *text; /* owned copy: fn_s3_put keeps it until the callback */
} rec_upload_t;

struct fn_rec_fetch {
    fn_secrets_t *cache;
    fn_rec_fetch_cb *cb;
    void *arg;
};

/* ---------------------------------------------------------------------
 * Warnings and the flush tick */

void fn__rec_warn(fn_recorder_t *r, const char *task_id, int what,
                  const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fn_log_ctx_t ctx = {task_id, NULL, FN_LOGC_STORE};
    if (r->o.on_warning) /* the front end says it its own way */
        r->o.on_warning(task_id ? task_id : "", what, msg, r->o.arg);
    else
        fn_log(FN_LOG_WARN, &ctx, "%s", msg);
}

static void rec_on_flush(evutil_socket_t fd, short what, void *arg)
{
    fn_recorder_t *r = arg;
    int rc = fn_store_flush(r->o.store);
    if (rc && !r->flush_failed++)
        fn__rec_warn(r, NULL, FN_RECORDER_WARN_STORE, "store: %s",
                     *fn_store_reason(r->o.store) ? fn_store_reason(r->o.store)
                                                  : fn_strerror(rc));
}

int fn_recorder_flush(fn_recorder_t *r)
{
    return fn_store_flush(r->o.store);
}

/* ---------------------------------------------------------------------
 * Lifecycle */

static int rec_s3_open(fn_recorder_t *r, char *err, size_t errlen)
{
    fn_s3_conf_t conf;
    if (!r->o.config || !r->o.http || fn_config_s3(r->o.config, &conf) != 0)
        return 0; /* no [s3]: backups stay local */
    int rc = fn_s3_new(&r->s3, r->o.http, &conf, err, errlen);
    return rc == -EINVAL ? FN_EPARSE : rc;
}

int fn_recorder_new(fn_recorder_t **out, const fn_recorder_opts_t *o, char *err,
                    size_t errlen)
{
    *out = NULL;
    if (!o || !o->base || !o->store)
        return FN_EPARSE;
    fn_recorder_t *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->o = *o;
    struct timeval tick = {0, FN_RECORDER_FLUSH_MS * 1000};
    r->flush = event_new(r->o.base, -1, EV_PERSIST, rec_on_flush, r);
    int rc = r->flush ? 0 : -ENOMEM;
    if (rc == 0 && event_add(r->flush, &tick) != 0)
        rc = FN_EINTERNAL;
    if (rc == 0)
        rc = rec_s3_open(r, err, errlen);
    if (rc < 0) {
        fn_recorder_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void fn_recorder_cancel_uploads(fn_recorder_t *r)
{
    struct fn_s3 *s3 = r ? r->s3 : NULL;
    if (!s3)
        return;
    r->s3 = NULL;
    fn_s3_free(s3); /* pending copies end inside, FN_ECANCELED */
}

void fn_recorder_free(fn_recorder_t *r)
{
    if (!r)
        return;
    fn_recorder_cancel_uploads(r);
    if (r->flush)
        event_free(r->flush);
    fn_store_flush(r->o.store);
    free(r);
}

size_t fn_recorder_uploads(const fn_recorder_t *r)
{
    return r->uploads;
}

int fn_recorder_has_s3(const fn_recorder_t *r)
{
    return r->s3 != NULL;
}

static int rec_idle(const void *arg)
{
    return ((const fn_recorder_t *)arg)->uploads == 0;
}

int fn_recorder_wait(fn_recorder_t *r)
{
    int rc = fn_http_wait(r->o.base, rec_idle, r);
    if (rc)
        return rc;
    return fn_store_flush(r->o.store) < 0 ? FN_ESTORE : 0;
}

/* ---------------------------------------------------------------------
 * S3 copies */

static const char *rec_reason(int status, const fn_s3_result_t *res)
{
    if (res && res->reason && res->reason[0])
        return res->reason;
    return fn_strerror(status);
}

static void rec_on_put(int status, const fn_s3_result_t *res, void *arg)
{
    rec_upload_t *up = arg;
    fn_recorder_t *r = up->rec;
    Flexnet__V1__Backup m = FLEXNET__V1__BACKUP__INIT;
    m.id = up->id;
    if (status == 0) {
        m.target = "s3";
        m.bucket = (char *)(r->s3 ? fn_s3_bucket(r->s3) : "");
        m.key = up->key;
    } else {
        m.target = "local";
        m.error = (char *)rec_reason(status, res);
        fn__rec_warn(r, up->task_id, FN_RECORDER_WARN_S3,
                     "backup %s: S3 copy failed: %s (kept locally)", up->id,
                     m.error);
    }
    if (fn_store_backup_update(r->o.store, &m) < 0)
        fn__rec_warn(r, up->task_id, FN_RECORDER_WARN_STORE,
                     "backup %s: store: %s", up->id,
                     fn_store_reason(r->o.store));
    r->uploads--;
    free(up->text);
    free(up);
    if (!r->uploads && r->o.on_idle)
        r->o.on_idle(r, r->o.arg);
}

void fn__rec_s3_upload(fn_recorder_t *r, const char *task_id, const char *id,
                       const char *host, const void *text, size_t len)
{
    if (!r->s3)
        return;
    rec_upload_t *up = calloc(1, sizeof(*up));
    char name[FN_STORE_HOST_MAX + FN_STORE_ID_LEN + 8];
    snprintf(name, sizeof(name), "%s/%s.cfg", host, id);
    int rc = up ? fn_s3_key(r->s3, name, up->key, sizeof(up->key)) : -ENOMEM;
    if (rc == 0 && !(up->text = malloc(len ? len : 1)))
        rc = -ENOMEM;
    if (rc == 0) {
        memcpy(up->text, text, len);
        snprintf(up->id, sizeof(up->id), "%s", id);
        snprintf(up->task_id, sizeof(up->task_id), "%s", task_id);
        up->rec = r;
        rc = fn_s3_put(r->s3, up->key, up->text, len, rec_on_put, up);
    }
    if (rc < 0) {
        fn__rec_warn(r, task_id, FN_RECORDER_WARN_S3,
                     "backup %s: cannot copy to S3: %s", id, fn_strerror(rc));
        if (up)
            free(up->text);
        free(up);
        return;
    }
    r->uploads++;
}

static void rec_on_delete(int status, const fn_s3_result_t *res, void *arg)
{
    fn_recorder_t *r = arg;
    if (status != 0 && status != FN_ENOTFOUND && status != FN_ECANCELED)
        fn__rec_warn(r, NULL, FN_RECORDER_WARN_S3, "S3 delete %s: %s",
                     res && res->key ? res->key : "?", rec_reason(status, res));
}

void fn_recorder_s3_delete(fn_recorder_t *r, const char *key)
{
    if (r->s3 && key && *key)
        fn_s3_delete(r->s3, key, rec_on_delete, r);
}

/* ---------------------------------------------------------------------
 * Names */

const char *fn_recorder_task_status_name(int s)
{
    static const char *const names[] = {
        "unknown", "pending",   "running",     "done",
        "failed",  "cancelled", "interrupted",
    };
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s]
                                                          : "unknown";
}

const char *fn_recorder_connect_status_name(int s)
{
    static const char *const names[] = {"unknown", "ok", "failed", "skipped"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s]
                                                          : "unknown";
}

const char *fn_recorder_last_line(const char *text, int *len)
{
    size_t n = 0;
    const char *start = fn_str_last_line(text, strlen(text), &n);
    *len = (int)n;
    return start;
}

/* ---------------------------------------------------------------------
 * Credential fetches */

static void fetch_done(int status, const fn_secret_t *cred, const char *reason,
                       void *arg)
{
    fn_rec_fetch_t *f = arg;
    if (status == 0)
        f->cb(0, cred->username, cred->secret, "", f->arg);
    else
        f->cb(status, NULL, NULL, reason ? reason : "", f->arg);
}

int fn_recorder_fetch_start(fn_rec_fetch_t **out, fn_recorder_t *r,
                            const char *provider, const char *ref,
                            fn_rec_fetch_cb *cb, void *arg)
{
    *out = NULL;
    if (!r->o.http)
        return FN_ECREDS;
    fn_rec_fetch_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->cb = cb;
    f->arg = arg;
    int rc = fn_secrets_new(&f->cache, r->o.http, r->o.config);
    if (rc == 0)
        rc = fn_secrets_get(f->cache, provider, ref, fetch_done, f);
    if (rc < 0) {
        fn_secrets_free(f->cache);
        free(f);
        return rc == -EINVAL ? FN_ECREDS : rc;
    }
    *out = f;
    return 0;
}

void fn_recorder_fetch_free(fn_rec_fetch_t *f)
{
    if (!f)
        return;
    fn_secrets_free(f->cache);
    free(f);
}
