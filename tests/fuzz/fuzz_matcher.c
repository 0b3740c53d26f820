/*
 * fuzz_matcher.c — libFuzzer target for the matcher's feed path.
 *
 * Input: byte 0 picks the profile, byte 1 the chunking (low nibble: chunk
 * size scale, 0 = one chunk; high nibble: seed), then "login NUL command
 * NUL output" (missing parts are empty / "show version"). The login is
 * fed in login mode; each time a prompt ends a command, the command
 * starts again on the rest of the output, so every state is reached with
 * arbitrary bytes in arbitrary chunks. Checks the header promises that
 * hold for any input: results are NUL-free text of the stated lengths,
 * within their caps, and memory stays bounded.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined (tests/vendors.cmake);
 * ctest runs it over tests/fuzz/corpus only. Thread: libFuzzer's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fn_matcher.h"
#include "fn_vendor.h"

#define MAX_OUTPUT 4096

static fn_vendors_t *registry(void)
{
    static fn_vendors_t *vs; /* the harness's one singleton */
    if (!vs && fn_vendors_new(&vs, NULL, NULL, 0) != 0)
        abort();
    return vs;
}

static void check_result(fn_matcher_t *m)
{
    fn_match_result_t r;
    if (fn_matcher_finish(m, &r) != 0 || strlen(r.out) != r.out_len ||
        strlen(r.err) != r.err_len || r.out_len > MAX_OUTPUT ||
        r.err_len > FN_MATCHER_ERR_MAX || (r.exit_code != 0) != !!r.keyword)
        abort();
    if (fn_matcher_memory(m) >
        fn_matcher_state_size() + 2 * MAX_OUTPUT + 2 * FN_MATCHER_ERR_MAX)
        abort();
}

/* Next chunk length: 1..scale*8 bytes from a tiny LCG, or all. */
static size_t chunk_len(unsigned *seed, unsigned scale, size_t left)
{
    if (scale == 0)
        return left;
    *seed = *seed * 1103515245u + 12345u;
    size_t n = 1 + (*seed >> 16) % (scale * 8);
    return n < left ? n : left;
}

static void feed_all(fn_matcher_t *m, const char *cmd, const uint8_t *p,
                     size_t n, unsigned *seed, unsigned scale)
{
    while (n > 0) {
        size_t k = chunk_len(seed, scale, n);
        int ev = fn_matcher_feed(m, (const char *)p, k);
        p += k;
        n -= k;
        if (ev & FN_MATCH_PROMPT) {
            check_result(m);
            fn_matcher_begin(m, cmd);
        }
    }
    check_result(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    fn_vendors_t *vs = registry();
    const fn_vendor_t *v = fn_vendors_at(vs, data[0] % fn_vendors_count(vs));
    unsigned scale = data[1] & 0x0f, seed = data[1] >> 4;
    const uint8_t *p = data + 2, *end = data + size;
    const uint8_t *z1 = memchr(p, 0, (size_t)(end - p));
    const uint8_t *z2 = z1 ? memchr(z1 + 1, 0, (size_t)(end - z1 - 1)) : NULL;
    char cmd[FN_MATCHER_CMD_MAX + 64] = "show version";
    if (z2 && (size_t)(z2 - z1 - 1) < sizeof(cmd)) {
        memcpy(cmd, z1 + 1, (size_t)(z2 - z1 - 1));
        cmd[z2 - z1 - 1] = '\0';
    }
    fn_matcher_t *m;
    if (fn_matcher_new(&m, v, MAX_OUTPUT) != 0)
        abort();
    feed_all(m, cmd, p, (size_t)((z1 ? z1 : end) - p), &seed, scale);
    fn_matcher_begin(m, cmd);
    if (z2)
        feed_all(m, cmd, z2 + 1, (size_t)(end - z2 - 1), &seed, scale);
    fn_matcher_free(m);
    return 0;
}
