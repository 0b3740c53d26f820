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

static fn_engine_t *sess_engine(const fn_dev_t *s)
{
    return fn__task_engine(s->task);
}

static void sess_reason(fn_dev_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sess_reason(fn_dev_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->live->reason, sizeof(s->live->reason), fmt, ap);
    va_end(ap);
}

static void sess_timer(fn_dev_t *s, unsigned ms)
{
    struct timeval tv = {ms / 1000, (long)(ms % 1000) * 1000};
    evtimer_add(&s->live->tev, &tv);
}

/* Only a timer that was assigned may be deleted: libevent warns about
 * (and rejects) an event without a base. */
static void sess_timer_stop(fn_dev_t *s)
{
    if (s->live->tev_set)
        evtimer_del(&s->live->tev);
}

/* Reads were capped with data left: come back in the NEXT loop iteration
 * (a 0 s timer). event_active would run us again in this same pass, so
 * a session whose device outpaces the engine (a loaded or slow engine)
 * would loop forever in one pass: no timer (command timeouts) and no
 * other session would ever get a turn. */
static void sess_read_later(fn_dev_t *s)
{
    static const struct timeval now = {0, 0};
    if (s->live->tev_set)
        evtimer_add(&s->live->mev, &now);
}

static void sess_read_later_stop(fn_dev_t *s)
{
    if (s->live->tev_set)
        evtimer_del(&s->live->mev);
}

static void sess_handshake(fn_dev_t *s, int on)
{
    fn_engine_t *e = sess_engine(s);
    if (on == s->live->in_handshake)
        return;
    s->live->in_handshake = on;
    if (on) {
        e->handshakes++;
    } else {
        e->handshakes--;
        fn__engine_kick(e); /* a handshake slot is free */
    }
}

static void sess_set_state(fn_dev_t *s, int st)
{
    if (fn_log_enabled(FN_LOG_DEBUG, FN_LOGC_SESSION)) {
        fn_log_ctx_t ctx = {fn_task_id(s->task), fn_host_name(s->host),
                            FN_LOGC_SESSION};
        fn_log(FN_LOG_DEBUG, &ctx, "%s -> %s", state_names[s->state],
               state_names[st]);
    }
    s->state = st;
    const fn_task_spec_t *sp = fn__task_spec(s->task);
    switch (st) { /* on-enter hooks: the waiting state's timer */
    case FN_SS_CONNECT:
        sess_timer(s, sp->connect_timeout_ms);
        break;
    case FN_SS_AUTH:
    case FN_SS_PROMPT:
        sess_timer(s, sp->auth_timeout_ms);
        break;
    case FN_SS_CHANNEL:
        sess_handshake(s, 0);
        break;
    case FN_SS_READY:
    case FN_SS_CLOSING:
        sess_timer_stop(s);
        break;
    default:
        break;
    }
}

static int sess_ssh_error(fn_dev_t *s, const char *what)
{
    sess_reason(s, "%s: %s", what,
                s->live->ssh ? ssh_get_error(s->live->ssh) : "?");
    return FN_ESSH;
}

/* ------------------------------------------------------------------ */
/* socket */

/* Numeric addresses only; returns FN_EAGAIN for a name (resolve it). */
static int sess_sockaddr(fn_dev_t *s, struct sockaddr_storage *ss,
                         socklen_t *len)
{
    const char *addr = fn_host_address(s->host);
    unsigned port = fn_host_port(s->host);
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

static void sess_fail(fn_dev_t *s, int rc);

static int sess_connect_to(fn_dev_t *s, const struct sockaddr *sa,
                           socklen_t len)
{
    int fd =
        socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int rc = -errno;
        sess_reason(s, "socket: %s", strerror(errno));
        return rc;
    }
    int one = 1; /* Nagle + delayed ACK cost ~130 ms per session here */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    s->live->fd = fd;
    struct event_base *b = sess_engine(s)->base;
    event_assign(&s->live->rev, b, fd, EV_READ | EV_PERSIST, sess_on_read, s);
    event_assign(&s->live->wev, b, fd, EV_WRITE | EV_PERSIST, sess_on_write, s);
    s->live->evs_added = 1;
    if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
        int rc = -errno;
        sess_reason(s, "connect: %s", strerror(errno));
        return errno == ECONNREFUSED ? FN_EREFUSED : rc;
    }
    event_add(&s->live->wev, NULL);
    s->live->wev_on = 1;
    return FN_EAGAIN;
}

/* evdns answer: IPv4 first (devices and simulators listen on v4 more
 * often than on both), else whatever came. */
static void sess_on_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
    fn_dev_t *s = arg;
    s->live->dns_req = NULL;
    if (err == EVUTIL_EAI_CANCEL) {
        if (ai)
            evutil_freeaddrinfo(ai);
        return; /* the session was closed */
    }
    const struct evutil_addrinfo *pick = ai;
    for (const struct evutil_addrinfo *p = ai; p; p = p->ai_next)
        if (p->ai_family == AF_INET) {
            pick = p;
            break;
        }
    int rc;
    if (err || !pick) {
        sess_reason(s, "cannot resolve '%s': %s", fn_host_address(s->host),
                    evutil_gai_strerror(err));
        rc = FN_ENOTFOUND;
    } else {
        rc = sess_connect_to(s, pick->ai_addr, (socklen_t)pick->ai_addrlen);
    }
    if (ai)
        evutil_freeaddrinfo(ai);
    if (rc != FN_EAGAIN)
        sess_fail(s, rc);
}

/* Names resolve on the reactor with evdns (libssh's getaddrinfo would
 * block it); the answer may come before this returns (hosts file). */
static int sess_resolve(fn_dev_t *s)
{
    struct evdns_base *dns = fn__engine_dns(sess_engine(s));
    if (!dns) {
        sess_reason(s, "cannot resolve '%s': no resolver",
                    fn_host_address(s->host));
        return FN_ENOTFOUND;
    }
    char port[8];
    snprintf(port, sizeof(port), "%u", fn_host_port(s->host));
    struct evutil_addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    s->live->dns_req = evdns_getaddrinfo(dns, fn_host_address(s->host), port,
                                         &hints, sess_on_resolved, s);
    return FN_EAGAIN;
}

static int sess_socket(fn_dev_t *s)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int rc = sess_sockaddr(s, &ss, &len);
    if (rc == FN_EAGAIN)
        return sess_resolve(s);
    return sess_connect_to(s, (struct sockaddr *)&ss, len);
}

/* ------------------------------------------------------------------ */
/* write queue */

static int sess_flush(fn_dev_t *s)
{
    while (s->live->wq_off < s->live->wq.len) {
        int n =
            ssh_channel_write(s->live->ch, s->live->wq.data + s->live->wq_off,
                              (uint32_t)(s->live->wq.len - s->live->wq_off));
        if (n == SSH_ERROR)
            return sess_ssh_error(s, "channel write");
        if (n <= 0)
            break; /* window full: the next read event retries */
        s->live->wq_off += (size_t)n;
    }
    if (s->live->wq_off == s->live->wq.len && s->live->wq.len) {
        fn_buf_wipe(&s->live->wq); /* may have held the enable password */
        s->live->wq_off = 0;
    }
    return 0;
}

static void sess_update_write(fn_dev_t *s)
{
    int want = s->live->wq_off < s->live->wq.len;
    if (s->live->ssh && (ssh_get_poll_flags(s->live->ssh) & SSH_WRITE_PENDING))
        want = 1;
    if (s->state == FN_SS_CONNECT)
        want = 1;
    if (want && !s->live->wev_on)
        event_add(&s->live->wev, NULL);
    else if (!want && s->live->wev_on)
        event_del(&s->live->wev);
    s->live->wev_on = want;
}

int fn__session_send(fn_dev_t *s, const char *cmd, int job)
{
    const fn_task_spec_t *sp = fn__task_spec(s->task);
    int secret = job == JOB_ENABLE_PASS;
    fn_matcher_begin(s->live->m, secret ? NULL : cmd);
    if (fn_buf_append_str(&s->live->wq, cmd) < 0 ||
        fn_buf_append(&s->live->wq, "\n", 1) < 0) {
        sess_reason(s, "out of memory queueing a command");
        return -ENOMEM;
    }
    s->live->job = job;
    s->live->cmd_text = secret ? "" : cmd;
    s->live->cmd_wall_us = fn_time_wall_us();
    s->live->cmd_mono_us = fn_time_mono_us();
    if (job == JOB_USER || job == JOB_CONFIG_ENTER || job == JOB_CONFIG_LEAVE)
        sess_set_state(s, FN_SS_RUNNING);
    unsigned ms = sp->command_timeout_ms;
    if (job == JOB_USER) {
        unsigned st = sp->steps[s->step].timeout_ms;
        ms = st ? st : ms;
    }
    sess_timer(s, ms);
    int rc = sess_flush(s);
    sess_update_write(s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* states, in diagram order */

static int session_on_connect(fn_dev_t *s)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(s->live->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == EINPROGRESS || err == EALREADY)
        return FN_EAGAIN;
    if (err) {
        sess_reason(s, "connect: %s", strerror(err));
        return err == ECONNREFUSED ? FN_EREFUSED : -err;
    }
    sess_set_state(s, FN_SS_KEX);
    return 0;
}

static int sess_ssh_options(fn_dev_t *s)
{
    const fn_engine_t *e = sess_engine(s);
    int legacy = fn_host_legacy_algos(s->host);
    static const int opt_of[] = {SSH_OPTIONS_KEY_EXCHANGE, SSH_OPTIONS_HOSTKEYS,
                                 SSH_OPTIONS_CIPHERS_C_S, SSH_OPTIONS_HMAC_C_S};
    static const char *const names[] = {"kex", "hostkeys", "ciphers", "macs"};
    long port = (long)fn_host_port(s->host);
    int zero = 0;
    socket_t fd = s->live->fd;
    int rc = 0;
    rc |= ssh_options_set(s->live->ssh, SSH_OPTIONS_PROCESS_CONFIG, &zero);
    rc |= ssh_options_set(s->live->ssh, SSH_OPTIONS_HOST,
                          fn_host_address(s->host));
    rc |= ssh_options_set(s->live->ssh, SSH_OPTIONS_PORT, &port);
    rc |= ssh_options_set(s->live->ssh, SSH_OPTIONS_FD, &fd);
    rc |= ssh_options_set(s->live->ssh, SSH_OPTIONS_COMPRESSION,
                          fn_host_compression(s->host) ? "yes" : "no");
    for (int i = 0; i < 4; i++) {
        const char *v = fn_host_algos(s->host, names[i]);
        if (!v)
            v = fn__engine_algos(e, legacy, i);
        if (!v)
            continue;
        if (ssh_options_set(s->live->ssh, opt_of[i], v) < 0)
            return sess_ssh_error(s, names[i]);
        if (i >= 2) /* same list both directions */
            rc |= ssh_options_set(s->live->ssh, opt_of[i] + 1, v);
    }
    return rc < 0 ? sess_ssh_error(s, "ssh options") : 0;
}

static int sess_username(fn_dev_t *s, char *out, size_t len)
{
    const char *u = fn_host_username(s->host);
    if (!u)
        u = fn__task_spec(s->task)->creds.username;
    if (!u)
        u = "admin";
    const char *suffix =
        s->vendor ? fn_vendor_username_suffix(s->vendor) : NULL;
    int n = snprintf(out, len, "%s%s", u, suffix ? suffix : "");
    return n < 0 || (size_t)n >= len ? FN_EPARSE : 0;
}

/* Algorithm mismatches show either as libssh's "no match" or, when the
 * device noticed first, as a closed socket: both get a hint. */
static int sess_kex_error(fn_dev_t *s)
{
    const char *e = ssh_get_error(s->live->ssh);
    int legacy = fn_host_legacy_algos(s->host);
    const char *hint = legacy ? ""
                              : "; an old device may need "
                                "legacy_algos=1 in the inventory";
    if (strstr(e, "no match"))
        sess_reason(s, "SSH handshake: no common algorithm (%.120s)%s", e,
                    hint);
    else if (strstr(e, "Socket error") || strstr(e, "disconnect"))
        sess_reason(s,
                    "SSH handshake: the device closed the connection "
                    "during key exchange%s",
                    hint);
    else
        sess_reason(s, "SSH handshake: %.150s", e);
    return FN_ESSH;
}

static int session_on_kex(fn_dev_t *s)
{
    if (!s->live->ssh) {
        char user[256];
        s->live->ssh = ssh_new();
        if (!s->live->ssh)
            return sess_reason(s, "ssh_new failed"), -ENOMEM;
        int rc = sess_ssh_options(s);
        if (rc == 0 && sess_username(s, user, sizeof(user)) == 0)
            rc = ssh_options_set(s->live->ssh, SSH_OPTIONS_USER, user) < 0
                     ? sess_ssh_error(s, "user")
                     : 0;
        if (rc < 0)
            return rc;
        ssh_set_blocking(s->live->ssh, 0);
        event_add(&s->live->rev, NULL);
    }
    int rc = ssh_connect(s->live->ssh);
    if (rc == SSH_AGAIN)
        return FN_EAGAIN;
    if (rc != SSH_OK)
        return sess_kex_error(s);
    sess_set_state(s, FN_SS_HOSTKEY);
    return 0;
}

static int session_on_hostkey(fn_dev_t *s)
{
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    if (ssh_get_server_publickey(s->live->ssh, &key) < 0)
        return sess_ssh_error(s, "server public key");
    int rc =
        ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen);
    const char *type = ssh_key_type_to_char(ssh_key_type(key));
    char *fp = rc == 0 ? ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256,
                                                  hash, hlen)
                       : NULL;
    if (fp)
        rc = fn__task_hostkey(s->task, s, type ? type : "?", fp);
    else
        rc = sess_ssh_error(s, "host key hash");
    ssh_string_free_char(fp);
    ssh_clean_pubkey_hash(&hash);
    ssh_key_free(key);
    if (rc < 0)
        return rc;
    sess_set_state(s, FN_SS_AUTH);
    return 0;
}

/* The password for this host: its password_env, else the task's. The
 * env copy is owned by the session and wiped when auth ends. */
static const char *sess_password(fn_dev_t *s)
{
    if (s->live->password)
        return s->live->password;
    const char *env = fn_host_password_env(s->host);
    const char *v = env ? getenv(env) : NULL;
    if (v) {
        s->live->password = strdup(v);
        return s->live->password;
    }
    return fn__task_password(s->task, 0);
}

static void sess_wipe_password(fn_dev_t *s)
{
    if (s->live->password) {
        fn_memwipe(s->live->password, strlen(s->live->password));
        free(s->live->password);
        s->live->password = NULL;
    }
}

static int sess_auth_key(fn_dev_t *s, const char *path)
{
    ssh_key key = NULL;
    if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK) {
        sess_reason(s, "cannot load key file %s", path);
        return FN_ECREDS;
    }
    int rc = ssh_userauth_publickey(s->live->ssh, NULL, key);
    ssh_key_free(key);
    return rc;
}

static int session_on_auth(fn_dev_t *s)
{
    const char *key = fn_host_key_file(s->host);
    if (!key)
        key = fn__task_spec(s->task)->creds.key_file;
    int rc;
    if (key) {
        rc = sess_auth_key(s, key);
        if (rc == FN_ECREDS)
            return rc;
    } else {
        const char *pw = sess_password(s);
        if (!pw) {
            sess_reason(s, "no password and no key file for this host");
            return FN_ECREDS;
        }
        rc = ssh_userauth_password(s->live->ssh, NULL, pw);
    }
    if (rc == SSH_AUTH_AGAIN)
        return FN_EAGAIN;
    sess_wipe_password(s);
    if (rc == SSH_AUTH_SUCCESS) {
        sess_set_state(s, FN_SS_CHANNEL);
        return 0;
    }
    if (rc == SSH_AUTH_ERROR)
        return sess_ssh_error(s, "authentication");
    if (key)
        sess_reason(s, "authentication failed: key %s rejected", key);
    else
        sess_reason(s, "authentication failed: password rejected");
    return FN_EAUTH;
}

/* The channel phases share one shape: libssh's SSH_AGAIN waits, an
 * error names the phase, success moves to `next`. */
static int sess_chan_result(fn_dev_t *s, int rc, const char *what, int next)
{
    if (rc == SSH_AGAIN)
        return FN_EAGAIN;
    if (rc != SSH_OK)
        return sess_ssh_error(s, what);
    sess_set_state(s, next);
    return 0;
}

static int session_on_channel(fn_dev_t *s)
{
    if (!s->live->ch && !(s->live->ch = ssh_channel_new(s->live->ssh)))
        return sess_ssh_error(s, "channel");
    return sess_chan_result(s, ssh_channel_open_session(s->live->ch),
                            "channel open", FN_SS_PTY);
}

static int session_on_pty(fn_dev_t *s)
{
    int rc = ssh_channel_request_pty_size(s->live->ch, "xterm", SESS_PTY_COLS,
                                          SESS_PTY_ROWS);
    return sess_chan_result(s, rc, "pty request", FN_SS_SHELL);
}

static int session_on_shell(fn_dev_t *s)
{
    int rc = ssh_channel_request_shell(s->live->ch);
    if (rc == SSH_OK && !s->live->m &&
        fn_matcher_new(&s->live->m, s->vendor,
                       fn__task_spec(s->task)->max_output) < 0)
        return sess_reason(s, "out of memory"), -ENOMEM;
    if (rc == SSH_OK) { /* before PROMPT's on-enter hook */
        fn_matcher_begin(s->live->m, NULL);
        s->live->job = JOB_NONE;
        s->setup_i = 0;
    }
    return sess_chan_result(s, rc, "shell request", FN_SS_PROMPT);
}

/* PREPARE: enable if needed, then the vendor's setup commands. */
static int sess_prepare_next(fn_dev_t *s)
{
    const char *enable_pw = fn__task_password(s->task, 1);
    const char *enable = fn_vendor_enable_command(s->vendor);
    if (s->live->job == JOB_NONE && enable_pw && enable &&
        fn_matcher_mode(s->live->m) == FN_VENDOR_MODE_USER)
        return fn__session_send(s, enable, JOB_ENABLE);
    if (s->live->job == JOB_ENABLE_PASS &&
        fn_matcher_mode(s->live->m) == FN_VENDOR_MODE_USER)
        fn__task_log(s->task, s, FN_LOG_WARN,
                     "enable failed: still in user mode");
    if (s->setup_i < fn_vendor_setup_count(s->vendor)) {
        const char *cmd = fn_vendor_setup_at(s->vendor, s->setup_i++);
        return fn__session_send(s, cmd, JOB_SETUP);
    }
    s->live->job = JOB_NONE;
    sess_set_state(s, FN_SS_READY);
    fn__task_on_ready(s->task, s);
    return 0;
}

/* One matcher event in PROMPT / PREPARE / RUNNING. */
static int sess_on_match(fn_dev_t *s, int ev)
{
    if (ev & FN_MATCH_PAGER) {
        const char *ans = fn_matcher_pager_answer(s->live->m);
        if (fn_buf_append_str(&s->live->wq, ans) < 0)
            return -ENOMEM;
        int rc = sess_flush(s);
        if (rc < 0)
            return rc;
    }
    if ((ev & FN_MATCH_PASSWORD) && s->live->job == JOB_ENABLE) {
        const char *pw = fn__task_password(s->task, 1);
        return fn__session_send(s, pw ? pw : "", JOB_ENABLE_PASS);
    }
    if (!(ev & FN_MATCH_PROMPT))
        return 0;
    sess_timer_stop(s);
    if (s->state == FN_SS_PROMPT) {
        sess_set_state(s, FN_SS_PREPARE);
        sess_timer(s, fn__task_spec(s->task)->auth_timeout_ms);
        return sess_prepare_next(s);
    }
    if (s->state == FN_SS_PREPARE)
        return sess_prepare_next(s);
    if (s->state == FN_SS_RUNNING) {
        fn_match_result_t r;
        fn_matcher_finish(s->live->m, &r);
        sess_set_state(s, FN_SS_READY);
        fn__task_on_result(s->task, s, r.exit_code, &r, "");
    }
    return 0;
}

static int sess_read_some(fn_dev_t *s)
{
    fn_engine_t *e = sess_engine(s);
    unsigned cap = e->opts.ops_per_wakeup;
    for (unsigned i = 0; i < cap; i++) {
        int n = ssh_channel_read_nonblocking(s->live->ch, e->scratch,
                                             (uint32_t)e->scratch_len, 0);
        if (n == SSH_EOF || (n == 0 && (ssh_channel_is_eof(s->live->ch) ||
                                        ssh_channel_is_closed(s->live->ch)))) {
            sess_reason(s, "connection closed by the device");
            return FN_ECLOSED;
        }
        if (n < 0)
            return sess_ssh_error(s, "read");
        if (n == 0)
            return 0;
        /* READY: output between commands; the matcher (done) only
         * counts the blanks after the prompt for the next echo line */
        int ev = fn_matcher_feed(s->live->m, e->scratch, (size_t)n);
        if (s->state == FN_SS_READY)
            continue;
        if (ev) {
            int rc = sess_on_match(s, ev);
            if (rc < 0 || s->state == FN_SS_CLOSING)
                return rc;
        }
    }
    if (ssh_channel_poll(s->live->ch, 0) > 0) /* capped: come back later */
        sess_read_later(s);
    return 0;
}

static int session_on_io(fn_dev_t *s)
{
    int rc = sess_flush(s);
    if (rc == 0)
        rc = sess_read_some(s);
    if (rc == 0 && s->state != FN_SS_CLOSING)
        rc = sess_flush(s);
    return rc == 0 ? FN_EAGAIN : rc;
}

/* ------------------------------------------------------------------ */
/* dispatcher */

static int sess_step(fn_dev_t *s)
{
    switch (s->state) {
    case FN_SS_CONNECT:
        return session_on_connect(s);
    case FN_SS_KEX:
        return session_on_kex(s);
    case FN_SS_HOSTKEY:
        return session_on_hostkey(s);
    case FN_SS_AUTH:
        return session_on_auth(s);
    case FN_SS_CHANNEL:
        return session_on_channel(s);
    case FN_SS_PTY:
        return session_on_pty(s);
    case FN_SS_SHELL:
        return session_on_shell(s);
    case FN_SS_PROMPT:
    case FN_SS_PREPARE:
    case FN_SS_READY:
    case FN_SS_RUNNING:
        return session_on_io(s);
    case FN_SS_IDLE:
    case FN_SS_BACKOFF:
    case FN_SS_CLOSING:
    case FN_SS_DONE:
        return FN_EAGAIN; /* stale event */
    default:
        return FN_EINTERNAL;
    }
}

/* Connect and handshake failures may be retried; the task decides. */
static int sess_retryable(const fn_dev_t *s, int rc)
{
    if (s->state > FN_SS_KEX || rc == FN_EPARSE || rc == -ENOMEM ||
        rc == FN_ENOTFOUND)
        return 0;
    return strstr(s->live->reason, "no common algorithm") == NULL;
}

static void sess_fail(fn_dev_t *s, int rc)
{
    if (!s->live->reason[0])
        sess_reason(s, "%s", fn_strerror(rc));
    fn__task_on_failure(s->task, s, rc, sess_retryable(s, rc));
}

static void sess_dispatch(fn_dev_t *s)
{
    int rc = 0;
    for (int i = 0; i < SESS_MAX_STEPS_PER_EVENT && rc == 0; i++) {
        rc = sess_step(s);
        if (s->state == FN_SS_CLOSING || s->state == FN_SS_DONE)
            return;
    }
    if (rc < 0 && rc != FN_EAGAIN) {
        sess_fail(s, rc);
        return;
    }
    sess_update_write(s);
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
    fn_dev_t *s = arg;
    if (s->live->ssh && s->state > FN_SS_KEX && s->state <= FN_SS_RUNNING)
        ssh_blocking_flush(s->live->ssh, 0);
    sess_dispatch(s);
}

static void sess_on_timer(evutil_socket_t fd, short what, void *arg)
{
    fn_dev_t *s = arg;
    const fn_task_spec_t *sp = fn__task_spec(s->task);
    switch (s->state) {
    case FN_SS_BACKOFF:
        s->state = FN_SS_IDLE;
        fn__task_requeue(s->task, s);
        return;
    case FN_SS_CONNECT:
    case FN_SS_KEX:
    case FN_SS_HOSTKEY:
        sess_reason(s, "%s timed out after %u ms",
                    s->live->dns_req            ? "name resolution"
                    : s->state == FN_SS_CONNECT ? "TCP connect"
                                                : "SSH handshake",
                    sp->connect_timeout_ms);
        sess_fail(s, FN_ETIMEOUT);
        return;
    case FN_SS_RUNNING: {
        fn_match_result_t r;
        fn_matcher_finish(s->live->m, &r);
        sess_reason(s, "no prompt within the command timeout");
        fn__task_on_result(s->task, s, FN_EXIT_TIMEOUT, &r, s->live->reason);
        return;
    }
    default:
        sess_reason(s, "timed out in state %s", state_names[s->state]);
        sess_fail(s, FN_ETIMEOUT);
        return;
    }
}

/* ------------------------------------------------------------------ */
/* lifecycle (engine and task call these) */

void fn__session_init(fn_dev_t *s, fn_task_t *t, unsigned idx)
{
    s->task = t;
    s->idx = idx;
    s->state = FN_SS_IDLE;
}

void fn__session_attach(fn_dev_t *s, fn_session_t *lv)
{
    memset(lv, 0, sizeof(*lv));
    lv->fd = -1;
    fn_buf_init(&lv->wq, 1 << 20);
    struct event_base *b = sess_engine(s)->base;
    lv->tev_set = evtimer_assign(&lv->tev, b, sess_on_timer, s) == 0 &&
                  evtimer_assign(&lv->mev, b, sess_on_more, s) == 0;
    s->live = lv;
}

/* The reason outlives the connection only when something failed: a
 * finished device keeps no string. */
fn_session_t *fn__session_detach(fn_dev_t *s)
{
    fn_session_t *lv = s->live;
    if (!lv)
        return NULL;
    if (lv->reason[0]) {
        char *r = strdup(lv->reason);
        if (r) {
            free(s->reason);
            s->reason = r;
        }
    }
    s->live = NULL;
    return lv;
}

const char *fn__session_reason(const fn_dev_t *s)
{
    if (s->live)
        return s->live->reason;
    return s->reason ? s->reason : "";
}

int fn__session_is_active(const fn_dev_t *s)
{
    return s->state != FN_SS_IDLE && s->state != FN_SS_DONE &&
           s->state != FN_SS_BACKOFF;
}

void fn__session_start(fn_dev_t *s)
{
    fn_engine_t *e = sess_engine(s);
    if (!s->live->counted) {
        s->live->counted = 1;
        e->sessions++;
        e->sessions_total++;
        if (e->sessions > e->sessions_peak)
            e->sessions_peak = e->sessions;
    }
    if (!s->t_first_us)
        s->t_first_us = fn_time_mono_us();
    s->tries++;
    s->live->reason[0] = '\0';
    free(s->reason); /* a new attempt: no stale failure */
    s->reason = NULL;
    sess_handshake(s, 1);
    sess_set_state(s, FN_SS_CONNECT);
    int rc = sess_socket(s);
    if (rc == FN_EAGAIN)
        return;
    sess_fail(s, rc);
}

/* Frees every resource (not the record). Reaper only: never inside the
 * session's own callback stack. */
void fn__session_free_resources(fn_dev_t *s)
{
    if (!s->task || !s->live)
        return;             /* never initialised, or no connection to free */
    if (s->live->dns_req) { /* its callback runs now with EVUTIL_EAI_CANCEL */
        evdns_getaddrinfo_cancel(s->live->dns_req);
        s->live->dns_req = NULL;
    }
    if (s->live->evs_added) {
        event_del(&s->live->rev);
        event_del(&s->live->wev);
        s->live->evs_added = 0;
        s->live->wev_on = 0;
    }
    sess_timer_stop(s);
    sess_read_later_stop(s);
    if (s->live->ch) {
        ssh_channel_free(s->live->ch);
        s->live->ch = NULL;
    }
    if (s->live->ssh) {
        ssh_disconnect(s->live->ssh); /* closes the fd it was given */
        ssh_free(s->live->ssh);
        s->live->ssh = NULL;
        s->live->fd = -1;
    }
    if (s->live->fd >= 0) {
        close(s->live->fd);
        s->live->fd = -1;
    }
    fn_matcher_free(s->live->m);
    s->live->m = NULL;
    fn_buf_wipe(&s->live->wq);
    fn_buf_cleanup(&s->live->wq);
    s->live->wq_off = 0;
    sess_wipe_password(s);
    sess_handshake(s, 0);
    if (s->live->counted) {
        s->live->counted = 0;
        sess_engine(s)->sessions--;
    }
    s->in_config = 0;
    s->live->job = JOB_NONE;
}

void fn__session_close(fn_dev_t *s)
{
    if (s->state == FN_SS_CLOSING)
        return;
    if (s->state == FN_SS_IDLE || s->state == FN_SS_DONE) {
        s->state = FN_SS_DONE;
        return;
    }
    if (s->state == FN_SS_BACKOFF)
        sess_timer_stop(s);
    sess_set_state(s, FN_SS_CLOSING);
    if (s->live->evs_added) { /* no more I/O callbacks for this session */
        event_del(&s->live->rev);
        event_del(&s->live->wev);
        s->live->wev_on = 0;
    }
    sess_read_later_stop(s);
    fn_engine_t *e = sess_engine(s);
    s->live->reap_next = e->reap;
    e->reap = s;
    fn__engine_kick(e);
}

/* Cancels a pending retry: back to IDLE, no timer. */
void fn__session_unbackoff(fn_dev_t *s)
{
    sess_timer_stop(s);
    s->state = FN_SS_IDLE;
}

/* BACKOFF: wait ms, then the task queues it to connect again. */
void fn__session_backoff(fn_dev_t *s, unsigned ms)
{
    s->state = FN_SS_BACKOFF;
    sess_timer(s, ms);
}
