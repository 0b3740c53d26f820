/*
 * fn_matcher.h — the streaming matcher: one pass over each output byte,
 * decides prompt, pager, password prompt and vendor error while the output
 * streams in; cleans it into stdout / stderr.
 *
 * Output arrives in chunks of any size. Every byte is looked at once; all
 * error keywords of the profile are matched together (Aho–Corasick), so a
 * keyword split across chunks still matches and 1-byte chunks give exactly
 * the result of one chunk. Prompts and pagers are checked only against the
 * trailing partial line (a device waiting for input has no newline after
 * its prompt). The base prompt ("router1") is learned at login, so
 * "router1(config-if)#" is a prompt and "[V200R009C00SPC500]" or a "#"
 * inside output is not.
 *
 * Cleaning: removes the command echo, pager text and the backspaces that
 * erase it, ANSI escape sequences, '\r', and the trailing prompt. stderr
 * reads like the device's screen: the echo line with the prompt in front
 * ("router1#show interfacs"), then the caret marker line where the device
 * printed one (its column counts the prompt, so it lines up), then the
 * error line(s).
 *
 * Memory: fixed state per matcher (automaton pointer, bounded line tail)
 * plus the cleaned output of the current command, capped at max_output
 * bytes (past it: truncated, flagged). fn_matcher_feed never allocates
 * beyond growing that output buffer up to its cap.
 *
 * Threads: a matcher belongs to one session on one thread. The profile is
 * borrowed and must outlive the matcher.
 *
 * Details for callers (vendors engineer; see also vendors/README.md):
 * - A new matcher is in login mode (as after fn_matcher_begin(m, NULL)).
 *   In login mode no error keyword is matched and only user/privileged
 *   prompt shapes are tried; the "{base}" part of the matching pattern is
 *   learned. Afterwards only prompts built from it match. A profile
 *   pattern without "{base}" (linux "$ ") is then no longer tried.
 * - FN_MATCH_PROMPT needs the prompt to be the trailing partial line of
 *   the chunk: blanks and complete escape sequences after it are fine,
 *   any other byte after it (same chunk) makes it ordinary output.
 * - FN_MATCH_PAGER and FN_MATCH_PASSWORD fire once per occurrence; keep
 *   feeding after answering. Several bits may come in one call (ERROR and
 *   PROMPT typically do).
 * - stdout holds every cleaned line except the echo, error lines, caret
 *   marker lines, pager lines, password questions and the profile's
 *   strip_line lines; error and caret lines go to stderr after the echo
 *   line: the last prompt seen (before this command), the blanks that
 *   followed it (whichever chunk brought them: feeding after
 *   FN_MATCH_PROMPT counts them, so keep feeding what arrives between
 *   commands) and the command. No prompt seen yet: the command alone.
 *   Lines end in '\n'. A line longer than
 *   FN_MATCHER_LINE_MAX goes out in pieces: its head is routed before a
 *   keyword later in the line is seen.
 */
#ifndef FN_MATCHER_H
#define FN_MATCHER_H

#include <stddef.h>

#include "fn_vendor.h"

typedef struct fn_matcher fn_matcher_t;

/* Caps (bytes). Added by the vendors engineer. */
#define FN_MATCHER_LINE_MAX       512 /* line tail kept for editing/prompts */
#define FN_MATCHER_PROMPT_MAX     256 /* longer trailing lines are no prompt */
#define FN_MATCHER_CMD_MAX        256 /* command text kept for echo/stderr */
#define FN_MATCHER_BASE_MAX       64  /* learned base prompt */
#define FN_MATCHER_ERR_MAX        65536       /* stderr cap */
#define FN_MATCHER_OUTPUT_DEFAULT (16u << 20) /* max_output 0 */
/* Output buffers bigger than this are freed at begin, not kept. */
#define FN_MATCHER_KEEP_MAX (256u << 10)

/* Bits returned by fn_matcher_feed. */
enum fn_match_event {
    FN_MATCH_NONE = 0,
    FN_MATCH_ERROR = 1 << 0,    /* an error keyword matched in this chunk */
    FN_MATCH_PAGER = 1 << 1,    /* trailing line is a pager: send the answer */
    FN_MATCH_PROMPT = 1 << 2,   /* trailing line is the prompt: command done */
    FN_MATCH_PASSWORD = 1 << 3, /* trailing line asks for a password */
};

/* What a finished command produced. Strings are borrowed from the matcher,
 * NUL-terminated, valid until the next fn_matcher_begin or fn_matcher_free. */
typedef struct fn_match_result {
    int exit_code;   /* 0, or 1 when a vendor error keyword matched */
    const char *out; /* cleaned stdout */
    size_t out_len;
    const char *err; /* prompt + echo, caret line, error line(s), or "" */
    size_t err_len;
    const char *keyword; /* first error keyword that matched, or NULL */
    int truncated;       /* output hit max_output */
    int mode;            /* enum fn_vendor_mode of the final prompt */
} fn_match_result_t;

/* Returns 0 or -ENOMEM. max_output 0 means 16 MiB. *out: fn_matcher_free. */
int fn_matcher_new(fn_matcher_t **out, const fn_vendor_t *v, size_t max_output);
void fn_matcher_free(fn_matcher_t *m);

/* Starts a command. `command` (borrowed, copied up to a bounded length) is
 * the text sent, without newline; its echo is stripped. NULL starts the
 * login phase: no echo, the prompt matched generically, and the base
 * prompt learned from it. Resets output, flags and events. Returns 0. */
int fn_matcher_begin(fn_matcher_t *m, const char *command);

/* Consumes len bytes (borrowed). Returns a mask of enum fn_match_event for
 * what this chunk completed. FN_MATCH_PROMPT: the trailing partial line
 * is a prompt, whole or at the end of output that lacks its last newline
 * ("outputr1#"). That is the command's end only if nothing follows: a
 * caller that gets more bytes calls fn_matcher_resume first (the engine
 * waits prompt_settle_ms). Bytes fed after it without a resume start a
 * new (unexpected) output and are ignored until the next fn_matcher_begin
 * (only blanks right after the prompt are counted, for the next stderr
 * echo line). */
int fn_matcher_feed(fn_matcher_t *m, const char *buf, size_t len);

/* The prompt FN_MATCH_PROMPT reported was not the end: more output came
 * (a line of the output equal to the prompt, cut by a chunk boundary).
 * The prompt line goes back into the current line (its leading blanks
 * lost), the mode before it is restored, and feeding goes on as if it
 * had not fired. Call before feeding those bytes. No-op unless done.
 * Returns 0. */
int fn_matcher_resume(fn_matcher_t *m);

/* The device went quiet on a line that reads like a prompt of another
 * host name ("new-name(config)#" after `hostname new-name`): learn that
 * base prompt and end the command as FN_MATCH_PROMPT would. Returns
 * FN_MATCH_PROMPT, or 0 (not a prompt shape: nothing changes). */
int fn_matcher_relearn(fn_matcher_t *m);

/* Copies the current unfinished line (what the device left on screen
 * while it waits: a question, a prompt) into buf (cap bytes, NUL
 * terminated, cut to fit). Returns its length, 0 when the cursor is at a
 * line start. */
size_t fn_matcher_tail(const fn_matcher_t *m, char *buf, size_t cap);

/* The text to send when FN_MATCH_PAGER fired (" " for most vendors). */
const char *fn_matcher_pager_answer(const fn_matcher_t *m);

/* Fills r for the current command. Valid after FN_MATCH_PROMPT, or at any
 * time for a partial result (timeouts). Returns 0. */
int fn_matcher_finish(fn_matcher_t *m, fn_match_result_t *r);

/* The base prompt learned at login ("router1", "admin@r1"), or "" before. */
const char *fn_matcher_base_prompt(const fn_matcher_t *m);
/* enum fn_vendor_mode of the last prompt seen. */
int fn_matcher_mode(const fn_matcher_t *m);

/* Added by the vendors engineer. sizeof the matcher (fixed state per
 * session, output buffers excluded). */
size_t fn_matcher_state_size(void);
/* Bytes the matcher holds now: its state plus the capacity of its stdout
 * and stderr buffers (bounded by max_output + FN_MATCHER_ERR_MAX, rounded
 * up to a power of two). */
size_t fn_matcher_memory(const fn_matcher_t *m);

#endif /* FN_MATCHER_H */
