/*
 * bench_parse.c — times parse/ on one template and one output file:
 * compiles the template once, then parses the whole file `repeat` times,
 * each in a new session fed 4 KiB chunks (as SSH reads arrive), and prints
 * one JSON line: lines, bytes, records, CPU seconds, and the largest
 * fn_parse_mem of a session (memory per parsing session).
 *
 * usage: fn-bench-parse TEMPLATE FILE REPEAT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fn_buf.h"
#include "fn_parse.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_file(const char *path, fn_buf_t *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fn_buf_append(b, chunk, n);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    fn_parse_tpl_t *t = NULL;
    fn_buf_t in;
    char why[FN_PARSE_REASON_LEN];
    if (argc != 4) {
        fprintf(stderr, "usage: fn-bench-parse TEMPLATE FILE REPEAT\n");
        return 2;
    }
    long repeat = strtol(argv[3], NULL, 10);
    fn_buf_init(&in, 0);
    if (fn_parse_tpl_load(argv[1], &t, why, sizeof why) ||
        read_file(argv[2], &in)) {
        fprintf(stderr, "fn-bench-parse: %s\n", *why ? why : argv[2]);
        return 2;
    }
    size_t lines = 0, records = 0, mem = 0;
    for (size_t i = 0; i < in.len; i++)
        lines += in.data[i] == '\n';
    double t0 = cpu_now();
    for (long r = 0; r < repeat; r++) {
        fn_parse_t *p = NULL;
        if (fn_parse_new(t, 0, &p))
            return 1;
        for (size_t i = 0; i < in.len; i += 4096)
            fn_parse_feed(p, in.data + i,
                          in.len - i < 4096 ? in.len - i : 4096);
        fn_parse_finish(p);
        records = fn_parse_nrecords(p);
        if (fn_parse_mem(p) > mem)
            mem = fn_parse_mem(p);
        fn_parse_free(p);
    }
    double cpu = cpu_now() - t0;
    printf("{\"lines\": %zu, \"bytes\": %zu, \"records\": %zu, "
           "\"repeat\": %ld, \"cpu_s\": %.6f, \"session_bytes\": %zu}\n",
           lines, in.len, records, repeat, cpu, mem);
    fn_parse_tpl_free(t);
    fn_buf_cleanup(&in);
    return 0;
}
