/*
 * fn_utf8.h — the one UTF-8 check and sanitizer of the project.
 *
 * Device output is bytes; proto3 `string` fields and JSON text must be
 * UTF-8 (Python and Go gRPC clients refuse a message otherwise, for good:
 * a stored task would never read back). Everything that turns device
 * bytes into text goes through here: well-formed sequences pass, every
 * other byte becomes U+FFFD (one per byte, so lengths stay predictable),
 * overlongs, surrogates and code points above U+10FFFF included.
 *
 * Pure; thread-safe; owns nothing (writes into the caller's fn_buf_t).
 */
#ifndef FN_UTF8_H
#define FN_UTF8_H

#include <stddef.h>

#include "fn_buf.h"

#define FN_UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD, 3 bytes */

/* Length of the well-formed UTF-8 sequence at s (n >= 1 bytes left), or
 * 0 when the bytes there are not one. ASCII (including NUL) is 1. */
size_t fn_utf8_seq_len(const unsigned char *s, size_t n);

/* 1 if (s, len) is entirely well-formed UTF-8, else 0. */
int fn_utf8_valid(const void *s, size_t len);

/* Appends (s, len) to out with each byte that is not part of a
 * well-formed sequence replaced by U+FFFD. Returns 0 or fn_buf_append's
 * codes (FN_EFULL, -ENOMEM). */
int fn_utf8_sanitize(const void *s, size_t len, fn_buf_t *out);

/* Appends (s, len) in standard base64 with padding: how text front ends
 * (the CLI's --json) carry bytes that are not UTF-8 exactly. Returns 0
 * or fn_buf_append's codes. */
int fn_utf8_base64(const void *s, size_t len, fn_buf_t *out);

#endif /* FN_UTF8_H */
