/*
 * make_corpus.c — writes the seed corpus of fuzz_matcher from the test
 * samples (tests/test_vendors_samples.c): one file per sample and
 * chunking, in fuzz_matcher's input format. Run by hand when the samples
 * change: make_corpus DIR. Not part of the build's tests.
 */
#include <stdio.h>
#include <string.h>

#include "fn_vendor.h"
#include "test_vendors_samples.h"

static int write_seed(const char *dir, const vendor_sample_t *s,
                      unsigned vendor, unsigned chunking)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s_%02x", dir, s->name, chunking);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputc((int)vendor, f);
    fputc((int)chunking, f);
    fwrite(s->login, 1, strlen(s->login), f);
    fputc(0, f);
    fwrite(s->command, 1, strlen(s->command), f);
    fputc(0, f);
    fwrite(s->output, 1, strlen(s->output), f);
    return fclose(f);
}

int main(int argc, char **argv)
{
    fn_vendors_t *vs;
    if (argc != 2 || fn_vendors_new(&vs, NULL, NULL, 0) != 0)
        return 2;
    for (size_t i = 0; i < vendor_sample_count; i++) {
        const vendor_sample_t *s = &vendor_samples[i];
        unsigned idx = 0;
        while (strcmp(fn_vendor_name(fn_vendors_at(vs, idx)), s->vendor))
            idx++;
        if (write_seed(argv[1], s, idx, 0x00) ||
            write_seed(argv[1], s, idx, (unsigned)(i % 16) << 4 | 1))
            return 1;
    }
    fn_vendors_free(vs);
    return 0;
}
