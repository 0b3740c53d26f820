/*
 * fn_check.h — the one Check runner every suite's main() ends with.
 * Header-only: each suite is its own executable.
 */
#ifndef FN_CHECK_H
#define FN_CHECK_H

#include <check.h>

/* Runs s (the runner takes ownership), prints Check's summary line and
 * returns main()'s exit status: 0 when every test passed, else 1. */
static inline int fn_check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif /* FN_CHECK_H */
