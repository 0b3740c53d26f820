/*
 * vendors_cmd.c — `flexnet vendors list | show NAME`: the vendor profiles
 * the engine knows (built-in, plus --vendors-dir files).
 *
 * Prints what vendors/ gives; does not parse profiles itself. Thread:
 * main. Owns the registry for one call.
 */
#include "cli_cmd.h"

#include <getopt.h>
#include <string.h>

#include "fn_vendor.h"

static const char vendors_usage[] =
    "usage: flexnet vendors list [--vendors-dir DIR]\n"
    "       flexnet vendors show NAME [--vendors-dir DIR]\n"
    "\n"
    "  list     vendor profiles: name, where from, description\n"
    "  show     one profile in the profile file format (what a file in\n"
    "           --vendors-dir may override)\n";

static const struct option vendors_opts[] = {
    {"vendors-dir", required_argument, NULL, 'd'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Parses [--vendors-dir DIR] and nargs positionals, loads the registry.
 * Returns 0, -1 (help shown) or an exit status. */
static int vendors_open(const char *cmd, int nargs, int argc, char **argv,
                        fn_vendors_t **vs)
{
    const char *dir = NULL;
    char err[512] = "";
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", vendors_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(vendors_usage, stdout);
            return -1;
        }
        if (c == '?')
            return fn__cli_usage_error(cmd, "bad option");
        dir = optarg;
    }
    if (argc - optind != nargs)
        return fn__cli_usage_error(cmd, nargs ? "give one vendor NAME"
                                              : "no arguments expected");
    int rc = fn_vendors_new(vs, dir, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "flexnet %s: %s\n", cmd, *err ? err : fn_strerror(rc));
        return FN_CLI_EXIT_USAGE;
    }
    return 0;
}

static int vendors_list(int argc, char **argv)
{
    fn_vendors_t *vs = NULL;
    int rc = vendors_open("vendors list", 0, argc, argv, &vs);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    printf("%-18s  %-8s  %s\n", "NAME", "SOURCE", "DESCRIPTION");
    for (size_t i = 0; i < fn_vendors_count(vs); i++) {
        const fn_vendor_t *v = fn_vendors_at(vs, i);
        const char *d = fn_vendor_description(v);
        printf("%-18s  %-8s  %s\n", fn_vendor_name(v), fn_vendor_source(v),
               d ? d : "");
    }
    fn_vendors_free(vs);
    return FN_CLI_EXIT_OK;
}

static int vendors_show(int argc, char **argv)
{
    fn_vendors_t *vs = NULL;
    fn_buf_t out;
    int rc = vendors_open("vendors show", 1, argc, argv, &vs);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    const char *name = argv[optind];
    const fn_vendor_t *v = fn_vendors_find(vs, name);
    fn_buf_init(&out, 0);
    if (!v) {
        fprintf(stderr,
                "flexnet vendors show: no vendor '%s' (flexnet "
                "vendors list names them)\n",
                name);
        rc = FN_CLI_EXIT_USAGE;
    } else if (fn_vendor_print(v, &out)) {
        rc = FN_CLI_EXIT_FAILED;
    } else {
        fputs(out.data ? out.data : "", stdout);
    }
    fn_buf_cleanup(&out);
    fn_vendors_free(vs);
    return rc;
}

static const fn__cli_cmd_t vendors_cmds[] = {
    {"list", vendors_list},
    {"show", vendors_show},
    {NULL, NULL},
};

int fn__cli_cmd_vendors(int argc, char **argv)
{
    return fn__cli_dispatch("vendors", vendors_cmds, vendors_usage, argc, argv);
}
