/*
 * engine_int.h — what engine.c, session.c and task.c share.
 *
 * Not public. Reactor thread only. Ownership: the engine owns its tasks;
 * a task owns its device records (fn_dev_t, one per target host, kept
 * for the whole task so step progress survives reconnects); a session
 * owns its socket, libssh session/channel, matcher, events, write queue.
 */
#ifndef FN_ENGINE_INT_H
#define FN_ENGINE_INT_H

#include "fn_engine.h"
#include "fn_buf.h"
#include "fn_matcher.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <libssh/libssh.h>
#include <stdint.h>

/* X(name): the session states, in diagram order. */
#define FN_SESSION_STATES(X)                                                   \
    X(IDLE)    /* queued, no resources yet */                                  \
    X(CONNECT) /* TCP connect in progress */                                   \
    X(KEX)     /* ssh_connect: banner + key exchange */                        \
    X(HOSTKEY) /* checking the server key against the pin */                   \
    X(AUTH)    /* password or public key */                                    \
    X(CHANNEL) /* opening the session channel */                               \
    X(PTY)     /* pty request */                                               \
    X(SHELL)   /* shell request */                                             \
    X(PROMPT)  /* waiting for the first prompt */                              \
    X(PREPARE) /* enable, paging off: internal commands */                     \
    X(READY)   /* idle, waiting for the task's next command */                 \
    X(RUNNING) /* a command sent, waiting for the prompt */                    \
    X(BACKOFF) /* waiting to retry connect / handshake */                      \
    X(CLOSING) /* marked; the reaper frees resources */                        \
    X(DONE)    /* finished (resources freed) */

enum fn_session_state {
#define FN__ST_ENUM(name) FN_SS_##name,
    FN_SESSION_STATES(FN__ST_ENUM)
#undef FN__ST_ENUM
        FN_SS_COUNT
};

/* Where a device's connection stands, for the report and the summary. */
enum fn_dev_conn {
    FN_DEV_PENDING,   /* never logged in yet */
    FN_DEV_CONNECTED, /* reported OK */
    FN_DEV_PARKED,    /* connect-first: reported OK, closed until phase 2 */
    FN_DEV_FAILED,    /* gave up connecting: reported FAILED */
    FN_DEV_SKIPPED,   /* never attempted: reported SKIPPED */
};

/* Where a device is in its task's steps. */
enum fn_dev_run {
    FN_RUN_STEPS,    /* steps left to run */
    FN_RUN_STOPPED,  /* exit_on_fail or lost: the rest was skipped */
    FN_RUN_FINISHED, /* counted done: nothing more happens */
};

/* What the task does once the reaper freed a closed session. */
enum fn_dev_next {
    FN_NEXT_FINISH,       /* device done */
    FN_NEXT_RETRY,        /* connect/handshake retry after backoff */
    FN_NEXT_RECONNECT,    /* dropped after login: connect again, go on */
    FN_NEXT_FAIL_CONNECT, /* gave up connecting: report the row */
    FN_NEXT_PARK,         /* connect-first: reported, reconnect in phase 2 */
};

/* Where a CONFIG step is (the step's own small state machine). */
enum fn_cfg_phase {
    FN_CFG_ENTER,   /* next: the vendor's config-mode command */
    FN_CFG_LINES,   /* in config mode: lines from seq on */
    FN_CFG_COMMIT,  /* next: the vendor's commit command */
    FN_CFG_DISCARD, /* a line failed: next, drop the candidate */
    FN_CFG_LEAVE,   /* next: leave config mode (if still in it) */
    FN_CFG_DONE,    /* nothing more to send in this step */
};

/* What a command request is for. The session only runs it; the kind is
 * the requester's bookkeeping (the task's, or PREPARE's own). */
enum fn_cmd_kind {
    FN_CMD_USER,           /* a task command, config line or commit */
    FN_CMD_CONFIG_ENTER,   /* enter config mode: reported only on failure */
    FN_CMD_CONFIG_LEAVE,   /* leave config mode: never reported */
    FN_CMD_CONFIG_DISCARD, /* drop the candidate after a failing line */
    FN_CMD_ENABLE,         /* PREPARE: enable / super */
    FN_CMD_SETUP,          /* PREPARE: the vendor's paging-off commands */
};

typedef struct fn_dev fn_dev_t;
typedef struct fn_session fn_session_t;
typedef struct fn_cmd fn_cmd_t;

/* A command request completed: status is its exit code (FN_EXIT_OK,
 * _VENDOR_ERROR or _TIMEOUT), out the matcher's result (borrowed for
 * the call), the session's reason says why on a timeout. cmd is the
 * session's copy, borrowed for the call. The callback may submit the
 * next request or close the session. */
typedef void fn_cmd_done_fn(fn_dev_t *dev, fn_cmd_t *cmd, int status,
                            const fn_match_result_t *out);

/* An answer the session types when the device asks while the command
 * runs (the enable password; room for "[confirm]"-style questions). */
typedef struct fn_cmd_answer {
    const char *question; /* a pattern over the waiting line, or NULL: */
    int on;               /* enum fn_match_event that asks, e.g. PASSWORD */
    const char *text;     /* borrowed until the request completes; secret */
    int same_prompt;      /* 1: the prompt stays, errors after the answer
                           * count (VRP super); 0: learn the prompt anew
                           * (sudo's root prompt), errors are not judged */
} fn_cmd_answer_t;

/* One command request (libuv's uv_write_t): it carries its own
 * callback. fn__session_submit copies it; the session owns the copy
 * until it completes it with exactly one call of `done`, or until the
 * session closes (then it never completes: the task hears of the drop
 * through fn__task_on_failure and asks fn__session_cmd what was in
 * flight). Strings are borrowed from the requester and must live until
 * then. */
struct fn_cmd {
    const char *text;               /* sent + "\n"; its echo is stripped */
    enum fn_cmd_kind kind;          /* the requester's */
    unsigned timeout_ms;            /* no prompt within it: FN_EXIT_TIMEOUT */
    const fn_cmd_answer_t *answers; /* borrowed, may be NULL */
    size_t nanswers;
    fn_cmd_done_fn *done;
    /* filled by the session */
    int64_t started_wall_us, started_mono_us;
    int64_t duration_us; /* set before done runs */
    int written;         /* every byte left for the device (a config
                          * line lost after this may have applied) */
    /* TextFSM fed as the cleaned output grows (NULL: none). The session
     * owns it until the request completes (frees it if it never does);
     * then the callback does. */
    fn_parse_t *parse;
    size_t parse_fed; /* bytes of the output fed so far */
    int parse_rc;     /* the first feed's error: feeding stops */
};

/* One target device, kept for the whole task (its step progress survives
 * reconnects): small, since a task holds one per host. Its connection
 * lives in `sess` only while connecting, connected or waiting to retry.
 * `state` is written by session.c's session_set_state only. */
struct fn_dev {
    fn_task_t *task;       /* borrowed: owns us */
    const fn_host_t *host; /* borrowed from the inventory */
    const fn_vendor_t *vendor;
    fn_session_t *sess;   /* borrowed from the task's pool, or NULL */
    char *reason;         /* owned: last failure, kept once sess is gone */
    int *step_codes;      /* owned: per step exit code, -2 if skipped */
    int64_t t_first_us;   /* mono: first connect attempt */
    fn_dev_t *retry_next; /* the task's requeue list */
    unsigned idx;         /* index in the task's device array */
    enum fn_session_state state;
    /* connection bookkeeping */
    unsigned tries; /* connect attempts in this (re)connect */
    unsigned reconnects;
    enum fn_dev_conn conn;
    enum fn_dev_next next; /* set before a close */
    int last_err;          /* fn_err code of the last failure */
    /* task progress (survives reconnects) */
    enum fn_dev_run run;
    unsigned step, seq; /* next command */
    enum fn_cfg_phase cfg_phase;
    unsigned cfg_failed; /* CONFIG: failing line's index + 1, 0: none */
    int cfg_discard;     /* FN_CMD_CONFIG_DISCARD's exit code, -2: none */
    int any_fail;        /* some result 1 / -1 / -3 */
};

/* What a quiet device means once the settle time passed. */
enum fn_settle {
    FN_SETTLE_NONE,
    FN_SETTLE_PROMPT,   /* the prompt was the end (prompt_settle_ms) */
    FN_SETTLE_QUESTION, /* it asks something nobody answers */
    FN_SETTLE_RELEARN,  /* quiet on a prompt-like line: a new host name? */
};

/* Bytes of the device's latest output a timeout's reason quotes. */
#define FN_SESS_TAIL 200

/* AUTH's own steps, in OpenSSH's order: publickey (key file, then the
 * agent), password, keyboard-interactive, each tried while the server
 * may take it (all, until the first refusal lists its methods) and when
 * there is something to offer; with nothing to offer, "none" asks the
 * methods only to say what was missing. */
enum fn_auth_step {
    FN_AUTH_QUERY,
    FN_AUTH_KEY,
    FN_AUTH_AGENT,
    FN_AUTH_PASSWORD,
    FN_AUTH_KBDINT,
    FN_AUTH_EXHAUSTED,
};

/* Where the session's request slot is. */
enum fn_slot {
    FN_SLOT_EMPTY,
    FN_SLOT_PENDING, /* submitted in READY: the dispatcher sends it */
    FN_SLOT_SENT,    /* written: waiting for the prompt */
};

/* A live connection: at most `concurrency` per task, recycled through the
 * task's free list. Its events carry the device as their argument. */
struct fn_session {
    int fd; /* -1 when none; owned until ssh owns it */
    struct evdns_getaddrinfo_request *dns_req; /* resolving, or NULL */
    ssh_session ssh;            /* owned; frees fd too once set */
    ssh_channel ch;             /* owned */
    fn_matcher_t *m;            /* owned */
    struct event rev, wev, tev; /* read (persistent), write, timer */
    struct event mev;           /* run again next pass, see session.c */
    int evs_added;              /* rev/wev assigned to fd */
    int tev_set;                /* tev, mev assigned (zeroed ones are not) */
    int wev_on;
    int in_handshake; /* counted in engine->handshakes */
    int counted;      /* counted in engine->sessions */
    int in_dispatch;  /* inside sess_dispatch: it sends what is submitted */
    enum fn_settle settle; /* waiting to see if the device says more */
    unsigned answered;     /* questions answered in this command */
    uint64_t answered_at;  /* hash of the waiting line answered last */
    unsigned reads_left;   /* this wakeup's read budget */
    unsigned prep_i;       /* PREPARE: 0 enable, then setup command i - 1 */
    unsigned backoff_ms;   /* BACKOFF's timer, armed on enter */
    fn_buf_t wq;           /* pending channel bytes */
    size_t wq_off;
    char *password; /* owned copy for env-resolved passwords */
    ssh_key key;    /* owned: the key file, loaded for AUTH only */
    enum fn_auth_step auth_step;
    unsigned char auth_plan[6]; /* the steps in the host's order */
    unsigned char auth_at;      /* auth_step == auth_plan[auth_at] */
    int auth_offered;           /* SSH_AUTH_METHOD_* the server lists */
    int auth_tried;             /* SSH_AUTH_METHOD_* tried and refused */
    char auth_note[120];        /* why the last method did not do */
    char tail[FN_SESS_TAIL];    /* the last bytes received, for timeouts */
    unsigned tail_len;
    fn_cmd_t cmd;                /* the request in the slot */
    fn_cmd_answer_t prep_answer; /* PREPARE's enable password answer */
    const char *priv_why;        /* static: why privileged commands will fail */
    char warning[200]; /* the first setup command the device refused */
    enum fn_slot slot;
    char reason[512];        /* room for a timeout's quoted last bytes */
    fn_dev_t *reap_next;     /* the engine's reap list */
    fn_session_t *free_next; /* the task's free list */
};

struct fn_engine {
    struct event_base *base;
    int own_base;
    const fn_vendors_t *vendors;
    fn_engine_opts_t opts; /* strings: borrowed copies in optstr */
    char *optstr[8];
    fn_task_t *tasks;       /* linked list of live tasks */
    struct event *pump_ev;  /* admission + reaping, outside callbacks */
    struct evdns_base *dns; /* created on the first host name */
    fn_dev_t *reap;         /* devices whose session is CLOSING */
    char *scratch;          /* read buffer shared by all sessions */
    size_t scratch_len;
    unsigned sessions, sessions_peak, handshakes;
    unsigned live, live_peak; /* fn_session_t allocated from task pools */
    uint64_t sessions_total;
    int in_callback; /* > 0 inside a sink callback */
    int freeing;
};

/* engine.c */
void fn__engine_kick(fn_engine_t *e); /* schedule admission + reaping */
const char *fn__engine_algos(const fn_engine_t *e, int legacy, int which);
struct evdns_base *fn__engine_dns(fn_engine_t *e); /* NULL if none */

/* session.c: the one writer of dev->state */
const char *fn__session_state_name(int st);
void fn__session_init(fn_dev_t *dev, fn_task_t *t, unsigned idx);
/* Gives the device the live session sess (zeroed here), or takes it
 * back: detach keeps a failure reason on the device and returns it. */
void fn__session_attach(fn_dev_t *dev, fn_session_t *sess);
fn_session_t *fn__session_detach(fn_dev_t *dev);
const char *fn__session_reason(const fn_dev_t *dev); /* "" if none */
void fn__session_start(fn_dev_t *dev);               /* IDLE -> CONNECT */
void fn__session_close(fn_dev_t *dev);               /* mark + reap later */
void fn__session_free_resources(fn_dev_t *dev);      /* reaper: -> DONE */
/* Submits a request (copied) in READY; the dispatcher sends it. Returns
 * 0 or FN_ESTATE (not READY, or a request already in the slot). */
int fn__session_submit(fn_dev_t *dev, const fn_cmd_t *req);
/* The request in flight (sent or pending), or NULL. Borrowed. */
const fn_cmd_t *fn__session_cmd(const fn_dev_t *dev);
/* A host's auth= order as AUTH's steps (FN_AUTH_KEY ...), ending with
 * FN_AUTH_EXHAUSTED; order NULL: OpenSSH's. Returns the count or
 * FN_EPARSE (an unknown method name). plan holds at least 6. */
int fn__session_auth_plan(const char *order, unsigned char *plan);
/* What went wrong in PREPARE but left the session usable ("" if none). */
const char *fn__session_warning(const fn_dev_t *dev);
/* Why this session is not privileged (enable failed, or no enable
 * password for a device in user mode), or NULL. Static text. */
const char *fn__session_priv_why(const fn_dev_t *dev);
/* The CLI mode the last prompt showed (enum fn_vendor_mode), or
 * FN_VENDOR_MODE_UNKNOWN without a session. */
int fn__session_mode(const fn_dev_t *dev);
int fn__session_is_active(const fn_dev_t *dev);
void fn__session_backoff(fn_dev_t *dev, unsigned ms); /* DONE -> BACKOFF */
void fn__session_unbackoff(fn_dev_t *dev);            /* BACKOFF -> IDLE */
void fn__session_park(fn_dev_t *dev);                 /* DONE -> IDLE */

/* task.c: called by sessions */
fn_engine_t *fn__task_engine(fn_task_t *t);
const fn_task_spec_t *fn__task_spec(const fn_task_t *t);
const char *fn__task_password(const fn_task_t *t, int enable);
void fn__task_log(fn_task_t *t, const fn_dev_t *dev, int level, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
/* The session reached READY after login: give it work (or close it). */
void fn__task_on_ready(fn_task_t *t, fn_dev_t *dev);
/* The session failed to connect for good, or dropped. err: fn_err code;
 * the session's reason says why. */
void fn__task_on_failure(fn_task_t *t, fn_dev_t *dev, int err, int retryable);
/* Host-key decision: 0 accept, FN_EHOSTKEY refuse (why filled). */
int fn__task_hostkey(fn_task_t *t, fn_dev_t *dev, const char *type,
                     const char *sha256, char *why, size_t whylen);
/* The session's resources were freed by the reaper (state DONE). */
void fn__task_on_closed(fn_task_t *t, fn_dev_t *dev);
/* Admission: next session to start from this task, or NULL. */
fn_dev_t *fn__task_next_idle(fn_task_t *t);
int fn__task_can_start(const fn_task_t *t);
void fn__task_maybe_finish(fn_task_t *t);
int fn__task_finished(const fn_task_t *t);
void fn__task_free(fn_task_t *t);
fn_task_t *fn__task_next(fn_task_t *t);
void fn__task_requeue(fn_task_t *t, fn_dev_t *dev); /* after backoff */
void fn__task_finalize(fn_task_t *t);               /* summary, then free */

#endif /* FN_ENGINE_INT_H */
