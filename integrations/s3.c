/*
 * s3.c — S3 operations as small state machines over fn_http. See fn_s3.h.
 *
 * One op per call: it builds the URL (path or virtual-host style), the
 * payload hashes (SHA-256 for x-amz-content-sha256, MD5 for Content-MD5
 * and the ETag check), sends, and judges the answer in one dispatcher
 * (s3_on_http) that switches on the op's stage: OBJECT (the request
 * itself), HEAD (bucket exists?), CREATE (PUT bucket), LIST (one page).
 *
 * Does not: sign (libcurl does), retry (fn_http does), log failures (the
 * caller decides about them). Thread: the event_base's thread.
 * Owns: the copied config strings and the secret (wiped on free), each
 * op until its callback returns.
 */
#include "fn_s3.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "fn_err.h"
#include "fn_integrations_int.h"

#define S3_MAX_KEYS 1000000
#define S3_EMPTY_SHA256                                                        \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct fn_s3 {
    fn_http_t *http; /* kept */
    char *endpoint, *region, *bucket, *prefix, *ca_file;
    char *access_key; /* not secret, but loaded like one */
    char *secret_key; /* wiped on free */
    char *sigv4;      /* "aws:amz:REGION:s3" */
    int path_style, create_bucket;
    fn_tls_conf_t tls;
};

enum op_stage { ST_OBJECT, ST_HEAD, ST_CREATE, ST_LIST };
enum op_type { OP_PUT, OP_GET, OP_DELETE, OP_LIST, OP_ENSURE };

typedef struct op {
    fn_s3_t *s3;
    int type;  /* enum op_type */
    int stage; /* enum op_stage */
    char *key;
    const void *data; /* PUT: kept, caller's */
    size_t len;
    char md5_hex[33];
    char md5_b64[32];
    char sha_hex[65];
    int created; /* bucket creation already tried */
    char *token; /* LIST continuation */
    char **keys;
    size_t nkeys, capkeys;
    fn_s3_done_cb *cb;
    void *arg;
    char reason[512];
} op_t;

static const char *const op_names[] = {"PUT", "GET", "DELETE", "LIST", "HEAD"};

/* --- hashing --------------------------------------------------------- */

static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static int digest(const EVP_MD *md, const void *data, size_t len,
                  unsigned char *out, unsigned *outlen)
{
    return EVP_Digest(data ? data : "", len, out, outlen, md, NULL) == 1
               ? 0
               : FN_EINTERNAL;
}

static int op_hash(op_t *op, const void *data, size_t len)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    int rc = digest(EVP_sha256(), data, len, d, &n);
    if (rc)
        return rc;
    hex(d, n, op->sha_hex);
    if ((rc = digest(EVP_md5(), data, len, d, &n)) != 0)
        return rc;
    hex(d, n, op->md5_hex);
    EVP_EncodeBlock((unsigned char *)op->md5_b64, d, (int)n);
    return 0;
}

/* --- URLs ------------------------------------------------------------ */

/* scheme://[bucket.]host[:port]/[bucket/] */
static int url_base(const fn_s3_t *s3, fn_buf_t *u)
{
    if (s3->path_style)
        return fn_buf_printf(u, "%s/%s/", s3->endpoint, s3->bucket);
    const char *host = strstr(s3->endpoint, "://") + 3;
    return fn_buf_printf(u, "%.*s%s.%s/", (int)(host - s3->endpoint),
                         s3->endpoint, s3->bucket, host);
}

static int url_object(const fn_s3_t *s3, const char *key, fn_buf_t *u)
{
    int rc = url_base(s3, u);
    return rc ? rc : fn__url_escape(u, key, 1);
}

/* Query parameters in the sorted order SigV4 canonicalisation wants. */
static int url_list(const fn_s3_t *s3, const op_t *op, const char *prefix,
                    fn_buf_t *u)
{
    int rc = url_base(s3, u);
    if (!rc && op->token) {
        rc = fn_buf_append_str(u, "?continuation-token=");
        rc = rc ? rc : fn__url_escape(u, op->token, 0);
    }
    if (!rc)
        rc = fn_buf_append_str(u, op->token ? "&list-type=2" : "?list-type=2");
    if (!rc && prefix && *prefix) {
        rc = fn_buf_append_str(u, "&prefix=");
        rc = rc ? rc : fn__url_escape(u, prefix, 0);
    }
    return rc;
}

/* --- sending --------------------------------------------------------- */

static void s3_on_http(int status, const fn_http_resp_t *resp, void *arg);

static int op_send(op_t *op, const char *method, const char *url,
                   const void *body, size_t len)
{
    fn_s3_t *s3 = op->s3;
    char sha[100], md5[64];
    int rc = op_hash(op, body, len);
    if (rc)
        return rc;
    snprintf(sha, sizeof(sha), "x-amz-content-sha256: %s", op->sha_hex);
    snprintf(md5, sizeof(md5), "Content-MD5: %s", op->md5_b64);
    const char *hdrs[] = {
        sha, body ? md5 : NULL,
        body ? "Content-Type: application/octet-stream" : NULL, NULL};
    char what[64];
    snprintf(what, sizeof(what), "s3 %s", op_names[op->type]);
    fn_http_opts_t o = {
        .method = method,
        .url = url,
        .headers = hdrs,
        .body = body,
        .body_len = len,
        .aws_sigv4 = s3->sigv4,
        .user = s3->access_key,
        .password = s3->secret_key,
        .tls = &s3->tls,
        .what = what,
        .owner = s3,
    };
    return fn_http_request(s3->http, &o, s3_on_http, op);
}

static int op_send_object(op_t *op)
{
    static const char *const methods[] = {"PUT", "GET", "DELETE"};
    fn_buf_t u;
    fn_buf_init(&u, 8192);
    op->stage = ST_OBJECT;
    int rc = url_object(op->s3, op->key, &u);
    if (!rc)
        rc = op_send(op, methods[op->type], u.data,
                     op->type == OP_PUT ? (op->data ? op->data : "") : NULL,
                     op->type == OP_PUT ? op->len : 0);
    fn_buf_cleanup(&u);
    return rc;
}

static int op_send_bucket(op_t *op, int stage)
{
    static const char loc_fmt[] =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
        "2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
        "</CreateBucketConfiguration>";
    fn_buf_t u, body;
    fn_buf_init(&u, 8192);
    fn_buf_init(&body, 1024);
    op->stage = stage;
    int rc = url_base(op->s3, &u);
    int us_east = strcmp(op->s3->region, "us-east-1") == 0;
    if (!rc && stage == ST_CREATE && !us_east)
        rc = fn_buf_printf(&body, loc_fmt, op->s3->region);
    if (!rc)
        rc = op_send(op, stage == ST_HEAD ? "HEAD" : "PUT", u.data,
                     stage == ST_HEAD ? NULL : (body.data ? body.data : ""),
                     body.len);
    fn_buf_cleanup(&u);
    fn_buf_cleanup(&body);
    return rc;
}

static int op_send_list(op_t *op)
{
    fn_buf_t u;
    fn_buf_init(&u, 16384);
    op->stage = ST_LIST;
    int rc = url_list(op->s3, op, op->key, &u);
    if (!rc)
        rc = op_send(op, "GET", u.data, NULL, 0);
    fn_buf_cleanup(&u);
    return rc;
}

/* --- completion ------------------------------------------------------ */

static void op_free(op_t *op)
{
    for (size_t i = 0; i < op->nkeys; i++)
        free(op->keys[i]);
    free(op->keys);
    free(op->token);
    free(op->key);
    free(op);
}

static void op_finish(op_t *op, int status, const fn_http_resp_t *resp)
{
    int with_body = op->type == OP_GET && !status && resp;
    fn_s3_result_t res = {
        resp ? resp->code : 0,
        op->type == OP_LIST || op->type == OP_ENSURE ? "" : op->key,
        with_body ? resp->body : "",
        with_body ? resp->len : 0,
        (const char *const *)op->keys,
        op->nkeys,
        status ? op->reason : "",
    };
    op->cb(status, &res, op->arg);
    op_free(op);
}

/* Turns an HTTP answer into a code and a reason with S3's <Code>. */
static int judge(op_t *op, const fn_http_resp_t *resp, char *code,
                 size_t codelen)
{
    fn_buf_t t;
    size_t pos = 0;
    fn_buf_init(&t, 256);
    code[0] = '\0';
    if (fn__xml_next(resp->body, resp->len, "Code", &pos, &t) == 0)
        snprintf(code, codelen, "%s", t.data);
    fn_buf_cleanup(&t);
    if (resp->code >= 200 && resp->code < 300)
        return 0;
    snprintf(op->reason, sizeof(op->reason), "s3 %s %s/%s: HTTP %ld%s%s%s",
             op_names[op->type], op->s3->bucket, op->key ? op->key : "",
             resp->code, code[0] ? " " : "", code, resp->reason[0] ? " " : "");
    if (resp->reason[0]) {
        size_t n = strlen(op->reason);
        snprintf(op->reason + n, sizeof(op->reason) - n, "(%s)", resp->reason);
    }
    if (resp->code == 404)
        return FN_ENOTFOUND;
    if (resp->code == 401 || resp->code == 403)
        return FN_EAUTH;
    return FN_EHTTP;
}

/* A single-part ETag is the MD5 of the object: check it when it is one. */
static int etag_check(op_t *op, const fn_http_resp_t *resp)
{
    if (strlen(resp->etag) != 32 || op->type == OP_DELETE)
        return 0;
    if (op->type == OP_GET && op_hash(op, resp->body, resp->len))
        return FN_EINTERNAL;
    if (strcasecmp(resp->etag, op->md5_hex) == 0)
        return 0;
    snprintf(op->reason, sizeof(op->reason),
             "s3 %s %s/%s: integrity check failed (ETag %s, MD5 %s)",
             op_names[op->type], op->s3->bucket, op->key, resp->etag,
             op->md5_hex);
    return FN_EHTTP;
}

static void op_restart(op_t *op, int (*send)(op_t *), int stage_arg)
{
    int rc = stage_arg >= 0 ? op_send_bucket(op, stage_arg) : send(op);
    if (rc) {
        snprintf(op->reason, sizeof(op->reason), "s3 %s: %s",
                 op_names[op->type], fn_strerror(rc));
        op_finish(op, rc, NULL);
    }
}

static void on_object(op_t *op, const fn_http_resp_t *resp)
{
    char code[64];
    int rc = judge(op, resp, code, sizeof(code));
    if (rc == FN_ENOTFOUND && op->type == OP_PUT && !op->created &&
        op->s3->create_bucket && strcmp(code, "NoSuchBucket") == 0) {
        op->created = 1;
        op_restart(op, NULL, ST_CREATE);
        return;
    }
    op_finish(op, rc ? rc : etag_check(op, resp), resp);
}

static void on_head(op_t *op, const fn_http_resp_t *resp)
{
    char code[64];
    int rc = judge(op, resp, code, sizeof(code));
    if (rc == FN_ENOTFOUND && op->s3->create_bucket) {
        op->created = 1;
        op_restart(op, NULL, ST_CREATE);
        return;
    }
    if (rc == FN_ENOTFOUND)
        snprintf(op->reason, sizeof(op->reason),
                 "s3: bucket %s does not exist (set create_bucket = true "
                 "to create it)",
                 op->s3->bucket);
    op_finish(op, rc, resp);
}

static void on_create(op_t *op, const fn_http_resp_t *resp)
{
    char code[64];
    int rc = judge(op, resp, code, sizeof(code));
    if (rc && strcmp(code, "BucketAlreadyOwnedByYou") == 0)
        rc = 0;
    if (!rc && op->type == OP_PUT)
        op_restart(op, op_send_object, -1);
    else
        op_finish(op, rc, resp);
}

static int list_collect(op_t *op, const fn_http_resp_t *resp, int *more)
{
    fn_buf_t t;
    size_t pos = 0;
    int rc = 0;
    fn_buf_init(&t, 4096);
    while (!rc && fn__xml_next(resp->body, resp->len, "Key", &pos, &t) == 0) {
        if (op->nkeys + 1 >= op->capkeys) {
            size_t cap = op->capkeys ? op->capkeys * 2 : 64;
            char **k =
                cap < S3_MAX_KEYS ? realloc(op->keys, cap * sizeof(*k)) : NULL;
            if (!k) {
                rc = cap < S3_MAX_KEYS ? -ENOMEM : FN_EFULL;
                break;
            }
            op->keys = k;
            op->capkeys = cap;
        }
        op->keys[op->nkeys] = fn_buf_steal(&t, NULL);
        rc = op->keys[op->nkeys] ? 0 : -ENOMEM;
        op->nkeys += !rc;
    }
    pos = 0;
    *more = fn__xml_next(resp->body, resp->len, "IsTruncated", &pos, &t) == 0 &&
            strcmp(t.data, "true") == 0;
    free(op->token);
    op->token = NULL;
    pos = 0;
    if (!rc && *more &&
        fn__xml_next(resp->body, resp->len, "NextContinuationToken", &pos,
                     &t) == 0)
        op->token = fn_buf_steal(&t, NULL);
    *more = *more && op->token;
    fn_buf_cleanup(&t);
    return rc;
}

static void on_list(op_t *op, const fn_http_resp_t *resp)
{
    char code[64];
    int more = 0;
    int rc = judge(op, resp, code, sizeof(code));
    if (!rc)
        rc = list_collect(op, resp, &more);
    if (rc && !op->reason[0])
        snprintf(op->reason, sizeof(op->reason), "s3 LIST: %s",
                 fn_strerror(rc));
    if (!rc && more)
        op_restart(op, op_send_list, -1);
    else
        op_finish(op, rc, resp);
}

static void s3_on_http(int status, const fn_http_resp_t *resp, void *arg)
{
    op_t *op = arg;
    if (status) {
        snprintf(op->reason, sizeof(op->reason), "%s", resp->reason);
        op_finish(op, status, NULL);
        return;
    }
    switch (op->stage) {
    case ST_OBJECT:
        on_object(op, resp);
        break;
    case ST_HEAD:
        on_head(op, resp);
        break;
    case ST_CREATE:
        on_create(op, resp);
        break;
    case ST_LIST:
        on_list(op, resp);
        break;
    default:
        snprintf(op->reason, sizeof(op->reason), "s3: bad stage");
        op_finish(op, FN_EINTERNAL, NULL);
    }
}

/* --- public ---------------------------------------------------------- */

static void strip_slashes(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == '/')
        s[--n] = '\0';
}

static int s3_copy(fn_s3_t *s3, const fn_s3_conf_t *c)
{
    s3->endpoint = strdup(c->endpoint);
    s3->region = strdup(c->region ? c->region : "us-east-1");
    s3->bucket = strdup(c->bucket);
    s3->prefix = strdup(c->prefix ? c->prefix : "");
    s3->ca_file = c->tls.ca_file ? strdup(c->tls.ca_file) : NULL;
    size_t n = strlen(s3->region ? s3->region : "") + 16;
    s3->sigv4 = malloc(n);
    if (!s3->endpoint || !s3->region || !s3->bucket || !s3->prefix ||
        !s3->sigv4 || (c->tls.ca_file && !s3->ca_file))
        return -ENOMEM;
    snprintf(s3->sigv4, n, "aws:amz:%s:s3", s3->region);
    strip_slashes(s3->endpoint);
    s3->path_style = c->path_style;
    s3->create_bucket = c->create_bucket;
    s3->tls = c->tls;
    s3->tls.ca_file = s3->ca_file;
    return 0;
}

static int s3_load_keys(fn_s3_t *s3, const fn_s3_conf_t *c, char *err,
                        size_t errlen)
{
    char reason[256] = "";
    int rc = 0;
    if (c->access_key)
        s3->access_key = strdup(c->access_key);
    else
        rc = fn__secret_load(c->access_key_env, c->access_key_file,
                             &s3->access_key, reason, sizeof(reason));
    if (!rc && !s3->access_key)
        rc = -ENOMEM;
    if (!rc)
        rc = fn__secret_load(c->secret_key_env, c->secret_key_file,
                             &s3->secret_key, reason, sizeof(reason));
    if (rc && err && errlen)
        snprintf(err, errlen, "s3 credentials: %s",
                 reason[0] ? reason : fn_strerror(rc));
    return rc;
}

int fn_s3_new(fn_s3_t **out, fn_http_t *http, const fn_s3_conf_t *conf,
              char *err, size_t errlen)
{
    *out = NULL;
    if (!conf->endpoint || !conf->bucket || !strstr(conf->endpoint, "://")) {
        if (err && errlen)
            snprintf(err, errlen, "s3: endpoint and bucket are required");
        return -EINVAL;
    }
    fn_s3_t *s3 = calloc(1, sizeof(*s3));
    if (!s3)
        return -ENOMEM;
    s3->http = http;
    int rc = s3_copy(s3, conf);
    if (!rc)
        rc = s3_load_keys(s3, conf, err, errlen);
    if (rc) {
        fn_s3_free(s3);
        return rc;
    }
    *out = s3;
    return 0;
}

void fn_s3_free(fn_s3_t *s3)
{
    if (!s3)
        return;
    fn_http_cancel(s3->http, s3);
    fn__secret_free(s3->secret_key);
    fn__secret_free(s3->access_key);
    free(s3->endpoint);
    free(s3->region);
    free(s3->bucket);
    free(s3->prefix);
    free(s3->ca_file);
    free(s3->sigv4);
    free(s3);
}

int fn_s3_key(const fn_s3_t *s3, const char *name, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s%s", s3->prefix, name);
    return n < 0 || (size_t)n >= outlen ? FN_EFULL : 0;
}

const char *fn_s3_bucket(const fn_s3_t *s3)
{
    return s3->bucket;
}

static op_t *op_new(fn_s3_t *s3, int type, const char *key, fn_s3_done_cb *cb,
                    void *arg)
{
    op_t *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->s3 = s3;
    op->type = type;
    op->cb = cb;
    op->arg = arg;
    op->key = strdup(key ? key : "");
    if (!op->key) {
        free(op);
        return NULL;
    }
    return op;
}

static int op_start(op_t *op, int (*send)(op_t *))
{
    if (!op)
        return -ENOMEM;
    int rc = send(op);
    if (rc)
        op_free(op);
    return rc;
}

int fn_s3_put(fn_s3_t *s3, const char *key, const void *data, size_t len,
              fn_s3_done_cb *cb, void *arg)
{
    if (!key || !*key || !cb)
        return -EINVAL;
    op_t *op = op_new(s3, OP_PUT, key, cb, arg);
    if (op) {
        op->data = data;
        op->len = len;
    }
    return op_start(op, op_send_object);
}

int fn_s3_get(fn_s3_t *s3, const char *key, fn_s3_done_cb *cb, void *arg)
{
    if (!key || !*key || !cb)
        return -EINVAL;
    return op_start(op_new(s3, OP_GET, key, cb, arg), op_send_object);
}

int fn_s3_delete(fn_s3_t *s3, const char *key, fn_s3_done_cb *cb, void *arg)
{
    if (!key || !*key || !cb)
        return -EINVAL;
    return op_start(op_new(s3, OP_DELETE, key, cb, arg), op_send_object);
}

int fn_s3_list(fn_s3_t *s3, const char *prefix, fn_s3_done_cb *cb, void *arg)
{
    if (!cb)
        return -EINVAL;
    return op_start(op_new(s3, OP_LIST, prefix ? prefix : s3->prefix, cb, arg),
                    op_send_list);
}

static int send_head(op_t *op)
{
    return op_send_bucket(op, ST_HEAD);
}

int fn_s3_bucket_ensure(fn_s3_t *s3, fn_s3_done_cb *cb, void *arg)
{
    if (!cb)
        return -EINVAL;
    return op_start(op_new(s3, OP_ENSURE, "", cb, arg), send_head);
}

/* --- synchronous wrappers ------------------------------------------- */

typedef struct sync_ctx {
    int done, status;
    fn_buf_t *out;
    int list;
    char *reason;
    size_t reasonlen;
} sync_ctx_t;

static void sync_on_done(int status, const fn_s3_result_t *res, void *arg)
{
    sync_ctx_t *c = arg;
    c->done = 1;
    c->status = status;
    if (c->reason && c->reasonlen)
        snprintf(c->reason, c->reasonlen, "%s", res->reason);
    if (status || !c->out)
        return;
    if (!c->list) {
        c->status = fn_buf_append(c->out, res->body, res->len);
        return;
    }
    for (size_t i = 0; i < res->nkeys && !c->status; i++)
        c->status = fn_buf_printf(c->out, "%s\n", res->keys[i]);
}

static int sync_done(const void *arg)
{
    return ((const sync_ctx_t *)arg)->done;
}

/* Runs one operation on a private loop; op is PUT/GET/DELETE/LIST. */
static int s3_sync(const fn_s3_conf_t *conf, int type, const char *key,
                   const void *data, size_t len, fn_buf_t *out, char *reason,
                   size_t reasonlen)
{
    sync_ctx_t c = {0, 0, out, type == OP_LIST, reason, reasonlen};
    struct event_base *base = event_base_new();
    fn_http_t *http = NULL;
    fn_s3_t *s3 = NULL;
    int rc = base ? fn_http_new(&http, base) : -ENOMEM;
    if (!rc)
        rc = fn_s3_new(&s3, http, conf, reason, reasonlen);
    if (!rc && type == OP_PUT)
        rc = fn_s3_put(s3, key, data, len, sync_on_done, &c);
    else if (!rc && type == OP_GET)
        rc = fn_s3_get(s3, key, sync_on_done, &c);
    else if (!rc && type == OP_DELETE)
        rc = fn_s3_delete(s3, key, sync_on_done, &c);
    else if (!rc)
        rc = fn_s3_list(s3, key, sync_on_done, &c);
    if (!rc)
        rc = fn_http_wait(base, sync_done, &c);
    fn_s3_free(s3);
    fn_http_free(http);
    if (base)
        event_base_free(base);
    return rc ? rc : c.status;
}

int fn_s3_sync_put(const fn_s3_conf_t *conf, const char *key, const void *data,
                   size_t len, char *reason, size_t reasonlen)
{
    return s3_sync(conf, OP_PUT, key, data, len, NULL, reason, reasonlen);
}

int fn_s3_sync_get(const fn_s3_conf_t *conf, const char *key, fn_buf_t *out,
                   char *reason, size_t reasonlen)
{
    return s3_sync(conf, OP_GET, key, NULL, 0, out, reason, reasonlen);
}

int fn_s3_sync_delete(const fn_s3_conf_t *conf, const char *key, char *reason,
                      size_t reasonlen)
{
    return s3_sync(conf, OP_DELETE, key, NULL, 0, NULL, reason, reasonlen);
}

int fn_s3_sync_list(const fn_s3_conf_t *conf, const char *prefix, fn_buf_t *out,
                    char *reason, size_t reasonlen)
{
    return s3_sync(conf, OP_LIST, prefix, NULL, 0, out, reason, reasonlen);
}
