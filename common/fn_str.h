/*
 * fn_str.h — small string helpers shared by the line-based parsers
 * (inventory, integrations config). Pure; thread-safe.
 */
#ifndef FN_STR_H
#define FN_STR_H

/* Trims leading and trailing white space (isspace) in place: writes a NUL
 * after the last non-blank byte and returns the first non-blank one (a
 * pointer into s, borrowed). */
char *fn_str_trim(char *s);

#endif /* FN_STR_H */
