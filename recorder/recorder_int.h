/*
 * recorder_int.h — what recorder.c (the process-wide recorder: flush
 * timer, S3 copies, fetches) and rec_task.c (one task's sink) share.
 *
 * Not a public API. Thread: the recorder's event_base thread.
 */
#ifndef FN_RECORDER_INT_H
#define FN_RECORDER_INT_H

#include "fn_recorder.h"

/* rec_parse.c: templates of a spec, records of a result. */
void fn__rec_spec_parse_cleanup(fn_task_spec_t *es);
/* Sets m's parsed, records, parse_error from c (allocated: free with
 * fn__rec_parse_free after the message is stored and sent). */
void fn__rec_parse_fill(Flexnet__V1__CommandResult *m,
                        const fn_cmd_result_t *c);
void fn__rec_parse_free(Flexnet__V1__CommandResult *m);

struct event;
struct fn_s3;

struct fn_recorder {
    fn_recorder_opts_t o; /* base, store, http, config (borrowed), hooks */
    struct fn_s3 *s3;     /* owned, NULL without [s3] */
    struct event *flush;  /* owned: group-commit tick */
    size_t uploads;       /* S3 copies in flight */
    int flush_failed;     /* a tick's flush failed (said once) */
};

/* Reports msg through the warning hook (and fn_log at WARN). */
void fn__rec_warn(fn_recorder_t *r, const char *task_id, int what,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* recorder.c: copies a stored backup to S3 when configured (text
 * borrowed, copied); its record is updated when the copy completes. */
void fn__rec_s3_upload(fn_recorder_t *r, const char *task_id, const char *id,
                       const char *host, const void *text, size_t len);

#endif /* FN_RECORDER_INT_H */
