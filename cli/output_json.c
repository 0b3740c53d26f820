/*
 * output_json.c — `--json` output: one object per line per record, with
 * the field names of flexnet.proto (TaskEvent's members) plus a "type"
 * ("connection", "result", "backup", "summary", "task") and durations
 * also in milliseconds ("duration_ms").
 *
 * Records hold no secrets, so neither does this output. Does not parse
 * JSON. Thread: main. Owns nothing: appends to the caller's buffer.
 */
#include "cli_cmd.h"

#include <stdio.h>
#include <string.h>

#include "fn_utf8.h"

static double us_to_ms(int64_t us)
{
    return (double)us / 1000.0;
}

int fn__cli_json_conn(fn_buf_t *b, const Flexnet__V1__ConnectionReport *r)
{
    fn__cli_json_t j;
    fn__cli_json_begin(&j, b, "connection");
    fn__cli_json_str(&j, "task_id", r->task_id);
    fn__cli_json_str(&j, "host", r->host);
    fn__cli_json_str(&j, "address", r->address);
    fn__cli_json_int(&j, "port", r->port);
    fn__cli_json_str(&j, "vendor", r->vendor);
    fn__cli_json_str(&j, "status", fn_recorder_connect_status_name(r->status));
    fn__cli_json_int(&j, "tries", r->tries);
    fn__cli_json_double(&j, "duration_ms", us_to_ms(r->duration_us));
    fn__cli_json_str(&j, "reason", r->reason);
    fn__cli_json_str(&j, "warning", r->warning);
    return fn__cli_json_end(&j);
}

/* The exact bytes of an output that is not UTF-8 (its string went out
 * with U+FFFD), base64: only when there are some. */
static void json_raw(fn__cli_json_t *j, const char *key,
                     const ProtobufCBinaryData *raw)
{
    if (!raw->len || j->rc)
        return;
    fn_buf_t b64;
    fn_buf_init(&b64, 0);
    j->rc = fn_utf8_base64(raw->data, raw->len, &b64);
    if (!j->rc)
        fn__cli_json_strn(j, key, b64.data, b64.len);
    fn_buf_cleanup(&b64);
}

int fn__cli_json_records(fn_buf_t *b, const Flexnet__V1__CommandResult *r)
{
    int rc = fn_buf_append_str(b, "[");
    for (size_t i = 0; rc == 0 && i < r->n_records; i++) {
        const Flexnet__V1__ParsedRecord *rec = r->records[i];
        rc = fn_buf_append_str(b, i ? ",{" : "{");
        for (size_t k = 0; rc == 0 && k < rec->n_values; k++) {
            const Flexnet__V1__ParsedValue *v = rec->values[k]->value;
            const char *key = rec->values[k]->key;
            if (k)
                fn_buf_append_str(b, ",");
            fn__cli_json_escape(b, key, strlen(key));
            rc = fn_buf_append_str(b, ":");
            if (v && v->value_case == FLEXNET__V1__PARSED_VALUE__VALUE_LIST) {
                fn_buf_append_str(b, "[");
                for (size_t n = 0; v->list && n < v->list->n_items; n++) {
                    if (n)
                        fn_buf_append_str(b, ",");
                    fn__cli_json_escape(b, v->list->items[n],
                                        strlen(v->list->items[n]));
                }
                rc = fn_buf_append_str(b, "]");
            } else {
                const char *s =
                    v && v->value_case == FLEXNET__V1__PARSED_VALUE__VALUE_STR
                        ? v->str
                        : "";
                rc = fn__cli_json_escape(b, s, strlen(s));
            }
        }
        if (rc == 0)
            rc = fn_buf_append_str(b, "}");
    }
    return rc ? rc : fn_buf_append_str(b, "]");
}

int fn__cli_json_result(fn_buf_t *b, const Flexnet__V1__CommandResult *r)
{
    fn__cli_json_t j;
    fn__cli_json_begin(&j, b, "result");
    fn__cli_json_str(&j, "task_id", r->task_id);
    fn__cli_json_str(&j, "host", r->host);
    fn__cli_json_int(&j, "step", r->step);
    fn__cli_json_int(&j, "seq", r->seq);
    fn__cli_json_str(&j, "command", r->command);
    fn__cli_json_int(&j, "exit_code", r->exit_code);
    fn__cli_json_str(&j, "stdout", r->stdout);
    fn__cli_json_str(&j, "stderr", r->stderr);
    json_raw(&j, "stdout_raw_b64", &r->stdout_raw);
    json_raw(&j, "stderr_raw_b64", &r->stderr_raw);
    fn__cli_json_int(&j, "started_us", r->started_us);
    fn__cli_json_double(&j, "duration_ms", us_to_ms(r->duration_us));
    fn__cli_json_str(&j, "tag", r->tag);
    fn__cli_json_str(&j, "reason", r->reason);
    fn__cli_json_bool(&j, "truncated", r->truncated);
    if (r->parsed) { /* records only where parsing was asked for */
        fn_buf_t rec;
        fn_buf_init(&rec, 0);
        fn__cli_json_records(&rec, r);
        fn__cli_json_raw(&j, "records", rec.data ? rec.data : "[]",
                         rec.data ? rec.len : 2);
        fn__cli_json_str(&j, "parse_error", r->parse_error);
        fn_buf_cleanup(&rec);
    }
    return fn__cli_json_end(&j);
}

int fn__cli_json_backup(fn_buf_t *b, const Flexnet__V1__Backup *bk)
{
    fn__cli_json_t j;
    fn__cli_json_begin(&j, b, "backup");
    fn__cli_json_str(&j, "id", bk->id);
    fn__cli_json_str(&j, "task_id", bk->task_id);
    fn__cli_json_str(&j, "host", bk->host);
    fn__cli_json_str(&j, "vendor", bk->vendor);
    fn__cli_json_int(&j, "created_us", bk->created_us);
    fn__cli_json_str(&j, "sha256", bk->sha256);
    fn__cli_json_int(&j, "size", (int64_t)bk->size);
    fn__cli_json_str(&j, "comment", bk->comment);
    fn__cli_json_str(&j, "command", bk->command);
    fn__cli_json_str(&j, "target", bk->target);
    fn__cli_json_str(&j, "bucket", bk->bucket);
    fn__cli_json_str(&j, "key", bk->key);
    fn__cli_json_str(&j, "error", bk->error);
    fn__cli_json_str(&j, "redact",
                     bk->redact ? fn__cli_redact_name(bk->redact) : "");
    fn__cli_json_int(&j, "redacted", bk->redacted);
    return fn__cli_json_end(&j);
}

/* The summary's members, shared by "summary" and "task" objects. */
static void json_summary_fields(fn__cli_json_t *j,
                                const Flexnet__V1__Summary *s)
{
    fn__cli_json_int(j, "devices", s->devices);
    fn__cli_json_int(j, "connected", s->connected);
    fn__cli_json_int(j, "failed_connect", s->failed_connect);
    fn__cli_json_int(j, "ok", s->ok);
    fn__cli_json_int(j, "failed", s->failed);
    fn__cli_json_int(j, "commands", s->commands);
    fn__cli_json_int(j, "errors", s->errors);
    fn__cli_json_int(j, "backups", s->backups);
}

int fn__cli_json_summary(fn_buf_t *b, const Flexnet__V1__Summary *s)
{
    fn__cli_json_t j;
    fn__cli_json_begin(&j, b, "summary");
    fn__cli_json_str(&j, "task_id", s->task_id);
    fn__cli_json_str(&j, "status", fn_recorder_task_status_name(s->status));
    json_summary_fields(&j, s);
    fn__cli_json_double(&j, "duration_ms", us_to_ms(s->duration_us));
    return fn__cli_json_end(&j);
}

/* A task, or a sharded run seen as one (type "run"). */
static void json_task_fields(fn__cli_json_t *j, const Flexnet__V1__Task *t)
{
    fn__cli_json_str(j, "id", t->id);
    fn__cli_json_str(j, "name", t->name);
    fn__cli_json_str(j, "status", fn_recorder_task_status_name(t->status));
    fn__cli_json_str(j, "outcome", fn__cli_task_outcome(t));
    fn__cli_json_int(j, "created_us", t->created_us);
    fn__cli_json_int(j, "started_us", t->started_us);
    fn__cli_json_int(j, "finished_us", t->finished_us);
    fn__cli_json_str(j, "owner", t->owner);
    fn__cli_json_str(j, "error", t->error);
    if (t->summary)
        json_summary_fields(j, t->summary);
}

int fn__cli_json_run(fn_buf_t *b, const Flexnet__V1__Task *t, unsigned shards,
                     unsigned shard_count)
{
    fn__cli_json_t j;
    fn__cli_json_begin(&j, b, "run");
    json_task_fields(&j, t);
    fn__cli_json_int(&j, "shards", shards);
    fn__cli_json_int(&j, "shard_count", shard_count);
    return fn__cli_json_end(&j);
}

int fn__cli_json_task(fn_buf_t *b, const Flexnet__V1__Task *t)
{
    fn__cli_json_t j;
    fn__cli_json_begin(&j, b, "task");
    json_task_fields(&j, t);
    if (t->spec && t->spec->shard_count) {
        fn__cli_json_str(&j, "shard_run", t->spec->shard_run);
        fn__cli_json_int(&j, "shard_index", t->spec->shard_index);
        fn__cli_json_int(&j, "shard_count", t->spec->shard_count);
    }
    return fn__cli_json_end(&j);
}

void fn__cli_json_emit(FILE *f, fn_buf_t *b)
{
    if (b->data)
        fwrite(b->data, 1, b->len, f);
    fputc('\n', f);
    fn_buf_reset(b);
}
