/*
 * store_cmd.c — `flexnet store merge DST SRC...`: joins the stores of a
 * run's shards (each `flexnet run --shard` wrote its own) into one, so
 * `flexnet tasks` and flexnetd read the run back as one task.
 *
 * Does not delete or change the sources (opened read-only); merging
 * again changes nothing (fn_store_merge keeps every key). Thread: main.
 * Owns the store handles of one call.
 */
#include "cli_cmd.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char store_usage[] =
    "usage: flexnet store merge DST SRC...\n"
    "\n"
    "  merge    copy the tasks, results, logs, backups and host keys of\n"
    "           each SRC store into DST (created when missing)\n"
    "\n"
    "Merging twice changes nothing. A backup text already in DST stays\n"
    "stored once. A task whose shard died reads back INTERRUPTED. A host\n"
    "pinned to another key in DST keeps DST's key (a warning, exit 1).\n";

/* 1 when a and b name the same directory (LMDB: one open per process). */
static int store_same_dir(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

static int store_merge_one(fn_store_t *dst, const char *dir,
                           const char *src_dir, int *conflict)
{
    fn_store_t *src = NULL;
    fn_store_merge_stats_t ms;
    if (store_same_dir(dir, src_dir))
        return fn__cli_usage_error("store merge", "%s is DST itself", src_dir);
    int rc = fn__cli_store_open(&src, src_dir, 1);
    if (rc)
        return rc;
    rc = fn_store_merge(dst, src, &ms);
    fn_store_close(src);
    if (rc)
        return fn__cli_store_error(dst, "merge", src_dir, rc);
    printf("%s: %" PRIu64 " tasks (%" PRIu64 " interrupted), %" PRIu64
           " records, %" PRIu64 " backups (%" PRIu64 " new texts), %" PRIu64
           " host keys\n",
           src_dir, ms.tasks, ms.interrupted, ms.records, ms.backups, ms.blobs,
           ms.hostkeys);
    if (ms.hostkey_conflicts)
        fprintf(stderr,
                "flexnet store merge: warning: %s: %" PRIu64
                " host(s) pinned to another key in %s (first: %s); %s's "
                "pins kept\n",
                src_dir, ms.hostkey_conflicts, dir, ms.conflict_host, dir);
    *conflict |= ms.hostkey_conflicts != 0;
    return 0;
}

static int store_merge(int argc, char **argv)
{
    fn_store_t *dst = NULL;
    int conflict = 0;
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(store_usage, stdout);
        return FN_CLI_EXIT_OK;
    }
    if (argc < 3)
        return fn__cli_usage_error("store merge", "give DST and one SRC or "
                                                  "more");
    int rc = fn__cli_store_open(&dst, argv[1], 0);
    for (int i = 2; !rc && i < argc; i++) /* a conflict does not stop it */
        rc = store_merge_one(dst, argv[1], argv[i], &conflict);
    fn_store_close(dst);
    return rc ? rc : conflict ? FN_CLI_EXIT_FAILED : 0;
}

static const fn__cli_cmd_t store_cmds[] = {
    {"merge", store_merge},
    {NULL, NULL},
};

int fn__cli_cmd_store(int argc, char **argv)
{
    return fn__cli_dispatch("store", store_cmds, store_usage, argc, argv);
}
