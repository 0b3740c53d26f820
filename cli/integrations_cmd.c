/*
 * integrations_cmd.c — `flexnet integrations check [--config F]`: checks
 * each configured section ([s3], [vault], [cyberark]) against its
 * server and prints one status line per section; and the config loader
 * every subcommand taking --config shares.
 *
 * Does not: store anything, print secrets (the report never holds one).
 * Thread: main (the check runs its own event loop, blocking). Owns the
 * config and the report of one call.
 */
#include "cli_cmd.h"

#include <stdio.h>
#include <string.h>

#include "fn_integrations.h"

static const char integ_usage[] =
    "usage: flexnet integrations check [--config FILE]\n"
    "\n"
    "  check    validates each section of the integrations config\n"
    "           (default ./flexnet.conf) against its server: [s3] bucket\n"
    "           (created when create_bucket is set) and a listing, [vault]\n"
    "           token or AppRole login (and check_ref), [cyberark] the\n"
    "           server (and check_ref). One line per section.\n"
    "\n"
    "Exit status: 0 every configured section passed (or none is\n"
    "configured); 1 a section failed; 2 the config is malformed.\n";

int fn__cli_config_load(const char *cmd, const char *path,
                        struct fn_config **cfg)
{
    char err[512] = "";
    int rc = fn_config_load(cfg, path, err, sizeof(err));
    if (!rc)
        return 0;
    fprintf(stderr, "flexnet %s: config: %s\n", cmd,
            *err ? err : fn_strerror(rc));
    return FN_CLI_EXIT_USAGE;
}

static int integ_check(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_config_t *cfg = NULL;
    int rc = fn__cli_ro_parse("integrations check", integ_usage,
                              FN_CLI_RO_CONFIG, 0, 0, argc, argv, &ro);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    rc = fn__cli_config_load("integrations check", ro.config, &cfg);
    if (rc)
        return rc;
    fn_buf_t report;
    fn_buf_init(&report, 0);
    int st = fn_integrations_check(cfg, &report);
    if (report.len)
        fwrite(report.data, 1, report.len, stdout);
    rc = st && st != FN_ENOTFOUND ? FN_CLI_EXIT_FAILED : FN_CLI_EXIT_OK;
    fflush(stdout);
    fn_buf_cleanup(&report);
    fn_config_free(cfg);
    return rc;
}

static const fn__cli_cmd_t integ_cmds[] = {
    {"check", integ_check},
    {NULL, NULL},
};

int fn__cli_cmd_integrations(int argc, char **argv)
{
    return fn__cli_dispatch("integrations", integ_cmds, integ_usage, argc,
                            argv);
}
