/*
 * metrics_tap.c — fn_metrics_tap: sits between the recorder and a front
 * end's hooks, so that flexnetd and the CLI count the same records the
 * same way (the front ends only print or stream them).
 *
 * Thread: the recorder's (the reactor). Owns nothing: records are
 * borrowed for the hook.
 */
#include "fn_metrics.h"

static fn_metrics_tap_t *tap_of(void *arg)
{
    return arg;
}

static void tap_after(fn_metrics_tap_t *t)
{
    if (t->on_record)
        t->on_record(t->record_arg);
}

static void tap_on_conn(fn_rec_task_t *rt,
                        const Flexnet__V1__ConnectionReport *m, void *arg)
{
    fn_metrics_tap_t *t = tap_of(arg);
    fn_metrics_on_connection(t->m, m);
    if (t->next.on_connection)
        t->next.on_connection(rt, m, t->next.arg);
    tap_after(t);
}

/* The host's vendor as the engine chose it: the inventory's, else the
 * task's default. */
static const char *tap_vendor(const fn_metrics_tap_t *t, const char *host)
{
    const fn_host_t *h = t->inv ? fn_inventory_find(t->inv, host) : NULL;
    const char *v = h ? fn_host_vendor(h) : NULL;
    return v && *v ? v : t->default_vendor;
}

static void tap_on_result(fn_rec_task_t *rt,
                          const Flexnet__V1__CommandResult *m, void *arg)
{
    fn_metrics_tap_t *t = tap_of(arg);
    fn_metrics_on_result(t->m, m, tap_vendor(t, m->host));
    if (t->next.on_result)
        t->next.on_result(rt, m, t->next.arg);
    tap_after(t);
}

static void tap_on_backup(fn_rec_task_t *rt, const Flexnet__V1__Backup *m,
                          void *arg)
{
    fn_metrics_tap_t *t = tap_of(arg);
    fn_metrics_on_backup(t->m, m, t->s3);
    if (t->next.on_backup)
        t->next.on_backup(rt, m, t->next.arg);
    tap_after(t);
}

static void tap_on_log(fn_rec_task_t *rt, const Flexnet__V1__LogLine *m,
                       void *arg)
{
    fn_metrics_tap_t *t = tap_of(arg);
    if (t->next.on_log)
        t->next.on_log(rt, m, t->next.arg);
    tap_after(t);
}

static void tap_on_progress(fn_rec_task_t *rt, const Flexnet__V1__Progress *m,
                            void *arg)
{
    fn_metrics_tap_t *t = tap_of(arg);
    if (t->next.on_progress)
        t->next.on_progress(rt, m, t->next.arg);
    tap_after(t);
}

/* The front end's summary hook may free what holds the tap (flexnetd
 * retires its run there): everything of ours happens before it. */
static void tap_on_summary(fn_rec_task_t *rt, const Flexnet__V1__Summary *m,
                           const char *error, void *arg)
{
    fn_metrics_tap_t *t = tap_of(arg);
    fn_metrics_on_summary(t->m, m);
    tap_after(t);
    if (t->next.on_summary)
        t->next.on_summary(rt, m, error, t->next.arg);
}

/* The engine hands decide the hooks' arg: give the front end its own. */
static int tap_decide(fn_task_t *task, const fn_connect_summary_t *s, void *arg)
{
    fn_metrics_tap_t *t = tap_of(arg);
    return t->next.decide(task, s, t->next.arg);
}

void fn_metrics_tap(fn_metrics_tap_t *tap, fn_recorder_hooks_t *hooks)
{
    tap->next = *hooks;
    *hooks = (fn_recorder_hooks_t){tap_on_conn,
                                   tap_on_result,
                                   tap_on_backup,
                                   tap_on_log,
                                   tap_on_progress,
                                   tap_on_summary,
                                   hooks->decide ? tap_decide : NULL,
                                   tap};
}
