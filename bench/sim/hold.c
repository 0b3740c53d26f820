/*
 * hold.c — bench/sim's client: opens N interactive SSH sessions against
 * flexnet-sim (device i on base-port + i), one libevent loop, libssh in
 * non-blocking mode, and holds them open until SIGTERM/SIGINT.
 *
 * Each session: TCP connect (loopback, TCP_NODELAY), key exchange,
 * password auth, session channel, pty, shell, first prompt. At most
 * --inflight sessions are being set up at once. When all are up (or
 * failed) it prints one line: "held OK FAILED SECONDS" and keeps them open
 * so the caller can measure the simulator's memory per idle session.
 *
 * Does not: run commands, check host keys (a benchmark, not a client).
 * Thread: one. Owns: every session; frees nothing at exit (the process
 * ends; a benchmark driver, not a library).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <libssh/libssh.h>

enum { C_CONNECT, C_AUTH, C_OPEN, C_PTY, C_SHELL, C_PROMPT, C_IDLE, C_DEAD };

typedef struct hold hold_t;

typedef struct conn {
    hold_t *h;
    int state;
    int fd;
    ssh_session ssh;
    ssh_channel ch;
    struct event rd, wr;
} conn_t;

struct hold {
    struct event_base *base;
    unsigned n, next, inflight, max_inflight, ok, failed, port;
    const char *user, *password;
    conn_t *conns;
    struct timespec t0;
};

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) +
           (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void start_more(hold_t *h);

static void drop(conn_t *c)
{
    c->state = C_DEAD;
    event_del(&c->rd);
    event_del(&c->wr);
    if (c->ssh)
        ssh_free(c->ssh);
    c->ssh = NULL;
}

/* A set-up ended: count it, start the next, report when all ended. */
static void finish(conn_t *c, int ok)
{
    hold_t *h = c->h;
    h->inflight--;
    if (ok) {
        h->ok++;
        c->state = C_IDLE;
    } else {
        h->failed++;
        drop(c);
    }
    start_more(h);
    if (h->ok + h->failed == h->n) {
        printf("held %u %u %.3f\n", h->ok, h->failed, since(&h->t0));
        fflush(stdout);
    }
}

/* One state's call. Returns SSH_OK (advance), SSH_AGAIN or SSH_ERROR. */
static int step_once(conn_t *c)
{
    char buf[4096];
    switch (c->state) {
    case C_CONNECT:
        return ssh_connect(c->ssh);
    case C_AUTH: {
        int rc = ssh_userauth_password(c->ssh, NULL, c->h->password);
        return rc == SSH_AUTH_SUCCESS ? SSH_OK
               : rc == SSH_AUTH_AGAIN ? SSH_AGAIN
                                      : SSH_ERROR;
    }
    case C_OPEN:
        if (!c->ch && !(c->ch = ssh_channel_new(c->ssh)))
            return SSH_ERROR;
        return ssh_channel_open_session(c->ch);
    case C_PTY:
        return ssh_channel_request_pty_size(c->ch, "vt100", 200, 50);
    case C_SHELL:
        return ssh_channel_request_shell(c->ch);
    case C_PROMPT: {
        int n = ssh_channel_read_nonblocking(c->ch, buf, sizeof(buf), 0);
        if (n < 0)
            return SSH_ERROR;
        while (n > 0 && buf[n - 1] == ' ')
            n--;
        if (n > 0 && strchr(">#]", buf[n - 1]))
            return SSH_OK;
        return SSH_AGAIN;
    }
    default: {
        int n = ssh_channel_read_nonblocking(c->ch, buf, sizeof(buf), 0);
        return n < 0 || ssh_channel_is_eof(c->ch) ? SSH_ERROR : SSH_AGAIN;
    }
    }
}

static void step(conn_t *c)
{
    if (c->state == C_IDLE) { /* held: only notice the server closing */
        if (step_once(c) == SSH_ERROR) {
            fprintf(stderr, "hold: a held session closed\n");
            c->h->ok--;
            c->h->failed++;
            drop(c);
        }
        return;
    }
    for (;;) {
        int rc = step_once(c);
        if (rc == SSH_ERROR) {
            finish(c, 0);
            return;
        }
        if (rc == SSH_AGAIN)
            break;
        if (++c->state == C_IDLE) {
            finish(c, 1);
            break;
        }
    }
    if (ssh_get_poll_flags(c->ssh) & SSH_WRITE_PENDING)
        event_add(&c->wr, NULL);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    conn_t *c = arg;
    if (c->state != C_DEAD)
        step(c);
}

static int tcp_connect(unsigned port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    evutil_make_socket_nonblocking(fd);
    return fd;
}

static void conn_start(hold_t *h, conn_t *c, unsigned i)
{
    int no = 0;
    c->h = h;
    h->inflight++;
    c->fd = tcp_connect(h->port + i);
    c->ssh = c->fd < 0 ? NULL : ssh_new();
    if (!c->ssh) {
        if (c->fd >= 0)
            close(c->fd);
        finish(c, 0);
        return;
    }
    ssh_options_set(c->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh_options_set(c->ssh, SSH_OPTIONS_HOST, "127.0.0.1");
    ssh_options_set(c->ssh, SSH_OPTIONS_USER, h->user);
    ssh_options_set(c->ssh, SSH_OPTIONS_FD, &c->fd);
    ssh_set_blocking(c->ssh, 0);
    event_assign(&c->rd, h->base, c->fd, EV_READ | EV_PERSIST, on_io, c);
    event_assign(&c->wr, h->base, c->fd, EV_WRITE, on_io, c);
    event_add(&c->rd, NULL);
    step(c);
}

static void start_more(hold_t *h)
{
    while (h->next < h->n && h->inflight < h->max_inflight) {
        unsigned i = h->next++;
        conn_start(h, &h->conns[i], i);
    }
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
    event_base_loopbreak(arg);
}

static unsigned arg_num(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || end == s || v > 1000000) {
        fprintf(stderr, "hold: bad number '%s'\n", s);
        exit(2);
    }
    return (unsigned)v;
}

int main(int argc, char **argv)
{
    hold_t h = {.n = 100,
                .max_inflight = 200,
                .port = 10000,
                .user = "admin",
                .password = "admin"};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--sessions") == 0)
            h.n = arg_num(argv[i + 1]);
        else if (strcmp(argv[i], "--inflight") == 0)
            h.max_inflight = arg_num(argv[i + 1]);
        else if (strcmp(argv[i], "--base-port") == 0)
            h.port = arg_num(argv[i + 1]);
        else {
            fprintf(stderr, "usage: hold --sessions N --base-port P "
                            "[--inflight C]\n");
            return 2;
        }
    }
    h.base = event_base_new();
    h.conns = calloc(h.n, sizeof(conn_t));
    if (!h.base || !h.conns)
        return 2;
    struct event *st = evsignal_new(h.base, SIGTERM, on_stop, h.base);
    struct event *si = evsignal_new(h.base, SIGINT, on_stop, h.base);
    evsignal_add(st, NULL);
    evsignal_add(si, NULL);
    clock_gettime(CLOCK_MONOTONIC, &h.t0);
    start_more(&h);
    event_base_dispatch(h.base);
    return h.failed ? 1 : 0;
}
