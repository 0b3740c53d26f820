/*
 * fn_parse.h — TextFSM in C: compiles TextFSM templates (the language of
 * Google's textfsm and the ntc-templates collection) and runs them over
 * command output fed line by line or in chunks of any size, producing the
 * same records as python3-textfsm 1.1.0 (TextFSM.ParseText).
 *
 * Template language: `Value [Options] NAME (regex)` lines (options
 * Filldown, Key, Required, List, Fillup), states (Start required, End and
 * EOF reserved and empty), rules `  ^regex -> LineOp.RecordOp NewState`
 * with `${NAME}` / `$NAME` substitution and `$$` for a literal `$`, line
 * ops Next / Continue / Error "msg", record ops Record / NoRecord / Clear /
 * Clearall, and the implicit record at end of input unless the template
 * declares an EOF state or the FSM went to End. Regexes are Python-style
 * ((?P<name>...), \d, \s, (?i)) and run through PCRE2 (JIT) in byte mode,
 * anchored at the line start like Python's re.match.
 *
 * Input: bytes, split into lines exactly like Python's str.splitlines()
 * (\n, \r, \r\n, \v, \f, \x1c-\x1e, and the UTF-8 encodings of U+0085,
 * U+2028, U+2029), so CRLF output parses like LF. A line split across
 * fn_parse_feed calls is reassembled; nothing but the current partial
 * line is kept from the input (no second pass).
 *
 * Differences from Python, on purpose: a regex that hits PCRE2's match
 * or JIT-stack limit (catastrophic backtracking) counts as "no match"
 * where Python would run for minutes; regexes see bytes, so \w, \d and
 * (?i) are ASCII-only and `.` matches one byte of a UTF-8 character.
 *
 * Records: the value of a cell is a string, or for List values a list
 * whose items are strings, nulls (an optional group that did not take
 * part, Python's None; ntc-templates' clitable turns them into "None")
 * or, for a List regex with nested named groups, dicts.
 *
 * Memory: a template is immutable once compiled. A session holds the
 * current line (capped at FN_PARSE_MAX_LINE, longer lines are cut), the
 * values being built, and the records so far, capped at max_bytes (past
 * it the session fails with FN_EFULL). Nothing else grows with input.
 *
 * Threads: a template may be shared by sessions on any threads (PCRE2
 * code is read-only at match time) and is reference-counted, so a task
 * can keep it past its loader; a session belongs to one thread.
 * No I/O except fn_parse_tpl_load and fn_parse_index_load, which read
 * files. Errors are 0 or negative fn_err.h codes; the human reason goes
 * to a caller buffer (templates) or fn_parse_reason() (sessions).
 */
#ifndef FN_PARSE_H
#define FN_PARSE_H

#include <stddef.h>

typedef struct fn_parse_tpl fn_parse_tpl_t;
typedef struct fn_parse fn_parse_t;
typedef struct fn_parse_index fn_parse_index_t;

#define FN_PARSE_MAX_LINE   (1u << 20)  /* bytes kept of one line */
#define FN_PARSE_MAX_BYTES  (64u << 20) /* default record cap */
#define FN_PARSE_REASON_LEN 256         /* reason buffers */

/* Value options, as bits (fn_parse_tpl_value). */
enum fn_parse_opt {
    FN_PARSE_OPT_FILLDOWN = 1 << 0,
    FN_PARSE_OPT_KEY = 1 << 1,
    FN_PARSE_OPT_REQUIRED = 1 << 2,
    FN_PARSE_OPT_LIST = 1 << 3,
    FN_PARSE_OPT_FILLUP = 1 << 4,
};

/* One node of a record: a cell, a list item, or a dict key / value. */
enum fn_parse_kind {
    FN_PARSE_NULL = 0, /* Python None (only as a list item or dict value) */
    FN_PARSE_STR,      /* str / len */
    FN_PARSE_LIST,     /* items[0..n) */
    FN_PARSE_DICT,     /* items[2k] key (STR), items[2k+1] value */
};

typedef struct fn_parse_val {
    int kind;                         /* enum fn_parse_kind */
    const char *str;                  /* STR: bytes, NUL-terminated */
    size_t len;                       /* STR: bytes */
    const struct fn_parse_val *items; /* LIST, DICT */
    size_t n;                         /* LIST: items; DICT: 2 * pairs */
} fn_parse_val_t;

/* ---- templates ------------------------------------------------------ */

/* Compiles the template text (len bytes, borrowed). name (borrowed, may
 * be NULL) is the file name used in reasons ("name:LINE: why").
 * *out owned: fn_parse_tpl_free. Returns 0, FN_ETEMPLATE (reason says
 * file:line and why, in python3-textfsm's words where it has them) or
 * -ENOMEM. reason may be NULL. */
int fn_parse_tpl_new(const char *text, size_t len, const char *name,
                     fn_parse_tpl_t **out, char *reason, size_t reason_len);
/* Reads and compiles the file at path: fn_parse_tpl_new's codes plus
 * -errno when the file cannot be read. */
int fn_parse_tpl_load(const char *path, fn_parse_tpl_t **out, char *reason,
                      size_t reason_len);
/* Drops a reference; the last one frees (NULL ok; no live sessions). */
void fn_parse_tpl_free(fn_parse_tpl_t *t);
/* Takes a reference (atomic: any thread) and returns t; NULL gives NULL.
 * Each reference is dropped with fn_parse_tpl_free. */
fn_parse_tpl_t *fn_parse_tpl_ref(const fn_parse_tpl_t *t);

/* Number of Values, and the i-th one's name (borrowed from t) and
 * options (*opts: enum fn_parse_opt bits; opts may be NULL). */
size_t fn_parse_tpl_nvalues(const fn_parse_tpl_t *t);
const char *fn_parse_tpl_value(const fn_parse_tpl_t *t, size_t i,
                               unsigned *opts);

/* ---- sessions: one per parsed output --------------------------------- */

/* New session over t (kept: must outlive the session). max_bytes caps
 * the records (0: FN_PARSE_MAX_BYTES). *out owned: fn_parse_free.
 * Returns 0 or -ENOMEM. */
int fn_parse_new(const fn_parse_tpl_t *t, size_t max_bytes, fn_parse_t **out);
void fn_parse_free(fn_parse_t *p); /* NULL ok */
/* The session's template (borrowed: the one given to fn_parse_new). */
const fn_parse_tpl_t *fn_parse_template(const fn_parse_t *p);

/* Feeds output bytes (borrowed) in chunks of any size. Returns 0, or the
 * session's sticky failure: FN_EFSM (an Error action fired: records are
 * dropped, as Python raises), FN_EFULL (records past max_bytes), -ENOMEM.
 * Once failed, further calls return the same code and do nothing. */
int fn_parse_feed(fn_parse_t *p, const char *data, size_t len);
/* Runs one complete line (no terminator) through the FSM; same codes. */
int fn_parse_line(fn_parse_t *p, const char *line, size_t len);
/* End of input: runs the pending partial line, then the implicit EOF
 * record. Same codes; FN_ESTATE if called twice. */
int fn_parse_finish(fn_parse_t *p);

/* Why the session failed ("" if it did not): python3-textfsm's message
 * for an Error action. Borrowed from p. */
const char *fn_parse_reason(const fn_parse_t *p);

/* Records so far (all of them after fn_parse_finish); none after a
 * failure. A record is an array of fn_parse_tpl_nvalues cells in Value
 * order, borrowed from p until the next feed / line / finish / free. */
size_t fn_parse_nrecords(const fn_parse_t *p);
const fn_parse_val_t *fn_parse_record(const fn_parse_t *p, size_t i);
/* Bytes held by the session: records plus line and value buffers. */
size_t fn_parse_mem(const fn_parse_t *p);

/* Appends the records as a JSON array of objects, one key per Value in
 * template order (strings, lists, null, dicts), to out (a struct fn_buf,
 * borrowed). Non-UTF-8 bytes become U+FFFD. Returns fn_buf_append's
 * codes. */
struct fn_buf;
int fn_parse_json(const fn_parse_t *p, struct fn_buf *out);
/* Appends one value (a cell, item or dict) as JSON; same codes. */
int fn_parse_json_val(struct fn_buf *out, const fn_parse_val_t *v);

/* ---- the ntc-templates index ---------------------------------------- */

/* Reads DIR/index (the ntc-templates / clitable format: a CSV header
 * naming Template, Hostname, Platform, Command columns, `#` comments, rows
 * whose fields are regexes, `[[...]]` completions in Command). *out owned:
 * fn_parse_index_free. Returns 0, FN_ETEMPLATE (a malformed index or
 * regex; reason says index:line), -errno. */
int fn_parse_index_load(const char *dir, fn_parse_index_t **out, char *reason,
                        size_t reason_len);
/* Drops a reference; the last one frees the index and its templates. */
void fn_parse_index_free(fn_parse_index_t *ix); /* NULL ok */
/* Takes a reference, as fn_parse_tpl_ref. */
fn_parse_index_t *fn_parse_index_ref(const fn_parse_index_t *ix);

/* The template file for a flexnet vendor (mapped to the index's platform
 * name, fn_parse_platform) and a command, as clitable picks it: the first
 * row whose Platform and Command regexes match at the start of the
 * strings. *path owned (free()): DIR/FILE of the row's first template
 * (clitable merges further `:`-separated templates by Key; flexnet uses
 * the first). Returns 0, FN_ENOTFOUND, -ENOMEM. */
int fn_parse_index_find(const fn_parse_index_t *ix, const char *vendor,
                        const char *command, char **path);

/* Loads (once) the template of every row whose Command matches command,
 * whatever its platform, so that fn_parse_index_get can answer for any
 * vendor without I/O. Returns 0 or fn_parse_tpl_load's codes (reason
 * says which template). Not thread-safe against fn_parse_index_get. */
int fn_parse_index_preload(fn_parse_index_t *ix, const char *command,
                           char *reason, size_t reason_len);
/* The preloaded template for vendor + command (borrowed from ix), or NULL
 * when no row matches or the command was never preloaded. No I/O. */
const fn_parse_tpl_t *fn_parse_index_get(const fn_parse_index_t *ix,
                                         const char *vendor,
                                         const char *command);

/* The ntc-templates platform name of a flexnet vendor name (borrowed,
 * static): cisco_iosxr -> cisco_xr, ...; unknown names map to themselves. */
const char *fn_parse_platform(const char *vendor);

#endif /* FN_PARSE_H */
