/*
 * backup_methods.c — ListBackups, GetBackup (a stream of chunks, each
 * well under the 4 MiB that clients accept by default), DiffBackups,
 * DeleteBackup: thin adapters from requests to store/ calls.
 *
 * GetBackup is a pull stream: the text is read once, then a few chunks
 * (BK_QUEUED_BYTES worth, BK_QUEUED_MIN..MAX of them) are queued at a
 * time; each send completion asks for more (fn__rpc_drain_fn), so a slow
 * reader costs one config in memory, not a queue of copies.
 *
 * Thread: reactor. Owns: a GetBackup stream's copy of the text until the
 * stream ends. Does not: create backups (task_methods.c's sink does).
 */
#include "rpc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_buf.h"
#include "fn_err.h"
#include "fn_store.h"

#define BK_CHUNK_DEFAULT (1024 * 1024)
#define BK_CHUNK_MAX     (3 * 1024 * 1024)
#define BK_QUEUED_BYTES  (4 * 1024 * 1024)
#define BK_QUEUED_MIN    2
#define BK_QUEUED_MAX    64
/* A unary answer stays this far below the 4 MiB limit (headers, fields). */
#define BK_REPLY_MAX (4 * 1024 * 1024 - 64 * 1024)

typedef struct bk_stream {
    fn_buf_t text;
    size_t off;
    size_t chunk;
    size_t queued; /* chunks kept in flight */
    char id[FN_STORE_ID_LEN + 1];
} bk_stream_t;

void fn__rpc_list_backups(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    Flexnet__V1__ListBackupsResponse *resp = NULL;
    struct fn_store *st = c->srv->store;
    int rc = fn_store_backup_list(
        st, (const Flexnet__V1__ListBackupsRequest *)req, &resp);
    if (rc < 0) {
        fn__rpc_fail(c, rc, fn_store_reason(st));
        return;
    }
    fn__rpc_call_reply(c, &resp->base);
    flexnet__v1__list_backups_response__free_unpacked(resp, NULL);
}

static void bk_stream_end(fn_rpc_call_t *c, bk_stream_t *bs)
{
    fn_buf_cleanup(&bs->text);
    free(bs);
    fn__rpc_call_release(c);
}

static void bk_on_cancel(fn_rpc_call_t *c, void *arg)
{
    bk_stream_end(c, arg);
}

/* Queues chunks while there is room; the last one carries last=true and
 * ends the call. */
static void bk_fill(fn_rpc_call_t *c, void *arg)
{
    bk_stream_t *bs = arg;
    while (fn__rpc_call_queued(c) < bs->queued) {
        size_t n = bs->text.len - bs->off;
        if (n > bs->chunk)
            n = bs->chunk;
        Flexnet__V1__BackupChunk ch;
        flexnet__v1__backup_chunk__init(&ch);
        ch.id = bs->id;
        ch.offset = bs->off;
        ch.data.data = (uint8_t *)bs->text.data + bs->off;
        ch.data.len = n;
        ch.last = bs->off + n == bs->text.len;
        int rc = fn__rpc_call_send(c, &ch.base);
        if (rc < 0 || ch.last) {
            if (rc < 0)
                fn__rpc_fail(c, rc, NULL);
            else
                fn__rpc_call_finish(c, GRPC_STATUS_OK, NULL);
            bk_stream_end(c, bs);
            return;
        }
        bs->off += n;
    }
}

void fn__rpc_get_backup(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const Flexnet__V1__GetBackupRequest *r =
        (const Flexnet__V1__GetBackupRequest *)req;
    struct fn_store *st = c->srv->store;
    bk_stream_t *bs = calloc(1, sizeof(*bs));
    if (!bs) {
        fn__rpc_fail(c, -ENOMEM, NULL);
        return;
    }
    fn_buf_init(&bs->text, 0);
    Flexnet__V1__Backup *meta = NULL;
    int rc = fn_store_backup_get(st, r->id, &meta, &bs->text);
    if (rc < 0) {
        fn__rpc_fail(c, rc, fn_store_reason(st));
        fn_buf_cleanup(&bs->text);
        free(bs);
        return;
    }
    snprintf(bs->id, sizeof(bs->id), "%s", meta->id);
    flexnet__v1__backup__free_unpacked(meta, NULL);
    bs->chunk = r->chunk_size ? r->chunk_size : BK_CHUNK_DEFAULT;
    if (bs->chunk > BK_CHUNK_MAX)
        bs->chunk = BK_CHUNK_MAX;
    bs->queued = BK_QUEUED_BYTES / bs->chunk;
    if (bs->queued < BK_QUEUED_MIN)
        bs->queued = BK_QUEUED_MIN;
    if (bs->queued > BK_QUEUED_MAX)
        bs->queued = BK_QUEUED_MAX;
    if (bs->queued > c->srv->stream_queue)
        bs->queued = c->srv->stream_queue;
    fn__rpc_call_hold(c);
    fn__rpc_call_set_hooks(c, bk_fill, bk_on_cancel, bs);
    bk_fill(c, bs);
}

/* Cuts the diff text at a line end so the reply fits one message. */
static void bk_trim_diff(Flexnet__V1__DiffBackupsResponse *resp)
{
    size_t len = strlen(resp->diff);
    if (len <= BK_REPLY_MAX)
        return;
    char *cut = resp->diff + BK_REPLY_MAX;
    while (cut > resp->diff && cut[-1] != '\n')
        cut--;
    *cut = '\0';
    resp->truncated = 1;
}

void fn__rpc_diff_backups(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const Flexnet__V1__DiffBackupsRequest *r =
        (const Flexnet__V1__DiffBackupsRequest *)req;
    struct fn_store *st = c->srv->store;
    Flexnet__V1__DiffBackupsResponse *resp = NULL;
    int rc = fn_store_backup_diff(st, r->id_a, r->id_b, r->context, &resp);
    if (rc < 0) {
        fn__rpc_fail(c, rc, fn_store_reason(st));
        return;
    }
    bk_trim_diff(resp);
    fn__rpc_call_reply(c, &resp->base);
    flexnet__v1__diff_backups_response__free_unpacked(resp, NULL);
}

void fn__rpc_delete_backup(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const Flexnet__V1__DeleteBackupRequest *r =
        (const Flexnet__V1__DeleteBackupRequest *)req;
    struct fn_store *st = c->srv->store;
    Flexnet__V1__Backup *meta = NULL;
    int rc = fn_store_backup_get(st, r->id, &meta, NULL);
    if (rc == 0)
        rc = fn_store_backup_delete(st, meta->id);
    if (rc < 0) {
        fn__rpc_fail(c, rc, fn_store_reason(st));
        if (meta)
            flexnet__v1__backup__free_unpacked(meta, NULL);
        return;
    }
    if (strcmp(meta->target, "s3") == 0)
        fn_recorder_s3_delete(c->srv->rec, meta->key);
    flexnet__v1__backup__free_unpacked(meta, NULL);
    Flexnet__V1__DeleteBackupResponse resp;
    flexnet__v1__delete_backup_response__init(&resp);
    resp.deleted = 1;
    fn__rpc_call_reply(c, &resp.base);
}
