/*
 * fn_s3.h — an S3-compatible object store client for config backups.
 *
 * PUT, GET, DELETE, LIST (ListObjectsV2, every page) and bucket creation,
 * each an asynchronous fn_http request on the caller's libevent loop:
 * signed by libcurl (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3") with the
 * x-amz-content-sha256 header, PUTs carry Content-MD5 so the server
 * rejects a corrupted body, and the ETag the server answers (an MD5 for
 * single-part objects) is checked against what was sent or received.
 * Retries with backoff on 5xx and timeouts come from fn_http.
 *
 * Keys: every call takes the object's full key as stored in the bucket
 * (what a backup record keeps). fn_s3_key() builds one from the
 * configured prefix and a name. With create_bucket, a PUT that meets
 * NoSuchBucket creates the bucket and tries once more.
 *
 * Does not: keep a local copy (the caller keeps it and records the
 * failure), multipart uploads (objects up to 64 MiB).
 *
 * Errors (status of a callback or return of a sync call):
 *   0; FN_ENOTFOUND (no such key or bucket); FN_EAUTH (HTTP 401/403);
 *   FN_EREFUSED (server down); FN_ETIMEOUT; FN_EHTTP (other HTTP error,
 *   integrity mismatch, TLS); FN_EFULL (object over 64 MiB);
 *   FN_ECANCELED (fn_http_free while pending); FN_ECREDS (fn_s3_new:
 *   secret unavailable); -ENOMEM. The result's reason says what and
 *   why, never a secret.
 *
 * Thread: the event_base's thread. The sync wrappers run their own
 * event_base on the calling thread (for the CLI), blocking it.
 */
#ifndef FN_S3_H
#define FN_S3_H

#include <stddef.h>

#include "fn_buf.h"
#include "fn_config.h"
#include "fn_http.h"

typedef struct fn_s3 fn_s3_t;

typedef struct fn_s3_result {
    long http_code;   /* last HTTP status, 0 if none */
    const char *key;  /* the operation's key ("" for bucket/list) */
    const char *body; /* GET: the object (borrowed for the callback) */
    size_t len;
    const char *const *keys; /* LIST: every key (borrowed for the call) */
    size_t nkeys;
    const char *reason; /* "" on success */
} fn_s3_result_t;

typedef void fn_s3_done_cb(int status, const fn_s3_result_t *res, void *arg);

/* http is kept (it must outlive s3); conf is copied. Loads the access
 * key and secret now (env or file). Returns 0, FN_ECREDS (err says which
 * source failed), -EINVAL (conf incomplete) or -ENOMEM.
 * *out is owned: fn_s3_free, which cancels pending operations (their
 * callbacks run inside it with FN_ECANCELED). */
int fn_s3_new(fn_s3_t **out, fn_http_t *http, const fn_s3_conf_t *conf,
              char *err, size_t errlen);
void fn_s3_free(fn_s3_t *s3); /* wipes the secret; accepts NULL */

/* "<prefix><name>" into out (borrowed, outlen bytes). Returns 0 or
 * FN_EFULL. */
int fn_s3_key(const fn_s3_t *s3, const char *name, char *out, size_t outlen);
const char *fn_s3_bucket(const fn_s3_t *s3); /* borrowed */

/* Each starts one operation and returns 0 (cb runs later, exactly once)
 * or -ENOMEM / -EINVAL (cb never runs). key is copied; PUT data is kept
 * until cb. LIST with prefix NULL lists the configured prefix. */
int fn_s3_put(fn_s3_t *s3, const char *key, const void *data, size_t len,
              fn_s3_done_cb *cb, void *arg);
int fn_s3_get(fn_s3_t *s3, const char *key, fn_s3_done_cb *cb, void *arg);
int fn_s3_delete(fn_s3_t *s3, const char *key, fn_s3_done_cb *cb, void *arg);
int fn_s3_list(fn_s3_t *s3, const char *prefix, fn_s3_done_cb *cb, void *arg);
/* HEAD bucket; creates it when missing and create_bucket is set. */
int fn_s3_bucket_ensure(fn_s3_t *s3, fn_s3_done_cb *cb, void *arg);

/* Synchronous wrappers: own event_base, blocking the caller. reason
 * (borrowed, may be NULL) gets the failure text. */
int fn_s3_sync_put(const fn_s3_conf_t *conf, const char *key, const void *data,
                   size_t len, char *reason, size_t reasonlen);
/* out (borrowed, caller-initialised) receives the object. */
int fn_s3_sync_get(const fn_s3_conf_t *conf, const char *key, fn_buf_t *out,
                   char *reason, size_t reasonlen);
int fn_s3_sync_delete(const fn_s3_conf_t *conf, const char *key, char *reason,
                      size_t reasonlen);
/* out receives the keys, one per line. */
int fn_s3_sync_list(const fn_s3_conf_t *conf, const char *prefix, fn_buf_t *out,
                    char *reason, size_t reasonlen);

#endif /* FN_S3_H */
