/*
 * fn_lines.h — the one line reader of flexnet's line-based formats
 * (inventory INI, flexnet.conf, vendor profile files).
 *
 * Each format keeps only its own meaning on top; the reader decides, the
 * same way for all three:
 *  - lines end at "\n"; a "\r" before it is dropped (CRLF files);
 *  - blanks (space, tab) around a line are dropped;
 *  - a line whose first non-blank byte is '#' or ';' is a comment, and so
 *    is the rest of a line from a '#' that follows a blank, outside
 *    quotes ("key = a#b" keeps "a#b", "key = a # note" gives "a");
 *  - a value or word may be quoted: "..." with the escapes
 *    \\ \" \n \r \t \b \e \xHH, or '...' taken literally;
 *  - caps: a line longer than FN_LINES_MAX bytes, a NUL byte, a file over
 *    the caller's cap are errors;
 *  - every error reads "origin:line: what" (line 0: the whole file).
 *
 * Threads: a reader is one caller's; no globals. Ownership: the reader
 * borrows the text (valid while reading) and the err buffer; lines it
 * returns live in its own buffer until the next fn_lines_next().
 */
#ifndef FN_LINES_H
#define FN_LINES_H

#include <stddef.h>

#define FN_LINES_MAX 8192 /* bytes per line, "\r\n" excluded */

typedef struct fn_lines {
    const char *p, *end; /* borrowed text still to read */
    const char *origin;  /* borrowed; "<inline>" when NULL */
    int line;            /* number of the line last returned */
    char *err;           /* borrowed, may be NULL */
    size_t errlen;
    char buf[FN_LINES_MAX + 1];
} fn_lines_t;

/* Starts reading text (borrowed, len bytes). */
void fn_lines_init(fn_lines_t *r, const char *text, size_t len,
                   const char *origin, char *err, size_t errlen);

/* The next line that is not blank or a comment, trimmed, its inline
 * comment removed, in *line (borrowed, writable until the next call).
 * Returns 1, 0 at the end, or FN_EPARSE (NUL byte, overlong line, an
 * unterminated quote). */
int fn_lines_next(fn_lines_t *r, char **line);

/* Writes "origin:line: what" into the reader's err buffer. Returns
 * FN_EPARSE. */
int fn_lines_error(const fn_lines_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Decodes a value in place: a quoted value (the whole of s, blanks after
 * the closing quote allowed) loses its quotes and escapes; anything else
 * is taken as is. Returns 0 or FN_EPARSE (bad escape, unterminated quote,
 * text after the closing quote). */
int fn_lines_value(fn_lines_t *r, char *s);

/* Cuts the next blank-separated word off *s, in place: quotes may appear
 * anywhere in it (key="a b") and are decoded. Returns 1 with *word set
 * (borrowed from s) and *s moved past it, 0 when only blanks remain, or
 * FN_EPARSE. */
int fn_lines_word(fn_lines_t *r, char **s, char **word);

/* Splits "key = value" (blanks allowed around '=') in place: *key is the
 * trimmed left side, *value the decoded right side (fn_lines_value).
 * Returns 0, or FN_EPARSE when there is no '=' or the key is empty. */
int fn_lines_pair(fn_lines_t *r, char *s, char **key, char **value);

/* Reads the whole file at path (borrowed) into *text (owned: free()),
 * refusing files over cap bytes. Returns 0, -errno, or -EFBIG; on error
 * writes "path: what" into err (may be NULL). */
int fn_lines_slurp(const char *path, size_t cap, char **text, size_t *len,
                   char *err, size_t errlen);

#endif /* FN_LINES_H */
