/*
 * inventory_cmd.c — `flexnet inventory list | show HOST | graph`: what
 * flexnet understood of an inventory (as `ansible-inventory --list /
 * --graph`), and the [defaults] of flexnet.conf that spare -i, -u and
 * the password flags on every run.
 *
 * Prints what engine/ parsed; parses nothing itself. Thread: main. Owns
 * the inventory and config for one call.
 */
#include "cli_cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fn_config.h"
#include "fn_inventory.h"
#include "fn_vendor.h"

static const char inv_usage[] =
    "usage: flexnet inventory list [-i FILE|DIR] [-g PATTERN] [--limit P] "
    "[--json]\n"
    "       flexnet inventory show HOST [-i FILE|DIR]\n"
    "       flexnet inventory graph [-i FILE|DIR] [-g PATTERN]\n"
    "\n"
    "  list     hosts as flexnet will reach them: address, port, user,\n"
    "           vendor, groups (--json: every setting, its source, data)\n"
    "  show     one host: each setting and where it came from\n"
    "  graph    groups and their hosts as a tree\n"
    "\n"
    "  -i, --inventory FILE|DIR   flexnet or Ansible INI, Ansible or\n"
    "                             Nornir YAML, a Nornir directory\n"
    "      --inventory-format F   ini, yaml, ansible or nornir (default:\n"
    "                             detected)\n"
    "  -g, --group PATTERN        hosts of a pattern: core:&site1, all:!lab,\n"
    "                             edge-*, ~REGEX (repeat: union)\n"
    "      --limit PATTERN        only hosts also in PATTERN\n"
    "      --vendors-dir DIR      profile files (vendors are checked)\n"
    "      --config FILE          flexnet.conf whose [defaults] apply\n"
    "      --json                 machine-readable list\n";

enum { OPT_FORMAT = 256, OPT_LIMIT, OPT_VDIR, OPT_CONF, OPT_JSON };

static const struct option inv_opts[] = {
    {"inventory", required_argument, NULL, 'i'},
    {"inventory-format", required_argument, NULL, OPT_FORMAT},
    {"group", required_argument, NULL, 'g'},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"vendors-dir", required_argument, NULL, OPT_VDIR},
    {"config", required_argument, NULL, OPT_CONF},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct inv_args {
    const char *path, *format, *vdir, *conf;
    const char *pats[64];
    size_t npats;
    char limit[1024];
    int json;
    fn_config_t *cfg; /* owned: [defaults] */
    fn_inventory_t *inv;
    fn_vendors_t *vs;
} inv_args_t;

int fn__cli_defaults_load(const char *path, fn_config_t **cfg)
{
    char xdg[4096];
    struct stat st;
    if (!path && stat("./flexnet.conf", &st) != 0) {
        const char *base = getenv("XDG_CONFIG_HOME");
        const char *home = getenv("HOME");
        if (base && *base)
            snprintf(xdg, sizeof(xdg), "%s/flexnet/flexnet.conf", base);
        else if (home && *home)
            snprintf(xdg, sizeof(xdg), "%s/.config/flexnet/flexnet.conf", home);
        else
            xdg[0] = '\0';
        if (xdg[0] && stat(xdg, &st) == 0)
            path = xdg;
    }
    return fn__cli_config_load("defaults", path, cfg);
}

static void inv_args_cleanup(inv_args_t *a)
{
    fn_inventory_free(a->inv);
    fn_vendors_free(a->vs);
    fn_config_free(a->cfg);
}

static int inv_opt(inv_args_t *a, const char *cmd, int c)
{
    switch (c) {
    case 'h':
        fputs(inv_usage, stdout);
        return -1;
    case 'i':
        a->path = optarg;
        return 0;
    case OPT_FORMAT:
        a->format = optarg;
        return 0;
    case 'g':
        if (a->npats == 63)
            return fn__cli_usage_error(cmd, "too many -g");
        a->pats[a->npats++] = optarg;
        return 0;
    case OPT_LIMIT:
        snprintf(a->limit, sizeof(a->limit), "&%s", optarg);
        return 0;
    case OPT_VDIR:
        a->vdir = optarg;
        return 0;
    case OPT_CONF:
        a->conf = optarg;
        return 0;
    case OPT_JSON:
        a->json = 1;
        return 0;
    default:
        return fn__cli_usage_error(cmd, "bad option");
    }
}

/* Options, [defaults], then the inventory. Returns 0, -1 (help shown)
 * or an exit status. */
static int inv_open(const char *cmd, int nargs, int argc, char **argv,
                    inv_args_t *a)
{
    char err[1024] = "";
    int c, rc = 0;
    memset(a, 0, sizeof(*a));
    optind = 0;
    while (!rc && (c = getopt_long(argc, argv, "+i:g:h", inv_opts, NULL)) != -1)
        rc = inv_opt(a, cmd, c);
    if (rc)
        return rc;
    if (argc - optind != nargs)
        return fn__cli_usage_error(cmd, nargs ? "give one HOST"
                                              : "unexpected argument");
    if ((rc = fn__cli_defaults_load(a->conf, &a->cfg)) != 0)
        return rc;
    if (!a->path)
        a->path = fn_config_get(a->cfg, "defaults", "inventory");
    if (!a->format)
        a->format = fn_config_get(a->cfg, "defaults", "inventory_format");
    if (!a->path)
        return fn__cli_usage_error(cmd, "no inventory: give -i FILE or "
                                        "inventory = in [defaults]");
    int fmt = fn_inventory_format_parse(a->format);
    if (fmt < 0)
        return fn__cli_usage_error(cmd, "--inventory-format: want ini, "
                                        "yaml, ansible or nornir");
    rc = fn_vendors_new(&a->vs, a->vdir, err, sizeof(err));
    if (rc == 0)
        rc = fn_inventory_load(&a->inv, a->path, fmt, a->vs, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "flexnet %s: %s\n", cmd, *err ? err : fn_strerror(rc));
        return FN_CLI_EXIT_USAGE;
    }
    return 0;
}

/* The selected hosts as marks (every host without -g / --limit). */
static int inv_select(const char *cmd, inv_args_t *a, char **mark)
{
    const char *pats[66];
    size_t n = 0;
    char err[512] = "";
    for (size_t i = 0; i < a->npats; i++)
        pats[n++] = a->pats[i];
    if (a->limit[0])
        pats[n++] = a->limit;
    const fn_host_t **sel = NULL;
    size_t nsel = 0;
    int rc = fn_inventory_select(a->inv, pats, n, NULL, 0, &sel, &nsel, err,
                                 sizeof(err));
    if (rc) {
        fprintf(stderr, "flexnet %s: %s\n", cmd, *err ? err : fn_strerror(rc));
        return FN_CLI_EXIT_USAGE;
    }
    size_t count = fn_inventory_count(a->inv);
    *mark = calloc(count + 1, 1);
    for (size_t i = 0, k = 0; *mark && i < count && k < nsel; i++)
        if (fn_inventory_at(a->inv, i) == sel[k])
            (*mark)[i] = 1, k++;
    free(sel);
    return *mark ? 0 : FN_CLI_EXIT_FAILED;
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static void groups_text(const fn_host_t *h, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t g = 1; g < fn_host_group_count(h); g++)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", g > 1 ? "," : "",
                 fn_host_group_at(h, g));
}

/* ---- list --json ---------------------------------------------------- */

static void jstr(fn_buf_t *b, const char *s)
{
    fn__cli_json_escape(b, s, strlen(s)); /* quotes included */
}

static void json_host(fn_buf_t *b, const fn_host_t *h)
{
    jstr(b, fn_host_name(h));
    fn_buf_printf(b, ":{\"address\":");
    jstr(b, fn_host_address(h));
    fn_buf_printf(b, ",\"port\":%u,\"vendor\":", fn_host_port(h));
    jstr(b, fn_host_vendor(h));
    fn_buf_append_str(b, ",\"username\":");
    if (fn_host_username(h))
        jstr(b, fn_host_username(h));
    else
        fn_buf_append_str(b, "null");
    fn_buf_append_str(b, ",\"groups\":[");
    for (size_t g = 1; g < fn_host_group_count(h); g++) {
        fn_buf_append_str(b, g > 1 ? "," : "");
        jstr(b, fn_host_group_at(h, g));
    }
    fn_buf_append_str(b, "],\"settings\":{");
    int first = 1;
    for (size_t i = 0; fn_host_setting_key(i); i++) {
        const char *from,
            *v = fn_host_setting(h, fn_host_setting_key(i), &from);
        if (!v)
            continue;
        fn_buf_append_str(b, first ? "" : ",");
        first = 0;
        jstr(b, fn_host_setting_key(i));
        fn_buf_append_str(b, ":{\"value\":");
        jstr(b, v);
        fn_buf_append_str(b, ",\"from\":");
        jstr(b, from);
        fn_buf_append_str(b, "}");
    }
    fn_buf_append_str(b, "},\"data\":{");
    for (size_t i = 0; i < fn_host_data_count(h); i++) {
        fn_buf_append_str(b, i ? "," : "");
        jstr(b, fn_host_data_key(h, i));
        fn_buf_append_str(b, ":{\"value\":");
        jstr(b, fn_host_data_value(h, i));
        fn_buf_append_str(b, ",\"from\":");
        jstr(b, fn_host_data_from(h, i));
        fn_buf_append_str(b, "}");
    }
    fn_buf_append_str(b, "}}");
}

static void json_groups(fn_buf_t *b, const fn_inventory_t *inv,
                        const char *mark)
{
    for (size_t g = 0; g < fn_inventory_group_count(inv); g++) {
        const char *name = fn_inventory_group_at(inv, g);
        fn_buf_append_str(b, g ? "," : "");
        jstr(b, name);
        fn_buf_append_str(b, ":{\"parents\":[");
        for (size_t k = 0; k < fn_inventory_group_parent_count(inv, g); k++) {
            fn_buf_append_str(b, k ? "," : "");
            jstr(b, fn_inventory_group_parent_at(inv, g, k));
        }
        fn_buf_append_str(b, "],\"hosts\":[");
        int first = 1;
        for (size_t i = 0; i < fn_inventory_count(inv); i++) {
            const fn_host_t *h = fn_inventory_at(inv, i);
            if (!mark[i] || !fn_host_group_direct(h, name))
                continue;
            fn_buf_append_str(b, first ? "" : ",");
            first = 0;
            jstr(b, fn_host_name(h));
        }
        fn_buf_append_str(b, "]}");
    }
}

static int list_json(inv_args_t *a, const char *mark)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    fn_buf_append_str(&b, "{\"format\":");
    jstr(&b, fn_inventory_format_name(a->inv));
    fn_buf_append_str(&b, ",\"hosts\":{");
    int first = 1;
    for (size_t i = 0; i < fn_inventory_count(a->inv); i++) {
        if (!mark[i])
            continue;
        fn_buf_append_str(&b, first ? "" : ",");
        first = 0;
        json_host(&b, fn_inventory_at(a->inv, i));
    }
    fn_buf_append_str(&b, "},\"groups\":{");
    json_groups(&b, a->inv, mark);
    int rc = fn_buf_append_str(&b, "}}\n");
    if (rc == 0)
        fputs(b.data, stdout);
    fn_buf_cleanup(&b);
    return rc ? FN_CLI_EXIT_FAILED : FN_CLI_EXIT_OK;
}

static int inv_list(int argc, char **argv)
{
    inv_args_t a;
    char *mark = NULL, groups[1024];
    int rc = inv_open("inventory list", 0, argc, argv, &a);
    if (rc == 0)
        rc = inv_select("inventory list", &a, &mark);
    if (rc == 0 && a.json)
        rc = list_json(&a, mark);
    else if (rc == 0) {
        printf("%-20s %-18s %5s  %-10s %-17s %s\n", "HOST", "ADDRESS", "PORT",
               "USER", "VENDOR", "GROUPS");
        for (size_t i = 0; i < fn_inventory_count(a.inv); i++) {
            const fn_host_t *h = fn_inventory_at(a.inv, i);
            if (!mark[i])
                continue;
            groups_text(h, groups, sizeof(groups));
            printf("%-20s %-18s %5u  %-10s %-17s %s\n", fn_host_name(h),
                   fn_host_address(h), fn_host_port(h),
                   or_dash(fn_host_username(h)), or_dash(fn_host_vendor(h)),
                   or_dash(groups));
        }
    }
    free(mark);
    inv_args_cleanup(&a);
    return rc < 0 ? FN_CLI_EXIT_OK : rc;
}

/* ---- show ----------------------------------------------------------- */

static int inv_show(int argc, char **argv)
{
    inv_args_t a;
    char groups[1024];
    int rc = inv_open("inventory show", 1, argc, argv, &a);
    const fn_host_t *h =
        rc == 0 ? fn_inventory_find(a.inv, argv[optind]) : NULL;
    if (rc == 0 && !h) {
        fprintf(stderr, "flexnet inventory show: no host '%s' in %s\n",
                argv[optind], a.path);
        rc = FN_CLI_EXIT_USAGE;
    }
    if (rc == 0) {
        printf("host %s (%s inventory %s)\n", fn_host_name(h),
               fn_inventory_format_name(a.inv), a.path);
        for (size_t i = 0; fn_host_setting_key(i); i++) {
            const char *from,
                *v = fn_host_setting(h, fn_host_setting_key(i), &from);
            if (v)
                printf("  %-20s %-24s from %s\n", fn_host_setting_key(i), v,
                       from);
        }
        if (!fn_host_setting(h, "address", NULL))
            printf("  %-20s %-24s (the host name)\n", "address",
                   fn_host_address(h));
        if (!fn_host_setting(h, "port", NULL))
            printf("  %-20s %-24u (default)\n", "port", fn_host_port(h));
        groups_text(h, groups, sizeof(groups));
        printf("  %-20s %s\n", "groups", or_dash(groups));
        for (size_t i = 0; i < fn_host_data_count(h); i++)
            printf("  data %-15s %-24s from %s\n", fn_host_data_key(h, i),
                   fn_host_data_value(h, i), fn_host_data_from(h, i));
    }
    inv_args_cleanup(&a);
    return rc < 0 ? FN_CLI_EXIT_OK : rc;
}

/* ---- graph ---------------------------------------------------------- */

static int is_child(const fn_inventory_t *inv, size_t g, const char *parent)
{
    size_t np = fn_inventory_group_parent_count(inv, g);
    if (!np)
        return !strcmp(parent, "all") && g > 0;
    for (size_t k = 0; k < np; k++)
        if (!strcmp(fn_inventory_group_parent_at(inv, g, k), parent))
            return 1;
    return 0;
}

static void graph_indent(int depth)
{
    for (int i = 0; i < depth; i++)
        fputs("  |", stdout);
}

static int in_ungrouped(const fn_host_t *h)
{
    return fn_host_group_count(h) == 1; /* only "all" */
}

/* Ansible's --graph: "@group:", then child groups, then hosts, in the
 * order the inventory gives them, each level indented by "  |". */
static void graph_group(const fn_inventory_t *inv, const char *name,
                        const char *mark, int depth)
{
    if (depth > 64)
        return;
    graph_indent(depth);
    printf("%s@%s:\n", depth ? "--" : "", name);
    if (strcmp(name, "all") == 0) /* Ansible lists it, even empty */
        graph_group(inv, "ungrouped", mark, depth + 1);
    for (size_t g = 0; g < fn_inventory_group_count(inv); g++)
        if (is_child(inv, g, name))
            graph_group(inv, fn_inventory_group_at(inv, g), mark, depth + 1);
    for (size_t i = 0; i < fn_inventory_count(inv); i++) {
        const fn_host_t *h = fn_inventory_at(inv, i);
        if (mark[i] &&
            (strcmp(name, "ungrouped") == 0 ? in_ungrouped(h)
                                            : fn_host_group_direct(h, name))) {
            graph_indent(depth + 1);
            printf("--%s\n", fn_host_name(h));
        }
    }
}

static int inv_graph(int argc, char **argv)
{
    inv_args_t a;
    char *mark = NULL;
    int rc = inv_open("inventory graph", 0, argc, argv, &a);
    if (rc == 0)
        rc = inv_select("inventory graph", &a, &mark);
    if (rc == 0)
        graph_group(a.inv, "all", mark, 0);
    free(mark);
    inv_args_cleanup(&a);
    return rc < 0 ? FN_CLI_EXIT_OK : rc;
}

static const fn__cli_cmd_t inv_cmds[] = {
    {"list", inv_list},
    {"show", inv_show},
    {"graph", inv_graph},
    {NULL, NULL},
};

int fn__cli_cmd_inventory(int argc, char **argv)
{
    return fn__cli_dispatch("inventory", inv_cmds, inv_usage, argc, argv);
}
