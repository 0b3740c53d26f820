/*
 * worker.c — one flexnet-sim worker process: a libevent loop serving a
 * slice of the devices with the libssh server API.
 *
 * Each device has its own listening socket (evconnlistener); each
 * accepted connection becomes a session: TCP_NODELAY, ssh_bind_accept_fd,
 * ssh_handle_key_exchange until SSH_OK (non-blocking, re-called on
 * readable), then one ssh_event per session driven with
 * ssh_event_dopoll(ev, 0) on readable. A shared ssh_event would make
 * every poll O(sessions). Password auth (and public-key auth with
 * --authorized-key), one session channel, pty and
 * shell; the shell's bytes go to cli.c and its output comes back here to
 * be written in --chunk-bytes pieces within the channel window.
 *
 * Faults applied here: refuse (no listener), slowbanner (the SSH banner
 * waits --slowbanner-ms), authfail (every password is wrong); the command
 * line faults (drop, hang, dropidle) live in cli.c.
 *
 * Sessions are never freed inside a libssh callback: callbacks only set
 * flags; session_after_io() acts once ssh_event_dopoll() has returned.
 *
 * Thread: the worker's only thread. Owns: its event_base, ssh_bind,
 * listeners and sessions; borrows the options, vendors and devices.
 */
#include "sim_int.h"

#include "fn_err.h"

#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#define WRITE_BUDGET  (64 * 1024) /* bytes per wakeup per session */
#define WRITE_PACKETS 256         /* channel writes per wakeup */
#define DEFAULT_CHUNK 16384
#define BACKLOG       128
#define LOGIN_GRACE_S 120 /* like sshd LoginGraceTime: no shell by then */

enum sess_state { S_SLOW, S_KEX, S_SSH, S_CLOSING };

typedef struct worker worker_t;

typedef struct sess {
    worker_t *w;
    sim_device_t *dev;
    evutil_socket_t fd;
    int state;      /* enum sess_state */
    int close_how;  /* SIM_CLI_LOGOUT or SIM_CLI_DROP once closing */
    int shell;      /* shell started: cli is live */
    int exec_due;   /* a command line waits for sim_cli_exec */
    int timer_busy; /* the latency timer is pending */
    ssh_session ssh;
    ssh_event sev;
    ssh_channel ch;
    char login[64]; /* user name as sent, for cli.c */
    size_t out_off; /* bytes of cli.out already written */
    uint64_t rng;
    struct ssh_server_callbacks_struct scb;
    struct ssh_channel_callbacks_struct ccb;
    struct event io, timer; /* io: EV_READ, plus EV_WRITE when io_write */
    evutil_socket_t sock;   /* the socket's number, for io */
    int io_on, io_write;    /* io added; with EV_WRITE */
    sim_cli_t cli;
    struct sess *prev, *next;
} sess_t;

struct worker {
    struct event_base *base;
    const sim_opts_t *o;
    ssh_bind bind;
    ssh_key authkey; /* --authorized-key, or NULL */
    sim_device_t *devs;
    unsigned ndev, wid;
    sim_stats_t *stats;
    struct event *sig[3], *tick;
    sess_t *sessions; /* all live sessions, for shutdown */
};

static void session_free(sess_t *s);
static void session_after_io(sess_t *s);
static void on_io(evutil_socket_t fd, short what, void *arg);

/* ---- stats ------------------------------------------------------------- */

static void stats_refresh(worker_t *w)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    w->stats->cpu_us =
        (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
        (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    w->stats->maxrss_kb = (uint64_t)ru.ru_maxrss;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    stats_refresh(arg);
}

/* ---- output ------------------------------------------------------------ */

static int write_pending(const sess_t *s)
{
    return (ssh_get_poll_flags(s->ssh) & SSH_WRITE_PENDING) != 0;
}

/* Writes cli.out within the window and this wakeup's budget. Returns 1
 * when bytes remain that could be written now (come back on writable),
 * 0 when done or blocked on the peer, -1 on a channel error. */
static int write_out(sess_t *s)
{
    fn_buf_t *out = &s->cli.out;
    size_t budget = WRITE_BUDGET;
    size_t chunk = s->w->o->chunk_bytes ? s->w->o->chunk_bytes : DEFAULT_CHUNK;
    for (int pk = 0; s->out_off < out->len; pk++) {
        if (write_pending(s))
            return 0;
        if (pk == WRITE_PACKETS || budget == 0)
            return 1;
        size_t n = out->len - s->out_off;
        uint32_t win = ssh_channel_window_size(s->ch);
        n = n < chunk ? n : chunk;
        n = n < win ? n : win;
        n = n < budget ? n : budget;
        if (n == 0)
            return 0;
        int rc = ssh_channel_write(s->ch, out->data + s->out_off, (uint32_t)n);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return 0;
        s->out_off += (size_t)rc;
        budget -= (size_t)rc;
        s->w->stats->bytes_out += (uint64_t)rc;
    }
    fn_buf_cleanup(out);
    s->out_off = 0;
    return 0;
}

/* One event per socket, never a read and a write event: libssh may close
 * the socket itself (peer's disconnect, EOF) before session_free, and
 * deleting one of two events on a closed fd is an epoll MOD, which fails
 * with EBADF ("[warn] Epoll MOD ... Bad file descriptor"); deleting the
 * only one is a DEL, whose EBADF libevent expects. Changing the write
 * interest re-adds the event (DEL + ADD while the socket is open). */
static void io_set(sess_t *s, int write)
{
    if (s->io_on && s->io_write == write)
        return;
    if (s->io_on)
        event_del(&s->io);
    short what = (short)(EV_READ | EV_PERSIST | (write ? EV_WRITE : 0));
    event_assign(&s->io, s->w->base, s->sock, what, on_io, s);
    event_add(&s->io, NULL);
    s->io_on = 1;
    s->io_write = write;
}

static void want_write(sess_t *s, int more)
{
    io_set(s, more || (s->ssh && write_pending(s)));
}

/* ---- command line ------------------------------------------------------ */

static unsigned latency_ms(sess_t *s)
{
    const sim_opts_t *o = s->w->o;
    if (o->lat_max_ms == 0)
        return 0;
    s->rng = sim_mix64(s->rng);
    return o->lat_min_ms +
           (unsigned)(s->rng % (o->lat_max_ms - o->lat_min_ms + 1));
}

/* Acts on what cli.c asked for. */
static void cli_result(sess_t *s, int ret)
{
    if (ret == SIM_CLI_WAIT_EXEC) {
        unsigned ms = latency_ms(s);
        if (ms == 0) {
            s->exec_due = 1;
        } else if (!s->timer_busy) {
            struct timeval tv = {ms / 1000, (long)(ms % 1000) * 1000};
            s->timer_busy = 1;
            evtimer_add(&s->timer, &tv);
        }
    } else if (ret == SIM_CLI_LOGOUT || ret == SIM_CLI_DROP) {
        s->close_how = ret;
    }
}

static void run_commands(sess_t *s)
{
    while (s->exec_due && !s->close_how) {
        s->exec_due = 0;
        unsigned before = s->cli.commands;
        cli_result(s, sim_cli_exec(&s->cli));
        s->w->stats->commands += s->cli.commands - before;
    }
}

/* ---- libssh callbacks (flags only; no frees) --------------------------- */

static int cb_data(ssh_session ssh, ssh_channel ch, void *data, uint32_t len,
                   int is_stderr, void *arg)
{
    sess_t *s = arg;
    if (s->shell && !s->close_how)
        cli_result(s, sim_cli_feed(&s->cli, data, len));
    return (int)len;
}

static int cb_pty(ssh_session ssh, ssh_channel ch, const char *term, int cols,
                  int rows, int px, int py, void *arg)
{
    return 0;
}

static int cb_winch(ssh_session ssh, ssh_channel ch, int cols, int rows, int px,
                    int py, void *arg)
{
    return 0;
}

static int cb_shell(ssh_session ssh, ssh_channel ch, void *arg)
{
    sess_t *s = arg;
    if (s->shell)
        return -1;
    int fault = s->dev->fault;
    if (fault == SIM_F_DROPIDLE && s->dev->sessions > 1)
        fault = SIM_F_NONE;
    sim_cli_init(&s->cli, s->dev, s->w->o, s->login, fault);
    sim_cli_start(&s->cli);
    s->shell = 1;
    evtimer_del(&s->timer); /* the login grace timer; latency reuses it */
    return 0;
}

static int cb_exec(ssh_session ssh, ssh_channel ch, const char *cmd, void *arg)
{
    return -1; /* devices here only offer an interactive shell */
}

static void cb_eof(ssh_session ssh, ssh_channel ch, void *arg)
{
    sess_t *s = arg;
    if (!s->close_how)
        s->close_how = SIM_CLI_LOGOUT;
}

static ssh_channel cb_channel_open(ssh_session ssh, void *arg)
{
    sess_t *s = arg;
    if (s->ch)
        return NULL;
    s->ch = ssh_channel_new(ssh);
    if (!s->ch)
        return NULL;
    memset(&s->ccb, 0, sizeof(s->ccb));
    s->ccb.userdata = s;
    s->ccb.channel_data_function = cb_data;
    s->ccb.channel_eof_function = cb_eof;
    s->ccb.channel_close_function = cb_eof;
    s->ccb.channel_pty_request_function = cb_pty;
    s->ccb.channel_pty_window_change_function = cb_winch;
    s->ccb.channel_shell_request_function = cb_shell;
    s->ccb.channel_exec_request_function = cb_exec;
    ssh_callbacks_init(&s->ccb);
    ssh_set_channel_callbacks(s->ch, &s->ccb);
    return s->ch;
}

static int user_ok(const sess_t *s, const char *user)
{
    const char *want = s->w->o->user;
    size_t n = strlen(user);
    if (s->dev->vendor->login_suffix_pageoff)
        n = strcspn(user, "+");
    return strlen(want) == n && strncmp(want, user, n) == 0;
}

static int cb_auth_password(ssh_session ssh, const char *user,
                            const char *password, void *arg)
{
    sess_t *s = arg;
    if (s->dev->fault == SIM_F_AUTHFAIL || !user_ok(s, user) ||
        strcmp(password, s->w->o->password) != 0)
        return SSH_AUTH_DENIED;
    snprintf(s->login, sizeof(s->login), "%s", user);
    s->w->stats->auth_ok++;
    return SSH_AUTH_SUCCESS;
}

/* Public-key auth: the --authorized-key for the configured user. libssh
 * asks twice: may this key sign in (STATE_NONE), then with the signature
 * it verified (STATE_VALID). */
static int cb_auth_pubkey(ssh_session ssh, const char *user,
                          struct ssh_key_struct *pubkey, char signature_state,
                          void *arg)
{
    sess_t *s = arg;
    const ssh_key want = s->w->authkey;
    if (!want || s->dev->fault == SIM_F_AUTHFAIL || !user_ok(s, user) ||
        ssh_key_cmp(pubkey, want, SSH_KEY_CMP_PUBLIC) != 0)
        return SSH_AUTH_DENIED;
    if (signature_state == SSH_PUBLICKEY_STATE_NONE)
        return SSH_AUTH_SUCCESS;
    if (signature_state != SSH_PUBLICKEY_STATE_VALID)
        return SSH_AUTH_DENIED;
    snprintf(s->login, sizeof(s->login), "%s", user);
    s->w->stats->auth_ok++;
    return SSH_AUTH_SUCCESS;
}

/* ---- session lifecycle ------------------------------------------------- */

static void kex_step(sess_t *s)
{
    int rc = ssh_handle_key_exchange(s->ssh);
    if (rc == SSH_AGAIN) {
        want_write(s, 0);
        return;
    }
    if (rc != SSH_OK) {
        session_free(s);
        return;
    }
    s->w->stats->handshakes++;
    s->sev = ssh_event_new();
    if (!s->sev || ssh_event_add_session(s->sev, s->ssh) != SSH_OK) {
        session_free(s);
        return;
    }
    s->state = S_SSH;
    session_after_io(s);
}

static int ssh_setup(sess_t *s)
{
    const sim_opts_t *o = s->w->o;
    s->ssh = ssh_new();
    if (!s->ssh)
        return -1;
    if (ssh_bind_accept_fd(s->w->bind, s->ssh, s->fd) != SSH_OK)
        return -1;
    s->fd = -1; /* the session owns the socket now */
    /* libssh's server offers zlib unless told; zlib multiplies memory per
     * session for no gain on small outputs, so only with --compression. */
    const char *z = o->compression ? "zlib@openssh.com,zlib,none" : "none";
    ssh_options_set(s->ssh, SSH_OPTIONS_COMPRESSION_C_S, z);
    ssh_options_set(s->ssh, SSH_OPTIONS_COMPRESSION_S_C, z);
    ssh_set_blocking(s->ssh, 0);
    memset(&s->scb, 0, sizeof(s->scb));
    s->scb.userdata = s;
    s->scb.auth_password_function = cb_auth_password;
    s->scb.auth_pubkey_function = cb_auth_pubkey;
    s->scb.channel_open_request_session_function = cb_channel_open;
    ssh_callbacks_init(&s->scb);
    ssh_set_server_callbacks(s->ssh, &s->scb);
    ssh_set_auth_methods(s->ssh,
                         SSH_AUTH_METHOD_PASSWORD |
                             (s->w->authkey ? SSH_AUTH_METHOD_PUBLICKEY : 0));
    return 0;
}

static void session_start_ssh(sess_t *s)
{
    if (ssh_setup(s) < 0) {
        if (s->fd >= 0)
            evutil_closesocket(s->fd);
        s->fd = -1;
        session_free(s);
        return;
    }
    struct timeval grace = {LOGIN_GRACE_S, 0};
    s->state = S_KEX;
    io_set(s, 0);
    evtimer_add(&s->timer, &grace);
    kex_step(s);
}

/* After every wakeup of an established session: run due commands, write,
 * close when asked, re-arm EV_WRITE. May free s. */
static void session_after_io(sess_t *s)
{
    int st = ssh_get_status(s->ssh);
    if (st & (SSH_CLOSED | SSH_CLOSED_ERROR)) {
        session_free(s);
        return;
    }
    run_commands(s);
    int more = 0;
    if (s->shell && s->ch) {
        more = write_out(s);
        if (more < 0) {
            session_free(s);
            return;
        }
    }
    int flushed = s->cli.out.len == 0 && !write_pending(s);
    if (s->close_how && flushed) {
        if (s->close_how == SIM_CLI_LOGOUT && s->ch &&
            ssh_channel_is_open(s->ch)) {
            ssh_channel_request_send_exit_status(s->ch, 0);
            ssh_channel_send_eof(s->ch);
            ssh_channel_close(s->ch);
            ssh_disconnect(s->ssh);
        }
        session_free(s);
        return;
    }
    want_write(s, more > 0);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    sess_t *s = arg;
    if (s->state == S_KEX) {
        kex_step(s);
        return;
    }
    if (ssh_event_dopoll(s->sev, 0) == SSH_ERROR) {
        session_free(s);
        return;
    }
    session_after_io(s);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    sess_t *s = arg;
    if (s->state == S_SLOW) {
        session_start_ssh(s);
        return;
    }
    if (!s->shell) { /* login grace over: a half-open client or a probe */
        session_free(s);
        return;
    }
    s->timer_busy = 0;
    s->exec_due = 1;
    session_after_io(s);
}

static void session_free(sess_t *s)
{
    worker_t *w = s->w;
    if (s->io_on)
        event_del(&s->io);
    event_del(&s->timer);
    if (s->sev) {
        ssh_event_remove_session(s->sev, s->ssh);
        ssh_event_free(s->sev);
    }
    if (s->ssh)
        ssh_free(s->ssh); /* frees the channel, closes the socket */
    if (s->fd >= 0)
        evutil_closesocket(s->fd);
    if (s->shell)
        sim_cli_cleanup(&s->cli);
    if (s->prev)
        s->prev->next = s->next;
    else
        w->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    w->stats->active--;
    fn_memwipe(s->login, sizeof(s->login));
    free(s);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
    sim_device_t *dev = arg;
    worker_t *w = dev->owner;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sess_t *s = calloc(1, sizeof(*s));
    if (!s) {
        evutil_closesocket(fd);
        return;
    }
    s->w = w;
    s->dev = dev;
    s->fd = fd;
    s->rng = sim_mix64(w->o->seed ^ ((uint64_t)dev->idx << 24) ^ dev->sessions);
    s->sock = fd;
    evtimer_assign(&s->timer, w->base, on_timer, s);
    s->next = w->sessions;
    if (s->next)
        s->next->prev = s;
    w->sessions = s;
    w->stats->sessions++;
    w->stats->active++;
    dev->sessions++;
    if (dev->fault == SIM_F_SLOWBANNER) {
        unsigned ms = w->o->slowbanner_ms;
        struct timeval tv = {ms / 1000, (long)(ms % 1000) * 1000};
        s->state = S_SLOW;
        evtimer_add(&s->timer, &tv);
        return;
    }
    session_start_ssh(s);
}

/* accept() failed (EMFILE…): pause this listener for 100 ms instead of
 * spinning on a socket that stays readable. */
static void on_listen_resume(evutil_socket_t fd, short what, void *arg)
{
    evconnlistener_enable(arg);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    sim_device_t *dev = arg;
    worker_t *w = dev->owner;
    struct timeval tv = {0, 100000};
    int err = EVUTIL_SOCKET_ERROR();
    fprintf(stderr, "flexnet-sim: worker %u: accept on port %u: %s\n", w->wid,
            w->o->base_port + dev->idx, evutil_socket_error_to_string(err));
    evconnlistener_disable(l);
    event_base_once(w->base, -1, EV_TIMEOUT, on_listen_resume, l, &tv);
}

/* ---- worker setup ------------------------------------------------------ */

static int bind_setup(worker_t *w, const char *hostkey_b64, char *err,
                      size_t errlen)
{
    ssh_key key = NULL;
    bool no = false;
    w->bind = ssh_bind_new();
    if (!w->bind) {
        snprintf(err, errlen, "ssh_bind_new failed");
        return -1;
    }
    ssh_bind_options_set(w->bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no);
    if (ssh_pki_import_privkey_base64(hostkey_b64, NULL, NULL, NULL, &key) !=
            SSH_OK ||
        ssh_bind_options_set(w->bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) !=
            SSH_OK) {
        ssh_key_free(key);
        snprintf(err, errlen, "cannot load the host key");
        return -1;
    }
    if (w->o->authorized_key &&
        ssh_pki_import_pubkey_file(w->o->authorized_key, &w->authkey) !=
            SSH_OK) {
        snprintf(err, errlen, "--authorized-key %s: cannot read it",
                 w->o->authorized_key);
        return -1;
    }
    if (w->o->legacy_algos &&
        (ssh_bind_options_set(w->bind, SSH_BIND_OPTIONS_KEY_EXCHANGE,
                              "diffie-hellman-group14-sha1") != SSH_OK ||
         ssh_bind_options_set(w->bind, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS,
                              "ssh-rsa") != SSH_OK)) {
        snprintf(err, errlen, "cannot restrict to legacy algorithms: %s",
                 ssh_get_error(w->bind));
        return -1;
    }
    return 0;
}

static int listen_one(worker_t *w, sim_device_t *dev, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int sslen = (int)sizeof(ss);
    unsigned port = w->o->base_port + dev->idx;
    char addr[96];
    if (strchr(w->o->listen, ':'))
        snprintf(addr, sizeof(addr), "[%s]:%u", w->o->listen, port);
    else
        snprintf(addr, sizeof(addr), "%s:%u", w->o->listen, port);
    memset(&ss, 0, sizeof(ss));
    if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) < 0) {
        snprintf(err, errlen, "bad --listen address '%s'", w->o->listen);
        return -1;
    }
    dev->owner = w;
    struct evconnlistener *l = evconnlistener_new_bind(
        w->base, on_accept, dev, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
        BACKLOG, (struct sockaddr *)&ss, sslen);
    if (!l) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        return -1;
    }
    evconnlistener_set_error_cb(l, on_accept_error);
    dev->listener = l;
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    worker_t *w = arg;
    if (sig != SIGUSR1) {
        event_base_loopbreak(w->base);
        return;
    }
    stats_refresh(w);
    const sim_stats_t *st = w->stats;
    fprintf(stderr,
            "flexnet-sim: stats worker=%u sessions=%llu handshakes=%llu "
            "commands=%llu bytes_out=%llu active=%llu cpu_s=%.3f "
            "peak_rss_kb=%llu\n",
            w->wid, (unsigned long long)st->sessions,
            (unsigned long long)st->handshakes,
            (unsigned long long)st->commands, (unsigned long long)st->bytes_out,
            (unsigned long long)st->active, (double)st->cpu_us / 1e6,
            (unsigned long long)st->maxrss_kb);
}

static int loop_setup(worker_t *w)
{
    static const int sigs[3] = {SIGTERM, SIGINT, SIGUSR1};
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < 3; i++) {
        w->sig[i] = evsignal_new(w->base, sigs[i], on_signal, w);
        if (!w->sig[i] || evsignal_add(w->sig[i], NULL) < 0)
            return -1;
        sigaddset(&set, sigs[i]);
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    struct timeval sec = {1, 0};
    w->tick = event_new(w->base, -1, EV_PERSIST, on_tick, w);
    if (!w->tick || event_add(w->tick, &sec) < 0)
        return -1;
    return 0;
}

static int worker_setup(worker_t *w, const char *hostkey_b64, char *err,
                        size_t errlen)
{
    w->base = event_base_new();
    if (!w->base || loop_setup(w) < 0) {
        snprintf(err, errlen, "libevent setup failed");
        return -1;
    }
    if (bind_setup(w, hostkey_b64, err, errlen) < 0)
        return -1;
    for (unsigned i = 0; i < w->ndev; i++) {
        if (w->devs[i].fault == SIM_F_REFUSE)
            continue;
        if (listen_one(w, &w->devs[i], err, errlen) < 0)
            return -1;
    }
    return 0;
}

static void worker_cleanup(worker_t *w)
{
    while (w->sessions)
        session_free(w->sessions);
    for (unsigned i = 0; i < w->ndev; i++) {
        if (w->devs[i].listener)
            evconnlistener_free(w->devs[i].listener);
        w->devs[i].listener = NULL;
    }
    for (int i = 0; i < 3; i++)
        if (w->sig[i])
            event_free(w->sig[i]);
    if (w->tick)
        event_free(w->tick);
    if (w->bind)
        ssh_bind_free(w->bind);
    ssh_key_free(w->authkey);
    if (w->base)
        event_base_free(w->base);
    stats_refresh(w);
}

int sim_worker_run(const sim_opts_t *o, sim_device_t *devs, unsigned count,
                   const char *hostkey_b64, int ready_fd, sim_stats_t *stats,
                   unsigned wid)
{
    worker_t w = {
        .o = o, .devs = devs, .ndev = count, .wid = wid, .stats = stats};
    char msg[300];
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    ssh_init();
    int rc = worker_setup(&w, hostkey_b64, msg, sizeof(msg));
    if (rc == 0)
        snprintf(msg, sizeof(msg), "ok\n");
    else
        snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "\n");
    if (write(ready_fd, msg, strlen(msg)) < 0)
        rc = -1;
    close(ready_fd);
    if (rc == 0)
        event_base_dispatch(w.base);
    worker_cleanup(&w);
    ssh_finalize();
    return rc == 0 ? 0 : 2;
}
