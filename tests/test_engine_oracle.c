/*
 * test_engine_oracle.c — the expected results of the engine end-to-end
 * tests, computed by flexnet-sim's own command-line code (sim/cli.c,
 * transcript.c: pure, no I/O) fed exactly what the engine sends: enable
 * when the device starts in user mode, the vendor's setup commands, then
 * the test's commands.
 *
 * Reference cleaning is deliberately naive and independent of vendors/:
 * drop '\r', the echo line and the trailing prompt line. The screen's
 * echo line (the prompt the previous output ended with, then the command)
 * is what an error's stderr starts with. A vendor error
 * is recognised by the simulator's own error templates, never by the
 * matcher's keyword table, so a wrong table cannot pass its own test.
 * Likewise a backup's expected text drops the volatile lines this file
 * lists per simulator vendor (what sim/vendors/NAME.conf prints), never
 * vendors/' backup_strip table.
 *
 * Test-only; single thread. Owns the loaded simulator vendors.
 */
#include "sim_int.h"

#include "fn_vendor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct oracle_out {
    char *body;    /* cleaned expected output (owned) */
    int is_error;  /* the simulator printed one of its error templates */
    char *errline; /* that line (owned) or NULL */
    char *echo;    /* the screen's echo line: prompt + command (owned) */
} oracle_out_t;

typedef struct oracle {
    sim_vendor_t *v[SIM_NVENDORS];
    sim_opts_t o;
    const fn_vendors_t *fv;
    int only; /* vendor index, or -1 for mix */
} oracle_t;

oracle_t *oracle_new(const char *data_dir, const char *vendor,
                     unsigned base_port, const fn_vendors_t *fv);
void oracle_free(oracle_t *o);
const char *oracle_vendor(const oracle_t *o, unsigned idx);
int oracle_run(oracle_t *o, unsigned idx, const char *const *cmds, size_t n,
               oracle_out_t *out);
void oracle_out_free(oracle_out_t *out, size_t n);
char *oracle_backup(const char *vendor, const char *body);

oracle_t *oracle_new(const char *data_dir, const char *vendor,
                     unsigned base_port, const fn_vendors_t *fv)
{
    oracle_t *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    sim_opts_defaults(&o->o); /* what the tests' flexnet-sim runs with */
    o->o.devices = 1;
    o->o.base_port = base_port;
    o->o.vendor = vendor;
    o->o.data_dir = data_dir;
    o->fv = fv;
    o->only = -1;
    for (int i = 0; i < SIM_NVENDORS; i++) {
        if (strcmp(vendor, "mix") && strcmp(vendor, sim_vendor_names[i]))
            continue;
        if (strcmp(vendor, "mix") != 0)
            o->only = i;
        char err[512];
        o->v[i] =
            sim_vendor_load(data_dir, sim_vendor_names[i], err, sizeof(err));
        if (!o->v[i]) {
            fprintf(stderr, "oracle: %s\n", err);
            oracle_free(o);
            return NULL;
        }
    }
    return o;
}

void oracle_free(oracle_t *o)
{
    if (!o)
        return;
    for (int i = 0; i < SIM_NVENDORS; i++)
        sim_vendor_free(o->v[i]);
    free(o);
}

static int vendor_of(const oracle_t *o, unsigned idx)
{
    return o->only >= 0 ? o->only : (int)(idx % SIM_NVENDORS);
}

const char *oracle_vendor(const oracle_t *o, unsigned idx)
{
    return sim_vendor_names[vendor_of(o, idx)];
}

/* The prompt a raw output ends with (its last, unterminated line). */
static char *tail_prompt(const char *raw)
{
    const char *nl = strrchr(raw, '\n');
    return strdup(nl ? nl + 1 : raw);
}

/* Feeds one line, runs it, returns everything the device printed. */
static char *cli_line(sim_cli_t *c, const char *line)
{
    fn_buf_reset(&c->out);
    int r = sim_cli_feed(c, line, strlen(line));
    if (r == SIM_CLI_CONTINUE || r == SIM_CLI_WAIT_EXEC)
        r = sim_cli_feed(c, "\n", 1);
    while (r == SIM_CLI_WAIT_EXEC)
        r = sim_cli_exec(c);
    size_t len = 0;
    return fn_buf_steal(&c->out, &len);
}

/* Runs one line; *last becomes its output (the previous one freed). */
static void cli_next(sim_cli_t *c, char **last, const char *line)
{
    free(*last);
    *last = cli_line(c, line);
}

/* Drops '\r', the echo (first line) and the prompt (last, unterminated). */
static char *clean(const char *raw)
{
    size_t n = strlen(raw);
    char *s = malloc(n + 1), *w = s;
    for (const char *p = raw; *p; p++)
        if (*p != '\r')
            *w++ = *p;
    *w = '\0';
    char *nl = strchr(s, '\n');
    char *body = nl ? nl + 1 : s + strlen(s);
    char *last = strrchr(body, '\n');
    if (last)
        last[1] = '\0';
    else
        body[0] = '\0';
    memmove(s, body, strlen(body) + 1);
    return s;
}

static void find_error(const sim_vendor_t *v, oracle_out_t *r)
{
    for (int k = 0; k < SIM_E_COUNT; k++) {
        if (!v->err[k])
            continue;
        char pre[128];
        snprintf(pre, sizeof(pre), "%.*s", (int)strcspn(v->err[k], "{\\"),
                 v->err[k]);
        if (strlen(pre) < 3)
            continue;
        const char *hit = strstr(r->body, pre);
        if (!hit)
            continue;
        const char *b = hit;
        while (b > r->body && b[-1] != '\n')
            b--;
        r->is_error = 1;
        r->errline = strndup(b, strcspn(b, "\n"));
        return;
    }
}

static int starts_in_user_mode(const sim_vendor_t *v)
{
    const char *p = v->modes[v->start_mode].prompt;
    size_t n = strlen(p);
    while (n && p[n - 1] == ' ')
        n--;
    return n && p[n - 1] == '>';
}

int oracle_run(oracle_t *o, unsigned idx, const char *const *cmds, size_t n,
               oracle_out_t *out)
{
    int vi = vendor_of(o, idx);
    sim_device_t dev = {.idx = idx, .vendor = o->v[vi]};
    snprintf(dev.host, sizeof(dev.host), "%s-%u", sim_vendor_names[vi], idx);
    fn_buf_init(&dev.added, 1u << 20);
    const fn_vendor_t *fv = fn_vendors_find(o->fv, sim_vendor_names[vi]);
    if (!fv)
        return -1;
    char user[64];
    const char *suffix = fn_vendor_username_suffix(fv);
    snprintf(user, sizeof(user), "admin%s", suffix ? suffix : "");
    sim_cli_t c;
    sim_cli_init(&c, &dev, &o->o, user, SIM_F_NONE);
    sim_cli_start(&c);
    size_t blen = 0;
    char *last = fn_buf_steal(&c.out, &blen); /* banner + first prompt */
    const char *en = fn_vendor_enable_command(fv);
    if (en && starts_in_user_mode(o->v[vi])) {
        cli_next(&c, &last, en);
        cli_next(&c, &last, o->o.enable_password);
    }
    for (size_t i = 0; i < fn_vendor_setup_count(fv); i++)
        cli_next(&c, &last, fn_vendor_setup_at(fv, i));
    for (size_t i = 0; i < n; i++) {
        char *prompt = tail_prompt(last ? last : "");
        size_t elen = strlen(prompt) + strlen(cmds[i]) + 1;
        char *echo = malloc(elen);
        snprintf(echo, elen, "%s%s", prompt, cmds[i]);
        free(prompt);
        free(last);
        last = cli_line(&c, cmds[i]);
        out[i] = (oracle_out_t){clean(last), 0, NULL, echo};
        find_error(o->v[vi], &out[i]);
    }
    free(last);
    sim_cli_cleanup(&c);
    fn_buf_cleanup(&dev.added);
    return 0;
}

void oracle_out_free(oracle_out_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(out[i].body);
        free(out[i].errline);
        free(out[i].echo);
    }
}

/* The volatile lines each simulator vendor prints in its backup (line
 * starts, copied from sim/vendors/NAME.conf), which the engine must drop. */
static const struct {
    const char *vendor, *line;
} volatile_lines[] = {
    {"cisco_ios", "Building configuration..."},
    {"cisco_ios", "Current configuration : "},
    {"cisco_iosxr", "Sun Nov 29 06:30:00.123 UTC"},
    {"cisco_iosxr", "Building configuration..."},
    {"cisco_iosxr", "!! Last configuration change at Sun Nov 29 "},
    {"cisco_nxos", "!Command: show running-config"},
    {"cisco_nxos", "!Running configuration last done at: Sun Nov 29 "},
    {"cisco_nxos", "!Time: Sun Nov 29 "},
    {"mikrotik_routeros", "# nov/29/2026 06:30:00 by RouterOS 6.49.7"},
};

static int is_volatile(const char *vendor, const char *line, size_t n)
{
    size_t k = sizeof(volatile_lines) / sizeof(volatile_lines[0]);
    for (size_t i = 0; i < k; i++) {
        size_t m = strlen(volatile_lines[i].line);
        if (!strcmp(vendor, volatile_lines[i].vendor) && n >= m &&
            !memcmp(line, volatile_lines[i].line, m))
            return 1;
    }
    return 0;
}

/* The expected backup text: body without the vendor's volatile lines.
 * Owned: free(). */
char *oracle_backup(const char *vendor, const char *body)
{
    char *s = malloc(strlen(body) + 1), *w = s;
    for (const char *p = body; *p;) {
        size_t n = strcspn(p, "\n");
        size_t all = n + (p[n] == '\n');
        if (!is_volatile(vendor, p, n)) {
            memcpy(w, p, all);
            w += all;
        }
        p += all;
    }
    *w = '\0';
    return s;
}
