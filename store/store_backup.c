/*
 * store_backup.c — config backups: content-addressed blobs (sha256 of
 * the text -> zlib stream cut into chunks that fit a leaf page, stored
 * once, refcounted), Backup records with host and task indexes, listing
 * newest first, content read-back with a checksum, diff against another
 * or the previous backup, delete.
 *
 * Chunks stay under LMDB's leaf node limit so a config never becomes a
 * run of overflow pages (those fragment the free list as they come and
 * go). Does not upload anywhere (integrations/ does; it records where
 * with fn_store_backup_update). Any thread; writes commit at once.
 */
#include "store_int.h"

#include "fn_err.h"
#include "fn_time.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BLOB_CHUNK      1960 /* + 36-byte key + node header < 2040 (4 KB page) */
#define SHA_LEN         32
#define BK_PAGE_DEFAULT 50
#define BK_PAGE_MAX     1000
#define BK_KEY_MAX      (FN_STORE_HOST_MAX + 1 + FN_STORE_ID_LEN)

/* blobrefs value; big-endian on disk */
typedef struct blob_ref {
    uint64_t refs, size, zsize;
    uint32_t chunks;
} blob_ref_t;
#define BLOB_REF_LEN 32

static void ref_encode(uint8_t *p, const blob_ref_t *r)
{
    store_be64(p, r->refs);
    store_be64(p + 8, r->size);
    store_be64(p + 16, r->zsize);
    store_be32(p + 24, r->chunks);
    store_be32(p + 28, 0);
}

static int ref_get(fn_store_t *st, MDB_txn *txn, const uint8_t *sha,
                   blob_ref_t *r)
{
    MDB_val k = {SHA_LEN, (void *)sha}, v;
    int rc = mdb_get(txn, st->dbi[DB_BLOBREFS], &k, &v);
    if (rc)
        return rc;
    if (v.mv_size != BLOB_REF_LEN)
        return fn__store_failf(st, FN_EPARSE, "corrupt blob reference");
    const uint8_t *p = v.mv_data;
    r->refs = store_get64(p);
    r->size = store_get64(p + 8);
    r->zsize = store_get64(p + 16);
    r->chunks = store_get32(p + 24);
    return 0;
}

static int ref_put(fn_store_t *st, MDB_txn *txn, const uint8_t *sha,
                   const blob_ref_t *r)
{
    uint8_t buf[BLOB_REF_LEN];
    ref_encode(buf, r);
    MDB_val k = {SHA_LEN, (void *)sha}, v = {sizeof(buf), buf};
    return mdb_put(txn, st->dbi[DB_BLOBREFS], &k, &v, 0);
}

static void sha_hex(const uint8_t *sha, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < SHA_LEN; i++) {
        hex[2 * i] = digits[sha[i] >> 4];
        hex[2 * i + 1] = digits[sha[i] & 0xf];
    }
    hex[2 * SHA_LEN] = '\0';
}

static int sha_parse(const char *hex, uint8_t *sha)
{
    if (!hex || strlen(hex) != 2 * SHA_LEN)
        return -1;
    for (int i = 0; i < SHA_LEN; i++) {
        int hi = fn__store_hexval(hex[2 * i]);
        int lo = fn__store_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        sha[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* ---- save -------------------------------------------------------------- */

typedef struct save_ctx {
    const Flexnet__V1__Backup *meta;
    const void *text;
    size_t len;
    uint8_t sha[SHA_LEN];
    char hex[2 * SHA_LEN + 1];
    uint8_t *z; /* compressed once, reused when the txn is replayed */
    uLongf zlen;
    char *id;
} save_ctx_t;

void fn__store_zfree(fn_store_t *st)
{
    if (st->zs) {
        deflateEnd(st->zs);
        free(st->zs);
        st->zs = NULL;
    }
}

/* Compresses c->text once (zlib level 1) with the store's deflate state;
 * wlock held. Returns 0 or ENOMEM (LMDB style: fails the txn). */
static int blob_compress(fn_store_t *st, save_ctx_t *c)
{
    if (!st->zs) {
        st->zs = calloc(1, sizeof(*st->zs));
        if (!st->zs || deflateInit(st->zs, Z_BEST_SPEED) != Z_OK) {
            free(st->zs);
            st->zs = NULL;
            return ENOMEM;
        }
    } else if (deflateReset(st->zs) != Z_OK) {
        return ENOMEM;
    }
    c->zlen = deflateBound(st->zs, c->len);
    c->z = malloc(c->zlen);
    if (!c->z)
        return ENOMEM;
    st->zs->next_in = (Bytef *)c->text;
    st->zs->avail_in = (uInt)c->len;
    st->zs->next_out = c->z;
    st->zs->avail_out = (uInt)c->zlen;
    if (deflate(st->zs, Z_FINISH) != Z_STREAM_END) {
        free(c->z);
        c->z = NULL;
        return ENOMEM;
    }
    c->zlen = st->zs->total_out;
    return 0;
}

static int blob_write_chunks(fn_store_t *st, MDB_txn *txn, save_ctx_t *c,
                             blob_ref_t *r)
{
    int rc = c->z ? 0 : blob_compress(st, c);
    if (rc)
        return rc;
    r->refs = 1;
    r->size = c->len;
    r->zsize = c->zlen;
    r->chunks = (uint32_t)((c->zlen + BLOB_CHUNK - 1) / BLOB_CHUNK);
    uint8_t key[SHA_LEN + 4];
    memcpy(key, c->sha, SHA_LEN);
    for (uint32_t i = 0; i < r->chunks; i++) {
        size_t off = (size_t)i * BLOB_CHUNK;
        size_t n = c->zlen - off < BLOB_CHUNK ? c->zlen - off : BLOB_CHUNK;
        store_be32(key + SHA_LEN, i);
        MDB_val k = {sizeof(key), key}, v = {n, c->z + off};
        rc = mdb_put(txn, st->dbi[DB_BLOBS], &k, &v, MDB_APPEND);
        if (rc == MDB_KEYEXIST)
            rc = mdb_put(txn, st->dbi[DB_BLOBS], &k, &v, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* One more reference to the blob of c, writing it if it is new. */
static int blob_ref_add(fn_store_t *st, MDB_txn *txn, save_ctx_t *c)
{
    blob_ref_t r;
    int rc = ref_get(st, txn, c->sha, &r);
    if (rc == 0)
        r.refs++;
    else if (rc == MDB_NOTFOUND)
        rc = blob_write_chunks(st, txn, c, &r);
    return rc ? rc : ref_put(st, txn, c->sha, &r);
}

/* Index rows: host \0 id and task id | id, both with empty values. */
static int index_rows(fn_store_t *st, MDB_txn *txn, const char *host,
                      const char *task, const char *id, int del)
{
    uint8_t key[BK_KEY_MAX];
    size_t hl = strlen(host);
    memcpy(key, host, hl + 1);
    memcpy(key + hl + 1, id, FN_STORE_ID_LEN);
    MDB_val k = {hl + 1 + FN_STORE_ID_LEN, key}, v = {0, NULL};
    int rc = del ? mdb_del(txn, st->dbi[DB_BK_HOST], &k, NULL)
                 : mdb_put(txn, st->dbi[DB_BK_HOST], &k, &v, 0);
    if (rc || !fn__store_id_valid(task))
        return rc == MDB_NOTFOUND ? 0 : rc;
    memcpy(key, task, FN_STORE_ID_LEN);
    memcpy(key + FN_STORE_ID_LEN, id, FN_STORE_ID_LEN);
    k.mv_size = 2 * FN_STORE_ID_LEN;
    rc = del ? mdb_del(txn, st->dbi[DB_BK_TASK], &k, NULL)
             : mdb_put(txn, st->dbi[DB_BK_TASK], &k, &v, 0);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int save_fn(fn_store_t *st, MDB_txn *txn, void *arg)
{
    save_ctx_t *c = arg;
    int rc = blob_ref_add(st, txn, c);
    if (rc)
        return rc;
    Flexnet__V1__Backup b = *c->meta;
    b.sha256 = c->hex;
    b.size = c->len;
    size_t len;
    uint8_t *buf;
    do {
        fn__store_new_id(st, c->meta->created_us, c->id);
        b.id = c->id;
        b.created_us = fn__store_id_time(c->id);
        buf = fn__store_pack(&b.base, &len);
        if (!buf)
            return ENOMEM;
        MDB_val k = {FN_STORE_ID_LEN, c->id}, v = {len, buf};
        rc = mdb_put(txn, st->dbi[DB_BACKUPS], &k, &v, MDB_NOOVERWRITE);
        free(buf);
    } while (rc == MDB_KEYEXIST);
    return rc ? rc : index_rows(st, txn, b.host, b.task_id, c->id, 0);
}

int fn_store_backup_save(fn_store_t *st, const Flexnet__V1__Backup *meta,
                         const void *text, size_t len,
                         char id[FN_STORE_ID_LEN + 1])
{
    if (!st || !meta || (!text && len))
        return FN_EPARSE;
    size_t hl = meta->host ? strlen(meta->host) : 0;
    if (hl == 0 || hl > FN_STORE_HOST_MAX)
        return fn__store_failf(st, FN_EPARSE, "backup needs a host");
    if (len >= (1u << 30)) /* zlib's counters are 32-bit */
        return fn__store_failf(st, FN_EPARSE, "backup over 1 GiB");
    char idbuf[FN_STORE_ID_LEN + 1];
    save_ctx_t c = {.meta = meta,
                    .text = text ? text : "",
                    .len = len,
                    .id = id ? id : idbuf};
    unsigned int mdlen;
    if (!EVP_Digest(c.text, len, c.sha, &mdlen, EVP_sha256(), NULL))
        return fn__store_failf(st, FN_EINTERNAL, "sha256 failed");
    sha_hex(c.sha, c.hex);
    int rc = fn__store_write(st, save_fn, &c);
    free(c.z);
    return rc;
}

/* ---- read -------------------------------------------------------------- */

static int meta_read(fn_store_t *st, MDB_txn *txn, const char *prefix,
                     Flexnet__V1__Backup **out)
{
    char id[FN_STORE_ID_LEN + 1];
    int rc = fn__store_resolve_txn(st, txn, DB_BACKUPS, prefix, id);
    if (rc)
        return rc;
    MDB_val k = {FN_STORE_ID_LEN, id}, v;
    rc = mdb_get(txn, st->dbi[DB_BACKUPS], &k, &v);
    if (rc)
        return fn__store_fail(st, rc, "backup");
    *out = flexnet__v1__backup__unpack(NULL, v.mv_size, v.mv_data);
    return *out ? 0 : fn__store_failf(st, FN_EPARSE, "corrupt backup %s", id);
}

/* Copies the compressed chunks of sha out of LMDB into *z (malloc'd). */
static int blob_copy(fn_store_t *st, MDB_txn *txn, const uint8_t *sha,
                     blob_ref_t *r, uint8_t **z)
{
    int rc = ref_get(st, txn, sha, r);
    if (rc)
        return rc == MDB_NOTFOUND
                   ? fn__store_failf(st, FN_EPARSE, "backup blob missing")
                   : rc;
    *z = malloc(r->zsize ? r->zsize : 1);
    if (!*z)
        return -ENOMEM;
    uint8_t key[SHA_LEN + 4];
    memcpy(key, sha, SHA_LEN);
    size_t off = 0;
    for (uint32_t i = 0; i < r->chunks && rc == 0; i++) {
        store_be32(key + SHA_LEN, i);
        MDB_val k = {sizeof(key), key}, v;
        rc = mdb_get(txn, st->dbi[DB_BLOBS], &k, &v);
        if (rc == 0 && off + v.mv_size > r->zsize)
            rc = FN_EPARSE;
        if (rc == 0) {
            memcpy(*z + off, v.mv_data, v.mv_size);
            off += v.mv_size;
        }
    }
    if (rc == 0 && off != r->zsize)
        rc = FN_EPARSE;
    if (rc == FN_EPARSE || rc == MDB_NOTFOUND)
        rc = fn__store_failf(st, FN_EPARSE, "backup blob truncated");
    return rc;
}

/* Inflates and checks the text against its sha256. */
static int blob_inflate(fn_store_t *st, const uint8_t *sha, const blob_ref_t *r,
                        const uint8_t *z, fn_buf_t *out)
{
    uLongf n = r->size;
    uint8_t *text = malloc(n ? n : 1);
    if (!text)
        return -ENOMEM;
    int rc = 0;
    uint8_t md[SHA_LEN];
    unsigned int mdlen;
    if (uncompress(text, &n, z, r->zsize) != Z_OK || n != r->size ||
        !EVP_Digest(text, n, md, &mdlen, EVP_sha256(), NULL) ||
        memcmp(md, sha, SHA_LEN) != 0)
        rc = fn__store_failf(st, FN_EPARSE,
                             "backup content does not match its sha256");
    if (rc == 0)
        rc = fn_buf_append(out, text, n);
    free(text);
    return rc;
}

int fn_store_backup_get(fn_store_t *st, const char *id_or_prefix,
                        Flexnet__V1__Backup **meta, fn_buf_t *content)
{
    if (!st || !id_or_prefix)
        return FN_EPARSE;
    if (meta)
        *meta = NULL;
    Flexnet__V1__Backup *b = NULL;
    uint8_t sha[SHA_LEN], *z = NULL;
    blob_ref_t r;
    MDB_txn *txn;
    int rc = fn__store_read_begin(st, &txn);
    if (rc)
        return rc;
    rc = meta_read(st, txn, id_or_prefix, &b);
    if (rc == 0 && content) {
        if (sha_parse(b->sha256, sha) != 0)
            rc = fn__store_failf(st, FN_EPARSE, "corrupt backup sha256");
        else
            rc = blob_copy(st, txn, sha, &r, &z);
    }
    fn__store_read_end(st, txn);
    if (rc == 0 && content)
        rc = blob_inflate(st, sha, &r, z, content);
    free(z);
    if (rc == 0 && meta)
        *meta = b;
    else if (b)
        flexnet__v1__backup__free_unpacked(b, NULL);
    return fn__store_fail(st, rc, "backup");
}

/* ---- list, latest, previous -------------------------------------------- */

/* Walks index keys `prefix | id` newest first from below `before` (NULL:
 * from the newest). Each id goes to each(); stop when it returns != 0. */
typedef int bk_each_fn(fn_store_t *st, MDB_txn *txn, const char *id, void *arg);

static int bk_walk(fn_store_t *st, MDB_txn *txn, enum store_db db,
                   const uint8_t *prefix, size_t plen, const char *before,
                   bk_each_fn *each, void *arg)
{
    uint8_t start[BK_KEY_MAX];
    memcpy(start, prefix, plen);
    if (before)
        memcpy(start + plen, before, FN_STORE_ID_LEN);
    else
        start[plen] = 'g'; /* sorts after every hex id */
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, st->dbi[db], &cur);
    if (rc)
        return rc;
    MDB_val k = {plen + (before ? FN_STORE_ID_LEN : 1), start}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
                 : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        if (k.mv_size != plen + FN_STORE_ID_LEN ||
            memcmp(k.mv_data, prefix, plen) != 0)
            break;
        char id[FN_STORE_ID_LEN + 1];
        memcpy(id, (char *)k.mv_data + plen, FN_STORE_ID_LEN);
        id[FN_STORE_ID_LEN] = '\0';
        rc = each(st, txn, id, arg);
        if (rc)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Index prefix of a host (host \0) or a task (task id); 0 if invalid. */
static size_t host_prefix(const char *host, uint8_t *p)
{
    size_t hl = host ? strlen(host) : 0;
    if (hl == 0 || hl > FN_STORE_HOST_MAX)
        return 0;
    memcpy(p, host, hl + 1);
    return hl + 1;
}

typedef struct list_ctx {
    const Flexnet__V1__ListBackupsRequest *q;
    Flexnet__V1__ListBackupsResponse *r;
    size_t page;
    int rc;
} list_ctx_t;

static int list_each(fn_store_t *st, MDB_txn *txn, const char *id, void *arg)
{
    list_ctx_t *c = arg;
    if (c->r->n_backups == c->page) {
        c->r->next_page_token = strdup(c->r->backups[c->page - 1]->id);
        c->rc = c->r->next_page_token ? 0 : -ENOMEM;
        return 1;
    }
    MDB_val k = {FN_STORE_ID_LEN, (void *)id}, v;
    if (mdb_get(txn, st->dbi[DB_BACKUPS], &k, &v) != 0)
        return 0; /* index row without record: skip */
    Flexnet__V1__Backup *b =
        flexnet__v1__backup__unpack(NULL, v.mv_size, v.mv_data);
    if (!b)
        return 0;
    const char *host = c->q->host;
    if (host && host[0] && strcmp(b->host, host) != 0) {
        flexnet__v1__backup__free_unpacked(b, NULL);
        return 0;
    }
    size_t n = c->r->n_backups;
    if ((n & (n - 1)) == 0) {
        void *p = realloc(c->r->backups, (n ? n * 2 : 8) * sizeof(b));
        if (!p) {
            flexnet__v1__backup__free_unpacked(b, NULL);
            c->rc = -ENOMEM;
            return 1;
        }
        c->r->backups = p;
    }
    c->r->backups[c->r->n_backups++] = b;
    return 0;
}

static int list_fn(fn_store_t *st, MDB_txn *txn, ProtobufCMessage *msg,
                   void *arg)
{
    list_ctx_t *c = arg;
    c->r = (Flexnet__V1__ListBackupsResponse *)msg;
    const Flexnet__V1__ListBackupsRequest *q = c->q;
    const char *before =
        q->page_token && q->page_token[0] ? q->page_token : NULL;
    uint8_t prefix[BK_KEY_MAX];
    size_t plen = 0;
    enum store_db db = DB_BACKUPS;
    if (q->task_id && q->task_id[0]) {
        if (!fn__store_id_valid(q->task_id))
            return fn__store_failf(st, FN_EPARSE, "bad task id");
        memcpy(prefix, q->task_id, FN_STORE_ID_LEN);
        plen = FN_STORE_ID_LEN;
        db = DB_BK_TASK;
    } else if (q->host && q->host[0]) {
        plen = host_prefix(q->host, prefix);
        if (plen == 0)
            return fn__store_failf(st, FN_EPARSE, "bad host");
        db = DB_BK_HOST;
    }
    int rc = bk_walk(st, txn, db, prefix, plen, before, list_each, c);
    rc = rc == 1 ? 0 : rc;
    return c->rc ? c->rc : fn__store_fail(st, rc, "list backups");
}

int fn_store_backup_list(fn_store_t *st,
                         const Flexnet__V1__ListBackupsRequest *req,
                         Flexnet__V1__ListBackupsResponse **out)
{
    if (!st || !req || !out)
        return FN_EPARSE;
    *out = NULL;
    if (req->page_token && req->page_token[0] &&
        !fn__store_id_valid(req->page_token))
        return fn__store_failf(st, FN_EPARSE, "bad page token");
    list_ctx_t c = {req, NULL,
                    req->page_size ? req->page_size : BK_PAGE_DEFAULT, 0};
    if (c.page > BK_PAGE_MAX)
        c.page = BK_PAGE_MAX;
    ProtobufCMessage *m;
    int rc = fn__store_read_msg(
        st, &flexnet__v1__list_backups_response__descriptor, list_fn, &c, &m);
    *out = (Flexnet__V1__ListBackupsResponse *)m;
    return rc;
}

static int first_each(fn_store_t *st, MDB_txn *txn, const char *id, void *arg)
{
    memcpy(arg, id, FN_STORE_ID_LEN + 1);
    return 1;
}

/* The newest backup of host strictly older than `before` (NULL: any). */
static int host_newest(fn_store_t *st, MDB_txn *txn, const char *host,
                       const char *before, char id[FN_STORE_ID_LEN + 1])
{
    uint8_t prefix[BK_KEY_MAX];
    size_t plen = host_prefix(host, prefix);
    if (plen == 0)
        return fn__store_failf(st, FN_EPARSE, "bad host");
    id[0] = '\0';
    int rc = bk_walk(st, txn, DB_BK_HOST, prefix, plen, before, first_each, id);
    if (rc == 1)
        return 0;
    if (rc == 0)
        return fn__store_failf(st, FN_ENOTFOUND, "%s backup of %.200s",
                               before ? "no earlier" : "no", host);
    return fn__store_fail(st, rc, "backups");
}

int fn_store_backup_latest(fn_store_t *st, const char *host,
                           char id[FN_STORE_ID_LEN + 1])
{
    if (!st || !id)
        return FN_EPARSE;
    MDB_txn *txn;
    int rc = fn__store_read_begin(st, &txn);
    if (rc)
        return rc;
    rc = host_newest(st, txn, host, NULL, id);
    fn__store_read_end(st, txn);
    return rc;
}

int fn_store_backup_previous(fn_store_t *st, const char *id_or_prefix,
                             char prev[FN_STORE_ID_LEN + 1])
{
    if (!st || !prev)
        return FN_EPARSE;
    MDB_txn *txn;
    int rc = fn__store_read_begin(st, &txn);
    if (rc)
        return rc;
    Flexnet__V1__Backup *b = NULL;
    rc = meta_read(st, txn, id_or_prefix, &b);
    if (rc == 0)
        rc = host_newest(st, txn, b->host, b->id, prev);
    fn__store_read_end(st, txn);
    if (b)
        flexnet__v1__backup__free_unpacked(b, NULL);
    return rc;
}

/* ---- diff -------------------------------------------------------------- */

/* "id/host<TAB>time": the file name part is what `patch` looks at. */
static void diff_label(const Flexnet__V1__Backup *b, char *out, size_t len)
{
    char when[32];
    fn_time_format(b->created_us, when, sizeof(when));
    snprintf(out, len, "%s/%s\t%s", b->id, b->host, when);
}

static int diff_both(fn_store_t *st, const char *a, const char *b,
                     unsigned context, Flexnet__V1__DiffBackupsResponse *r)
{
    Flexnet__V1__Backup *ma = NULL, *mb = NULL;
    fn_buf_t ta, tb, d;
    fn_buf_init(&ta, 0);
    fn_buf_init(&tb, 0);
    fn_buf_init(&d, 0);
    char prev[FN_STORE_ID_LEN + 1];
    int rc = fn_store_backup_get(st, a, &ma, &ta);
    if (rc == 0 && (!b || !b[0])) {
        rc = fn_store_backup_previous(st, ma->id, prev);
        b = prev;
    }
    if (rc == 0)
        rc = fn_store_backup_get(st, b, &mb, &tb);
    char la[FN_STORE_HOST_MAX + 64], lb[FN_STORE_HOST_MAX + 64];
    if (rc == 0) {
        diff_label(mb, lb, sizeof(lb));
        diff_label(ma, la, sizeof(la));
        rc = fn_store_diff(tb.data ? tb.data : "", tb.len,
                           ta.data ? ta.data : "", ta.len, lb, la,
                           context ? context : 3, &d);
    }
    if (rc == 0) {
        r->id_a = strdup(ma->id);
        r->id_b = strdup(mb->id);
        r->identical = d.len == 0;
        r->diff = fn_buf_steal(&d, NULL);
        if (!r->id_a || !r->id_b || !r->diff)
            rc = -ENOMEM;
    }
    flexnet__v1__backup__free_unpacked(ma, NULL);
    flexnet__v1__backup__free_unpacked(mb, NULL);
    fn_buf_cleanup(&ta);
    fn_buf_cleanup(&tb);
    fn_buf_cleanup(&d);
    return rc;
}

int fn_store_backup_diff(fn_store_t *st, const char *id_a, const char *id_b,
                         unsigned context,
                         Flexnet__V1__DiffBackupsResponse **out)
{
    if (!st || !id_a || !out)
        return FN_EPARSE;
    *out = NULL;
    Flexnet__V1__DiffBackupsResponse *r = malloc(sizeof(*r));
    if (!r)
        return -ENOMEM;
    flexnet__v1__diff_backups_response__init(r);
    int rc = diff_both(st, id_a, id_b, context, r);
    if (rc) {
        flexnet__v1__diff_backups_response__free_unpacked(r, NULL);
        return rc;
    }
    *out = r;
    return 0;
}

/* ---- update and delete ------------------------------------------------- */

static int update_fn(fn_store_t *st, MDB_txn *txn, void *arg)
{
    const Flexnet__V1__Backup *m = arg;
    Flexnet__V1__Backup *old = NULL;
    int rc = meta_read(st, txn, m->id, &old);
    if (rc)
        return rc;
    Flexnet__V1__Backup b = *old;
    b.target = m->target;
    b.bucket = m->bucket;
    b.key = m->key;
    b.error = m->error;
    b.comment = m->comment;
    size_t len;
    uint8_t *buf = fn__store_pack(&b.base, &len);
    if (buf) {
        MDB_val k = {FN_STORE_ID_LEN, old->id}, v = {len, buf};
        rc = mdb_put(txn, st->dbi[DB_BACKUPS], &k, &v, 0);
        free(buf);
    }
    flexnet__v1__backup__free_unpacked(old, NULL);
    return buf ? rc : ENOMEM;
}

int fn_store_backup_update(fn_store_t *st, const Flexnet__V1__Backup *meta)
{
    if (!st || !meta || !fn__store_id_valid(meta->id))
        return st ? fn__store_failf(st, FN_EPARSE, "bad backup id") : FN_EPARSE;
    return fn__store_write(st, update_fn, (void *)meta);
}

/* One reference less; the chunks go with the last one. */
static int blob_unref(fn_store_t *st, MDB_txn *txn, const uint8_t *sha)
{
    blob_ref_t r;
    int rc = ref_get(st, txn, sha, &r);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    if (r.refs > 1) {
        r.refs--;
        return ref_put(st, txn, sha, &r);
    }
    MDB_val k = {SHA_LEN, (void *)sha};
    rc = mdb_del(txn, st->dbi[DB_BLOBREFS], &k, NULL);
    return rc ? rc : fn__store_del_prefix(txn, st->dbi[DB_BLOBS], sha, SHA_LEN);
}

static int delete_fn(fn_store_t *st, MDB_txn *txn, void *arg)
{
    Flexnet__V1__Backup *b = NULL;
    int rc = meta_read(st, txn, arg, &b);
    if (rc)
        return rc;
    uint8_t sha[SHA_LEN];
    MDB_val k = {FN_STORE_ID_LEN, b->id};
    rc = mdb_del(txn, st->dbi[DB_BACKUPS], &k, NULL);
    if (rc == 0)
        rc = index_rows(st, txn, b->host, b->task_id, b->id, 1);
    if (rc == 0 && sha_parse(b->sha256, sha) == 0)
        rc = blob_unref(st, txn, sha);
    flexnet__v1__backup__free_unpacked(b, NULL);
    return rc;
}

int fn_store_backup_delete(fn_store_t *st, const char *id_or_prefix)
{
    if (!st || !id_or_prefix)
        return FN_EPARSE;
    return fn__store_write(st, delete_fn, (void *)id_or_prefix);
}
