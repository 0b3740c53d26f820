/*
 * fn_buf.h — a growable byte buffer with a hard cap.
 *
 * The one visible struct of common/: a value the caller embeds (init /
 * cleanup). Every buffer has a cap (`max`); at the cap appends truncate,
 * set `truncated`, and return FN_EFULL, so a device that prints forever
 * cannot eat the process. Data is always NUL-terminated for convenience;
 * `len` never counts the NUL. Not thread-safe.
 *
 * Ownership: the buffer owns `data`; fn_buf_cleanup() frees it.
 * fn_buf_steal() hands it to the caller (owned, free with free()).
 */
#ifndef FN_BUF_H
#define FN_BUF_H

#include <stddef.h>

typedef struct fn_buf {
    char *data;    /* owned; NULL until the first append */
    size_t len;    /* bytes used, excluding the NUL */
    size_t cap;    /* bytes allocated, including room for the NUL */
    size_t max;    /* hard cap on len; 0 means SIZE_MAX / 2 */
    int truncated; /* set once an append hit max */
} fn_buf_t;

/* Embeds an empty buffer whose len will never exceed max (0: unbounded). */
void fn_buf_init(fn_buf_t *b, size_t max);
void fn_buf_cleanup(fn_buf_t *b);
void fn_buf_reset(fn_buf_t *b); /* len = 0, keeps memory */

/* Appends (ptr, len). Returns 0, FN_EFULL (truncated at max; what fit was
 * appended) or -ENOMEM (nothing appended). */
int fn_buf_append(fn_buf_t *b, const void *ptr, size_t len);
int fn_buf_append_str(fn_buf_t *b, const char *s);
/* printf-style append; same codes as fn_buf_append. */
int fn_buf_printf(fn_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Returns the data (owned by the caller, free()) and resets the buffer.
 * Never NULL on success: an empty buffer yields "". NULL on -ENOMEM. */
char *fn_buf_steal(fn_buf_t *b, size_t *len);

/* Overwrites the contents with zeros (for secrets), then resets. */
void fn_buf_wipe(fn_buf_t *b);

/* Zeroes memory in a way the compiler may not elide. */
void fn_memwipe(void *p, size_t len);

#endif /* FN_BUF_H */
