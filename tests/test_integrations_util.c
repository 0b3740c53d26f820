/*
 * test_integrations_util.c — process and loop helpers of the
 * integrations test suites. See test_integrations_util.h.
 *
 * Servers are children of the test: started with fork/exec, stopped with
 * SIGTERM then SIGKILL by pid (never by name). Readiness is a line the
 * fake prints or a successful connect, never a sleep.
 */
#include "test_integrations_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "fn_log.h"
#include "fn_time.h"

void fx_src_path(const char *rel, char *out, size_t outlen)
{
    const char *src = getenv("FN_TEST_SRC");
    snprintf(out, outlen, "%s/%s", src ? src : ".", rel);
}

void fx_tmpdir(const char *name, char *out, size_t outlen)
{
    const char *bin = getenv("FN_TEST_BIN");
    char base[512];
    snprintf(base, sizeof(base), "%s/tests/tmp", bin ? bin : ".");
    mkdir(base, 0755);
    snprintf(out, outlen, "%s/%s-%d", base, name, (int)getpid());
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot clean %s\n", out);
    mkdir(out, 0700);
}

void fx_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

/* bind (probe) or connect a fresh socket to 127.0.0.1:port; 1 if ok. */
static int loopback_try(int port, int do_connect)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct sockaddr *sa = (struct sockaddr *)&a;
    int ok = do_connect ? connect(fd, sa, sizeof(a)) == 0
                        : bind(fd, sa, sizeof(a)) == 0;
    close(fd);
    return ok;
}

int fx_free_port(int lo, int hi)
{
    for (int port = lo; port <= hi; port++)
        if (loopback_try(port, 0))
            return port;
    return -1;
}

/* fork + exec argv with stdout (and, for a command, stderr) into a
 * pipe; env "K=V" pairs added. A server (not a command) gets its own
 * process group and dies with the test process. */
static pid_t spawn(const char *const *argv, const char *const *env, int command,
                   int *out_fd)
{
    int fds[2];
    if (pipe(fds))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        if (command)
            dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        for (; env && *env; env++)
            putenv((char *)*env);
        if (!command) {
            setpgid(0, 0);
            /* A failed test exits without fx_stop: take the server along. */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    *out_fd = fds[0];
    return pid;
}

/* Reads "READY <port>" from fd within timeout_ms. */
static int read_ready(int fd, int timeout_ms)
{
    char line[128];
    size_t n = 0;
    int64_t end = fn_time_mono_us() + (int64_t)timeout_ms * 1000;
    while (n < sizeof(line) - 1) {
        int left = (int)((end - fn_time_mono_us()) / 1000);
        struct pollfd pfd = {fd, POLLIN, 0};
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return -1;
        ssize_t r = read(fd, line + n, 1);
        if (r <= 0)
            return -1;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    if (strncmp(line, "READY ", 6))
        return -1;
    char *stop = NULL;
    long port = strtol(line + 6, &stop, 10);
    return stop != line + 6 && port > 0 && port < 65536 ? (int)port : -1;
}

int fx_start_fake(fx_proc_t *p, const char *script, int lo, int hi,
                  const char *const *extra)
{
    char path[1024], rel[256], ports[32];
    const char *argv[32];
    size_t n = 0;
    snprintf(rel, sizeof(rel), "tests/fakes/%s", script);
    fx_src_path(rel, path, sizeof(path));
    snprintf(ports, sizeof(ports), "%d-%d", lo, hi);
    argv[n++] = "/usr/bin/python3";
    argv[n++] = path;
    argv[n++] = "--ports";
    argv[n++] = ports;
    for (; extra && *extra && n < 30; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    int fd = -1;
    p->pid = spawn(argv, NULL, 0, &fd);
    if (p->pid < 0)
        return -1;
    p->port = read_ready(fd, 30000);
    close(fd);
    if (p->port < 0) {
        fx_stop(p);
        return -1;
    }
    return 0;
}

int fx_start_s3rver(fx_proc_t *p, const char *dir, int lo, int hi)
{
    char bin[1024], port[16];
    fx_src_path(".tools/node_modules/s3rver/bin/s3rver.js", bin, sizeof(bin));
    struct stat st;
    if (stat(bin, &st)) {
        fprintf(stderr, "s3rver missing at %s: run scripts/bootstrap\n", bin);
        return -1;
    }
    p->port = fx_free_port(lo, hi);
    snprintf(port, sizeof(port), "%d", p->port);
    const char *argv[] = {"/usr/bin/env", "node", bin,  "-d", dir, "-a",
                          "127.0.0.1",    "-p",   port, "-s", NULL};
    int fd = -1;
    p->pid = spawn(argv, NULL, 0, &fd);
    if (p->pid < 0)
        return -1;
    close(fd);
    for (int64_t end = fn_time_mono_us() + 30000000; fn_time_mono_us() < end;) {
        if (loopback_try(p->port, 1))
            return 0;
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            return -1;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL); /* polling for readiness, not syncing */
    }
    fx_stop(p);
    return -1;
}

void fx_stop(fx_proc_t *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            return;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    *(int *)arg = 1;
}

int fx_run_until(struct event_base *base, const int *flag, int timeout_ms)
{
    int expired = 0;
    struct event *t = evtimer_new(base, on_deadline, &expired);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(t, &tv);
    while (!*flag && !expired)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
    return *flag ? 0 : -1;
}

static void log_hook(int level, const fn_log_ctx_t *ctx, const char *line,
                     void *arg)
{
    fn_buf_printf(arg, "%s\n", line);
}

void fx_capture_logs(fn_buf_t *log)
{
    fn_log_configure(FN_LOG_DEBUG, FN_LOGC_ALL, stderr);
    fn_log_set_hook(log_hook, log);
}

int fx_run(const char *const *argv, const char *const *env, fn_buf_t *out)
{
    int fd = -1;
    pid_t pid = spawn(argv, env, 1, &fd);
    if (pid < 0)
        return -1;
    char buf[4096];
    ssize_t r;
    while ((r = read(fd, buf, sizeof(buf))) > 0)
        fn_buf_append(out, buf, (size_t)r);
    close(fd);
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
