/*
 * backup_s3.c — copies config backups to S3-compatible storage when the
 * integrations config has an [s3] section: every backup is stored
 * locally first (task_sink.c), then uploaded as "<prefix><host>/<id>.cfg";
 * the record is updated with target "s3", bucket and key, or keeps
 * target "local" with the upload's error. DeleteBackup deletes the
 * object too (best effort: a failure is logged, the record is gone).
 *
 * A drain waits for uploads in flight; when its grace is over, freeing
 * the client cancels them (their records say so).
 *
 * Thread: reactor. Owns: the fn_s3_t client and each upload's copy of
 * the text until its callback. Does not: read from S3 (the local copy
 * serves GetBackup).
 */
#include "rpc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_log.h"
#include "fn_s3.h"
#include "fn_store.h"

#define S3_KEY_MAX 1024

typedef struct s3_upload {
    struct fn_rpc *srv;
    char id[FN_STORE_ID_LEN + 1];
    char key[S3_KEY_MAX];
    void *text; /* owned copy: fn_s3_put keeps it until the callback */
} s3_upload_t;

static const fn_log_ctx_t s3_log = {NULL, NULL, FN_LOGC_RPC};

int fn__rpc_s3_open(struct fn_rpc *s, char *err, size_t errlen)
{
    fn_s3_conf_t conf;
    if (!s->config || fn_config_s3(s->config, &conf) != 0)
        return 0; /* no [s3]: backups stay local */
    int rc = fn_s3_new(&s->s3, s->http, &conf, err, errlen);
    return rc == -EINVAL ? FN_EPARSE : rc;
}

void fn__rpc_s3_close(struct fn_rpc *s)
{
    fn_s3_t *s3 = s->s3;
    s->s3 = NULL;
    fn_s3_free(s3); /* pending uploads end inside, FN_ECANCELED */
}

/* The result's failure text, or NULL when it has none. */
static const char *s3_reason(const fn_s3_result_t *res)
{
    return res && res->reason && res->reason[0] ? res->reason : NULL;
}

static void s3_on_put(int status, const fn_s3_result_t *res, void *arg)
{
    s3_upload_t *up = arg;
    struct fn_rpc *s = up->srv;
    Flexnet__V1__Backup m;
    flexnet__v1__backup__init(&m);
    m.id = up->id;
    if (status == 0) {
        m.target = "s3";
        m.bucket = (char *)(s->s3 ? fn_s3_bucket(s->s3) : "");
        m.key = up->key;
    } else {
        m.target = "local";
        m.error =
            (char *)(s3_reason(res) ? s3_reason(res) : fn_strerror(status));
        fn_log(FN_LOG_WARN, &s3_log, "backup %s: S3 upload failed: %s", up->id,
               m.error);
    }
    if (fn_store_backup_update(s->store, &m) < 0)
        fn_log(FN_LOG_ERROR, &s3_log, "backup %s: %s", up->id,
               fn_store_reason(s->store));
    s->s3_pending--;
    free(up->text);
    free(up);
    fn__rpc_check_drained(s);
}

void fn__rpc_s3_upload(struct fn_rpc *s, const char *id, const char *host,
                       const void *text, size_t len)
{
    if (!s->s3)
        return;
    s3_upload_t *up = calloc(1, sizeof(*up));
    char name[FN_STORE_HOST_MAX + FN_STORE_ID_LEN + 8];
    snprintf(name, sizeof(name), "%s/%s.cfg", host, id);
    int rc = up ? fn_s3_key(s->s3, name, up->key, sizeof(up->key)) : -ENOMEM;
    if (rc == 0 && !(up->text = malloc(len ? len : 1)))
        rc = -ENOMEM;
    if (rc == 0) {
        memcpy(up->text, text, len);
        snprintf(up->id, sizeof(up->id), "%s", id);
        up->srv = s;
        rc = fn_s3_put(s->s3, up->key, up->text, len, s3_on_put, up);
    }
    if (rc < 0) {
        fn_log(FN_LOG_ERROR, &s3_log, "backup %s: cannot upload: %s", id,
               fn_strerror(rc));
        if (up)
            free(up->text);
        free(up);
        return;
    }
    s->s3_pending++;
}

static void s3_on_delete(int status, const fn_s3_result_t *res, void *arg)
{
    if (status != 0 && status != FN_ENOTFOUND && status != FN_ECANCELED)
        fn_log(FN_LOG_WARN, &s3_log, "S3 delete %s: %s",
               res && res->key ? res->key : "?",
               s3_reason(res) ? s3_reason(res) : fn_strerror(status));
}

void fn__rpc_s3_delete(struct fn_rpc *s, const char *key)
{
    if (s->s3 && key && *key)
        fn_s3_delete(s->s3, key, s3_on_delete, NULL);
}
