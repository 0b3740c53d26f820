/*
 * embed.c — flexnet's engine embedded in another C program, built against
 * the installed library only:
 *
 *   cc embed.c $(pkg-config --cflags --libs flexnet) -o embed
 *   FN_PASS=admin ./embed inventory.ini 'show version'
 *
 * Loads an inventory, runs one command on every host from one event loop
 * and prints one line per result as it streams in, then the summary.
 * Exit status: 0 when every device ran it with exit code 0.
 */
#include <fn_engine.h>
#include <fn_err.h>
#include <fn_inventory.h>
#include <fn_vendor.h>
#include <stdio.h>
#include <stdlib.h>

static void on_result(fn_task_t *t, const fn_cmd_result_t *r, void *arg)
{
    (void)t;
    (void)arg;
    printf("%s\t%d\t%zu bytes\t%s\n", r->host, r->exit_code, r->out_len,
           r->command);
}

static void on_summary(fn_task_t *t, const fn_summary_t *s, void *arg)
{
    int *status = arg;
    (void)t;
    printf("summary: %u devices, %u connected, %u ok, %u failed\n", s->devices,
           s->connected, s->ok, s->failed);
    *status = s->ok == s->devices ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: embed INVENTORY COMMAND\n");
        return 2;
    }
    char err[256] = "";
    fn_vendors_t *vendors = NULL;
    fn_inventory_t *inv = NULL;
    fn_engine_t *engine = NULL;
    const fn_host_t **hosts = NULL;
    size_t n = 0;
    int status = 2;
    int rc = fn_vendors_new(&vendors, NULL, err, sizeof(err));
    if (rc == 0)
        rc = fn_inventory_load(&inv, argv[1], FN_INVENTORY_GUESS, vendors, err,
                               sizeof(err));
    if (rc == 0)
        rc = fn_inventory_select(inv, NULL, 0, NULL, 0, &hosts, &n, err,
                                 sizeof(err));
    if (rc == 0)
        rc = fn_engine_new(&engine, NULL, vendors, NULL);
    if (rc == 0) {
        const char *cmds[] = {argv[2]};
        fn_step_t step = {
            .kind = FN_STEP_COMMANDS, .commands = cmds, .ncommands = 1};
        fn_task_spec_t spec = {
            .task_id = "embed",
            .hosts = hosts,
            .nhosts = n,
            .steps = &step,
            .nsteps = 1,
            .creds = {.username = "admin", .password = getenv("FN_PASS")},
            .default_vendor = "cisco_ios"};
        fn_sink_t sink = {
            .on_result = on_result, .on_summary = on_summary, .arg = &status};
        rc = fn_task_start(engine, &spec, &sink, NULL, err, sizeof(err));
        if (rc == 0)
            rc = fn_engine_run(engine);
    }
    if (rc < 0)
        fprintf(stderr, "embed: %s\n", err[0] ? err : fn_strerror(rc));
    fn_engine_free(engine);
    free(hosts);
    fn_inventory_free(inv);
    fn_vendors_free(vendors);
    return rc < 0 ? 2 : status;
}
