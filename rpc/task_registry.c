/*
 * task_registry.c — the tasks this server runs: the list (CancelTask,
 * DeleteTask and the drain look runs up here) and the reaper that frees
 * a run after its summary (the store's group commit is the recorder's).
 *
 * Thread: reactor. Owns: every run from fn__rpc_run_task's link until
 * reaped (and through the run, its inventory, spec copy and credential
 * fetch). Does not: start tasks (task_run.c) or carry events
 * (task_sink.c).
 */
#include "rpc_int.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_inventory.h"
#include "fn_store.h"

/* ---------------------------------------------------------------------
 * Registry */

void fn__rpc_run_free(fn__rpc_run_t *run)
{
    fn_recorder_fetch_free(run->fetch);
    fn_recorder_task_free(run->rt);
    fn_inventory_free(run->inv);
    free(run->hosts);
    if (run->spec)
        flexnet__v1__task_spec__free_unpacked(run->spec, NULL);
    free(run);
}

static void run_on_reap(evutil_socket_t fd, short what, void *arg)
{
    struct fn__rpc_tasks *ts = arg;
    while (ts->dead) {
        fn__rpc_run_t *run = ts->dead;
        ts->dead = run->next;
        fn__rpc_run_free(run);
    }
}

int fn__rpc_tasks_new(struct fn_rpc *s)
{
    struct fn__rpc_tasks *ts = calloc(1, sizeof(*ts));
    if (!ts)
        return -ENOMEM;
    s->tasks = ts;
    ts->reap = event_new(s->base, -1, 0, run_on_reap, ts);
    return ts->reap ? 0 : -ENOMEM;
}

void fn__rpc_tasks_free(struct fn_rpc *s)
{
    struct fn__rpc_tasks *ts = s->tasks;
    if (!ts)
        return;
    run_on_reap(-1, 0, ts);
    while (ts->runs) { /* only when the engine was freed first */
        fn__rpc_run_t *run = ts->runs;
        ts->runs = run->next;
        fn__rpc_run_free(run);
    }
    if (ts->reap)
        event_free(ts->reap);
    free(ts);
    s->tasks = NULL;
}

size_t fn__rpc_tasks_running(const struct fn_rpc *s)
{
    return s->tasks ? s->tasks->nruns : 0;
}

fn__rpc_run_t *fn__rpc_tasks_find(struct fn_rpc *s, const char *id)
{
    for (fn__rpc_run_t *r = s->tasks->runs; r; r = r->next)
        if (strcmp(r->id, id) == 0)
            return r;
    return NULL;
}

void fn__rpc_tasks_interrupt(struct fn_rpc *s)
{
    if (!s->tasks)
        return;
    fn__rpc_run_t *next;
    for (fn__rpc_run_t *r = s->tasks->runs; r; r = next) {
        next = r->next; /* a run still fetching retires at once */
        fn__rpc_run_stop(r, 1);
    }
}

void fn__rpc_run_link(fn__rpc_run_t *run)
{
    struct fn__rpc_tasks *ts = run->srv->tasks;
    run->next = ts->runs;
    if (ts->runs)
        ts->runs->prev = run;
    ts->runs = run;
    ts->nruns++;
}

void fn__rpc_run_retire(fn__rpc_run_t *run)
{
    struct fn__rpc_tasks *ts = run->srv->tasks;
    if (run->prev)
        run->prev->next = run->next;
    else
        ts->runs = run->next;
    if (run->next)
        run->next->prev = run->prev;
    ts->nruns--;
    run->prev = NULL;
    run->next = ts->dead;
    ts->dead = run;
    event_active(ts->reap, EV_TIMEOUT, 0);
    fn__rpc_follow_kick(run->srv, run->id); /* its followers end */
    fn__rpc_check_drained(run->srv);
}
