/*
 * util.c — small helpers of the CLI that fit nowhere else: reading a
 * whole file with a cap.
 *
 * Thread: any. Owns nothing.
 */
#include "cli_int.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int fn__cli_read_file(const char *path, fn_buf_t *out, size_t max)
{
    char chunk[8192];
    fn_buf_init(out, max);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : 0;
            break;
        }
        rc = fn_buf_append(out, chunk, (size_t)n);
        if (rc)
            break;
    }
    close(fd);
    if (!rc && !out->data)
        rc = fn_buf_append(out, "", 0); /* an empty file reads as "" */
    return rc;
}
