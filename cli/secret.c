/*
 * secret.c — where the CLI gets passwords: an environment variable, the
 * terminal (no echo), or the command line (with a warning, and the argv
 * copy wiped at once so later `ps` runs do not see it).
 *
 * Secrets live in fn_buf_t buffers the caller wipes (fn_buf_wipe) when
 * the task has started (the engine keeps its own copy). Never printed,
 * never logged. Does not decide which source applies (run.c does).
 *
 * Thread: main thread only (terminal state). Owns nothing past a call.
 */
#include "cli_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SECRET_MAX 1024

int fn__cli_secret_env(const char *var, fn_buf_t *out)
{
    const char *v = getenv(var);
    fn_buf_init(out, SECRET_MAX);
    if (!v || !*v)
        return FN_ECREDS;
    return fn_buf_append_str(out, v) ? FN_EFULL : 0;
}

int fn__cli_secret_arg(char *arg, fn_buf_t *out, const char *flag)
{
    fn_buf_init(out, SECRET_MAX);
    int rc = fn_buf_append_str(out, arg) ? FN_EFULL : 0;
    fn_memwipe(arg, strlen(arg)); /* shrinks what /proc/PID/cmdline shows */
    fprintf(stderr,
            "flexnet: warning: %s puts the password on the command "
            "line, where ps and shell history can see it; prefer "
            "--password-env or --password-prompt\n",
            flag);
    return rc;
}

/* Reads one line from fd into out, byte by byte (a tty delivers a line at
 * a time anyway), without the newline. */
static int secret_read_line(int fd, fn_buf_t *out)
{
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0 || c == '\n' || c == '\r')
            return n == 0 && !out->len ? FN_ECREDS : 0;
        if (fn_buf_append(out, &c, 1))
            return FN_EFULL;
    }
}

int fn__cli_secret_prompt(const char *prompt, fn_buf_t *out)
{
    struct termios saved, quiet;
    fn_buf_init(out, SECRET_MAX);
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    if (tcgetattr(fd, &saved) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    quiet.c_lflag |= ICANON;
    /* Echo off before the prompt, and TCSANOW (not TCSAFLUSH) both ways:
     * an answer typed (or piped) right after the prompt is kept. */
    int rc = tcsetattr(fd, TCSANOW, &quiet) < 0 ? -errno : 0;
    if (!rc && write(fd, prompt, strlen(prompt)) < 0)
        rc = -errno;
    if (!rc)
        rc = secret_read_line(fd, out);
    tcsetattr(fd, TCSANOW, &saved);
    if (write(fd, "\n", 1) < 0)
        rc = rc ? rc : -errno;
    close(fd);
    if (!rc && !out->len)
        rc = FN_ECREDS;
    if (rc)
        fn_buf_wipe(out);
    return rc;
}

int fn__cli_ask_yes_no(int fd, const char *question)
{
    fn_buf_t answer;
    fn_buf_init(&answer, 64);
    fputs(question, stderr);
    fflush(stderr);
    int rc = secret_read_line(fd, &answer);
    int yes = !rc && answer.data &&
              (!strcmp(answer.data, "y") || !strcmp(answer.data, "yes") ||
               !strcmp(answer.data, "Y") || !strcmp(answer.data, "YES"));
    fn_buf_cleanup(&answer);
    return yes;
}
