/*
 * output.c — what humans read: the connection report table, per-device
 * results, result lines, summaries, task and backup lists, and the live
 * progress line on a terminal.
 *
 * Works on the proto records only (the run converts the engine's
 * payloads once), so `flexnet run` and `flexnet tasks show` print the
 * same way. Does not decide what to print (callers do) and never prints
 * secrets (records hold none). Thread: main. Owns nothing.
 */
#include "cli_cmd.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fn_time.h"

static const char *exit_code_name(int code)
{
    switch (code) {
    case 0:
        return "ok";
    case 1:
        return "error";
    case -1:
        return "failed";
    case -2:
        return "skipped";
    case -3:
        return "timeout";
    default:
        return "?";
    }
}

/* "0.8 ms", "412 ms", "2.41 s", "3m05s" into out. */
static const char *fmt_duration(int64_t us, char *out, size_t len)
{
    if (us < 10000)
        snprintf(out, len, "%.1f ms", (double)us / 1000.0);
    else if (us < 1000000)
        snprintf(out, len, "%" PRId64 " ms", us / 1000);
    else if (us < 60000000)
        snprintf(out, len, "%.2f s", (double)us / 1e6);
    else
        snprintf(out, len, "%" PRId64 "m%02" PRId64 "s", us / 60000000,
                 us / 1000000 % 60);
    return out;
}

/* Whether a table of n rows lists the next row, which went wrong or not
 * (`bad`), having listed `shown` rows: every row of small tables or with
 * `all`, else the first FN_CLI_TABLE_BAD rows that went wrong. */
static int table_lists(size_t n, int all, int bad, size_t shown)
{
    return all || n <= FN_CLI_TABLE_ALL || (bad && shown < FN_CLI_TABLE_BAD);
}

/* Prints the title; when no row will be listed, says so on the same line
 * and returns 0. */
static int table_title(FILE *f, const char *title, size_t n, int all,
                       size_t nbad)
{
    if (all || n <= FN_CLI_TABLE_ALL || nbad) {
        fprintf(f, "\n%s\n", title);
        return 1;
    }
    fprintf(f, "\n%s: all %zu ok (-v lists them)\n", title, n);
    return 0;
}

static void table_hidden(FILE *f, size_t hidden, size_t n)
{
    if (hidden)
        fprintf(f, "(%zu of %zu rows not listed; -v lists every row)\n", hidden,
                n);
}

static int conn_bad(const Flexnet__V1__ConnectionReport *r)
{
    return r->status != FLEXNET__V1__CONNECT_STATUS__CONNECT_STATUS_OK;
}

void fn__cli_print_conns_kept(FILE *f,
                              Flexnet__V1__ConnectionReport *const *rows,
                              size_t nrows, size_t total, size_t nbad, int all)
{
    int hw = 4;
    size_t shown = 0;
    for (size_t i = 0; i < nrows; i++) {
        int l = (int)strlen(rows[i]->host);
        hw = l > hw ? (l > 40 ? 40 : l) : hw;
    }
    if (!table_title(f, "connections", total, all, nbad))
        return;
    fprintf(f, "%-*s  %-21s  %-17s  %-7s  %5s  %9s  %s\n", hw, "HOST",
            "ADDRESS", "VENDOR", "STATUS", "TRIES", "TIME", "REASON");
    for (size_t i = 0; i < nrows; i++) {
        const Flexnet__V1__ConnectionReport *r = rows[i];
        char addr[300], dur[32];
        if (!table_lists(total, all, conn_bad(r), shown))
            continue;
        shown++;
        snprintf(addr, sizeof(addr), "%s:%u", r->address, r->port);
        fprintf(f, "%-*s  %-21s  %-17s  %-7s  %5u  %9s  %s\n", hw, r->host,
                addr, r->vendor, fn_recorder_connect_status_name(r->status),
                r->tries, fmt_duration(r->duration_us, dur, sizeof(dur)),
                *r->reason || !*r->warning ? r->reason : r->warning);
    }
    table_hidden(f, total - shown, total);
}

void fn__cli_print_conns(FILE *f, Flexnet__V1__ConnectionReport *const *rows,
                         size_t n, int all)
{
    size_t nbad = 0;
    for (size_t i = 0; i < n; i++)
        nbad += conn_bad(rows[i]);
    fn__cli_print_conns_kept(f, rows, n, n, nbad, all);
}

static int dev_bad(const fn__cli_dev_t *d)
{
    return d->errors ||
           d->connect != FLEXNET__V1__CONNECT_STATUS__CONNECT_STATUS_OK;
}

void fn__cli_print_devices(FILE *f, const fn__cli_dev_t *rows, size_t n,
                           int all)
{
    int hw = 4;
    size_t hidden = 0, nbad = 0;
    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(rows[i].host);
        hw = l > hw ? (l > 40 ? 40 : l) : hw;
        nbad += dev_bad(&rows[i]);
    }
    if (!table_title(f, "results", n, all, nbad))
        return;
    fprintf(f, "%-*s  %-17s  %-7s  %8s  %6s  %7s  %s\n", hw, "HOST", "VENDOR",
            "CONNECT", "COMMANDS", "ERRORS", "BACKUPS", "NOTE");
    for (size_t i = 0; i < n; i++) {
        const fn__cli_dev_t *d = &rows[i];
        int nl = 0;
        if (!table_lists(n, all, dev_bad(d), i - hidden)) {
            hidden++;
            continue;
        }
        const char *note = fn_recorder_last_line(d->note ? d->note : "", &nl);
        fprintf(f, "%-*s  %-17s  %-7s  %8u  %6u  %7u  %.*s\n", hw, d->host,
                d->vendor ? d->vendor : "",
                fn_recorder_connect_status_name(d->connect), d->commands,
                d->errors, d->backups, nl, note);
    }
    table_hidden(f, hidden, n);
}

/* Prints text, each line indented by 4 spaces. */
static void print_indented(FILE *f, const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        fprintf(f, "    %.*s\n", (int)len, text);
        text += len + (nl ? 1 : 0);
    }
}

void fn__cli_print_result(FILE *f, const Flexnet__V1__CommandResult *r,
                          int with_output)
{
    char dur[32];
    fprintf(f, "%-7s %s: %s  (%s)%s%s\n", exit_code_name(r->exit_code), r->host,
            r->command, fmt_duration(r->duration_us, dur, sizeof(dur)),
            *r->reason ? "  " : "", r->reason);
    if (with_output)
        print_indented(f, r->stdout);
    print_indented(f, r->stderr);
    if (r->truncated && with_output)
        fprintf(f, "    (output truncated)\n");
}

void fn__cli_print_summary(FILE *f, const Flexnet__V1__Summary *s,
                           const char *name)
{
    char dur[32];
    fprintf(f, "task %s%s%s%s: %s in %s\n", s->task_id, name ? " \"" : "",
            name ? name : "", name ? "\"" : "",
            fn_recorder_task_status_name(s->status),
            fmt_duration(s->duration_us, dur, sizeof(dur)));
    fprintf(f,
            "  devices %u: %u connected, %u unreachable; %u ok, "
            "%u with errors\n",
            s->devices, s->connected, s->failed_connect, s->ok, s->failed);
    fprintf(f, "  commands %u, errors %u, backups %u\n", s->commands, s->errors,
            s->backups);
}

const char *fn__cli_task_outcome(const Flexnet__V1__Task *t)
{
    const Flexnet__V1__Summary *s = t->summary;
    if (t->status != FLEXNET__V1__TASK_STATUS__TASK_STATUS_DONE || !s ||
        !s->devices)
        return fn_recorder_task_status_name(t->status);
    uint32_t bad = s->failed + s->failed_connect;
    return bad >= s->devices ? "failed" : bad ? "partial" : "done";
}

void fn__cli_print_task_line(FILE *f, const Flexnet__V1__Task *t)
{
    char when[32] = "-", dur[32] = "-";
    const Flexnet__V1__Summary *s = t->summary;
    if (t->created_us)
        fn_time_format(t->created_us, when, sizeof(when));
    if (t->finished_us && t->started_us)
        fmt_duration(t->finished_us - t->started_us, dur, sizeof(dur));
    fprintf(f, "%-16s  %-19s  %-11s  %7u  %5u  %6u  %9s  %s\n", t->id, when,
            fn__cli_task_outcome(t), s ? s->devices : 0, s ? s->ok : 0,
            s ? s->failed + s->failed_connect : 0, dur, t->name);
}

void fn__cli_print_backup_line(FILE *f, const Flexnet__V1__Backup *b)
{
    char when[32] = "-";
    fn_time_format(b->created_us, when, sizeof(when));
    fprintf(f, "%-16s  %-19s  %-20s  %-16s  %8" PRIu64 "  %.12s  %s\n", b->id,
            when, b->host, b->task_id, b->size, b->sha256, b->comment);
}

void fn__cli_progress_draw(int *shown, const Flexnet__V1__Progress *p)
{
    char eta[32] = "-";
    unsigned pct = p->total ? (unsigned)(100ull * p->done / p->total) : 0;
    if (p->eta_s > 0 && p->eta_s < 1e7)
        fmt_duration((int64_t)(p->eta_s * 1e6), eta, sizeof(eta));
    fprintf(stderr,
            "\r\033[K%3u%% of %u devices: %u connected, %u failed, %u done, "
            "%.0f/s, ETA %s",
            pct, p->total, p->connected, p->failed, p->done, p->rate, eta);
    fflush(stderr);
    *shown = 1;
}

void fn__cli_progress_clear(int *shown)
{
    if (!*shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    *shown = 0;
}

/* ---- tables of parsed records ------------------------------------------ */

void fn__cli_table(fn_buf_t *out, size_t ncols, size_t nrows,
                   fn__cli_cell_fn *cell, const void *arg)
{
    enum { MAX_W = 48 }; /* a long cell is cut, except in the last column */
    size_t *w = calloc(ncols ? ncols : 1, sizeof(*w));
    fn_buf_t c;
    if (!w)
        return;
    fn_buf_init(&c, 0);
    for (size_t r = 0; r <= nrows; r++)
        for (size_t i = 0; i < ncols; i++) {
            fn_buf_reset(&c);
            cell(arg, r, i, &c);
            if (c.len > w[i])
                w[i] = c.len < MAX_W ? c.len : MAX_W;
        }
    for (size_t r = 0; r <= nrows; r++) {
        for (size_t i = 0; i < ncols; i++) {
            int last = i + 1 == ncols;
            fn_buf_reset(&c);
            cell(arg, r, i, &c);
            fn_buf_printf(out, "%-*.*s%s", last ? 0 : (int)w[i],
                          (int)(c.len > MAX_W && !last ? MAX_W : c.len),
                          c.data ? c.data : "", last ? "" : "  ");
        }
        while (out->len && out->data[out->len - 1] == ' ')
            out->len--; /* empty last cells leave no trailing blanks */
        fn_buf_append_str(out, "\n");
    }
    fn_buf_cleanup(&c);
    free(w);
}

/* A stored result's records: row 0 the Value names of the first record. */
static void records_cell(const void *arg, size_t row, size_t col, fn_buf_t *out)
{
    const Flexnet__V1__CommandResult *r = arg;
    const Flexnet__V1__ParsedRecord *rec = r->records[row ? row - 1 : 0];
    if (col >= rec->n_values)
        return;
    const Flexnet__V1__ParsedValue *v = rec->values[col]->value;
    if (row == 0)
        fn_buf_append_str(out, rec->values[col]->key);
    else if (v && v->value_case == FLEXNET__V1__PARSED_VALUE__VALUE_STR)
        fn_buf_append_str(out, v->str);
    else if (v && v->value_case == FLEXNET__V1__PARSED_VALUE__VALUE_LIST) {
        fn_buf_append_str(out, "[");
        for (size_t i = 0; v->list && i < v->list->n_items; i++) {
            if (i)
                fn_buf_append_str(out, ", ");
            fn__cli_json_escape(out, v->list->items[i],
                                strlen(v->list->items[i]));
        }
        fn_buf_append_str(out, "]");
    }
}

void fn__cli_print_records(FILE *f, const Flexnet__V1__CommandResult *r)
{
    fn_buf_t b;
    if (!r->parsed)
        return;
    fn_buf_init(&b, 0);
    fn_buf_printf(&b, "%s  step %u: %s: %zu record(s)%s%s\n", r->host,
                  r->step + 1, r->command, r->n_records,
                  *r->parse_error ? ": " : "", r->parse_error);
    if (r->n_records)
        fn__cli_table(&b, r->records[0]->n_values, r->n_records, records_cell,
                      r);
    fwrite(b.data, 1, b.len, f);
    fn_buf_cleanup(&b);
}
