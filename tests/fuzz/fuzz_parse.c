/*
 * fuzz_parse.c — libFuzzer target for parse/: the input is a template,
 * a NUL byte, then command output. Compiles the template (any bytes must
 * give a template or FN_ETEMPLATE, never a crash), then feeds the output
 * in chunks whose size the first output byte picks, finishes and writes
 * the JSON. ASan/UBSan catch the rest. Corpus: tests/fuzz/parse_corpus
 * (seeds: tests/parse/cases and templates with their inputs).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fn_buf.h"
#include "fn_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    const char *nul = memchr(d, '\0', size);
    size_t tlen = nul ? (size_t)(nul - d) : size;
    const char *in = nul ? nul + 1 : "";
    size_t inlen = nul ? size - tlen - 1 : 0;
    fn_parse_tpl_t *t = NULL;
    char why[FN_PARSE_REASON_LEN];
    if (fn_parse_tpl_new(d, tlen, "fuzz", &t, why, sizeof why) != 0)
        return 0;
    fn_parse_t *p = NULL;
    if (fn_parse_new(t, 1u << 20, &p) == 0) {
        size_t chunk = inlen ? (unsigned char)in[0] % 17 + 1 : 1;
        int rc = 0;
        for (size_t i = 0; i < inlen && rc == 0; i += chunk)
            rc =
                fn_parse_feed(p, in + i, inlen - i < chunk ? inlen - i : chunk);
        if (rc == 0)
            fn_parse_finish(p);
        fn_buf_t b;
        fn_buf_init(&b, 0);
        fn_parse_json(p, &b);
        fn_buf_cleanup(&b);
        fn_parse_free(p);
    }
    fn_parse_tpl_free(t);
    return 0;
}
