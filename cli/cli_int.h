/*
 * cli_int.h — internals shared by the files of the `flexnet` command.
 *
 * The CLI is a program, not a library: nothing here is installed. The
 * pieces worth testing alone (JSON escaper, manifest parser, spec helpers)
 * need only libc, libyaml, common/ and the generated proto code, so the
 * Check suite links them without the engine or the store.
 *
 * Ownership follows flexnet's rules: borrowed unless marked owned/kept.
 * Errors: 0 or a negative fn_err.h code / -errno.
 */
#ifndef FN_CLI_INT_H
#define FN_CLI_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fn_buf.h"
#include "fn_err.h"
#include "flexnet/v1/flexnet.pb-c.h"

/* Exit statuses of `flexnet` (see doc/flexnet.1). */
enum fn__cli_exit {
    FN_CLI_EXIT_OK = 0,          /* every step ok on every device */
    FN_CLI_EXIT_FAILED = 1,      /* some step failed on some device */
    FN_CLI_EXIT_USAGE = 2,       /* usage or input error */
    FN_CLI_EXIT_UNREACHABLE = 3, /* no device could be reached */
};

/* ---- json.c: JSON output ------------------------------------------- */

/* Appends s (len bytes, any bytes) as a quoted JSON string: control
 * characters escaped, invalid UTF-8 bytes replaced by U+FFFD. Returns 0
 * or the fn_buf_append code. */
int fn__cli_json_escape(fn_buf_t *b, const char *s, size_t len);

/* A flat JSON object being written into b (borrowed, kept until _end).
 * The first error sticks in rc; later calls do nothing. */
typedef struct fn__cli_json {
    fn_buf_t *b;
    int n;  /* members written */
    int rc; /* first error */
} fn__cli_json_t;

/* Opens "{", then "type": type when type is not NULL. */
void fn__cli_json_begin(fn__cli_json_t *j, fn_buf_t *b, const char *type);
void fn__cli_json_str(fn__cli_json_t *j, const char *key, const char *v);
void fn__cli_json_strn(fn__cli_json_t *j, const char *key, const char *v,
                       size_t len);
void fn__cli_json_int(fn__cli_json_t *j, const char *key, int64_t v);
void fn__cli_json_bool(fn__cli_json_t *j, const char *key, int v);
void fn__cli_json_double(fn__cli_json_t *j, const char *key, double v);
/* A member whose value is already JSON text (len bytes). */
void fn__cli_json_raw(fn__cli_json_t *j, const char *key, const char *json,
                      size_t len);
/* Closes "}" and returns the first error, or 0. */
int fn__cli_json_end(fn__cli_json_t *j);

/* ---- spec.c: TaskSpec building ------------------------------------- */

/* A spec with empty credentials; every part malloc'd. Owned:
 * fn__cli_spec_free. NULL on ENOMEM. */
Flexnet__V1__TaskSpec *fn__cli_spec_new(void);
void fn__cli_spec_free(Flexnet__V1__TaskSpec *spec); /* accepts NULL */
/* Appends a step (owned by the spec). NULL on ENOMEM. */
Flexnet__V1__Step *fn__cli_spec_add_step(Flexnet__V1__TaskSpec *spec,
                                         Flexnet__V1__StepKind kind);
/* Replaces a string field with a copy of s. 0 or -ENOMEM. */
int fn__cli_str_set(char **field, const char *s);
/* Appends a copy of s to a string array. 0 or -ENOMEM. */
int fn__cli_strv_push(char ***v, size_t *n, const char *s);
/* Number parsers: 0 or FN_EPARSE. Seconds may be fractional. */
int fn__cli_parse_uint(const char *s, unsigned long max, unsigned *out);
int fn__cli_parse_seconds(const char *s, unsigned *ms);
/* "stop" or "continue" (a config step after a failing line) into *out
 * (Flexnet__V1__OnError). Returns 0 or FN_EPARSE. */
int fn__cli_parse_on_error(const char *s, int *out);
/* "QUESTION => ANSWER" (the answer may be empty: Enter) added to step's
 * expect list. Returns 0, FN_EPARSE (no "=>", or no question) or
 * -ENOMEM. */
int fn__cli_add_expect(Flexnet__V1__Step *step, const char *s);
/* "N" or "P%" into spec->max_failed / max_failed_percent. */
int fn__cli_parse_max_failed(const char *s, Flexnet__V1__TaskSpec *spec);
/* Backup redaction names (--redact, manifest `redact:`, output):
 * "reversible", "all", "none" <-> Flexnet__V1__RedactMode. parse returns
 * the mode or -1; name never NULL ("reversible" for UNSPECIFIED). */
int fn__cli_redact_parse(const char *s);
const char *fn__cli_redact_name(int mode);

/* ---- manifest.c: YAML task manifests ------------------------------- */

/* One sub-task: what to run, plus what only the CLI decides. */
typedef struct fn__cli_job {
    Flexnet__V1__TaskSpec *spec; /* owned */
    int has_max_failed; /* max_failed given (so 0 means "none may fail") */
    int line;           /* where the sub-task starts in the manifest */
} fn__cli_job_t;

typedef struct fn__cli_manifest {
    fn__cli_job_t *jobs; /* owned; one per sub-task, every document */
    size_t n;
} fn__cli_manifest_t;

/* Parses a manifest (text borrowed; origin names it in errors). Returns
 * 0, FN_EPARSE or -ENOMEM with "origin:line: what" in err. On error *out
 * is empty. Owned: fn__cli_manifest_cleanup. */
int fn__cli_manifest_parse(const char *text, size_t len, const char *origin,
                           fn__cli_manifest_t *out, char *err, size_t errlen);
/* Same from a file; a relative `inventory` becomes relative to it. */
int fn__cli_manifest_load(const char *path, fn__cli_manifest_t *out, char *err,
                          size_t errlen);
void fn__cli_manifest_cleanup(fn__cli_manifest_t *m);

/* ---- util.c -------------------------------------------------------- */

/* Reads a whole file into out (initialised here; caller cleans up) up to
 * max bytes. 0, FN_EFULL (larger), -errno. */
int fn__cli_read_file(const char *path, fn_buf_t *out, size_t max);

#endif /* FN_CLI_INT_H */
