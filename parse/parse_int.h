/*
 * parse_int.h — what template.c (the compiler) hands fsm.c (the runner):
 * the compiled template. Immutable after fn_parse_tpl_new returns.
 */
#ifndef FN_PARSE_INT_H
#define FN_PARSE_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdatomic.h>
#include <stdint.h>

#include "fn_parse.h"

/* TextFSM's limits (python3-textfsm MAX_NAME_LEN) and ours. */
#define FN__PARSE_MAX_NAME 48
#define FN__PARSE_MAX_OPTS 5
/* Backtracking budget per rule and line: the one catastrophic template
 * of ntc-templates stops here (DESIGN.md) instead of running for hours. */
#define FN__PARSE_MATCH_LIMIT 1000000u

enum fn__parse_lop { FN__LOP_NEXT, FN__LOP_CONTINUE, FN__LOP_ERROR };
enum fn__parse_rop {
    FN__ROP_NONE,
    FN__ROP_RECORD,
    FN__ROP_CLEAR,
    FN__ROP_CLEARALL
};
/* Rule targets that are not state indexes. */
#define FN__STATE_SAME (-1)
#define FN__STATE_END  (-2)
#define FN__STATE_EOF  (-3)

/* A named group of a rule regex that assigns a Value. */
typedef struct fn__parse_grp {
    uint32_t group; /* capture number */
    uint32_t value; /* index into values */
} fn__parse_grp_t;

typedef struct fn__parse_value {
    char *name;                        /* owned */
    unsigned opts;                     /* enum fn_parse_opt bits */
    uint8_t order[FN__PARSE_MAX_OPTS]; /* options as declared: Python
                                        * runs their hooks in that order */
    int nopts;
    pcre2_code *list_re;  /* owned; List values only: the Value's own
                           * regex, for items with nested named groups */
    uint32_t list_ncap;   /* its capture count */
    uint32_t list_nnames; /* its named groups, in group order: */
    uint32_t *list_grp;   /* owned; capture numbers */
    char **list_name;     /* owned; names */
} fn__parse_value_t;

typedef struct fn__parse_rule {
    pcre2_code *re; /* owned; anchored */
    int jit;        /* re is JIT-compiled: pcre2_jit_match */
    /* Cheap rejects before calling PCRE2 (most lines fail most rules):
     * the bytes a match can start with, and its minimum length. */
    uint8_t first[32]; /* bitmap; all ones when unknown */
    uint32_t min_len;
    int line;             /* template line, for Error messages */
    int lop, rop;         /* enum fn__parse_lop / rop */
    int next;             /* state index or FN__STATE_* */
    char *msg;            /* owned; Error's argument as written, or NULL */
    fn__parse_grp_t *grp; /* owned; in capture order */
    uint32_t ngrp;
} fn__parse_rule_t;

typedef struct fn__parse_state {
    char *name; /* owned */
    fn__parse_rule_t *rules;
    size_t nrules;
} fn__parse_state_t;

struct fn_parse_tpl {
    atomic_int refs; /* references less one */
    fn__parse_value_t *values;
    size_t nvalues;
    fn__parse_state_t *states; /* End removed, as python3-textfsm does */
    size_t nstates;
    int start;        /* index of Start */
    int eof_declared; /* an EOF state exists: no implicit EOF record */
    uint32_t max_cap; /* largest capture count of any regex */
};

#endif /* FN_PARSE_INT_H */
