/*
 * test_store_util.c — scratch directories and record builders for the
 * store suites (see test_store_util.h).
 */
#include "test_store_util.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dirs[4][256];

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tst_rmdir(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tst_tmpdir(int slot)
{
    const char *base = getenv("TMPDIR");
    snprintf(dirs[slot], sizeof(dirs[slot]), "%s/fnstore-XXXXXX",
             base && base[0] ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dirs[slot]));
    return dirs[slot];
}

fn_store_t *tst_open(const char *dir, uint64_t map_size, uint64_t map_max,
                     uint32_t batch)
{
    char err[256] = "";
    fn_store_opts_t o = {.map_size = map_size,
                         .map_max = map_max,
                         .batch_records = batch,
                         .err = err,
                         .err_len = sizeof(err)};
    fn_store_t *st = NULL;
    int rc = fn_store_open_opts(&st, dir, &o);
    ck_assert_msg(rc == 0, "open %s: %d %s", dir, rc, err);
    return st;
}

void tst_task(fn_store_t *st, const char *name, int status, char *id)
{
    Flexnet__V1__Task t = FLEXNET__V1__TASK__INIT;
    t.name = (char *)name;
    t.status = (Flexnet__V1__TaskStatus)status;
    t.owner = "test";
    int rc = fn_store_task_create(st, &t, id);
    ck_assert_msg(rc == 0, "create: %d %s", rc, fn_store_reason(st));
}

void tst_log(fn_store_t *st, const char *task, const char *host,
             const char *text)
{
    Flexnet__V1__LogLine l = FLEXNET__V1__LOG_LINE__INIT;
    l.task_id = (char *)task;
    l.host = (char *)host;
    l.text = (char *)text;
    l.level = 2;
    int rc = fn_store_log_append(st, &l, NULL);
    ck_assert_msg(rc == 0, "log: %d %s", rc, fn_store_reason(st));
}

static int count_cb(const Flexnet__V1__LogLine *line, void *arg)
{
    uint64_t *n = arg;
    ck_assert_uint_eq(line->seq, *n + 1); /* gapless, in order */
    (*n)++;
    return 0;
}

uint64_t tst_count_logs(fn_store_t *st, const char *task)
{
    uint64_t n = 0;
    ck_assert_int_eq(fn_store_log_foreach(st, task, 0, count_cb, &n), 0);
    return n;
}
