/*
 * sim_int.h — flexnet-sim's internal types, shared by its files.
 *
 * flexnet-sim is one program, not a library: this header is the contract
 * between main.c (options, worker processes), worker.c (libevent + libssh
 * server), cli.c (a device's command line, pure: no I/O), transcript.c
 * (vendor data files under sim/vendors/) and faults.c (fault plan).
 *
 * Threads: none. Each worker process is single-threaded; everything here
 * is owned by the process that built it (the parent loads transcripts and
 * the fault plan before fork, workers inherit copies).
 *
 * Ownership: a sim_vendor_t owns all its strings; a sim_cli_t borrows its
 * vendor and device and owns its buffers.
 */
#ifndef FN_SIM_INT_H
#define FN_SIM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fn_buf.h"

#define SIM_MAX_MODES 12
#define SIM_MAX_WORDS 12
#define SIM_LINE_MAX  1024 /* longest command line kept; more is dropped */
#define SIM_IN_MAX    8192 /* type-ahead cap per session */

/* ---- transcripts (transcript.c) ---------------------------------------- */

enum sim_word_kind { SIM_W_KEY, SIM_W_NUM, SIM_W_WORD, SIM_W_REST };

/* What a matched command does. X(name, keyword in the data files). */
#define SIM_ACTION_MAP(X)                                                      \
    X(SIM_A_OK, "ok")           /* print msg, if any */                        \
    X(SIM_A_TEXT, "text")       /* print text block NAME */                    \
    X(SIM_A_RUNNING, "running") /* text block NAME with {config} */            \
    X(SIM_A_MODE, "mode")       /* switch to mode NAME */                      \
    X(SIM_A_ENABLE, "enable")   /* ask password, then mode NAME */             \
    X(SIM_A_SUBMODE, "submode") /* record line, enter mode NAME */             \
    X(SIM_A_SET, "set")         /* record line in the running config */        \
    X(SIM_A_PAGEOFF, "pageoff") /* paging off */                               \
    X(SIM_A_PAGELEN, "pagelen") /* paging from the <num> (0: off) */           \
    X(SIM_A_LOGOUT, "logout")   /* close the session */                        \
    X(SIM_A_COMMIT, "commit")   /* candidate -> running, then mode NAME|- */   \
    X(SIM_A_DISCARD, "discard") /* drop the candidate, then mode NAME|- */     \
    X(SIM_A_LEAVE, "leave")     /* mode NAME; ask first if uncommitted */      \
    X(SIM_A_CANDIDATE, "candidate") /* print the candidate's lines */          \
    X(SIM_A_SESSION, "session")     /* named config session <word>, mode NAME */

enum sim_action {
#define SIM__A_ENUM(name, kw) name,
    SIM_ACTION_MAP(SIM__A_ENUM)
#undef SIM__A_ENUM
        SIM_A_COUNT
};

/* Error answers. X(name, keyword in the data files). */
#define SIM_ERR_MAP(X)                                                         \
    X(SIM_E_INVALID, "invalid")       /* unknown token after the first */      \
    X(SIM_E_UNKNOWN, "unknown")       /* unknown first token */                \
    X(SIM_E_EXTRA, "extra")           /* token after a complete command */     \
    X(SIM_E_INCOMPLETE, "incomplete") /* command needs more tokens */          \
    X(SIM_E_AMBIGUOUS, "ambiguous")   /* prefix of several keywords */         \
    X(SIM_E_BADPASS, "badpass")       /* wrong enable password */              \
    X(SIM_E_WORD, "word") /* a lone unknown word (IOS: a host name) */

enum sim_err_kind {
#define SIM__E_ENUM(name, kw) name,
    SIM_ERR_MAP(SIM__E_ENUM)
#undef SIM__E_ENUM
        SIM_E_COUNT
};

typedef struct sim_word {
    int kind;   /* enum sim_word_kind */
    char *text; /* keyword (SIM_W_KEY), else NULL */
} sim_word_t;

typedef struct sim_rule {
    unsigned modes; /* bit i: allowed in mode i */
    int nwords;
    sim_word_t words[SIM_MAX_WORDS];
    int action; /* enum sim_action */
    int target; /* mode index for MODE/ENABLE/SUBMODE, else -1 */
    int text;   /* text block index for TEXT/RUNNING, else -1 */
    char *msg;  /* printed before the action's output; may be NULL */
    int line;   /* line in the data file, for messages */
} sim_rule_t;

typedef struct sim_mode {
    char *name;
    char *prompt; /* template: {host} {user} {arg} */
    char *indent; /* prefix of lines recorded in this mode ("" if none) */
} sim_mode_t;

typedef struct sim_text {
    char *name;
    char *body; /* '\n' line ends; expanded and sent with "\r\n" */
} sim_text_t;

/* What an answer to the "uncommitted changes" question does. */
#define SIM_ANSWER_MAP(X)                                                      \
    X(SIM_ANS_STAY, "stay")       /* stay in configuration mode */             \
    X(SIM_ANS_KEEP, "keep")       /* leave, the candidate stays pending */     \
    X(SIM_ANS_COMMIT, "commit")   /* commit, then leave */                     \
    X(SIM_ANS_DISCARD, "discard") /* drop the candidate, then leave */

enum sim_answer {
#define SIM__ANS_ENUM(name, kw) name,
    SIM_ANSWER_MAP(SIM__ANS_ENUM)
#undef SIM__ANS_ENUM
        SIM_ANS_COUNT
};

/* Where a vendor keeps uncommitted configuration lines. */
enum sim_cand_scope {
    SIM_CAND_NONE,    /* lines apply as typed (IOS, NX-OS, VRP, RouterOS) */
    SIM_CAND_SESSION, /* per session, lost with it (IOS-XR, EOS session) */
    SIM_CAND_DEVICE,  /* one shared candidate per device (Junos) */
};

/* An error message that replaces the default one in some modes. */
typedef struct sim_err_over {
    int kind; /* enum sim_err_kind */
    int caret;
    unsigned modes;
    char *msg;
} sim_err_over_t;

#define SIM_MAX_ERR_OVER 8

typedef struct sim_vendor {
    char *name;
    sim_mode_t modes[SIM_MAX_MODES];
    int nmodes;
    int start_mode;
    char *pager;                     /* NULL: vendor never pages */
    char *pager_erase;               /* sent after a pager key; may be NULL */
    int page_lines;                  /* lines per page while paging is on */
    int login_suffix_pageoff;        /* "user+flags" login turns paging off */
    char *err[SIM_E_COUNT];          /* message templates; NULL: fall back */
    int caret[SIM_E_COUNT];          /* print a '^' marker line first */
    unsigned err_modes[SIM_E_COUNT]; /* modes where it applies (bits) */
    sim_rule_t *rules;
    int nrules;
    sim_text_t *texts;
    int ntexts;
    char **gen; /* template lines of one generated config stanza */
    int ngen;
    sim_err_over_t err_over[SIM_MAX_ERR_OVER];
    int nerr_over;
    int cand_scope;        /* enum sim_cand_scope */
    unsigned cand_modes;   /* modes whose lines go to the candidate */
    char *ask;             /* uncommitted-changes question; NULL: none */
    int ask_ans[3];        /* enum sim_answer for yes, no, anything else */
    char *commit_fail;     /* a candidate holding this fails its commit */
    char *commit_fail_msg; /* ... with this message */
} sim_vendor_t;

/* Loads sim/vendors/<name>.conf from dir. On error returns NULL and writes
 * "file:line: why" into err (errlen bytes). Owned: sim_vendor_free(). */
sim_vendor_t *sim_vendor_load(const char *dir, const char *name, char *err,
                              size_t errlen);
void sim_vendor_free(sim_vendor_t *v);
int sim_vendor_mode(const sim_vendor_t *v, const char *name);

/* Names of the seven vendors, in `mix` order (device i: i % 7). */
extern const char *const sim_vendor_names[];
#define SIM_NVENDORS 7

/* ---- faults (faults.c) ------------------------------------------------- */

#define SIM_FAULT_MAP(X)                                                       \
    X(SIM_F_NONE, "none")                                                      \
    X(SIM_F_AUTHFAIL, "authfail")                                              \
    X(SIM_F_REFUSE, "refuse")                                                  \
    X(SIM_F_DROP, "drop")                                                      \
    X(SIM_F_HANG, "hang")                                                      \
    X(SIM_F_SLOWBANNER, "slowbanner")                                          \
    X(SIM_F_DROPIDLE, "dropidle")

enum sim_fault {
#define SIM__F_ENUM(name, kw) name,
    SIM_FAULT_MAP(SIM__F_ENUM)
#undef SIM__F_ENUM
        SIM_F_COUNT
};

typedef struct sim_faults {
    uint32_t ppm[SIM_F_COUNT]; /* share of devices, parts per million */
} sim_faults_t;

/* Parses "authfail=5%,drop=0.5%". Returns 0 or FN_EPARSE (why in err). */
int sim_faults_parse(sim_faults_t *f, const char *spec, char *err,
                     size_t errlen);
/* The fault of device idx: a pure function of (plan, seed, idx). */
int sim_fault_of(const sim_faults_t *f, uint64_t seed, unsigned idx);
const char *sim_fault_name(int fault);

/* ---- devices and the command line (cli.c) ------------------------------ */

uint64_t sim_mix64(uint64_t x); /* splitmix64 finaliser */

typedef struct sim_opts sim_opts_t; /* main.c; read-only after parsing */

typedef struct sim_device {
    unsigned idx; /* device index: port = base + idx */
    int fault;    /* enum sim_fault */
    const sim_vendor_t *vendor;
    char host[48];     /* "<vendor>-<idx>" */
    unsigned sessions; /* sessions accepted so far */
    fn_buf_t added;    /* config lines recorded in config mode, '\n' ends */
    fn_buf_t cand;     /* SIM_CAND_DEVICE: lines not committed yet */
    void *listener;    /* worker.c's evconnlistener; NULL if refused */
    void *owner;       /* worker.c's worker, set when it listens */
} sim_device_t;

enum sim_cli_state {
    SIM_CLI_IDLE,     /* reading a command line */
    SIM_CLI_EXEC,     /* a line is complete; waiting for sim_cli_exec */
    SIM_CLI_PASSWORD, /* reading a password, no echo */
    SIM_CLI_PAGER,    /* output paused at the pager */
    SIM_CLI_ASK,      /* reading the answer to v->ask, echoed */
    SIM_CLI_HUNG,     /* fault: never answers again */
    SIM_CLI_CLOSED,   /* logged out or dropped; flush and close */
};

/* What the worker must do after feeding or executing. */
enum sim_cli_ret {
    SIM_CLI_CONTINUE = 0,
    SIM_CLI_WAIT_EXEC = 1, /* call sim_cli_exec (after any latency) */
    SIM_CLI_LOGOUT = 2,    /* flush out, close the channel cleanly */
    SIM_CLI_DROP = 3,      /* flush out, then cut the TCP connection */
};

typedef struct sim_cli {
    const sim_vendor_t *v; /* borrowed */
    sim_device_t *dev;     /* borrowed; config additions go there */
    const sim_opts_t *opts;
    int fault;      /* this session's fault (dropidle: first session) */
    int state;      /* enum sim_cli_state */
    int mode;       /* index into v->modes */
    int page_lines; /* 0: paging off */
    int last_cr;    /* last byte was '\r': swallow a following '\n' */
    int shown;      /* output commands run so far */
    int enable_to;  /* mode to enter once the password is right */
    char user[64];
    char arg[64];      /* {arg} of a submode prompt */
    char sess[32];     /* {sess}: the named config session */
    unsigned sessions; /* config sessions opened without a name */
    int ask_to;        /* mode to enter once the question is answered */
    fn_buf_t cand;     /* SIM_CAND_SESSION: lines not committed yet */
    char line[SIM_LINE_MAX];
    size_t linelen;
    fn_buf_t in;   /* type-ahead, capped at SIM_IN_MAX */
    fn_buf_t out;  /* bytes for the worker to send */
    fn_buf_t body; /* output held back by the pager */
    size_t body_off;
    unsigned commands; /* commands executed, for stats */
} sim_cli_t;

void sim_cli_init(sim_cli_t *c, sim_device_t *dev, const sim_opts_t *o,
                  const char *user, int fault);
void sim_cli_cleanup(sim_cli_t *c);
/* Shell started: banner and first prompt into c->out. */
void sim_cli_start(sim_cli_t *c);
/* Bytes typed by the client. Returns enum sim_cli_ret. */
int sim_cli_feed(sim_cli_t *c, const void *data, size_t len);
/* Runs the pending command line, then keeps reading type-ahead. */
int sim_cli_exec(sim_cli_t *c);

/* Renders the running-config body (generated lines + additions). */
void sim_config_render(fn_buf_t *out, const sim_device_t *d, uint64_t seed,
                       unsigned lines);

/* ---- options (main.c) -------------------------------------------------- */

struct sim_opts {
    unsigned devices;
    unsigned workers;
    const char *listen;
    unsigned base_port;
    const char *vendor; /* name or "mix" */
    const char *user, *password, *enable_password;
    const char *inventory_out, *faults_out, *hostkey, *data_dir;
    const char *authorized_key; /* public key file accepted for user */
    const char *faults_spec;
    unsigned chunk_bytes; /* 0: as large as the window allows */
    unsigned lat_min_ms, lat_max_ms;
    unsigned config_lines;
    unsigned slowbanner_ms;
    uint64_t seed;
    int legacy_algos, compression;
    sim_faults_t faults;
};

/* The simulator's defaults, the one copy: main.c starts from them before
 * parsing the command line, and the engine tests' oracle computes the
 * transcripts a default flexnet-sim prints. data_dir is left NULL (the
 * binary's is compiled in). */
static inline void sim_opts_defaults(sim_opts_t *o)
{
    *o = (sim_opts_t){.listen = "127.0.0.1",
                      .base_port = 10000,
                      .vendor = "mix",
                      .user = "admin",
                      .password = "admin",
                      .enable_password = "enable",
                      .config_lines = 100,
                      .slowbanner_ms = 3000,
                      .seed = 1};
}

/* Stats one worker keeps in memory shared with the parent. */
typedef struct sim_stats {
    uint64_t sessions, handshakes, auth_ok, commands, bytes_out, active;
    uint64_t cpu_us, maxrss_kb;
} sim_stats_t;

/* Runs one worker over devs[0 .. count): listens, reports readiness on
 * ready_fd ("ok\n" or a one-line reason), serves until SIGTERM/SIGINT.
 * hostkey_b64 is the private key every device presents (borrowed).
 * Returns the exit status for the worker process (0, or 2 on setup). */
int sim_worker_run(const sim_opts_t *o, sim_device_t *devs, unsigned count,
                   const char *hostkey_b64, int ready_fd, sim_stats_t *stats,
                   unsigned wid);

#endif /* FN_SIM_INT_H */
