/*
 * store_task.c — task records: create, queued status/summary updates,
 * finish, get (with connection reports and results), list newest first
 * with filters and paging, delete; and crash recovery: the `live` table
 * names the writer of each unfinished task so that any process can tell
 * a dead writer's RUNNING task is really INTERRUPTED.
 *
 * Does not hold results or logs (store_rec.c) or backups. Any thread;
 * writes go through fn__store_write (store.c). Owns nothing beyond calls.
 */
#include "store_int.h"

#include "fn_err.h"
#include "fn_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TASK_PAGE_DEFAULT 50
#define TASK_PAGE_MAX     1000

/* ---- owners: is the writer of a live task still running? --------------- */

/* Reads field 22 (starttime) and the state of /proc/<pid>/stat.
 * Returns 0, or -1 when the process does not exist. */
static int proc_start(uint32_t pid, uint64_t *start, char *state)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%u/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* comm may hold spaces and parens */
    if (!p || p[1] != ' ')
        return -1;
    *state = p[2];
    p += 2; /* field 3 */
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (!p)
        return -1;
    *start = strtoull(p, NULL, 10);
    return 0;
}

void fn__store_owner_self(store_owner_t *o)
{
    memset(o, 0, sizeof(*o));
    o->pid = (uint32_t)getpid();
    char state;
    if (proc_start(o->pid, &o->start, &state) != 0)
        o->start = 0;
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (!fgets(o->boot, sizeof(o->boot), f))
            o->boot[0] = '\0';
        fclose(f);
        o->boot[strcspn(o->boot, "\n")] = '\0';
    }
}

static int owner_alive(const store_owner_t *o, const store_owner_t *self)
{
    if (strncmp(o->boot, self->boot, sizeof(o->boot)) != 0)
        return 0; /* written before a reboot */
    if (o->pid == self->pid)
        return o->start == self->start;
    uint64_t start;
    char state;
    if (proc_start(o->pid, &start, &state) != 0)
        return 0;
    return start == o->start && state != 'Z' && state != 'X';
}

static int task_is_open(const Flexnet__V1__Task *t)
{
    return t->status == FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING ||
           t->status == FLEXNET__V1__TASK_STATUS__TASK_STATUS_PENDING;
}

/* The last owner looked up in one call: a list of 50 tasks of the same
 * daemon reads /proc once, not 50 times. */
typedef struct owner_memo {
    store_owner_t o;
    int alive; /* -1: nothing remembered */
} owner_memo_t;

/* Shows an open task of a dead writer as INTERRUPTED (read side). */
static void task_view(fn_store_t *st, MDB_txn *txn, Flexnet__V1__Task *t,
                      owner_memo_t *memo)
{
    if (!task_is_open(t))
        return;
    MDB_val k = {strlen(t->id), t->id}, v;
    if (mdb_get(txn, st->dbi[DB_LIVE], &k, &v) != 0 ||
        v.mv_size != sizeof(store_owner_t))
        return;
    store_owner_t o;
    memcpy(&o, v.mv_data, sizeof(o));
    if (memo->alive < 0 || memcmp(&o, &memo->o, sizeof(o)) != 0) {
        memo->o = o;
        memo->alive = owner_alive(&o, &st->self);
    }
    if (!memo->alive)
        t->status = FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED;
}

int fn__store_task_settle(fn_store_t *st, MDB_txn *txn, Flexnet__V1__Task *t)
{
    owner_memo_t memo = {.alive = -1};
    int was_open = task_is_open(t);
    task_view(st, txn, t, &memo);
    return was_open;
}

/* ---- record helpers ---------------------------------------------------- */

static int task_read(fn_store_t *st, MDB_txn *txn, const char *id,
                     Flexnet__V1__Task **out)
{
    MDB_val k = {FN_STORE_ID_LEN, (void *)id}, v;
    int rc = mdb_get(txn, st->dbi[DB_TASKS], &k, &v);
    if (rc)
        return rc;
    *out = flexnet__v1__task__unpack(NULL, v.mv_size, v.mv_data);
    if (!*out)
        return fn__store_failf(st, FN_EPARSE, "task %s: corrupt record", id);
    return 0;
}

static int task_write(fn_store_t *st, MDB_txn *txn, Flexnet__V1__Task *t,
                      unsigned flags)
{
    size_t len;
    uint8_t *buf = fn__store_pack(&t->base, &len);
    if (!buf)
        return -ENOMEM;
    MDB_val k = {FN_STORE_ID_LEN, t->id}, v = {len, buf};
    int rc = mdb_put(txn, st->dbi[DB_TASKS], &k, &v, flags);
    free(buf);
    return rc;
}

/* Writes t; a task no longer open loses its `live` row. */
static int task_store(fn_store_t *st, MDB_txn *txn, Flexnet__V1__Task *t)
{
    int rc = task_write(st, txn, t, 0);
    if (rc || task_is_open(t))
        return rc;
    MDB_val k = {FN_STORE_ID_LEN, t->id};
    rc = mdb_del(txn, st->dbi[DB_LIVE], &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int set_str(char **field, const char *s)
{
    char *c = strdup(s);
    if (!c)
        return -ENOMEM;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = c;
    return 0;
}

static int set_summary(Flexnet__V1__Task *t, const Flexnet__V1__Summary *s)
{
    size_t len;
    uint8_t *buf = fn__store_pack(&s->base, &len);
    if (!buf)
        return -ENOMEM;
    Flexnet__V1__Summary *copy = flexnet__v1__summary__unpack(NULL, len, buf);
    free(buf);
    if (!copy)
        return -ENOMEM;
    if (t->summary)
        flexnet__v1__summary__free_unpacked(t->summary, NULL);
    t->summary = copy;
    return 0;
}

/* Status, error, summary and times in one place for update and finish. */
static int task_change(Flexnet__V1__Task *t, int status, const char *error,
                       const Flexnet__V1__Summary *summary, int finish)
{
    int64_t now = fn_time_wall_us();
    int rc = 0;
    if (status > 0) {
        t->status = (Flexnet__V1__TaskStatus)status;
        if (status == FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING &&
            !t->started_us)
            t->started_us = now;
    }
    if (finish)
        t->finished_us = now;
    if (error)
        rc = set_str(&t->error, error);
    if (rc == 0 && summary)
        rc = set_summary(t, summary);
    if (rc == 0 && t->summary) {
        t->summary->status = t->status;
        if (!t->summary->task_id || !t->summary->task_id[0])
            rc = set_str(&t->summary->task_id, t->id);
    }
    return rc;
}

/* ---- create ------------------------------------------------------------ */

typedef struct create_ctx {
    const Flexnet__V1__Task *tmpl;
    char *id;
} create_ctx_t;

static int create_fn(fn_store_t *st, MDB_txn *txn, void *arg)
{
    create_ctx_t *c = arg;
    Flexnet__V1__Task t = *c->tmpl;
    t.summary = NULL;
    t.finished_us = 0;
    t.started_us = 0;
    if (t.status == FLEXNET__V1__TASK_STATUS__TASK_STATUS_UNSPECIFIED)
        t.status = FLEXNET__V1__TASK_STATUS__TASK_STATUS_PENDING;
    Flexnet__V1__Summary sum = FLEXNET__V1__SUMMARY__INIT;
    sum.status = t.status;
    t.summary = &sum;
    int rc;
    do {
        fn__store_new_id(st, c->tmpl->created_us, c->id);
        t.id = c->id;
        sum.task_id = c->id;
        t.created_us = fn__store_id_time(c->id);
        if (t.status == FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING)
            t.started_us = t.created_us;
        rc = task_write(st, txn, &t, MDB_NOOVERWRITE);
    } while (rc == MDB_KEYEXIST);
    if (rc || !task_is_open(&t))
        return rc;
    MDB_val k = {FN_STORE_ID_LEN, c->id};
    MDB_val v = {sizeof(store_owner_t), &st->self};
    return mdb_put(txn, st->dbi[DB_LIVE], &k, &v, 0);
}

int fn_store_task_create(fn_store_t *st, const Flexnet__V1__Task *tmpl,
                         char id[FN_STORE_ID_LEN + 1])
{
    if (!st || !tmpl || !id)
        return FN_EPARSE;
    create_ctx_t c = {tmpl, id};
    return fn__store_write(st, create_fn, &c);
}

/* ---- queued updates ---------------------------------------------------- */

int fn__store_task_apply(fn_store_t *st, MDB_txn *txn, enum store_op op,
                         const char *id, const uint8_t *val, size_t vlen)
{
    Flexnet__V1__Task *t;
    int rc = task_read(st, txn, id, &t);
    if (rc == MDB_NOTFOUND)
        return 0; /* deleted meanwhile: nothing to update */
    if (rc == FN_EPARSE)
        return 0; /* a corrupt record must not block the whole batch */
    if (rc)
        return rc;
    if (op == OP_TASK_STATUS && vlen >= 5) {
        char *err = NULL;
        if (val[4]) {
            err = strndup((const char *)val + 5, vlen - 5);
            rc = err ? 0 : -ENOMEM;
        }
        if (rc == 0)
            rc = task_change(t, (int)store_get32(val), err, NULL, 0);
        free(err);
    } else if (op == OP_TASK_SUMMARY) {
        Flexnet__V1__Summary *s = flexnet__v1__summary__unpack(NULL, vlen, val);
        rc = s ? task_change(t, 0, NULL, s, 0) : 0;
        if (s)
            flexnet__v1__summary__free_unpacked(s, NULL);
    }
    if (rc == 0)
        rc = task_store(st, txn, t);
    flexnet__v1__task__free_unpacked(t, NULL);
    return rc == -ENOMEM ? ENOMEM : rc; /* LMDB-style: whole txn fails */
}

int fn_store_task_set_status(fn_store_t *st, const char *id,
                             Flexnet__V1__TaskStatus status, const char *error)
{
    if (!st || !fn__store_id_valid(id))
        return st ? fn__store_failf(st, FN_EPARSE, "bad task id") : FN_EPARSE;
    size_t elen = error ? strlen(error) : 0;
    uint8_t *val = malloc(5 + elen);
    if (!val)
        return -ENOMEM;
    store_be32(val, (uint32_t)status);
    val[4] = error != NULL;
    if (elen)
        memcpy(val + 5, error, elen);
    pthread_mutex_lock(&st->wlock);
    int rc = fn__store_batch_add(st, OP_TASK_STATUS, DB_TASKS, id,
                                 FN_STORE_ID_LEN, val, 5 + elen);
    pthread_mutex_unlock(&st->wlock);
    free(val);
    return rc;
}

int fn_store_task_set_summary(fn_store_t *st, const char *id,
                              const Flexnet__V1__Summary *summary)
{
    if (!st || !summary || !fn__store_id_valid(id))
        return st ? fn__store_failf(st, FN_EPARSE, "bad task id") : FN_EPARSE;
    size_t len;
    uint8_t *val = fn__store_pack(&summary->base, &len);
    if (!val)
        return -ENOMEM;
    pthread_mutex_lock(&st->wlock);
    int rc = fn__store_batch_add(st, OP_TASK_SUMMARY, DB_TASKS, id,
                                 FN_STORE_ID_LEN, val, len);
    pthread_mutex_unlock(&st->wlock);
    free(val);
    return rc;
}

/* ---- finish and recovery ----------------------------------------------- */

typedef struct finish_ctx {
    const char *id;
    int status;
    const Flexnet__V1__Summary *summary;
    const char *error;
    int recover; /* only if still open (a dead writer's task) */
} finish_ctx_t;

static int finish_one(fn_store_t *st, MDB_txn *txn, const finish_ctx_t *c)
{
    Flexnet__V1__Task *t;
    int rc = task_read(st, txn, c->id, &t);
    if (rc == MDB_NOTFOUND)
        return fn__store_failf(st, FN_ENOTFOUND, "no task %s", c->id);
    if (rc)
        return rc;
    if (!c->recover || task_is_open(t))
        rc = task_change(t, c->status, c->error, c->summary, 1);
    if (rc == 0)
        rc = task_store(st, txn, t);
    flexnet__v1__task__free_unpacked(t, NULL);
    return rc == -ENOMEM ? ENOMEM : rc;
}

static int finish_fn(fn_store_t *st, MDB_txn *txn, void *arg)
{
    return finish_one(st, txn, arg);
}

int fn_store_task_finish(fn_store_t *st, const char *id,
                         Flexnet__V1__TaskStatus status,
                         const Flexnet__V1__Summary *summary, const char *error)
{
    if (!st || !fn__store_id_valid(id))
        return st ? fn__store_failf(st, FN_EPARSE, "bad task id") : FN_EPARSE;
    if (status < FLEXNET__V1__TASK_STATUS__TASK_STATUS_DONE ||
        status > FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED)
        return fn__store_failf(st, FN_EPARSE, "finish needs a final status");
    finish_ctx_t c = {id, (int)status, summary, error, 0};
    int rc = fn__store_write(st, finish_fn, &c);
    return rc ? rc : fn_store_sync(st);
}

/* Collects the ids to interrupt first: deleting under a cursor while
 * walking it is fragile, and the list is short (unfinished tasks). */
int fn__store_task_recover(fn_store_t *st, MDB_txn *txn, int self_too)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, st->dbi[DB_LIVE], &cur);
    if (rc)
        return rc;
    char(*ids)[FN_STORE_ID_LEN + 1] = NULL;
    size_t n = 0, cap = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        store_owner_t o;
        if (k.mv_size != FN_STORE_ID_LEN || v.mv_size != sizeof(o))
            continue;
        memcpy(&o, v.mv_data, sizeof(o));
        int mine = o.pid == st->self.pid && o.start == st->self.start &&
                   strncmp(o.boot, st->self.boot, sizeof(o.boot)) == 0;
        if (owner_alive(&o, &st->self) && !(self_too && mine))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            void *p = realloc(ids, cap * sizeof(*ids));
            if (!p) {
                rc = ENOMEM;
                break;
            }
            ids = p;
        }
        memcpy(ids[n], k.mv_data, FN_STORE_ID_LEN);
        ids[n++][FN_STORE_ID_LEN] = '\0';
    }
    mdb_cursor_close(cur);
    rc = rc == MDB_NOTFOUND ? 0 : rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        finish_ctx_t c = {ids[i],
                          FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED,
                          NULL, NULL, 1};
        rc = finish_one(st, txn, &c);
        if (rc == FN_ENOTFOUND) { /* task deleted, live row left over */
            MDB_val dk = {FN_STORE_ID_LEN, ids[i]};
            rc = mdb_del(txn, st->dbi[DB_LIVE], &dk, NULL);
        }
    }
    free(ids);
    return rc;
}

/* ---- get --------------------------------------------------------------- */

/* Appends a pointer to a growable message array (protobuf-c layout). */
static int push_msg(void ***arr, size_t *n, void *msg)
{
    if ((*n & (*n - 1)) == 0) { /* n is 0 or a power of two: grow */
        void **p = realloc(*arr, (*n ? *n * 2 : 8) * sizeof(void *));
        if (!p)
            return -ENOMEM;
        *arr = p;
    }
    (*arr)[(*n)++] = msg;
    return 0;
}

/* Unpacks every value under prefix in db, restoring the task id. */
static int read_children(fn_store_t *st, MDB_txn *txn, enum store_db db,
                         const char *id, void ***arr, size_t *n)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, st->dbi[db], &cur);
    if (rc)
        return fn__store_fail(st, rc, "cursor");
    const ProtobufCMessageDescriptor *d =
        db == DB_CONNS ? &flexnet__v1__connection_report__descriptor
                       : &flexnet__v1__command_result__descriptor;
    MDB_val k = {FN_STORE_ID_LEN, (void *)id}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= FN_STORE_ID_LEN &&
         memcmp(k.mv_data, id, FN_STORE_ID_LEN) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        ProtobufCMessage *m =
            protobuf_c_message_unpack(d, NULL, v.mv_size, v.mv_data);
        if (!m)
            continue; /* skip a corrupt row rather than hide the task */
        /* task_id is the first field of both messages */
        char **tid = (char **)((char *)m + d->fields[0].offset);
        rc = set_str(tid, id);
        if (rc == 0)
            rc = push_msg(arr, n, m);
        if (rc) {
            protobuf_c_message_free_unpacked(m, NULL);
            break;
        }
    }
    mdb_cursor_close(cur);
    if (rc == -ENOMEM)
        return rc;
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : fn__store_fail(st, rc, "read");
}

typedef struct get_ctx {
    const char *prefix;
    unsigned what;
} get_ctx_t;

static int get_fn(fn_store_t *st, MDB_txn *txn, ProtobufCMessage *msg,
                  void *arg)
{
    const get_ctx_t *c = arg;
    Flexnet__V1__GetTaskResponse *r = (Flexnet__V1__GetTaskResponse *)msg;
    char id[FN_STORE_ID_LEN + 1];
    int rc = fn__store_resolve_txn(st, txn, DB_TASKS, c->prefix, id);
    if (rc)
        return rc;
    rc = task_read(st, txn, id, &r->task);
    if (rc)
        return rc == MDB_NOTFOUND ? FN_ENOTFOUND
                                  : fn__store_fail(st, rc, "task");
    owner_memo_t memo = {.alive = -1};
    task_view(st, txn, r->task, &memo);
    if (c->what & FN_STORE_GET_CONNS)
        rc = read_children(st, txn, DB_CONNS, id, (void ***)&r->connections,
                           &r->n_connections);
    if (rc == 0 && (c->what & FN_STORE_GET_RESULTS))
        rc = read_children(st, txn, DB_RESULTS, id, (void ***)&r->results,
                           &r->n_results);
    return rc;
}

int fn_store_task_get(fn_store_t *st, const char *id_or_prefix, unsigned what,
                      Flexnet__V1__GetTaskResponse **out)
{
    if (!st || !out)
        return FN_EPARSE;
    get_ctx_t c = {id_or_prefix, what};
    ProtobufCMessage *m;
    int rc = fn__store_read_msg(st, &flexnet__v1__get_task_response__descriptor,
                                get_fn, &c, &m);
    *out = (Flexnet__V1__GetTaskResponse *)m;
    return rc;
}

int fn_store_task_resolve(fn_store_t *st, const char *prefix,
                          char id[FN_STORE_ID_LEN + 1])
{
    if (!st || !id)
        return FN_EPARSE;
    return fn__store_resolve(st, DB_TASKS, prefix, id);
}

/* ---- list -------------------------------------------------------------- */

static int task_match(const Flexnet__V1__Task *t,
                      const Flexnet__V1__ListTasksRequest *q)
{
    if (q->status && t->status != q->status)
        return 0;
    if (q->name && q->name[0] && (!t->name || !strstr(t->name, q->name)))
        return 0;
    return 1;
}

/* Puts the cursor on the first key to list (newest first). */
static int list_seek(MDB_cursor *cur, const Flexnet__V1__ListTasksRequest *q,
                     MDB_val *k, MDB_val *v)
{
    char start[FN_STORE_ID_LEN + 1];
    int have = 0;
    if (q->page_token && q->page_token[0]) {
        memcpy(start, q->page_token, sizeof(start));
        have = 1;
    }
    if (q->until_us > 0) {
        char u[FN_STORE_ID_LEN + 1];
        fn__store_id_format(q->until_us + 1, 0, u);
        if (!have || strcmp(u, start) < 0)
            memcpy(start, u, sizeof(start));
        have = 1;
    }
    if (!have)
        return mdb_cursor_get(cur, k, v, MDB_LAST);
    /* the first key strictly below `start` */
    k->mv_size = FN_STORE_ID_LEN;
    k->mv_data = start;
    int rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND)
        return mdb_cursor_get(cur, k, v, MDB_LAST);
    if (rc)
        return rc;
    return mdb_cursor_get(cur, k, v, MDB_PREV);
}

typedef struct list_ctx {
    const Flexnet__V1__ListTasksRequest *q;
    size_t page;
} list_ctx_t;

static int list_fn(fn_store_t *st, MDB_txn *txn, ProtobufCMessage *msg,
                   void *arg)
{
    const Flexnet__V1__ListTasksRequest *q = ((list_ctx_t *)arg)->q;
    size_t page = ((list_ctx_t *)arg)->page;
    Flexnet__V1__ListTasksResponse *r = (Flexnet__V1__ListTasksResponse *)msg;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, st->dbi[DB_TASKS], &cur);
    if (rc)
        return fn__store_fail(st, rc, "cursor");
    owner_memo_t memo = {.alive = -1};
    MDB_val k, v;
    for (rc = list_seek(cur, q, &k, &v); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        char id[FN_STORE_ID_LEN + 1];
        if (k.mv_size != FN_STORE_ID_LEN)
            continue;
        memcpy(id, k.mv_data, FN_STORE_ID_LEN);
        id[FN_STORE_ID_LEN] = '\0';
        if (q->since_us > 0 && fn__store_id_time(id) < q->since_us)
            break;
        if (r->n_tasks == page) { /* there is more: hand out a token */
            rc = set_str(&r->next_page_token, r->tasks[page - 1]->id);
            break;
        }
        Flexnet__V1__Task *t =
            flexnet__v1__task__unpack(NULL, v.mv_size, v.mv_data);
        if (!t)
            continue;
        task_view(st, txn, t, &memo);
        if (!task_match(t, q) ||
            (rc = push_msg((void ***)&r->tasks, &r->n_tasks, t)) != 0) {
            flexnet__v1__task__free_unpacked(t, NULL);
            if (rc)
                break;
        }
    }
    mdb_cursor_close(cur);
    if (rc == -ENOMEM)
        return rc;
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : fn__store_fail(st, rc, "list");
}

int fn_store_task_list(fn_store_t *st, const Flexnet__V1__ListTasksRequest *req,
                       Flexnet__V1__ListTasksResponse **out)
{
    if (!st || !req || !out)
        return FN_EPARSE;
    *out = NULL;
    if (req->page_token && req->page_token[0] &&
        !fn__store_id_valid(req->page_token))
        return fn__store_failf(st, FN_EPARSE, "bad page token");
    size_t page = req->page_size ? req->page_size : TASK_PAGE_DEFAULT;
    if (page > TASK_PAGE_MAX)
        page = TASK_PAGE_MAX;
    list_ctx_t c = {req, page};
    ProtobufCMessage *m;
    int rc = fn__store_read_msg(
        st, &flexnet__v1__list_tasks_response__descriptor, list_fn, &c, &m);
    *out = (Flexnet__V1__ListTasksResponse *)m;
    return rc;
}

/* ---- delete ------------------------------------------------------------ */

static int delete_fn(fn_store_t *st, MDB_txn *txn, void *arg)
{
    const char *prefix = arg;
    char id[FN_STORE_ID_LEN + 1];
    int rc = fn__store_resolve_txn(st, txn, DB_TASKS, prefix, id);
    if (rc)
        return rc;
    MDB_val k = {FN_STORE_ID_LEN, id};
    rc = mdb_del(txn, st->dbi[DB_TASKS], &k, NULL);
    if (rc == 0) {
        rc = mdb_del(txn, st->dbi[DB_LIVE], &k, NULL);
        rc = rc == MDB_NOTFOUND ? 0 : rc;
    }
    static const enum store_db kids[] = {DB_CONNS, DB_RESULTS, DB_LOGS};
    for (size_t i = 0; rc == 0 && i < sizeof(kids) / sizeof(kids[0]); i++)
        rc = fn__store_del_prefix(txn, st->dbi[kids[i]], id, FN_STORE_ID_LEN);
    if (rc == 0)
        fn__store_seq_forget(st, id);
    return rc;
}

int fn_store_task_delete(fn_store_t *st, const char *id_or_prefix)
{
    if (!st || !id_or_prefix)
        return FN_EPARSE;
    return fn__store_write(st, delete_fn, (void *)id_or_prefix);
}
