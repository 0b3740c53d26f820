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

/* Device outcome, for the summary. */
enum dev_conn { DEV_PENDING, DEV_CONNECTED, DEV_FAILED, DEV_SKIPPED };

/* An internal (unreported) command of PREPARE / config steps. */
enum sess_job {
    JOB_NONE,
    JOB_USER,        /* a task command: reported */
    JOB_ENABLE,      /* "enable": expects a password prompt */
    JOB_ENABLE_PASS, /* the enable password: not echoed, never logged */
    JOB_SETUP,       /* vendor setup (paging off) */
    JOB_CONFIG_ENTER,
    JOB_CONFIG_LEAVE,
};

/* What the reaper does after freeing a session's resources. */
enum sess_action {
    ACT_FINISH,       /* device done */
    ACT_RETRY,        /* connect/handshake retry after backoff */
    ACT_RECONNECT,    /* dropped after login: connect again, continue */
    ACT_FAIL_CONNECT, /* gave up connecting: report the row */
    ACT_PARK,         /* connect-first: reported, reconnect in phase 2 */
};

typedef struct fn_dev fn_dev_t;
typedef struct fn_session fn_session_t;

/* One target device, kept for the whole task (its step progress survives
 * reconnects): small, since a task holds one per host. Its connection
 * lives in `live` only while connecting, connected or waiting to retry. */
struct fn_dev {
    fn_task_t *task;       /* borrowed: owns us */
    const fn_host_t *host; /* borrowed from the inventory */
    const fn_vendor_t *vendor;
    fn_session_t *live;   /* borrowed from the task's pool, or NULL */
    char *reason;         /* owned: last failure, kept once live is gone */
    int *step_codes;      /* owned: per step exit code, -2 if skipped */
    int64_t t_first_us;   /* mono: first connect attempt */
    fn_dev_t *retry_next; /* the task's requeue list */
    unsigned idx;         /* index in the task's device array */
    int state;            /* enum fn_session_state */
    /* connection bookkeeping */
    unsigned tries; /* connect attempts in this (re)connect */
    unsigned reconnects;
    int conn;     /* enum dev_conn */
    int reported; /* connection row sent */
    int parked;   /* connect-first: closed after report */
    /* task progress (survives reconnects) */
    unsigned step, seq; /* next command */
    unsigned setup_i;   /* next vendor setup command */
    int in_config;      /* config mode entered in this session */
    int config_sent;    /* a config line went out, maybe applied */
    int any_fail;       /* some result 1 / -1 / -3 */
    int stopped;        /* exit_on_fail or lost: no more steps */
    int finished;       /* counted as done */
    int action;         /* enum sess_action, set before a close */
    int last_err;       /* fn_err code of the last failure */
    int cfg_phase;      /* CONFIG step: 0 enter 1 lines 2 commit 3 leave */
};

/* A live connection: at most `concurrency` per task, recycled through the
 * task's free list. Events carry the device as their argument. */
struct fn_session {
    int fd; /* -1 when none; owned until ssh owns it */
    struct evdns_getaddrinfo_request *dns_req; /* resolving, or NULL */
    ssh_session ssh;            /* owned; frees fd too once set */
    ssh_channel ch;             /* owned */
    fn_matcher_t *m;            /* owned */
    struct event rev, wev, tev; /* read (persistent), write, timer */
    struct event mev;           /* more to read: a 0 s timer, see session.c */
    int evs_added;              /* rev/wev assigned to fd */
    int tev_set;                /* tev, mev assigned (zeroed ones are not) */
    int wev_on;
    int in_handshake; /* counted in engine->handshakes */
    int counted;      /* counted in engine->sessions */
    fn_buf_t wq;      /* pending channel bytes */
    size_t wq_off;
    char *password; /* owned copy for env-resolved passwords */
    int job;        /* enum sess_job of the command in flight */
    int64_t cmd_wall_us, cmd_mono_us;
    const char *cmd_text; /* borrowed from the task's copy */
    char reason[256];
    fn_dev_t *reap_next;     /* the engine's reap list */
    fn_session_t *free_next; /* the task's free list */
};

struct fn_engine {
    struct event_base *base;
    int own_base;
    const fn_vendors_t *vendors;
    fn_engine_opts_t opts; /* strings: borrowed copies in optstr */
    char *optstr[7];
    fn_task_t *tasks;       /* linked list of live tasks */
    struct event *pump_ev;  /* admission + reaping, outside callbacks */
    struct evdns_base *dns; /* created on the first host name */
    fn_dev_t *reap;         /* sessions marked CLOSING */
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

/* session.c */
const char *fn__session_state_name(int st);
void fn__session_init(fn_dev_t *s, fn_task_t *t, unsigned idx);
/* Gives the device the live session lv (zeroed here), or takes it back:
 * detach keeps a failure reason on the device and returns the session. */
void fn__session_attach(fn_dev_t *s, fn_session_t *lv);
fn_session_t *fn__session_detach(fn_dev_t *s);
const char *fn__session_reason(const fn_dev_t *s); /* "" if none */
void fn__session_start(fn_dev_t *s);               /* IDLE -> CONNECT */
void fn__session_close(fn_dev_t *s);               /* mark + reap later */
void fn__session_free_resources(fn_dev_t *s);      /* reaper only */
int fn__session_send(fn_dev_t *s, const char *cmd, int job);
int fn__session_is_active(const fn_dev_t *s);
void fn__session_backoff(fn_dev_t *s, unsigned ms); /* then requeue */
void fn__session_unbackoff(fn_dev_t *s);            /* -> IDLE */

/* task.c — called by sessions */
fn_engine_t *fn__task_engine(fn_task_t *t);
const fn_task_spec_t *fn__task_spec(const fn_task_t *t);
const char *fn__task_password(const fn_task_t *t, int enable);
void fn__task_log(fn_task_t *t, const fn_dev_t *s, int level, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
/* The session reached READY: give it work (or close it). */
void fn__task_on_ready(fn_task_t *t, fn_dev_t *s);
/* A user command finished (exit code, matcher result or NULL). */
void fn__task_on_result(fn_task_t *t, fn_dev_t *s, int exit_code,
                        const fn_match_result_t *r, const char *reason);
/* The session failed to connect for good, or dropped. err: fn_err code. */
void fn__task_on_failure(fn_task_t *t, fn_dev_t *s, int err, int retryable);
/* Host-key decision: 0 accept, FN_EHOSTKEY refuse (reason filled). */
int fn__task_hostkey(fn_task_t *t, fn_dev_t *s, const char *type,
                     const char *sha256);
/* The session's resources were freed by the reaper. */
void fn__task_on_closed(fn_task_t *t, fn_dev_t *s);
/* Admission: next session to start from this task, or NULL. */
fn_dev_t *fn__task_next_idle(fn_task_t *t);
int fn__task_can_start(const fn_task_t *t);
void fn__task_maybe_finish(fn_task_t *t);
int fn__task_finished(const fn_task_t *t);
void fn__task_free(fn_task_t *t);
fn_task_t *fn__task_next(fn_task_t *t);
void fn__task_requeue(fn_task_t *t, fn_dev_t *s); /* after backoff */
void fn__task_finalize(fn_task_t *t);             /* summary, then free */

#endif /* FN_ENGINE_INT_H */
