/*
 * fn_str.h — small string helpers shared by the line-based parsers
 * (inventory, integrations config). Pure; thread-safe.
 */
#ifndef FN_STR_H
#define FN_STR_H

#include <stddef.h>
#include <stdint.h>

/* Trims leading and trailing white space (isspace) in place: writes a NUL
 * after the last non-blank byte and returns the first non-blank one (a
 * pointer into s, borrowed). */
char *fn_str_trim(char *s);

/* FNV-1a, 64 bits, over a NUL-terminated string: the one name hash of
 * the project (host -> device maps, stable shard assignment). Stable
 * across runs and machines: never change it, shards depend on it. */
uint64_t fn_str_hash(const char *s);

/* Edit distance (insert, delete, substitute, swap of neighbours) between
 * a and b, counted up to cap (returns cap when it is at least cap).
 * Strings longer than 63 bytes compare as different (returns cap). */
unsigned fn_str_distance(const char *a, const char *b, unsigned cap);

/* The "did you mean" candidate: the name in names[0 .. n) closest to
 * word, if close enough to be a typo (distance at most 2, and less than
 * half of word's length); else NULL. Borrowed from names. */
const char *fn_str_closest(const char *word, const char *const *names,
                           size_t n);

/* Appends s (len bytes) as a quoted JSON string: well-formed UTF-8
 * passes, every other byte becomes U+FFFD, control characters are
 * escaped, so any bytes yield valid JSON. Codes of fn_buf_append. */
struct fn_buf;
int fn_str_json_escape(struct fn_buf *b, const char *s, size_t len);
/* Appends s (len bytes) as valid UTF-8: well-formed sequences pass, every
 * other byte becomes U+FFFD (proto3 strings must be UTF-8). Codes of
 * fn_buf_append. */
int fn_str_utf8(struct fn_buf *b, const char *s, size_t len);
/* The last non-empty line of text (len bytes; a device prints its error
 * last): where it starts (inside text, borrowed), its length in *n
 * without the line end. *n is 0 when text holds no such line. */
const char *fn_str_last_line(const char *text, size_t len, size_t *n);

#endif /* FN_STR_H */
