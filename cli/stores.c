/*
 * stores.c — what the read-back commands share when they read several
 * stores at once (`--db A --db B`, e.g. the stores of a run's shards
 * before they are merged): opening them read-only, finding the one that
 * holds an id, and the one paging loop that lists tasks or backups of
 * every store newest first.
 *
 * Does not write (merging is `flexnet store merge`). Thread: main. Owns
 * the store handles and the listed pages until their cleanup.
 */
#include "cli_cmd.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int fn__cli_ro_open_all(const char *cmd, const char *usage, unsigned allowed,
                        int min_args, int max_args, int argc, char **argv,
                        fn__cli_ro_t *ro, fn__cli_stores_t *ss)
{
    memset(ss, 0, sizeof(*ss));
    int rc =
        fn__cli_ro_parse(cmd, usage, allowed | FN_CLI_RO_DB | FN_CLI_RO_DBS,
                         min_args, max_args, argc, argv, ro);
    size_t n = ro->ndb ? (size_t)ro->ndb : 1;
    for (size_t i = 0; !rc && i < n; i++) {
        ss->dir[i] = ro->ndb ? ro->dbs[i] : FN_STORE_DEFAULT_DIR;
        rc = fn__cli_store_open(&ss->st[i], ss->dir[i], 1);
        ss->n += !rc;
    }
    if (rc > 0)
        fn__cli_stores_close(ss);
    return rc;
}

void fn__cli_stores_close(fn__cli_stores_t *ss)
{
    for (size_t i = 0; i < ss->n; i++)
        fn_store_close(ss->st[i]);
    ss->n = 0;
}

int fn__cli_stores_pick(fn__cli_stores_t *ss, int backup,
                        const char *id_or_prefix, fn_store_t **st)
{
    char id[FN_STORE_ID_LEN + 1];
    const char *what = backup ? "backup" : "task";
    size_t found = 0;
    for (size_t i = 0; i < ss->n; i++) {
        int rc = backup
                     ? fn_store_backup_get(ss->st[i], id_or_prefix, NULL, NULL)
                     : fn_store_task_resolve(ss->st[i], id_or_prefix, id);
        if (rc == FN_ENOTFOUND)
            continue;
        if (!rc && found++)
            rc = FN_EAMBIGUOUS; /* in two stores: give more characters */
        if (rc)
            return fn__cli_store_error(ss->st[i], what, id_or_prefix, rc);
        *st = ss->st[i];
    }
    return found ? 0
                 : fn__cli_store_error(ss->st[0], what, id_or_prefix,
                                       FN_ENOTFOUND);
}

/* ---- the one paging loop ------------------------------------------- */

/* One page of a store after token (borrowed; "" first): the response
 * (owned), its records and the next token (both borrowed from it). */
typedef int list_page_fn(fn_store_t *st, void *q, const char *token,
                         ProtobufCMessage **resp, void ***items, size_t *n,
                         const char **next);

static int list_tasks_page(fn_store_t *st, void *q, const char *token,
                           ProtobufCMessage **resp, void ***items, size_t *n,
                           const char **next)
{
    Flexnet__V1__ListTasksRequest *req = q;
    Flexnet__V1__ListTasksResponse *r = NULL;
    req->page_token = (char *)token;
    int rc = fn_store_task_list(st, req, &r);
    if (rc)
        return rc;
    *resp = &r->base;
    *items = (void **)r->tasks;
    *n = r->n_tasks;
    *next = r->next_page_token;
    return 0;
}

static int list_backups_page(fn_store_t *st, void *q, const char *token,
                             ProtobufCMessage **resp, void ***items, size_t *n,
                             const char **next)
{
    Flexnet__V1__ListBackupsRequest *req = q;
    Flexnet__V1__ListBackupsResponse *r = NULL;
    req->page_token = (char *)token;
    int rc = fn_store_backup_list(st, req, &r);
    if (rc)
        return rc;
    *resp = &r->base;
    *items = (void **)r->backups;
    *n = r->n_backups;
    *next = r->next_page_token;
    return 0;
}

/* Grows *v (of elements of size sz) to hold one more. */
static int list_grow(void *v, size_t sz, size_t n, size_t *cap)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 64;
    void *grown = realloc(*(void **)v, c * sz);
    if (!grown)
        return -ENOMEM;
    *(void **)v = grown;
    *cap = c;
    return 0;
}

/* Ids are time-ordered: newest first is descending id; Task and Backup
 * both carry it as their first field. */
static int list_cmp(const void *a, const void *b)
{
    const Flexnet__V1__Task *x = ((const fn__cli_item_t *)a)->msg;
    const Flexnet__V1__Task *y = ((const fn__cli_item_t *)b)->msg;
    return strcmp(y->id, x->id);
}
_Static_assert(offsetof(Flexnet__V1__Task, id) ==
                   offsetof(Flexnet__V1__Backup, id),
               "list_cmp reads either");

/* Pages through one store until limit records (0: all) or the end. */
static int list_store(fn_store_t *st, list_page_fn *page, void *q, size_t limit,
                      fn__cli_list_t *out, size_t *caps)
{
    const char *token = "";
    size_t got = 0;
    do {
        ProtobufCMessage *resp = NULL;
        void **items;
        size_t n;
        int rc = page(st, q, token, &resp, &items, &n, &token);
        if (rc)
            return rc;
        if (list_grow(&out->pages, sizeof(*out->pages), out->npages,
                      &caps[0])) {
            protobuf_c_message_free_unpacked(resp, NULL);
            return -ENOMEM;
        }
        out->pages[out->npages++] = resp;
        for (size_t i = 0; i < n; i++, got++) {
            if (list_grow(&out->items, sizeof(*out->items), out->n, &caps[1]))
                return -ENOMEM;
            out->items[out->n++] = (fn__cli_item_t){items[i], st};
        }
    } while (*token && (!limit || got < limit));
    out->more |= *token != '\0';
    return 0;
}

static int list_all(fn__cli_stores_t *ss, list_page_fn *page, void *q,
                    uint32_t *page_size, size_t limit, fn__cli_list_t *out)
{
    size_t caps[2] = {0, 0};
    memset(out, 0, sizeof(*out));
    *page_size = limit && limit < 1000 ? (uint32_t)limit : 1000;
    for (size_t i = 0; i < ss->n; i++) {
        int rc = list_store(ss->st[i], page, q, limit, out, caps);
        if (rc)
            return fn__cli_store_error(ss->st[i], "list", ss->dir[i], rc);
    }
    if (out->n) /* qsort's base must not be NULL, even for 0 */
        qsort(out->items, out->n, sizeof(*out->items), list_cmp);
    if (limit && out->n > limit) {
        out->n = limit;
        out->more = 1;
    }
    return 0;
}

int fn__cli_list_tasks(fn__cli_stores_t *ss, Flexnet__V1__ListTasksRequest *q,
                       size_t limit, fn__cli_list_t *out)
{
    int rc = list_all(ss, list_tasks_page, q, &q->page_size, limit, out);
    q->page_token = NULL; /* it pointed into a page */
    return rc;
}

int fn__cli_list_backups(fn__cli_stores_t *ss,
                         Flexnet__V1__ListBackupsRequest *q, size_t limit,
                         fn__cli_list_t *out)
{
    int rc = list_all(ss, list_backups_page, q, &q->page_size, limit, out);
    q->page_token = NULL;
    return rc;
}

void fn__cli_list_cleanup(fn__cli_list_t *l)
{
    for (size_t i = 0; i < l->npages; i++)
        protobuf_c_message_free_unpacked(l->pages[i], NULL);
    free(l->pages);
    free(l->items);
    memset(l, 0, sizeof(*l));
}
