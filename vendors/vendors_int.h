/*
 * vendors_int.h — internals shared by the files of vendors/: the profile
 * struct, its field table, the keyword automaton and the glob patterns.
 *
 * Not a public header: only the .c files of vendors/ include it. The engine and
 * the tests use fn_vendor.h and fn_matcher.h.
 *
 * Threads: everything here is immutable once fn_vendors_new() returned,
 * except the matcher's own state.
 */
#ifndef FN_VENDORS_INT_H
#define FN_VENDORS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fn_vendor.h"

/* Caps on profile data (a profile file is user input). */
#define FN__VENDOR_NAME_MAX  64    /* profile name, bytes */
#define FN__VENDOR_VALUE_MAX 512   /* one value, bytes */
#define FN__VENDOR_LIST_MAX  128   /* items in one list */
#define FN__VENDOR_FILE_MAX  65536 /* one profile file, bytes */
#define FN__AC_STATES_MAX    32767 /* automaton states (15-bit ids) */

/* X(ENUM, "key"): single-string fields of a profile. Order is print order
 * after the lists that come first (see FN__VENDOR_FIELDS in vendor.c). */
#define FN__VENDOR_STRS(X)                                                     \
    X(DESCRIPTION, "description")                                              \
    X(PAGER_ANSWER, "pager_answer")                                            \
    X(ENABLE, "enable")                                                        \
    X(CONFIG_ENTER, "config_enter")                                            \
    X(CONFIG_LEAVE, "config_leave")                                            \
    X(CONFIG_COMMIT, "config_commit")                                          \
    X(CONFIG_DISCARD, "config_discard")                                        \
    X(ENABLE_CHECK, "enable_check")                                            \
    X(SAVE, "save")                                                            \
    X(BACKUP, "backup")                                                        \
    X(USERNAME_SUFFIX, "username_suffix")                                      \
    X(CARET_ERROR, "caret_error")

/* X(ENUM, "key"): list fields (repeated keys). */
#define FN__VENDOR_LISTS(X)                                                    \
    X(PROMPT_USER, "prompt_user")                                              \
    X(PROMPT_PRIV, "prompt_priv")                                              \
    X(PROMPT_CONFIG, "prompt_config")                                          \
    X(PASSWORD, "password_prompt")                                             \
    X(PAGER, "pager")                                                          \
    X(SETUP, "setup")                                                          \
    X(ERROR, "error")                                                          \
    X(ERROR_START, "error_start")                                              \
    X(STRIP_LINE, "strip_line")                                                \
    X(CLEAN, "clean")                                                          \
    X(BACKUP_STRIP, "backup_strip")                                            \
    X(SECRET, "secret")                                                        \
    X(SECRET_HASH, "secret_hash")                                              \
    X(BACKUP_MARKER, "backup_marker")                                          \
    X(SAVE_EXPECT, "save_expect")

enum fn__vendor_str {
#define FN__X(e, k) FN__VS_##e,
    FN__VENDOR_STRS(FN__X)
#undef FN__X
        FN__VS_COUNT
};

enum fn__vendor_list {
#define FN__X(e, k) FN__VL_##e,
    FN__VENDOR_LISTS(FN__X)
#undef FN__X
        FN__VL_COUNT
};

/* Cleaning rules a profile can switch off (list "clean"). ANSI escapes,
 * '\r', backspaces, pager text and the trailing prompt are always
 * removed: without that the output is not text. */
enum fn__clean {
    FN__CLEAN_ECHO = 1 << 0,  /* drop the echoed command line */
    FN__CLEAN_CARET = 1 << 1, /* route "   ^" marker lines to stderr */
};

typedef struct fn__strlist {
    char **items; /* owned, each owned */
    size_t n;
} fn__strlist_t;

/*
 * Aho–Corasick automaton over the error keywords of one profile, as a full
 * DFA on byte classes. Keywords anchored at line start are stored with a
 * leading '\n': lines never contain '\n', and the matcher starts every
 * line in the state reached by a virtual '\n', so they match only there.
 * A delta entry's bit 15 says "the target state ends a keyword".
 */
typedef struct fn__ac {
    uint16_t *delta;  /* owned: nstates * ncls entries */
    int16_t *match;   /* owned: keyword id ending in a state, or -1 */
    uint8_t cls[256]; /* byte -> class; 0 = no keyword uses the byte */
    uint8_t go0[256]; /* 1 if the byte leaves the root state */
    uint16_t ncls;
    uint16_t nstates;
    uint16_t line_start; /* state after the virtual '\n' */
    /* The skip loop looks for a rare 3-byte piece of each unanchored
     * keyword (vendor_ac.c: ac_prefixes). */
    uint8_t npre;      /* distinct pieces, or > FN__AC_PRE_MAX: pairs */
    uint8_t pre[8][3]; /* the pieces */
    uint8_t nfirst;    /* distinct first bytes of the pieces */
    uint8_t first[8];
    uint8_t tail;     /* longest keyword - 1 (exact check at a cut) */
    uint16_t max_off; /* farthest piece from its keyword's start */
    /* the same bytes, each repeated 16 times (vector compares) */
    uint8_t vfirst[8][16];
    uint8_t vpre[8][3][16];
    uint8_t *pairs; /* owned: bit (b0 << 8 | b1) set when a keyword
                       may start with b0 b1 (65536 bits) */
} fn__ac_t;

#define FN__AC_PRE_MAX 8

#define FN__AC_HIT 0x8000u

/* Bits of fn_vendor.line_first / line_last: which whole-line pattern
 * lists may match a line starting / ending with a byte. */
enum fn__line_list {
    FN__LINE_STRIP = 1 << 0,
    FN__LINE_PAGER = 1 << 1,
    FN__LINE_PASSWORD = 1 << 2,
};

struct fn_vendor {
    char *name;   /* owned */
    char *source; /* owned: "builtin" or the file path */
    char *str[FN__VS_COUNT];
    fn__strlist_t list[FN__VL_COUNT];
    unsigned clean;          /* enum fn__clean bits, from list "clean" */
    int caret_error;         /* a caret marker line alone is an error */
    uint8_t line_first[256]; /* enum fn__line_list bits, see vendor.c */
    uint8_t line_last[256];
    fn__ac_t ac;
    /* save_expect items split: questions owned, answers point into the
     * items ("QUESTION => ANSWER"; vendor_finish builds them) */
    fn__strlist_t save_q;
    const char **save_a;
};

/* vendor_ac.c */
int fn__ac_build(fn__ac_t *ac, const fn_vendor_t *v);
void fn__ac_free(fn__ac_t *ac);
/* Runs the automaton over (p, n) from *state. Returns the id of the first
 * keyword that ends in it (see fn__vendor_keyword) or -1; *state is the
 * state after the last byte looked at (it stops at a hit). last: the
 * line ends at p + n (else more of it follows in another call). The
 * caller guarantees FN__AC_PAD readable bytes after p + n (any content):
 * the skip loop reads whole 16-byte blocks. */
#define FN__AC_PAD 32
int fn__ac_run(const fn__ac_t *ac, uint16_t *state, const char *p, size_t n,
               int last);

/* Keyword id -> text (ids number "error" then "error_start"). */
const char *fn__vendor_keyword(const fn_vendor_t *v, int id);

/* vendor_glob.c: whole-string patterns. '*' matches any run of bytes,
 * "{base}" the base prompt (when base is NULL: a run of host name bytes,
 * captured into cap), '\' quotes the next byte. */
typedef struct fn__glob_cap {
    const char *p; /* start of the captured base in the subject */
    size_t n;
} fn__glob_cap_t;
int fn__glob_match(const char *pat, const char *s, size_t n, const char *base,
                   fn__glob_cap_t *cap);
/* Matches a trimmed subject against a pattern whose trailing blanks are
 * required: pattern "{base}$ " needs at least one blank after the '$'. */
int fn__glob_match_line(const char *pat, const char *s, size_t n,
                        size_t trailing_blanks, const char *base,
                        fn__glob_cap_t *cap);

/* vendor_builtin.c: "key", "value", ... NULL. */
typedef struct fn__builtin {
    const char *name;
    const char *const *kv;
} fn__builtin_t;
extern const fn__builtin_t fn__vendor_builtins[];
extern const size_t fn__vendor_builtin_count;

#endif /* FN_VENDORS_INT_H */
