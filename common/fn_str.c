/*
 * fn_str.c — see fn_str.h.
 */
#include "fn_str.h"

#include <ctype.h>
#include <string.h>

char *fn_str_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}
