/*
 * test_store_util.h — helpers shared by the store suites: scratch
 * directories and small record builders. Test code only.
 */
#ifndef TEST_STORE_UTIL_H
#define TEST_STORE_UTIL_H

#include "fn_store.h"

/* Creates a fresh directory under $TMPDIR (or /tmp); returns it (static
 * storage per slot 0..3). Tests remove it with tst_rmdir when they pass. */
const char *tst_tmpdir(int slot);
/* rm -rf of a directory made by tst_tmpdir. */
void tst_rmdir(const char *dir);
/* Opens a writer on dir with a small map/batch if asked, or fails the
 * test. */
fn_store_t *tst_open(const char *dir, uint64_t map_size, uint64_t map_max,
                     uint32_t batch);
/* Creates a task named name with status, returns its id in id. */
void tst_task(fn_store_t *st, const char *name, int status, char *id);
/* Appends a log line "text" for the task. */
void tst_log(fn_store_t *st, const char *task, const char *host,
             const char *text);
/* Counts a task's committed log lines (fn_store_log_foreach). */
uint64_t tst_count_logs(fn_store_t *st, const char *task);

#endif
