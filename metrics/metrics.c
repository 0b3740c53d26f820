/*
 * metrics.c — the counters of fn_metrics.h and their Prometheus text.
 *
 * Fixed-size tables, no allocation after fn_metrics_new except vendor
 * names (at most METRICS_VENDORS; later ones count as "other"): a scrape
 * or a record costs a few array writes. Label values come from the
 * proto's enum descriptors, so a status added to flexnet.proto shows up
 * without code here.
 *
 * Thread: one (the reactor). Owns: the registry and its vendor names.
 * Does not: serve HTTP (rpc/metrics_http.c) or read stats itself.
 */
#include "fn_metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fn_err.h"

#define METRICS_VENDORS 32 /* vendor label values kept; then "other" */
#define METRICS_METHODS 32 /* gRPC method label values kept */
#define METRICS_CODES   17 /* grpc_status_code 0..16 */
#define METRICS_ENUM    16 /* values of a counted proto enum */
#define METRICS_EXITS   5  /* exit codes -3 .. 1 */
#define METRICS_OUT_MAX (4u * 1024 * 1024)

/* Command latency buckets, seconds: a prompt in a few ms on a lab device
 * up to a slow `show tech` near the command timeout. */
static const double metrics_buckets[] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define METRICS_NB (sizeof(metrics_buckets) / sizeof(metrics_buckets[0]))

typedef struct metrics_hist {
    uint64_t bucket[METRICS_NB]; /* non-cumulative; summed on render */
    uint64_t count;
    double sum;
} metrics_hist_t;

struct fn_metrics {
    uint64_t tasks[METRICS_ENUM];    /* by Flexnet__V1__TaskStatus */
    uint64_t connects[METRICS_ENUM]; /* by Flexnet__V1__ConnectStatus */
    uint64_t exits[METRICS_EXITS];   /* by exit code + 3 */
    uint64_t exits_other;
    uint64_t bytes_in, bytes_out;
    uint64_t backups, backup_bytes, s3_started, s3_failed;
    char *vendor[METRICS_VENDORS + 1]; /* the last slot: "other" */
    metrics_hist_t latency[METRICS_VENDORS + 1];
    size_t nvendors;
    const char *method[METRICS_METHODS];
    uint64_t rpc[METRICS_METHODS][METRICS_CODES];
    size_t nmethods;
};

/* gRPC's code names, index = grpc_status_code. */
static const char *const metrics_codes[METRICS_CODES] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

int fn_metrics_new(fn_metrics_t **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

void fn_metrics_free(fn_metrics_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nvendors; i++)
        free(m->vendor[i]);
    free(m);
}

static void metrics_enum_add(uint64_t *counts, int v)
{
    if (v >= 0 && v < METRICS_ENUM)
        counts[v]++;
}

void fn_metrics_on_connection(fn_metrics_t *m,
                              const Flexnet__V1__ConnectionReport *r)
{
    metrics_enum_add(m->connects, r->status);
}

/* The slot of a vendor name, adding it while there is room. */
static size_t metrics_vendor(fn_metrics_t *m, const char *name)
{
    if (!name || !*name)
        name = "unknown";
    for (size_t i = 0; i < m->nvendors; i++)
        if (strcmp(m->vendor[i], name) == 0)
            return i;
    if (m->nvendors == METRICS_VENDORS ||
        !(m->vendor[m->nvendors] = strdup(name)))
        return METRICS_VENDORS;
    return m->nvendors++;
}

static void metrics_observe(metrics_hist_t *h, double v)
{
    size_t i = 0;
    while (i < METRICS_NB && v > metrics_buckets[i])
        i++;
    if (i < METRICS_NB)
        h->bucket[i]++;
    h->count++;
    h->sum += v;
}

void fn_metrics_on_result(fn_metrics_t *m, const Flexnet__V1__CommandResult *r,
                          const char *vendor)
{
    if (r->exit_code >= -3 && r->exit_code <= 1)
        m->exits[r->exit_code + 3]++;
    else
        m->exits_other++;
    m->bytes_in += strlen(r->stdout) + strlen(r->stderr);
    /* A skipped command was never sent, nor timed. */
    if (r->exit_code == -2)
        return;
    m->bytes_out += strlen(r->command) + 1; /* + the newline */
    metrics_observe(&m->latency[metrics_vendor(m, vendor)],
                    (double)r->duration_us / 1e6);
}

void fn_metrics_on_backup(fn_metrics_t *m, const Flexnet__V1__Backup *b, int s3)
{
    m->backups++;
    m->backup_bytes += b->size;
    m->bytes_in += b->size;
    m->s3_started += s3 != 0;
}

void fn_metrics_on_s3_failure(fn_metrics_t *m)
{
    m->s3_failed++;
}

void fn_metrics_on_summary(fn_metrics_t *m, const Flexnet__V1__Summary *s)
{
    metrics_enum_add(m->tasks, s->status);
}

void fn_metrics_on_rpc(fn_metrics_t *m, const char *method, int code)
{
    if (code < 0 || code >= METRICS_CODES)
        code = 2; /* UNKNOWN */
    size_t i = 0;
    while (i < m->nmethods && m->method[i] != method)
        i++;
    if (i == m->nmethods) {
        if (m->nmethods == METRICS_METHODS)
            return;
        m->method[m->nmethods++] = method;
    }
    m->rpc[i][code]++;
}

/* ---------------------------------------------------------------------
 * Rendering */

typedef struct metrics_out {
    fn_buf_t *b;
    int rc;
} metrics_out_t;

static void metrics_printf(metrics_out_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void metrics_printf(metrics_out_t *o, const char *fmt, ...)
{
    if (o->rc < 0)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line))
        o->rc = FN_EFULL;
    else
        o->rc = fn_buf_append(o->b, line, (size_t)n);
}

static void metrics_head(metrics_out_t *o, const char *name, const char *type,
                         const char *help)
{
    metrics_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per value of a proto enum, labelled with the value's name
 * without its prefix, lower case ("TASK_STATUS_DONE" -> "done"). */
static void metrics_by_enum(metrics_out_t *o, const char *name,
                            const char *label, const uint64_t *counts,
                            const ProtobufCEnumDescriptor *d,
                            const char *prefix)
{
    size_t plen = strlen(prefix);
    for (unsigned i = 0; i < d->n_values; i++) {
        const ProtobufCEnumValue *v = &d->values[i];
        if (v->value <= 0 || v->value >= METRICS_ENUM)
            continue;
        char lower[64];
        const char *n =
            strncmp(v->name, prefix, plen) ? v->name : v->name + plen;
        size_t k = 0;
        for (; n[k] && k + 1 < sizeof(lower); k++)
            lower[k] = (char)(n[k] >= 'A' && n[k] <= 'Z' ? n[k] + 32 : n[k]);
        lower[k] = '\0';
        metrics_printf(o, "%s{%s=\"%s\"} %llu\n", name, label, lower,
                       (unsigned long long)counts[v->value]);
    }
}

static void metrics_counters(metrics_out_t *o, const fn_metrics_t *m)
{
    metrics_head(o, "flexnet_tasks_total", "counter",
                 "Tasks finished, by final status.");
    metrics_by_enum(o, "flexnet_tasks_total", "status", m->tasks,
                    &flexnet__v1__task_status__descriptor, "TASK_STATUS_");
    metrics_head(o, "flexnet_connects_total", "counter",
                 "Device connections, by outcome.");
    metrics_by_enum(o, "flexnet_connects_total", "outcome", m->connects,
                    &flexnet__v1__connect_status__descriptor,
                    "CONNECT_STATUS_");
    metrics_head(o, "flexnet_commands_total", "counter",
                 "Command results, by exit code (0 ok, 1 vendor error, "
                 "-1 connection, -2 skipped, -3 timeout).");
    for (int i = 0; i < METRICS_EXITS; i++)
        metrics_printf(o, "flexnet_commands_total{exit_code=\"%d\"} %llu\n",
                       i - 3, (unsigned long long)m->exits[i]);
    metrics_printf(o, "flexnet_commands_total{exit_code=\"other\"} %llu\n",
                   (unsigned long long)m->exits_other);
    metrics_head(o, "flexnet_device_bytes_total", "counter",
                 "Payload bytes: in = cleaned output, error lines and "
                 "backup text from devices; out = commands sent.");
    metrics_printf(o, "flexnet_device_bytes_total{direction=\"in\"} %llu\n",
                   (unsigned long long)m->bytes_in);
    metrics_printf(o, "flexnet_device_bytes_total{direction=\"out\"} %llu\n",
                   (unsigned long long)m->bytes_out);
    metrics_head(o, "flexnet_backups_total", "counter", "Backups stored.");
    metrics_printf(o, "flexnet_backups_total %llu\n",
                   (unsigned long long)m->backups);
    metrics_head(o, "flexnet_backup_bytes_total", "counter",
                 "Configuration text bytes of the backups stored.");
    metrics_printf(o, "flexnet_backup_bytes_total %llu\n",
                   (unsigned long long)m->backup_bytes);
}

static void metrics_hist(metrics_out_t *o, const char *name, const char *vendor,
                         const metrics_hist_t *h)
{
    uint64_t cum = 0;
    for (size_t i = 0; i < METRICS_NB; i++) {
        cum += h->bucket[i];
        metrics_printf(o, "%s_bucket{vendor=\"%s\",le=\"%g\"} %llu\n", name,
                       vendor, metrics_buckets[i], (unsigned long long)cum);
    }
    metrics_printf(o, "%s_bucket{vendor=\"%s\",le=\"+Inf\"} %llu\n", name,
                   vendor, (unsigned long long)h->count);
    metrics_printf(o, "%s_sum{vendor=\"%s\"} %.6f\n", name, vendor, h->sum);
    metrics_printf(o, "%s_count{vendor=\"%s\"} %llu\n", name, vendor,
                   (unsigned long long)h->count);
}

static void metrics_latency(metrics_out_t *o, const fn_metrics_t *m)
{
    static const char name[] = "flexnet_command_duration_seconds";
    metrics_head(o, name, "histogram",
                 "Time from sending a command to its prompt, by vendor.");
    for (size_t v = 0; v < m->nvendors; v++)
        metrics_hist(o, name, m->vendor[v], &m->latency[v]);
    if (m->latency[METRICS_VENDORS].count)
        metrics_hist(o, name, "other", &m->latency[METRICS_VENDORS]);
}

static void metrics_gauge(metrics_out_t *o, const char *name, const char *help,
                          unsigned long long v)
{
    metrics_head(o, name, "gauge", help);
    metrics_printf(o, "%s %llu\n", name, v);
}

static void metrics_engine(metrics_out_t *o, const fn_engine_stats_t *e)
{
    metrics_gauge(o, "flexnet_sessions_open", "SSH sessions open now.",
                  e->sessions);
    metrics_gauge(o, "flexnet_sessions_connecting",
                  "TCP and SSH handshakes in flight.", e->handshakes);
    metrics_gauge(o, "flexnet_sessions_open_peak",
                  "Most SSH sessions open at once.", e->sessions_peak);
    metrics_head(o, "flexnet_sessions_started_total", "counter",
                 "SSH sessions started.");
    metrics_printf(o, "flexnet_sessions_started_total %llu\n",
                   (unsigned long long)e->sessions_total);
}

static void metrics_store(metrics_out_t *o, const fn_store_stats_t *s)
{
    metrics_gauge(o, "flexnet_store_map_bytes", "LMDB map size.", s->map_size);
    metrics_gauge(o, "flexnet_store_used_bytes", "LMDB bytes in use.",
                  s->used_size);
    metrics_gauge(o, "flexnet_store_pending_records",
                  "Records waiting for the next group commit.", s->pending);
    metrics_head(o, "flexnet_store_commit_seconds", "summary",
                 "LMDB write transactions (group commits) and their time.");
    metrics_printf(o, "flexnet_store_commit_seconds_sum %.6f\n",
                   (double)s->commit_us / 1e6);
    metrics_printf(o, "flexnet_store_commit_seconds_count %llu\n",
                   (unsigned long long)s->commits);
    metrics_head(o, "flexnet_store_commit_seconds_max", "gauge",
                 "The longest LMDB write transaction since start.");
    metrics_printf(o, "flexnet_store_commit_seconds_max %.6f\n",
                   (double)s->commit_us_max / 1e6);
    metrics_gauge(o, "flexnet_store_tasks", "Tasks in the store.", s->tasks);
    metrics_gauge(o, "flexnet_store_backups", "Backups in the store.",
                  s->backups);
}

static void metrics_s3(metrics_out_t *o, const fn_metrics_t *m, size_t inflight)
{
    uint64_t done =
        m->s3_started - (inflight < m->s3_started ? inflight : m->s3_started);
    uint64_t failed = m->s3_failed < done ? m->s3_failed : done;
    metrics_head(o, "flexnet_s3_uploads_total", "counter",
                 "Backup copies to S3 that completed, by outcome.");
    metrics_printf(o, "flexnet_s3_uploads_total{outcome=\"ok\"} %llu\n",
                   (unsigned long long)(done - failed));
    metrics_printf(o, "flexnet_s3_uploads_total{outcome=\"failed\"} %llu\n",
                   (unsigned long long)failed);
    metrics_gauge(o, "flexnet_s3_uploads_inflight",
                  "Backup copies to S3 under way.", inflight);
}

static void metrics_rpc(metrics_out_t *o, const fn_metrics_t *m,
                        const fn_metrics_gauges_t *g)
{
    metrics_head(o, "flexnet_grpc_calls_total", "counter",
                 "gRPC calls ended, by method and status code.");
    for (size_t i = 0; i < m->nmethods; i++)
        for (int c = 0; c < METRICS_CODES; c++)
            if (m->rpc[i][c])
                metrics_printf(o,
                               "flexnet_grpc_calls_total{method=\"%s\","
                               "code=\"%s\"} %llu\n",
                               m->method[i], metrics_codes[c],
                               (unsigned long long)m->rpc[i][c]);
    metrics_gauge(o, "flexnet_grpc_calls_active", "gRPC calls in progress.",
                  g->rpc_calls);
    metrics_gauge(o, "flexnet_grpc_stream_queue_messages",
                  "Messages queued on all server streams.", g->rpc_queued);
    metrics_gauge(o, "flexnet_grpc_stream_queue_max",
                  "Messages queued on the longest server stream.",
                  g->rpc_queued_max);
}

void fn_metrics_gauges_read(fn_metrics_gauges_t *g, fn_engine_stats_t *es,
                            fn_store_stats_t *ss, const fn_engine_t *engine,
                            fn_store_t *store, const fn_recorder_t *rec)
{
    memset(g, 0, sizeof(*g));
    fn_engine_stats(engine, es);
    g->engine = es;
    if (fn_store_stats(store, ss) == 0)
        g->store = ss;
    g->has_s3 = fn_recorder_has_s3(rec);
    g->s3_inflight = fn_recorder_uploads(rec);
}

int fn_metrics_render(const fn_metrics_t *m, const fn_metrics_gauges_t *g,
                      fn_buf_t *out)
{
    metrics_out_t o = {out, 0};
    metrics_counters(&o, m);
    metrics_latency(&o, m);
    if (g->has_tasks)
        metrics_gauge(&o, "flexnet_tasks_running", "Tasks running now.",
                      g->tasks_running);
    if (g->engine)
        metrics_engine(&o, g->engine);
    if (g->store)
        metrics_store(&o, g->store);
    if (g->has_s3)
        metrics_s3(&o, m, g->s3_inflight);
    if (g->has_rpc)
        metrics_rpc(&o, m, g);
    return o.rc;
}

int fn_metrics_write_file(const fn_metrics_t *m, const fn_metrics_gauges_t *g,
                          const char *path)
{
    fn_buf_t b;
    fn_buf_init(&b, METRICS_OUT_MAX);
    int rc = fn_metrics_render(m, g, &b);
    char tmp[4096];
    if (rc == 0 && snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
                            (long)getpid()) >= (int)sizeof(tmp))
        rc = -ENAMETOOLONG;
    FILE *f = rc == 0 ? fopen(tmp, "w") : NULL;
    if (rc == 0 && !f)
        rc = -errno;
    if (f) {
        if (fwrite(b.data, 1, b.len, f) != b.len)
            rc = -EIO;
        if (fclose(f) != 0 && rc == 0)
            rc = -errno;
        if (rc == 0 && rename(tmp, path) != 0)
            rc = -errno;
        if (rc < 0)
            unlink(tmp);
    }
    fn_buf_cleanup(&b);
    return rc;
}
