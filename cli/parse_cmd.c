/*
 * parse_cmd.c — `flexnet parse`: runs a TextFSM template over a saved
 * command output, offline, and prints the records as a table or JSON.
 *
 * The template comes from a file, or from an ntc-templates index (--templates
 * DIR with --vendor and --command). The output file is fed in chunks, as
 * the engine would feed it. Does no parsing itself (parse/). Thread: main.
 * Owns the template and the session for one call.
 */
#include "cli_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "fn_parse.h"

static const char parse_usage[] =
    "usage: flexnet parse [--json] TEMPLATE FILE\n"
    "       flexnet parse [--json] --templates DIR --vendor NAME\n"
    "                     --command CMD FILE\n"
    "\n"
    "Parses FILE (a saved command output; - reads stdin) with a TextFSM\n"
    "template and prints one row per record, or with --json a JSON array\n"
    "of objects (List values are arrays). --templates picks the template\n"
    "from DIR/index (ntc-templates) for the vendor and command.\n"
    "Exit status: 0 parsed, 1 the template's Error action rejected the\n"
    "input, 2 usage, template or file error.\n";

static const struct option parse_opts[] = {
    {"json", no_argument, NULL, 'j'},
    {"templates", required_argument, NULL, 't'},
    {"vendor", required_argument, NULL, 'v'},
    {"command", required_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct parse_args {
    int json;
    const char *templates, *vendor, *command;
    const char *template, *file;
} parse_args_t;

/* Returns 0, -1 (help shown) or an exit status. */
static int parse_args(int argc, char **argv, parse_args_t *a)
{
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", parse_opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(parse_usage, stdout);
            return -1;
        case 'j':
            a->json = 1;
            break;
        case 't':
            a->templates = optarg;
            break;
        case 'v':
            a->vendor = optarg;
            break;
        case 'c':
            a->command = optarg;
            break;
        default:
            return fn__cli_usage_error("parse", "bad option");
        }
    }
    int want = a->templates ? 1 : 2;
    if (argc - optind != want)
        return fn__cli_usage_error(
            "parse", a->templates ? "give one FILE" : "give TEMPLATE and FILE");
    if (a->templates && (!a->vendor || !a->command))
        return fn__cli_usage_error("parse",
                                   "--templates needs --vendor and --command");
    a->template = want == 2 ? argv[optind] : NULL;
    a->file = argv[argc - 1];
    return 0;
}

/* Loads the template named or found in the index. Returns 0 or exit 2. */
static int parse_template(const parse_args_t *a, fn_parse_tpl_t **t)
{
    char why[FN_PARSE_REASON_LEN * 2] = "";
    char *path = NULL;
    int rc = 0;
    if (a->templates) {
        fn_parse_index_t *ix = NULL;
        rc = fn_parse_index_load(a->templates, &ix, why, sizeof why);
        if (rc == 0 && (rc = fn_parse_index_find(ix, a->vendor, a->command,
                                                 &path)) == FN_ENOTFOUND)
            snprintf(why, sizeof why,
                     "no template in %s/index for %s (%s) "
                     "command '%s'",
                     a->templates, a->vendor, fn_parse_platform(a->vendor),
                     a->command);
        fn_parse_index_free(ix);
    }
    if (rc == 0)
        rc = fn_parse_tpl_load(path ? path : a->template, t, why, sizeof why);
    free(path);
    if (rc)
        fprintf(stderr, "flexnet parse: %s\n", *why ? why : fn_strerror(rc));
    return rc ? FN_CLI_EXIT_USAGE : 0;
}

/* Feeds the file in chunks. Returns 0, the session's code, or -errno. */
static int parse_file(const char *file, fn_parse_t *p)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    char chunk[65536];
    size_t n;
    int rc = 0;
    if (!f)
        return -errno;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = fn_parse_feed(p, chunk, n);
    if (rc == 0 && ferror(f))
        rc = -EIO;
    if (f != stdin)
        fclose(f);
    return rc ? rc : fn_parse_finish(p);
}

/* The cells of `flexnet parse`: Value names, then strings as they are,
 * lists and dicts as JSON. */
typedef struct parse_table {
    const fn_parse_tpl_t *t;
    const fn_parse_t *p;
} parse_table_t;

static void parse_cell(const void *arg, size_t row, size_t col, fn_buf_t *out)
{
    const parse_table_t *pt = arg;
    const fn_parse_val_t *v;
    if (row == 0) {
        fn_buf_append_str(out, fn_parse_tpl_value(pt->t, col, NULL));
        return;
    }
    v = &fn_parse_record(pt->p, row - 1)[col];
    if (v->kind == FN_PARSE_STR)
        fn_buf_append(out, v->str, v->len);
    else
        fn_parse_json_val(out, v);
}

int fn__cli_cmd_parse(int argc, char **argv)
{
    parse_args_t a = {0};
    fn_parse_tpl_t *t = NULL;
    fn_parse_t *p = NULL;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    if ((rc = parse_template(&a, &t)) != 0)
        return rc;
    if ((rc = fn_parse_new(t, 0, &p)) == 0)
        rc = parse_file(a.file, p);
    if (rc == 0 || rc == FN_EFSM || rc == FN_EFULL) {
        fn_buf_t out;
        fn_buf_init(&out, 0);
        if (a.json)
            fn_parse_json(p, &out);
        else
            fn__cli_table(&out, fn_parse_tpl_nvalues(t), fn_parse_nrecords(p),
                          parse_cell, &(parse_table_t){t, p});
        if (a.json)
            fn_buf_append_str(&out, "\n");
        fwrite(out.data ? out.data : "", 1, out.len, stdout);
        fn_buf_cleanup(&out);
    }
    if (rc == FN_EFSM || rc == FN_EFULL)
        fprintf(stderr, "flexnet parse: %s\n", fn_parse_reason(p));
    else if (rc)
        fprintf(stderr, "flexnet parse: %s: %s\n", a.file, fn_strerror(rc));
    fn_parse_free(p);
    fn_parse_tpl_free(t);
    return rc == 0                           ? FN_CLI_EXIT_OK
           : rc == FN_EFSM || rc == FN_EFULL ? FN_CLI_EXIT_FAILED
                                             : FN_CLI_EXIT_USAGE;
}
