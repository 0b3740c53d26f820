/*
 * session.c — drives one device's SSH session from CONNECT to READY and
 * runs the commands the task hands it, on the reactor thread.
 *
 * Owns, in the live session (fn_session_t) the task lends the device
 * while it connects or runs: the socket (until libssh owns it), the
 * libssh session and channel, the matcher, four embedded events (read,
 * write, timer, and "read more" for capped reads) and the write queue.
 * Borrows: the device record, task, host, vendor profile, engine.
 * Does not: decide what to run next, retry policy, reporting: the task
 * (task.c) does. Never touches LMDB or gRPC. Never frees itself inside
 * its own callback stack: fn__session_close marks CLOSING and the
 * engine's reaper frees the resources later.
 *
 * Phases that wait own a timer: connect+handshake (connect_timeout),
 * auth+prompt+prepare (auth_timeout), each command (command timeout).
 */
#include "engine_int.h"

#include "fn_err.h"
#include "fn_log.h"
#include "fn_str.h"
#include "fn_time.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SESS_MAX_STEPS_PER_EVENT 16 /* state advances per wakeup */
#define SESS_PTY_COLS            511
#define SESS_PTY_ROWS            24
/* A question nobody answers ends the command after this much silence:
 * long enough for a slow line, far shorter than a command timeout. */
#define FN_SESS_QUESTION_MS 1000

static const char *const state_names[] = {
#define FN__ST_NAME(name) #name,
    FN_SESSION_STATES(FN__ST_NAME)
#undef FN__ST_NAME
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == FN_SS_COUNT,
               "state names");

const char *fn__session_state_name(int st)
{
    return st >= 0 && st < FN_SS_COUNT ? state_names[st] : "?";
}

/* ------------------------------------------------------------------ */
/* helpers */

static fn_engine_t *sess_engine(const fn_dev_t *dev)
{
    return fn__task_engine(dev->task);
}

static void sess_reason(fn_dev_t *dev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sess_reason(fn_dev_t *dev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dev->sess->reason, sizeof(dev->sess->reason), fmt, ap);
    va_end(ap);
}

static void sess_timer(fn_dev_t *dev, unsigned ms)
{
    struct timeval tv = {ms / 1000, (long)(ms % 1000) * 1000};
    evtimer_add(&dev->sess->tev, &tv);
}

/* Only a timer that was assigned may be deleted: libevent warns about
 * (and rejects) an event without a base. */
static void sess_timer_stop(fn_dev_t *dev)
{
    if (dev->sess->tev_set)
        evtimer_del(&dev->sess->tev);
}

/* Reads were capped with data left: come back in the NEXT loop iteration
 * (a 0 s timer). event_active would run us again in this same pass, so
 * a session whose device outpaces the engine (a loaded or slow engine)
 * would loop forever in one pass: no timer (command timeouts) and no
 * other session would ever get a turn. */
static void sess_read_later(fn_dev_t *dev)
{
    static const struct timeval now = {0, 0};
    if (dev->sess->tev_set)
        evtimer_add(&dev->sess->mev, &now);
}

static void sess_read_later_stop(fn_dev_t *dev)
{
    if (dev->sess->tev_set)
        evtimer_del(&dev->sess->mev);
}

static void sess_handshake(fn_dev_t *dev, int on)
{
    fn_engine_t *e = sess_engine(dev);
    if (on == dev->sess->in_handshake)
        return;
    dev->sess->in_handshake = on;
    if (on) {
        e->handshakes++;
    } else {
        e->handshakes--;
        fn__engine_kick(e); /* a handshake slot is free */
    }
}

/* What entering a state does (curl's mstate() hooks), as data: which
 * timer the waiting state owns, and whether the handshake slot frees. */
enum enter_timer {
    ENTER_KEEP,    /* leave the timer as it is */
    ENTER_STOP,    /* no wait in this state */
    ENTER_CONNECT, /* connect_timeout: TCP + SSH handshake + host key */
    ENTER_AUTH,    /* auth_timeout: auth, channel, pty, shell, prepare */
    ENTER_LOGIN,   /* login_timeout: banners until the first prompt */
    ENTER_BACKOFF, /* the session's backoff_ms */
};

static const struct {
    enum enter_timer timer;
    int handshake_done; /* frees a handshake slot (engine admission) */
} on_enter[FN_SS_COUNT] = {
    [FN_SS_IDLE] = {ENTER_KEEP, 0},       [FN_SS_CONNECT] = {ENTER_CONNECT, 0},
    [FN_SS_KEX] = {ENTER_KEEP, 0},        [FN_SS_HOSTKEY] = {ENTER_KEEP, 0},
    [FN_SS_AUTH] = {ENTER_AUTH, 0},       [FN_SS_CHANNEL] = {ENTER_KEEP, 1},
    [FN_SS_PTY] = {ENTER_KEEP, 0},        [FN_SS_SHELL] = {ENTER_KEEP, 0},
    [FN_SS_PROMPT] = {ENTER_LOGIN, 0},    [FN_SS_PREPARE] = {ENTER_AUTH, 0},
    [FN_SS_READY] = {ENTER_STOP, 0},      [FN_SS_RUNNING] = {ENTER_KEEP, 0},
    [FN_SS_BACKOFF] = {ENTER_BACKOFF, 0}, [FN_SS_CLOSING] = {ENTER_STOP, 0},
    [FN_SS_DONE] = {ENTER_KEEP, 0},
};

/* The only writer of dev->state: logs old -> new, then runs the new
 * state's on-enter action. IDLE and DONE may have no live session. */
static void session_set_state(fn_dev_t *dev, enum fn_session_state st)
{
    if (fn_log_enabled(FN_LOG_DEBUG, FN_LOGC_SESSION)) {
        fn_log_ctx_t ctx = {fn_task_id(dev->task), fn_host_name(dev->host),
                            FN_LOGC_SESSION};
        fn_log(FN_LOG_DEBUG, &ctx, "%s -> %s", state_names[dev->state],
               state_names[st]);
    }
    dev->state = st; /* the one write: scripts/lint checks */
    if (!dev->sess)
        return;
    dev->sess->settle = FN_SETTLE_NONE; /* it belongs to the state left */
    const fn_task_spec_t *sp = fn__task_spec(dev->task);
    switch (on_enter[st].timer) {
    case ENTER_CONNECT:
        sess_timer(dev, sp->connect_timeout_ms);
        break;
    case ENTER_AUTH:
        sess_timer(dev, sp->auth_timeout_ms);
        break;
    case ENTER_LOGIN:
        sess_timer(dev, sp->login_timeout_ms);
        break;
    case ENTER_BACKOFF:
        sess_timer(dev, dev->sess->backoff_ms);
        break;
    case ENTER_STOP:
        sess_timer_stop(dev);
        break;
    case ENTER_KEEP:
        break;
    }
    if (on_enter[st].handshake_done)
        sess_handshake(dev, 0);
}

static int sess_ssh_error(fn_dev_t *dev, const char *what)
{
    sess_reason(dev, "%s: %s", what,
                dev->sess->ssh ? ssh_get_error(dev->sess->ssh) : "?");
    return FN_ESSH;
}

/* ------------------------------------------------------------------ */
/* socket */

/* Numeric addresses only; returns FN_EAGAIN for a name (resolve it). */
static int sess_sockaddr(fn_dev_t *dev, struct sockaddr_storage *ss,
                         socklen_t *len)
{
    const char *addr = fn_host_address(dev->host);
    unsigned port = fn_host_port(dev->host);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof(*v4);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*v6);
        return 0;
    }
    return FN_EAGAIN;
}

static void sess_on_read(evutil_socket_t fd, short what, void *arg);
static void sess_on_write(evutil_socket_t fd, short what, void *arg);

static void sess_fail(fn_dev_t *dev, int rc);

static int sess_connect_to(fn_dev_t *dev, const struct sockaddr *sa,
                           socklen_t len)
{
    int fd =
        socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int rc = -errno;
        sess_reason(dev, "socket: %s", strerror(errno));
        return rc;
    }
    int one = 1; /* Nagle + delayed ACK cost ~130 ms per session here */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    dev->sess->fd = fd;
    struct event_base *b = sess_engine(dev)->base;
    event_assign(&dev->sess->rev, b, fd, EV_READ | EV_PERSIST, sess_on_read,
                 dev);
    event_assign(&dev->sess->wev, b, fd, EV_WRITE | EV_PERSIST, sess_on_write,
                 dev);
    dev->sess->evs_added = 1;
    if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
        int rc = -errno;
        sess_reason(dev, "connect: %s", strerror(errno));
        return errno == ECONNREFUSED ? FN_EREFUSED : rc;
    }
    event_add(&dev->sess->wev, NULL);
    dev->sess->wev_on = 1;
    return FN_EAGAIN;
}

/* evdns answer: IPv4 first (devices and simulators listen on v4 more
 * often than on both), else whatever came. A cancelled lookup's callback
 * runs in a later loop pass, after the reaper (or the task's end) freed
 * the session and maybe the device: it must not touch arg. */
static void sess_on_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
    if (err == EVUTIL_EAI_CANCEL) {
        if (ai)
            evutil_freeaddrinfo(ai);
        return;
    }
    fn_dev_t *dev = arg;
    dev->sess->dns_req = NULL;
    const struct evutil_addrinfo *pick = ai;
    for (const struct evutil_addrinfo *p = ai; p; p = p->ai_next)
        if (p->ai_family == AF_INET) {
            pick = p;
            break;
        }
    int rc;
    if (err || !pick) {
        sess_reason(dev, "cannot resolve '%s': %s", fn_host_address(dev->host),
                    evutil_gai_strerror(err));
        rc = FN_ENOTFOUND;
    } else {
        rc = sess_connect_to(dev, pick->ai_addr, (socklen_t)pick->ai_addrlen);
    }
    if (ai)
        evutil_freeaddrinfo(ai);
    if (rc != FN_EAGAIN)
        sess_fail(dev, rc);
}

/* Names resolve on the reactor with evdns (libssh's getaddrinfo would
 * block it); the answer may come before this returns (hosts file). */
static int sess_resolve(fn_dev_t *dev)
{
    struct evdns_base *dns = fn__engine_dns(sess_engine(dev));
    if (!dns) {
        sess_reason(dev, "cannot resolve '%s': no resolver",
                    fn_host_address(dev->host));
        return FN_ENOTFOUND;
    }
    char port[8];
    snprintf(port, sizeof(port), "%u", fn_host_port(dev->host));
    struct evutil_addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    dev->sess->dns_req = evdns_getaddrinfo(dns, fn_host_address(dev->host),
                                           port, &hints, sess_on_resolved, dev);
    return FN_EAGAIN;
}

static int sess_socket(fn_dev_t *dev)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int rc = sess_sockaddr(dev, &ss, &len);
    if (rc == FN_EAGAIN)
        return sess_resolve(dev);
    return sess_connect_to(dev, (struct sockaddr *)&ss, len);
}

/* ------------------------------------------------------------------ */
/* write queue */

static int sess_flush(fn_dev_t *dev)
{
    while (dev->sess->wq_off < dev->sess->wq.len) {
        int n = ssh_channel_write(
            dev->sess->ch, dev->sess->wq.data + dev->sess->wq_off,
            (uint32_t)(dev->sess->wq.len - dev->sess->wq_off));
        if (n == SSH_ERROR)
            return sess_ssh_error(dev, "channel write");
        if (n <= 0)
            break; /* window full: the next read event retries */
        dev->sess->wq_off += (size_t)n;
    }
    if (dev->sess->wq_off == dev->sess->wq.len &&
        dev->sess->slot == FN_SLOT_SENT)
        dev->sess->cmd.written = 1; /* the queue holds one command at most */
    if (dev->sess->wq_off == dev->sess->wq.len && dev->sess->wq.len) {
        fn_buf_wipe(&dev->sess->wq); /* may have held the enable password */
        dev->sess->wq_off = 0;
    }
    return 0;
}

static void sess_update_write(fn_dev_t *dev)
{
    int want = dev->sess->wq_off < dev->sess->wq.len;
    if (dev->sess->ssh &&
        (ssh_get_poll_flags(dev->sess->ssh) & SSH_WRITE_PENDING))
        want = 1;
    if (dev->state == FN_SS_CONNECT)
        want = 1;
    if (want && !dev->sess->wev_on)
        event_add(&dev->sess->wev, NULL);
    else if (!want && dev->sess->wev_on)
        event_del(&dev->sess->wev);
    dev->sess->wev_on = want;
}

/* Queues bytes for the channel and writes what the window takes. */
static int sess_write(fn_dev_t *dev, const char *text)
{
    if (fn_buf_append_str(&dev->sess->wq, text) < 0 ||
        fn_buf_append(&dev->sess->wq, "\n", 1) < 0) {
        sess_reason(dev, "out of memory queueing a command");
        return -ENOMEM;
    }
    return sess_flush(dev);
}

/* Sends the request in the slot: its echo is expected, its timer runs. */
static int sess_send(fn_dev_t *dev)
{
    fn_cmd_t *cmd = &dev->sess->cmd;
    fn_matcher_begin(dev->sess->m, cmd->text);
    cmd->started_wall_us = fn_time_wall_us();
    cmd->started_mono_us = fn_time_mono_us();
    cmd->duration_us = 0;
    cmd->written = 0;
    dev->sess->answered = 0;
    dev->sess->answered_at = 0;
    dev->sess->slot = FN_SLOT_SENT;
    sess_timer(dev, cmd->timeout_ms);
    return sess_write(dev, cmd->text);
}

/* The device asked something the request has an answer for (the enable
 * password): type it. The answer is a secret: no echo to strip, and the
 * output so far (the question) is dropped with it. */
static int sess_answer(fn_dev_t *dev, int ev)
{
    const fn_cmd_t *cmd = &dev->sess->cmd;
    for (size_t i = 0; i < cmd->nanswers; i++)
        if (!cmd->answers[i].question && (ev & cmd->answers[i].on)) {
            /* "": the device prints only the newline for the answer */
            fn_matcher_begin(dev->sess->m,
                             cmd->answers[i].same_prompt ? "" : NULL);
            return sess_write(dev, cmd->answers[i].text);
        }
    return 0;
}

/* A line the device leaves waiting that reads like a question: "...?",
 * "[confirm]", "(yes/no)", "[Y/N]:". */
static int sess_is_question(const char *s, size_t n)
{
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (!n)
        return 0;
    char last = s[n - 1];
    if (last == ':' && n > 1)
        last = s[--n - 1]; /* "[Y/N]:" */
    if (last == '?')
        return 1;
    size_t from = n > 24 ? n - 24 : 0;
    return (last == ']' && memchr(s + from, '[', n - from)) ||
           (last == ')' && memchr(s + from, '/', n - from));
}

/* The waiting line after a read: a question the request answers gets its
 * answer (once per line, at most 8 a command); another question waits
 * FN_SESS_QUESTION_MS for more bytes, then ends the command. */
static int sess_question(fn_dev_t *dev)
{
    fn_session_t *sess = dev->sess;
    char tail[160];
    size_t n = fn_matcher_tail(sess->m, tail, sizeof(tail));
    if (!n || sess->settle != FN_SETTLE_NONE)
        return 0;
    const fn_cmd_t *cmd = &sess->cmd;
    for (size_t i = 0; i < cmd->nanswers; i++) {
        const fn_cmd_answer_t *a = &cmd->answers[i];
        if (!a->question || !fn_vendor_glob(a->question, tail, n))
            continue;
        uint64_t at = fn_str_hash(tail) ^ (uint64_t)n;
        if (at == sess->answered_at || sess->answered >= 8)
            return 0;
        sess->answered++;
        sess->answered_at = at;
        return sess_write(dev, a->text);
    }
    char last = tail[n - 1] == ' ' && n > 1 ? tail[n - 2] : tail[n - 1];
    if (sess_is_question(tail, n)) {
        sess->settle = FN_SETTLE_QUESTION;
        sess_timer(dev, FN_SESS_QUESTION_MS);
    } else if (strchr("#>]$", last)) { /* a prompt of another name? */
        sess->settle = FN_SETTLE_RELEARN;
        sess_timer(dev, FN_SESS_QUESTION_MS);
    }
    return 0;
}

/* The request in the slot is done: RUNNING -> READY, then its callback
 * (which may submit the next request or close the session). Its status
 * is the matcher's verdict, or FN_EXIT_TIMEOUT: then the session stays
 * RUNNING (the device's state is unknown) for the requester to close. */
static void sess_complete(fn_dev_t *dev, int timed_out)
{
    fn_session_t *sess = dev->sess;
    fn_match_result_t r;
    fn_matcher_finish(sess->m, &r);
    int status = timed_out ? FN_EXIT_TIMEOUT : r.exit_code;
    sess_timer_stop(dev);
    fn_cmd_t cmd = sess->cmd; /* the callback may submit into the slot */
    if (!cmd.duration_us || timed_out)
        cmd.duration_us = fn_time_mono_us() - cmd.started_mono_us;
    sess->slot = FN_SLOT_EMPTY;
    if (dev->state == FN_SS_RUNNING && !timed_out)
        session_set_state(dev, FN_SS_READY);
    cmd.done(dev, &cmd, status, &r);
}

/* ------------------------------------------------------------------ */
/* states, in diagram order */

static int session_on_connect(fn_dev_t *dev)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(dev->sess->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == EINPROGRESS || err == EALREADY)
        return FN_EAGAIN;
    if (err) {
        sess_reason(dev, "connect: %s", strerror(err));
        return err == ECONNREFUSED ? FN_EREFUSED : -err;
    }
    session_set_state(dev, FN_SS_KEX);
    return 0;
}

static int sess_ssh_options(fn_dev_t *dev)
{
    const fn_engine_t *e = sess_engine(dev);
    int legacy = fn_host_legacy_algos(dev->host);
    static const int opt_of[] = {SSH_OPTIONS_KEY_EXCHANGE, SSH_OPTIONS_HOSTKEYS,
                                 SSH_OPTIONS_CIPHERS_C_S, SSH_OPTIONS_HMAC_C_S};
    static const char *const names[] = {"kex", "hostkeys", "ciphers", "macs"};
    long port = (long)fn_host_port(dev->host);
    int zero = 0;
    socket_t fd = dev->sess->fd;
    int rc = 0;
    rc |= ssh_options_set(dev->sess->ssh, SSH_OPTIONS_PROCESS_CONFIG, &zero);
    rc |= ssh_options_set(dev->sess->ssh, SSH_OPTIONS_HOST,
                          fn_host_address(dev->host));
    rc |= ssh_options_set(dev->sess->ssh, SSH_OPTIONS_PORT, &port);
    rc |= ssh_options_set(dev->sess->ssh, SSH_OPTIONS_FD, &fd);
    rc |= ssh_options_set(dev->sess->ssh, SSH_OPTIONS_COMPRESSION,
                          fn_host_compression(dev->host) ? "yes" : "no");
    for (int i = 0; i < 4; i++) {
        const char *v = fn_host_algos(dev->host, names[i]);
        if (!v)
            v = fn__engine_algos(e, legacy, i);
        if (!v)
            continue;
        if (ssh_options_set(dev->sess->ssh, opt_of[i], v) < 0)
            return sess_ssh_error(dev, names[i]);
        if (i >= 2) /* same list both directions */
            rc |= ssh_options_set(dev->sess->ssh, opt_of[i] + 1, v);
    }
    return rc < 0 ? sess_ssh_error(dev, "ssh options") : 0;
}

static int sess_username(fn_dev_t *dev, char *out, size_t len)
{
    const char *u = fn_host_username(dev->host);
    if (!u)
        u = fn__task_spec(dev->task)->creds.username;
    if (!u)
        u = "admin";
    const char *suffix =
        dev->vendor ? fn_vendor_username_suffix(dev->vendor) : NULL;
    int n = snprintf(out, len, "%s%s", u, suffix ? suffix : "");
    return n < 0 || (size_t)n >= len ? FN_EPARSE : 0;
}

/* Algorithm mismatches show either as libssh's "no match" or, when the
 * device noticed first, as a closed socket: both get a hint. */
static int sess_kex_error(fn_dev_t *dev)
{
    const char *e = ssh_get_error(dev->sess->ssh);
    int legacy = fn_host_legacy_algos(dev->host);
    const char *hint = legacy ? ""
                              : "; an old device may need "
                                "legacy_algos=1 in the inventory";
    if (strstr(e, "no match")) {
        sess_reason(dev, "SSH handshake: no common algorithm (%.120s)%s", e,
                    hint);
        return FN_ENOALGO; /* the same lists fail again: no retry */
    }
    if (strstr(e, "Socket error") || strstr(e, "disconnect"))
        sess_reason(dev,
                    "SSH handshake: the device closed the connection "
                    "during key exchange%s",
                    hint);
    else
        sess_reason(dev, "SSH handshake: %.150s", e);
    return FN_ESSH;
}

static int session_on_kex(fn_dev_t *dev)
{
    if (!dev->sess->ssh) {
        char user[256];
        dev->sess->ssh = ssh_new();
        if (!dev->sess->ssh)
            return sess_reason(dev, "ssh_new failed"), -ENOMEM;
        int rc = sess_ssh_options(dev);
        if (rc == 0 && sess_username(dev, user, sizeof(user)) == 0)
            rc = ssh_options_set(dev->sess->ssh, SSH_OPTIONS_USER, user) < 0
                     ? sess_ssh_error(dev, "user")
                     : 0;
        if (rc < 0)
            return rc;
        ssh_set_blocking(dev->sess->ssh, 0);
        event_add(&dev->sess->rev, NULL);
    }
    int rc = ssh_connect(dev->sess->ssh);
    if (rc == SSH_AGAIN)
        return FN_EAGAIN;
    if (rc != SSH_OK)
        return sess_kex_error(dev);
    session_set_state(dev, FN_SS_HOSTKEY);
    return 0;
}

static int session_on_hostkey(fn_dev_t *dev)
{
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    if (ssh_get_server_publickey(dev->sess->ssh, &key) < 0)
        return sess_ssh_error(dev, "server public key");
    int rc =
        ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen);
    const char *type = ssh_key_type_to_char(ssh_key_type(key));
    char *fp = rc == 0 ? ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256,
                                                  hash, hlen)
                       : NULL;
    if (fp)
        rc = fn__task_hostkey(dev->task, dev, type ? type : "?", fp,
                              dev->sess->reason, sizeof(dev->sess->reason));
    else
        rc = sess_ssh_error(dev, "host key hash");
    ssh_string_free_char(fp);
    ssh_clean_pubkey_hash(&hash);
    ssh_key_free(key);
    if (rc < 0)
        return rc;
    session_set_state(dev, FN_SS_AUTH);
    return 0;
}

/* The password for this host: its password_env, else the task's. The
 * env copy is owned by the session and wiped when auth ends. */
static const char *sess_password(fn_dev_t *dev)
{
    if (dev->sess->password)
        return dev->sess->password;
    const char *env = fn_host_password_env(dev->host);
    const char *v = env ? getenv(env) : NULL;
    if (v) {
        dev->sess->password = strdup(v);
        return dev->sess->password;
    }
    return fn__task_password(dev->task, 0);
}

static void sess_wipe_secrets(fn_dev_t *dev)
{
    ssh_key_free(dev->sess->key); /* the private key goes with it */
    dev->sess->key = NULL;
    if (dev->sess->password) {
        fn_memwipe(dev->sess->password, strlen(dev->sess->password));
        free(dev->sess->password);
        dev->sess->password = NULL;
    }
}

/* The key file is read once per session: libssh answers SSH_AUTH_AGAIN
 * and wants the same key on every call until it decides. */
static int sess_auth_key(fn_dev_t *dev, const char *path)
{
    fn_session_t *sess = dev->sess;
    if (!sess->key && ssh_pki_import_privkey_file(path, NULL, NULL, NULL,
                                                  &sess->key) != SSH_OK) {
        sess_reason(dev, "cannot load key file %s", path);
        return FN_ECREDS;
    }
    return ssh_userauth_publickey(sess->ssh, NULL, sess->key);
}

/* keyboard-interactive: every question whose text holds "assword" gets
 * the password; any other question (a token, a menu) cannot be answered
 * and ends the method with its text as the reason. */
static int sess_auth_kbdint(fn_dev_t *dev, const char *pw)
{
    ssh_session ssh = dev->sess->ssh;
    for (int round = 0; round < 8; round++) {
        int rc = ssh_userauth_kbdint(ssh, NULL, NULL);
        if (rc != SSH_AUTH_INFO)
            return rc;
        int n = ssh_userauth_kbdint_getnprompts(ssh);
        for (int i = 0; i < n; i++) {
            char echo = 0;
            const char *q =
                ssh_userauth_kbdint_getprompt(ssh, (unsigned)i, &echo);
            if (!q || !strstr(q, "assword")) {
                snprintf(dev->sess->auth_note, sizeof(dev->sess->auth_note),
                         "keyboard-interactive asks \"%.60s\", not a "
                         "password",
                         q ? q : "?");
                return SSH_AUTH_DENIED;
            }
            if (ssh_userauth_kbdint_setanswer(ssh, (unsigned)i, pw) < 0)
                return SSH_AUTH_ERROR;
        }
    }
    return SSH_AUTH_DENIED; /* a server that never stops asking */
}

/* "publickey, password" for a SSH_AUTH_METHOD_* mask. */
static void sess_auth_names(int mask, char *out, size_t len)
{
    static const struct {
        int bit;
        const char *name;
    } m[] = {{SSH_AUTH_METHOD_PUBLICKEY, "publickey"},
             {SSH_AUTH_METHOD_PASSWORD, "password"},
             {SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive"},
             {SSH_AUTH_METHOD_HOSTBASED, "hostbased"},
             {SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic"}};
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]) && o < len; i++)
        if (mask & m[i].bit)
            o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "",
                                  m[i].name);
    if (!out[0])
        snprintf(out, len, "nothing");
}

/* Every method is spent: say what the server offered, what was tried
 * and why it did not do, so the user knows what to change. */
static int sess_auth_failed(fn_dev_t *dev)
{
    fn_session_t *sess = dev->sess;
    char offered[96], tried[96];
    sess_auth_names(sess->auth_offered, offered, sizeof(offered));
    sess_auth_names(sess->auth_tried, tried, sizeof(tried));
    if (!sess->auth_tried) {
        sess_reason(dev, "authentication impossible: server offers %s; %s",
                    offered,
                    sess->auth_note[0] ? sess->auth_note
                                       : "no credentials for those methods "
                                         "(a key file or a password)");
        return FN_ECREDS;
    }
    sess_reason(dev, "authentication failed: server offers %s; tried %s: %s",
                offered, tried,
                sess->auth_note[0] ? sess->auth_note : "not accepted");
    return FN_EAUTH;
}

int fn__session_auth_plan(const char *order, unsigned char *plan)
{
    static const struct {
        const char *name;
        unsigned char steps[2];
    } names[] = {{"publickey", {FN_AUTH_KEY, FN_AUTH_AGENT}},
                 {"password", {FN_AUTH_PASSWORD, 0}},
                 {"keyboard-interactive", {FN_AUTH_KBDINT, 0}}};
    size_t n = 0;
    if (!order)
        order = "publickey,password,keyboard-interactive";
    for (const char *p = order; *p;) {
        size_t len = strcspn(p, ", ");
        size_t i = 0;
        while (i < 3 &&
               (strlen(names[i].name) != len || strncmp(p, names[i].name, len)))
            i++;
        if (len && (i == 3 || n + 2 > 5))
            return FN_EPARSE;
        for (size_t k = 0; len && k < 2 && names[i].steps[k]; k++)
            plan[n++] = names[i].steps[k];
        p += len;
        p += strspn(p, ", ");
    }
    plan[n++] = FN_AUTH_EXHAUSTED;
    return (int)n;
}

/* The next step of the host's plan. */
static void sess_auth_next(fn_session_t *sess)
{
    sess->auth_step = sess->auth_plan[++sess->auth_at];
}

/* One method's answer: FN_EAGAIN waits, 0 means logged in, 1 means go
 * on with the next step. */
static int sess_auth_result(fn_dev_t *dev, int rc, int method)
{
    fn_session_t *sess = dev->sess;
    if (rc == SSH_AUTH_AGAIN)
        return FN_EAGAIN;
    if (rc == SSH_AUTH_SUCCESS) {
        sess_wipe_secrets(dev);
        session_set_state(dev, FN_SS_CHANNEL);
        return 0;
    }
    if (rc == SSH_AUTH_ERROR)
        return sess_ssh_error(dev, "authentication");
    int now = ssh_userauth_list(sess->ssh, NULL); /* may narrow (partial) */
    if (now)
        sess->auth_offered = now;
    if (now & method) /* offered and refused; else it was never a chance */
        sess->auth_tried |= method;
    else if (sess->auth_note[0] && !sess->auth_tried)
        sess->auth_note[0] = '\0'; /* its refusal says nothing */
    sess_auth_next(sess);
    return 1;
}

/* Runs the current step, skipping a method the server does not offer or
 * that has nothing to offer: 1 to go on, FN_EAGAIN, 0 or an error. */
static int sess_auth_step(fn_dev_t *dev, const char *key, const char *pw)
{
    fn_session_t *sess = dev->sess;
    int off = sess->auth_offered;
    int rc;
    switch (sess->auth_step) {
    case FN_AUTH_QUERY:
        /* checked at the task's start: cannot fail here */
        (void)fn__session_auth_plan(fn_host_auth(dev->host), sess->auth_plan);
        sess->auth_at = 0;
        if (key || pw || fn__task_spec(dev->task)->creds.use_agent) {
            /* something to offer: the first refusal lists the methods
             * (a "none" round trip saved per login) */
            sess->auth_offered = ~0;
            sess->auth_step = sess->auth_plan[0];
            return 1;
        }
        rc = ssh_userauth_none(sess->ssh, NULL); /* to say what was offered */
        if (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL) {
            sess->auth_offered = ssh_userauth_list(sess->ssh, NULL);
            sess->auth_step = sess->auth_plan[0];
            return 1;
        }
        return sess_auth_result(dev, rc, 0); /* AGAIN stays in QUERY */
    case FN_AUTH_KEY:
        if (!key || !(off & SSH_AUTH_METHOD_PUBLICKEY))
            break;
        rc = sess_auth_key(dev, key);
        if (rc == FN_ECREDS)
            return rc;
        snprintf(sess->auth_note, sizeof(sess->auth_note),
                 "key %.80s not accepted", key);
        return sess_auth_result(dev, rc, SSH_AUTH_METHOD_PUBLICKEY);
    case FN_AUTH_AGENT:
        if (!fn__task_spec(dev->task)->creds.use_agent ||
            !getenv("SSH_AUTH_SOCK") || !(off & SSH_AUTH_METHOD_PUBLICKEY))
            break;
        snprintf(sess->auth_note, sizeof(sess->auth_note),
                 "no key of the SSH agent accepted");
        rc = ssh_userauth_agent(sess->ssh, NULL);
        return sess_auth_result(dev, rc, SSH_AUTH_METHOD_PUBLICKEY);
    case FN_AUTH_PASSWORD:
        if (!pw || !(off & SSH_AUTH_METHOD_PASSWORD))
            break;
        snprintf(sess->auth_note, sizeof(sess->auth_note),
                 "password not accepted");
        rc = ssh_userauth_password(sess->ssh, NULL, pw);
        return sess_auth_result(dev, rc, SSH_AUTH_METHOD_PASSWORD);
    case FN_AUTH_KBDINT:
        if (!pw || !(off & SSH_AUTH_METHOD_INTERACTIVE))
            break;
        snprintf(sess->auth_note, sizeof(sess->auth_note),
                 "password not accepted");
        rc = sess_auth_kbdint(dev, pw);
        return sess_auth_result(dev, rc, SSH_AUTH_METHOD_INTERACTIVE);
    case FN_AUTH_EXHAUSTED:
        return sess_auth_failed(dev);
    }
    sess_auth_next(sess); /* this method cannot run: the next one */
    return 1;
}

/* AUTH: OpenSSH's order (see enum fn_auth_step), non-blocking: a libssh
 * call that would block returns SSH_AUTH_AGAIN and is made again on the
 * next readable event. */
static int session_on_auth(fn_dev_t *dev)
{
    const char *key = fn_host_key_file(dev->host);
    if (!key)
        key = fn__task_spec(dev->task)->creds.key_file;
    const char *pw = sess_password(dev);
    int rc;
    while ((rc = sess_auth_step(dev, key, pw)) == 1)
        ;
    if (rc < 0 && rc != FN_EAGAIN)
        sess_wipe_secrets(dev);
    return rc;
}

/* The channel phases share one shape: libssh's SSH_AGAIN waits, an
 * error names the phase, success moves to `next`. */
static int sess_chan_result(fn_dev_t *dev, int rc, const char *what,
                            enum fn_session_state next)
{
    if (rc == SSH_AGAIN)
        return FN_EAGAIN;
    if (rc != SSH_OK)
        return sess_ssh_error(dev, what);
    session_set_state(dev, next);
    return 0;
}

static int session_on_channel(fn_dev_t *dev)
{
    if (!dev->sess->ch && !(dev->sess->ch = ssh_channel_new(dev->sess->ssh)))
        return sess_ssh_error(dev, "channel");
    return sess_chan_result(dev, ssh_channel_open_session(dev->sess->ch),
                            "channel open", FN_SS_PTY);
}

static int session_on_pty(fn_dev_t *dev)
{
    int rc = ssh_channel_request_pty_size(dev->sess->ch, "xterm", SESS_PTY_COLS,
                                          SESS_PTY_ROWS);
    return sess_chan_result(dev, rc, "pty request", FN_SS_SHELL);
}

static int session_on_shell(fn_dev_t *dev)
{
    int rc = ssh_channel_request_shell(dev->sess->ch);
    if (rc == SSH_OK && !dev->sess->m &&
        fn_matcher_new(&dev->sess->m, dev->vendor,
                       fn__task_spec(dev->task)->max_output) < 0)
        return sess_reason(dev, "out of memory"), -ENOMEM;
    if (rc == SSH_OK) { /* before PROMPT's on-enter hook */
        fn_matcher_begin(dev->sess->m, NULL);
        dev->sess->prep_i = 0;
    }
    return sess_chan_result(dev, rc, "shell request", FN_SS_PROMPT);
}

/* Keeps the last FN_SESS_TAIL bytes received (a timeout quotes them). */
static void sess_keep_tail(fn_session_t *sess, const char *p, size_t n)
{
    if (n >= FN_SESS_TAIL) {
        memcpy(sess->tail, p + n - FN_SESS_TAIL, FN_SESS_TAIL);
        sess->tail_len = FN_SESS_TAIL;
        return;
    }
    size_t keep =
        sess->tail_len + n > FN_SESS_TAIL ? FN_SESS_TAIL - n : sess->tail_len;
    memmove(sess->tail, sess->tail + sess->tail_len - keep, keep);
    memcpy(sess->tail + keep, p, n);
    sess->tail_len = (unsigned)(keep + n);
}

/* A wait ran out: the reason says what for, and quotes what the device
 * said last (a question flexnet did not expect, a prompt it did not
 * recognise). */
static void sess_timeout_reason(fn_dev_t *dev, const char *what)
{
    fn_buf_t last; /* escaped as JSON: one escaper for the project */
    fn_buf_init(&last, 0);
    int ok =
        fn_str_json_escape(&last, dev->sess->tail, dev->sess->tail_len) == 0 &&
        last.len;
    sess_reason(dev, "%s; last bytes received: \"%.*s\"", what,
                ok ? (int)last.len : 6, ok ? last.data : "(none)");
    fn_buf_cleanup(&last);
}

/* The timer of the state that waits for a prompt. */
static void sess_wait_timer(fn_dev_t *dev)
{
    const fn_task_spec_t *sp = fn__task_spec(dev->task);
    if (dev->state == FN_SS_PROMPT) {
        sess_timer(dev, sp->login_timeout_ms);
        return;
    }
    /* what is left of the command's time, not a fresh start */
    const fn_cmd_t *cmd = &dev->sess->cmd;
    int64_t used = (fn_time_mono_us() - cmd->started_mono_us) / 1000;
    sess_timer(dev, used >= (int64_t)cmd->timeout_ms
                        ? 1
                        : cmd->timeout_ms - (unsigned)used);
}

/* A prompt came. It ends the command (or the login banner) only if
 * nothing follows: bytes already waiting mean it was a line of output
 * cut by a chunk boundary (go on reading), else wait prompt_settle_ms.
 * Returns 1 while waiting, 0 when the prompt is the end. */
static int sess_settle(fn_dev_t *dev)
{
    fn_session_t *sess = dev->sess;
    unsigned ms = sess_engine(dev)->opts.prompt_settle_ms;
    if (!ms)
        return 0;
    if (ssh_channel_poll(sess->ch, 0) > 0) {
        fn_matcher_resume(sess->m);
        return 1;
    }
    /* the command's time ends at its prompt, not after the wait */
    sess->cmd.duration_us = fn_time_mono_us() - sess->cmd.started_mono_us;
    sess->settle = FN_SETTLE_PROMPT;
    sess_timer(dev, ms);
    return 1;
}

/* Bytes came while settling: the prompt was output, the question was
 * not the last word. */
static void sess_unsettle(fn_dev_t *dev)
{
    if (dev->sess->settle == FN_SETTLE_PROMPT) {
        dev->sess->cmd.duration_us = 0;
        fn_matcher_resume(dev->sess->m);
    }
    dev->sess->settle = FN_SETTLE_NONE;
    sess_wait_timer(dev);
}

/* Reads one chunk into the matcher: 0 and *ev its events, FN_EAGAIN
 * when nothing is there or this wakeup's budget is spent (then a 0 s
 * timer brings the session back next pass if more is waiting), or an
 * error. Pager questions are answered here, in every state. */
static int sess_read(fn_dev_t *dev, int *ev)
{
    fn_session_t *sess = dev->sess;
    fn_engine_t *e = sess_engine(dev);
    if (!sess->reads_left) {
        if (ssh_channel_poll(sess->ch, 0) > 0)
            sess_read_later(dev);
        return FN_EAGAIN;
    }
    sess->reads_left--;
    int n = ssh_channel_read_nonblocking(sess->ch, e->scratch,
                                         (uint32_t)e->scratch_len, 0);
    int closed = n == SSH_EOF || (n == 0 && (ssh_channel_is_eof(sess->ch) ||
                                             ssh_channel_is_closed(sess->ch)));
    if ((closed || n < 0) && sess->settle == FN_SETTLE_PROMPT) {
        sess->settle = FN_SETTLE_NONE; /* the prompt was its last word */
        sess_complete(dev, 0);
    }
    if (closed) {
        sess_reason(dev, "connection closed by the device");
        return FN_ECLOSED;
    }
    if (n < 0)
        return sess_ssh_error(dev, "read");
    if (n == 0)
        return FN_EAGAIN;
    sess_keep_tail(sess, e->scratch, (size_t)n);
    if (sess->settle != FN_SETTLE_NONE)
        sess_unsettle(dev);
    *ev = fn_matcher_feed(sess->m, e->scratch, (size_t)n);
    if ((*ev & FN_MATCH_PAGER) && dev->state != FN_SS_READY) {
        const char *ans = fn_matcher_pager_answer(sess->m);
        if (fn_buf_append_str(&sess->wq, ans) < 0)
            return -ENOMEM;
        return sess_flush(dev);
    }
    return 0;
}

/* TextFSM takes the cleaned output as it grows: no second pass over it
 * when the command ends, and its memory bounded by the parser's. */
static void sess_parse_feed(fn_dev_t *dev)
{
    fn_cmd_t *cmd = &dev->sess->cmd;
    size_t len = 0;
    const char *out = fn_matcher_out(dev->sess->m, &len);
    if (!cmd->parse || cmd->parse_rc || len <= cmd->parse_fed)
        return;
    cmd->parse_rc =
        fn_parse_feed(cmd->parse, out + cmd->parse_fed, len - cmd->parse_fed);
    cmd->parse_fed = len;
}

/* The request in flight: answers what it expects, completes on the
 * prompt. 0 when it completed, FN_EAGAIN while it waits, or an error. */
static int sess_cmd_io(fn_dev_t *dev)
{
    for (;;) {
        int ev = 0;
        int rc = sess_read(dev, &ev);
        if (rc == 0)
            sess_parse_feed(dev);
        if (rc == 0)
            rc = sess_answer(dev, ev);
        if (rc == 0 && !(ev & FN_MATCH_PROMPT))
            rc = sess_question(dev);
        if (rc < 0)
            return rc;
        if ((ev & FN_MATCH_PROMPT) && !sess_settle(dev)) {
            sess_complete(dev, 0);
            return 0;
        }
    }
}

/* PROMPT: the login banner until the first prompt. */
static int session_on_prompt(fn_dev_t *dev)
{
    for (;;) {
        int ev = 0;
        int rc = sess_read(dev, &ev);
        if (rc < 0)
            return rc;
        if ((ev & FN_MATCH_PROMPT) && !sess_settle(dev)) {
            session_set_state(dev, FN_SS_PREPARE);
            return 0;
        }
    }
}

/* A PREPARE request completed. A failed enable leaves the device usable
 * in user mode: a warning now, and the reason of every privileged
 * command that fails later (fn__session_priv_why). VRP's super keeps
 * its prompt: its output says whether it worked (enable_check). */
static void sess_on_prepared(fn_dev_t *dev, fn_cmd_t *cmd, int status,
                             const fn_match_result_t *out)
{
    fn_session_t *sess = dev->sess;
    if (cmd->kind == FN_CMD_SETUP && status != FN_EXIT_OK &&
        !sess->warning[0]) {
        size_t n = 0;
        const char *err = fn_str_last_line(out->err, out->err_len, &n);
        snprintf(sess->warning, sizeof(sess->warning),
                 "setup command '%.60s' %s%s%.*s%s: output may be paged or cut",
                 cmd->text, status == FN_EXIT_TIMEOUT ? "timed out" : "failed",
                 n ? " (" : "", (int)(n > 80 ? 80 : n), err, n ? ")" : "");
        fn__task_log(dev->task, dev, FN_LOG_WARN, "%s", sess->warning);
    }
    if (cmd->kind != FN_CMD_ENABLE)
        return;
    int ok = fn_vendor_enable_by_output(dev->vendor)
                 ? status == FN_EXIT_OK
                 : fn_matcher_mode(dev->sess->m) != FN_VENDOR_MODE_USER;
    if (ok)
        return;
    dev->sess->priv_why = "enable failed: still in user mode after the enable "
                          "command (wrong enable password?)";
    fn__task_log(dev->task, dev, FN_LOG_WARN, "%s", dev->sess->priv_why);
}

/* PREPARE's own requests: step prep_i of [enable, setup 0, setup 1 …]. */
static int sess_prepare_submit(fn_dev_t *dev, const char *text,
                               enum fn_cmd_kind kind, const char *answer)
{
    fn_session_t *sess = dev->sess;
    sess->cmd = (fn_cmd_t){
        .text = text,
        .kind = kind,
        .timeout_ms = fn__task_spec(dev->task)->command_timeout_ms,
        .done = sess_on_prepared,
    };
    sess->prep_answer = (fn_cmd_answer_t){
        .on = FN_MATCH_PASSWORD,
        .text = answer,
        .same_prompt = fn_vendor_enable_by_output(dev->vendor),
    };
    if (answer) {
        sess->cmd.answers = &sess->prep_answer;
        sess->cmd.nanswers = 1;
    }
    return sess_send(dev);
}

/* PREPARE: enable if a password was given and the device is in user
 * mode, then the vendor's setup commands, then READY. */
static int session_on_prepare(fn_dev_t *dev)
{
    fn_session_t *sess = dev->sess;
    if (sess->slot == FN_SLOT_SENT)
        return sess_cmd_io(dev);
    unsigned i = sess->prep_i++;
    if (i == 0) {
        const char *pw = fn__task_password(dev->task, 1);
        const char *enable = fn_vendor_enable_command(dev->vendor);
        int user = fn_matcher_mode(sess->m) == FN_VENDOR_MODE_USER;
        int become = fn_host_become(dev->host); /* ansible_become, -1: unset */
        if (pw && enable && user && become != 0)
            return sess_prepare_submit(dev, enable, FN_CMD_ENABLE, pw);
        if (enable && user && become != 0)
            sess->priv_why = "the device is in user mode and no enable "
                             "password was given (--enable-password-env)";
        return 0;
    }
    if (i - 1 < fn_vendor_setup_count(dev->vendor))
        return sess_prepare_submit(dev, fn_vendor_setup_at(dev->vendor, i - 1),
                                   FN_CMD_SETUP, NULL);
    session_set_state(dev, FN_SS_READY);
    fn__task_on_ready(dev->task, dev);
    return 0;
}

/* READY: send a submitted request, else keep reading: output between
 * commands still feeds the matcher (it counts the blank lines after the
 * prompt for the next echo). */
static int session_on_ready(fn_dev_t *dev)
{
    if (dev->sess->slot == FN_SLOT_PENDING) {
        session_set_state(dev, FN_SS_RUNNING);
        return sess_send(dev);
    }
    for (;;) {
        int ev = 0;
        int rc = sess_read(dev, &ev);
        if (rc < 0)
            return rc;
    }
}

static int session_on_running(fn_dev_t *dev)
{
    return sess_cmd_io(dev);
}

/* ------------------------------------------------------------------ */
/* dispatchers: one per event source (I/O, timer) */

static int sess_step(fn_dev_t *dev)
{
    switch (dev->state) {
    case FN_SS_CONNECT:
        return session_on_connect(dev);
    case FN_SS_KEX:
        return session_on_kex(dev);
    case FN_SS_HOSTKEY:
        return session_on_hostkey(dev);
    case FN_SS_AUTH:
        return session_on_auth(dev);
    case FN_SS_CHANNEL:
        return session_on_channel(dev);
    case FN_SS_PTY:
        return session_on_pty(dev);
    case FN_SS_SHELL:
        return session_on_shell(dev);
    case FN_SS_PROMPT:
        return session_on_prompt(dev);
    case FN_SS_PREPARE:
        return session_on_prepare(dev);
    case FN_SS_READY:
        return session_on_ready(dev);
    case FN_SS_RUNNING:
        return session_on_running(dev);
    case FN_SS_IDLE:
    case FN_SS_BACKOFF:
    case FN_SS_CLOSING:
    case FN_SS_DONE:
        return FN_EAGAIN; /* stale event */
    default:
        return FN_EINTERNAL;
    }
}

/* Connect and handshake failures may be retried; the task decides.
 * Decided by code: a refused algorithm list, a bad spec, a name that
 * does not resolve or no memory will fail the same way again. */
static int sess_retryable(const fn_dev_t *dev, int rc)
{
    if (dev->state > FN_SS_KEX)
        return 0;
    return rc != FN_EPARSE && rc != -ENOMEM && rc != FN_ENOTFOUND &&
           rc != FN_ENOALGO;
}

static void sess_fail(fn_dev_t *dev, int rc)
{
    if (!dev->sess->reason[0])
        sess_reason(dev, "%s", fn_strerror(rc));
    fn__task_on_failure(dev->task, dev, rc, sess_retryable(dev, rc));
}

static int sess_gone(const fn_dev_t *dev)
{
    return dev->state == FN_SS_CLOSING || dev->state == FN_SS_DONE;
}

/* The I/O dispatcher: runs the current state's step until it waits
 * (FN_EAGAIN) or fails, re-checking after each step whether a callback
 * closed the session. Reads are capped per wakeup (ops_per_wakeup). */
static void sess_dispatch(fn_dev_t *dev)
{
    fn_session_t *sess = dev->sess;
    sess->reads_left = sess_engine(dev)->opts.ops_per_wakeup;
    sess->in_dispatch = 1;
    int rc = dev->state >= FN_SS_PROMPT ? sess_flush(dev) : 0;
    int i;
    for (i = 0; i < SESS_MAX_STEPS_PER_EVENT && rc == 0; i++) {
        rc = sess_step(dev);
        if (sess_gone(dev))
            return; /* sess may be back in the pool: do not touch */
    }
    sess->in_dispatch = 0;
    if (rc < 0 && rc != FN_EAGAIN) {
        sess_fail(dev, rc);
        return;
    }
    if (rc == 0) /* step cap reached with work left: next pass */
        sess_read_later(dev);
    sess_update_write(dev);
}

static void sess_on_read(evutil_socket_t fd, short what, void *arg)
{
    sess_dispatch(arg);
}

static void sess_on_more(evutil_socket_t fd, short what, void *arg)
{
    sess_dispatch(arg);
}

static void sess_on_write(evutil_socket_t fd, short what, void *arg)
{
    fn_dev_t *dev = arg;
    if (dev->sess->ssh && dev->state > FN_SS_KEX && dev->state <= FN_SS_RUNNING)
        ssh_blocking_flush(dev->sess->ssh, 0);
    sess_dispatch(dev);
}

static void sess_timeout_connect(fn_dev_t *dev)
{
    const char *what = dev->sess->dns_req            ? "name resolution"
                       : dev->state == FN_SS_CONNECT ? "TCP connect"
                                                     : "SSH handshake";
    sess_reason(dev, "%s timed out after %u ms", what,
                fn__task_spec(dev->task)->connect_timeout_ms);
    sess_fail(dev, FN_ETIMEOUT);
}

/* The device asks a question nobody answers and says nothing more: the
 * command ends (exit -3; the session is closed by the task) or, in
 * PREPARE, the login fails. */
static void sess_unanswered(fn_dev_t *dev)
{
    char q[160];
    fn_matcher_tail(dev->sess->m, q, sizeof(q));
    sess_reason(dev,
                "the device asks \"%.120s\" and no answer was given (give "
                "one with expect/answer)",
                fn_str_trim(q));
    if (dev->state == FN_SS_RUNNING)
        sess_complete(dev, 1);
    else
        sess_fail(dev, FN_ETIMEOUT);
}

/* Nothing followed the prompt: it was the end. */
static void sess_settled(fn_dev_t *dev)
{
    enum fn_settle was = dev->sess->settle;
    dev->sess->settle = FN_SETTLE_NONE;
    if (was == FN_SETTLE_QUESTION) {
        sess_unanswered(dev);
        return;
    }
    if (was == FN_SETTLE_RELEARN) {
        if (!fn_matcher_relearn(dev->sess->m)) {
            sess_wait_timer(dev); /* output that paused: wait on */
            return;
        }
        fn__task_log(dev->task, dev, FN_LOG_INFO,
                     "the prompt changed: the device is now '%s'",
                     fn_matcher_base_prompt(dev->sess->m));
    }
    if (dev->state == FN_SS_PROMPT)
        session_set_state(dev, FN_SS_PREPARE);
    else
        sess_complete(dev, 0); /* RUNNING or PREPARE */
    if (!sess_gone(dev) && dev->state != FN_SS_READY)
        sess_dispatch(dev); /* PREPARE goes on; READY waits for a submit */
}

/* The timer dispatcher: what running out of time means in each state. */
static void sess_on_timer(evutil_socket_t fd, short what, void *arg)
{
    fn_dev_t *dev = arg;
    if (dev->sess && dev->sess->settle != FN_SETTLE_NONE) {
        sess_settled(dev);
        return;
    }
    switch (dev->state) {
    case FN_SS_BACKOFF:
        session_set_state(dev, FN_SS_IDLE);
        fn__task_requeue(dev->task, dev);
        return;
    case FN_SS_CONNECT:
    case FN_SS_KEX:
    case FN_SS_HOSTKEY:
        sess_timeout_connect(dev);
        return;
    case FN_SS_RUNNING:
        sess_timeout_reason(dev, "no prompt within the command timeout");
        sess_complete(dev, 1);
        return;
    case FN_SS_PROMPT:
        sess_timeout_reason(dev, "no prompt within the login timeout");
        sess_fail(dev, FN_ETIMEOUT);
        return;
    case FN_SS_PREPARE:
        sess_timeout_reason(dev, "timed out preparing the session "
                                 "(enable, paging off)");
        sess_fail(dev, FN_ETIMEOUT);
        return;
    case FN_SS_AUTH:
    case FN_SS_CHANNEL:
    case FN_SS_PTY:
    case FN_SS_SHELL:
        sess_reason(dev, "timed out in state %s", state_names[dev->state]);
        sess_fail(dev, FN_ETIMEOUT);
        return;
    default: /* READY, IDLE, CLOSING, DONE own no timer */
        return;
    }
}

/* ------------------------------------------------------------------ */
/* lifecycle (engine and task call these) */

/* A zeroed record is IDLE: its birth is no transition. */
_Static_assert(FN_SS_IDLE == 0, "calloc'd device records start IDLE");

void fn__session_init(fn_dev_t *dev, fn_task_t *t, unsigned idx)
{
    dev->task = t;
    dev->idx = idx;
}

void fn__session_attach(fn_dev_t *dev, fn_session_t *sess)
{
    memset(sess, 0, sizeof(*sess));
    sess->fd = -1;
    fn_buf_init(&sess->wq, 1 << 20);
    struct event_base *b = sess_engine(dev)->base;
    sess->tev_set = evtimer_assign(&sess->tev, b, sess_on_timer, dev) == 0 &&
                    evtimer_assign(&sess->mev, b, sess_on_more, dev) == 0;
    dev->sess = sess;
}

/* The reason outlives the connection only when something failed: a
 * finished device keeps no string. */
fn_session_t *fn__session_detach(fn_dev_t *dev)
{
    fn_session_t *sess = dev->sess;
    if (!sess)
        return NULL;
    if (sess->reason[0]) {
        char *r = strdup(sess->reason);
        if (r) {
            free(dev->reason);
            dev->reason = r;
        }
    }
    dev->sess = NULL;
    return sess;
}

const char *fn__session_reason(const fn_dev_t *dev)
{
    if (dev->sess)
        return dev->sess->reason;
    return dev->reason ? dev->reason : "";
}

int fn__session_is_active(const fn_dev_t *dev)
{
    return dev->state != FN_SS_IDLE && dev->state != FN_SS_DONE &&
           dev->state != FN_SS_BACKOFF;
}

int fn__session_submit(fn_dev_t *dev, const fn_cmd_t *req)
{
    fn_session_t *sess = dev->sess;
    if (dev->state != FN_SS_READY || !sess || sess->slot != FN_SLOT_EMPTY)
        return FN_ESTATE;
    sess->cmd = *req;
    sess->slot = FN_SLOT_PENDING;
    if (!sess->in_dispatch) /* e.g. connect-first's release: next pass */
        sess_read_later(dev);
    return 0;
}

const fn_cmd_t *fn__session_cmd(const fn_dev_t *dev)
{
    if (!dev->sess || dev->sess->slot == FN_SLOT_EMPTY)
        return NULL;
    return &dev->sess->cmd;
}

const char *fn__session_warning(const fn_dev_t *dev)
{
    return dev->sess ? dev->sess->warning : "";
}

const char *fn__session_priv_why(const fn_dev_t *dev)
{
    return dev->sess ? dev->sess->priv_why : NULL;
}

int fn__session_mode(const fn_dev_t *dev)
{
    if (!dev->sess || !dev->sess->m)
        return FN_VENDOR_MODE_UNKNOWN;
    return fn_matcher_mode(dev->sess->m);
}

void fn__session_start(fn_dev_t *dev)
{
    fn_session_t *sess = dev->sess;
    fn_engine_t *e = sess_engine(dev);
    if (!sess->counted) {
        sess->counted = 1;
        e->sessions++;
        e->sessions_total++;
        if (e->sessions > e->sessions_peak)
            e->sessions_peak = e->sessions;
    }
    if (!dev->t_first_us)
        dev->t_first_us = fn_time_mono_us();
    dev->tries++;
    sess->reason[0] = '\0';
    free(dev->reason); /* a new attempt: no stale failure */
    dev->reason = NULL;
    sess_handshake(dev, 1);
    session_set_state(dev, FN_SS_CONNECT);
    int rc = sess_socket(dev);
    if (rc == FN_EAGAIN)
        return;
    sess_fail(dev, rc);
}

static void sess_events_del(fn_session_t *sess)
{
    if (sess->evs_added) { /* no more I/O callbacks for this session */
        event_del(&sess->rev);
        event_del(&sess->wev);
        sess->wev_on = 0;
    }
}

static void sess_free_ssh(fn_session_t *sess)
{
    if (sess->ch) {
        ssh_channel_free(sess->ch);
        sess->ch = NULL;
    }
    if (sess->ssh) {
        ssh_disconnect(sess->ssh); /* closes the fd it was given */
        ssh_free(sess->ssh);
        sess->ssh = NULL;
        sess->fd = -1;
    }
    if (sess->fd >= 0) {
        close(sess->fd);
        sess->fd = -1;
    }
}

/* Frees every resource (not the record), then DONE. Reaper only: never
 * inside the session's own callback stack. */
void fn__session_free_resources(fn_dev_t *dev)
{
    fn_session_t *sess = dev->sess;
    if (!dev->task || !sess)
        return;          /* never initialised, or no connection to free */
    if (sess->dns_req) { /* its callback runs now with EVUTIL_EAI_CANCEL */
        evdns_getaddrinfo_cancel(sess->dns_req);
        sess->dns_req = NULL;
    }
    sess_events_del(sess);
    sess->evs_added = 0;
    sess_timer_stop(dev);
    sess_read_later_stop(dev);
    sess_free_ssh(sess);
    fn_matcher_free(sess->m);
    sess->m = NULL;
    fn_buf_wipe(&sess->wq);
    fn_buf_cleanup(&sess->wq);
    sess->wq_off = 0;
    sess_wipe_secrets(dev);
    sess_handshake(dev, 0);
    if (sess->counted) {
        sess->counted = 0;
        sess_engine(dev)->sessions--;
    }
    if (sess->slot != FN_SLOT_EMPTY) { /* never completed: ours to free */
        fn_parse_free(sess->cmd.parse);
        sess->cmd.parse = NULL;
    }
    sess->slot = FN_SLOT_EMPTY;
    if (dev->state != FN_SS_DONE)
        session_set_state(dev, FN_SS_DONE);
}

void fn__session_close(fn_dev_t *dev)
{
    if (dev->state == FN_SS_CLOSING || dev->state == FN_SS_DONE)
        return;
    if (dev->state == FN_SS_IDLE) { /* nothing to free */
        session_set_state(dev, FN_SS_DONE);
        return;
    }
    session_set_state(dev, FN_SS_CLOSING); /* stops the timer */
    sess_events_del(dev->sess);
    sess_read_later_stop(dev);
    fn_engine_t *e = sess_engine(dev);
    dev->sess->reap_next = e->reap;
    e->reap = dev;
    fn__engine_kick(e);
}

/* Cancels a pending retry: back to IDLE, no timer. */
void fn__session_unbackoff(fn_dev_t *dev)
{
    sess_timer_stop(dev);
    session_set_state(dev, FN_SS_IDLE);
}

/* BACKOFF: wait ms (the on-enter timer), then the task requeues it. */
void fn__session_backoff(fn_dev_t *dev, unsigned ms)
{
    dev->sess->backoff_ms = ms;
    session_set_state(dev, FN_SS_BACKOFF);
}

/* Connect-first: closed after its report, connects again in phase 2. */
void fn__session_park(fn_dev_t *dev)
{
    session_set_state(dev, FN_SS_IDLE);
}
