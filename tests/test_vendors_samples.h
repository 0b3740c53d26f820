/*
 * test_vendors_samples.h — real-world device transcripts with the result
 * the matcher must give, one table shared by the Check suite, the fuzz
 * corpus seed and the matcher benchmark.
 */
#ifndef TEST_VENDORS_SAMPLES_H
#define TEST_VENDORS_SAMPLES_H

#include <stddef.h>

typedef struct vendor_sample {
    const char *name;
    const char *vendor;
    const char *login;   /* raw bytes from shell start to the first prompt */
    const char *base;    /* base prompt learned from it */
    const char *command; /* as sent */
    const char *output;  /* raw bytes after sending it, ending in a prompt */
    int exit_code;
    const char *keyword; /* first error keyword, or NULL */
    const char *out;     /* cleaned stdout */
    const char *err;     /* stderr */
    int mode;            /* enum fn_vendor_mode of the final prompt */
} vendor_sample_t;

extern const vendor_sample_t vendor_samples[];
extern const size_t vendor_sample_count;

#endif
