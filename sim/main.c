/*
 * main.c — flexnet-sim: options, host key, fault plan, inventory, and the
 * parent process that forks the workers and waits for signals.
 *
 * The parent loads the vendor transcripts and the host key, assigns each
 * device its vendor and fault, writes --inventory-out / --faults-out,
 * forks --workers processes (each serves a contiguous slice of devices,
 * see worker.c), prints "flexnet-sim: ready N devices" once every worker
 * listens, forwards SIGTERM/SIGINT/SIGUSR1 and prints total stats at exit.
 *
 * Does not: serve any connection itself. Thread: single. Owns: the
 * devices array, vendors, host key text, the shared stats mapping.
 */
#include "sim_int.h"

#include "fn_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libssh/libssh.h>

#ifndef FN_SIM_DATA_DIR
#define FN_SIM_DATA_DIR "sim/vendors"
#endif

#define FDS_SPARE 64 /* per worker: libevent, stdio, pipes */

typedef struct sim {
    sim_opts_t o;
    sim_vendor_t *vendors[SIM_NVENDORS];
    sim_device_t *devs;
    char *hostkey_b64;
    sim_stats_t *stats; /* o.workers entries, MAP_SHARED */
    pid_t *pids;
    int *ready; /* read ends of the workers' ready pipes */
} sim_t;

static void usage(FILE *f)
{
    fputs("usage: flexnet-sim --devices N [--workers K] [--listen ADDR]\n"
          "  [--base-port P] [--vendor NAME|mix] [--user U] [--password P]\n"
          "  [--enable-password P] [--inventory-out FILE] [--faults SPEC]\n"
          "  [--faults-out FILE] [--chunk-bytes K] [--latency-ms A[-B]]\n"
          "  [--config-lines L] [--legacy-algos] [--compression]\n"
          "  [--hostkey FILE] [--seed S] [--slowbanner-ms MS]\n"
          "  [--data-dir DIR] [--authorized-key FILE]\n"
          "faults: authfail refuse drop hang slowbanner dropidle, e.g.\n"
          "  --faults authfail=5%,refuse=1%,drop=2%,hang=1%,slowbanner=1%\n",
          f);
}

static void die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("flexnet-sim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

static unsigned long parse_num(const char *opt, const char *s,
                               unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max || *s == '-')
        die(2, "--%s: bad number '%s'", opt, s);
    return v;
}

static void parse_latency(sim_opts_t *o, const char *s)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", s);
    char *dash = strchr(buf, '-');
    if (dash)
        *dash++ = '\0';
    o->lat_min_ms = (unsigned)parse_num("latency-ms", buf, 600000);
    o->lat_max_ms =
        dash ? (unsigned)parse_num("latency-ms", dash, 600000) : o->lat_min_ms;
    if (o->lat_max_ms < o->lat_min_ms)
        die(2, "--latency-ms: B must be >= A");
}

/* Options are a table: each fills one sim_opts_t field by its kind. */
enum opt_kind { K_STR, K_NUM, K_U64, K_FLAG, K_LATENCY };

typedef struct opt_spec {
    const char *name;
    int kind;          /* enum opt_kind */
    size_t off;        /* field in sim_opts_t */
    unsigned long max; /* K_NUM, K_U64: largest value */
} opt_spec_t;

#define OPT(name, kind, field, max)                                            \
    {                                                                          \
        name, kind, offsetof(sim_opts_t, field), max                           \
    }
static const opt_spec_t opt_specs[] = {
    OPT("devices", K_NUM, devices, 65535),
    OPT("workers", K_NUM, workers, 256),
    OPT("listen", K_STR, listen, 0),
    OPT("base-port", K_NUM, base_port, 65535),
    OPT("vendor", K_STR, vendor, 0),
    OPT("user", K_STR, user, 0),
    OPT("password", K_STR, password, 0),
    OPT("enable-password", K_STR, enable_password, 0),
    OPT("inventory-out", K_STR, inventory_out, 0),
    OPT("faults", K_STR, faults_spec, 0),
    OPT("faults-out", K_STR, faults_out, 0),
    OPT("chunk-bytes", K_NUM, chunk_bytes, 1u << 20),
    OPT("latency-ms", K_LATENCY, lat_min_ms, 0),
    OPT("config-lines", K_NUM, config_lines, 10000000),
    OPT("legacy-algos", K_FLAG, legacy_algos, 0),
    OPT("compression", K_FLAG, compression, 0),
    OPT("hostkey", K_STR, hostkey, 0),
    OPT("seed", K_U64, seed, ~0ul),
    OPT("slowbanner-ms", K_NUM, slowbanner_ms, 600000),
    OPT("data-dir", K_STR, data_dir, 0),
    OPT("authorized-key", K_STR, authorized_key, 0),
};
#undef OPT
#define NOPTS (sizeof(opt_specs) / sizeof(opt_specs[0]))

static void opt_set(sim_opts_t *o, const opt_spec_t *sp, const char *a)
{
    char *field = (char *)o + sp->off;
    switch (sp->kind) {
    case K_STR:
        *(const char **)(void *)field = a;
        break;
    case K_NUM:
        *(unsigned *)(void *)field = (unsigned)parse_num(sp->name, a, sp->max);
        break;
    case K_U64:
        *(uint64_t *)(void *)field = parse_num(sp->name, a, sp->max);
        break;
    case K_FLAG:
        *(int *)(void *)field = 1;
        break;
    default:
        parse_latency(o, a);
        break;
    }
}

static void parse_opts(sim_t *sim, int argc, char **argv)
{
    sim_opts_t *o = &sim->o;
    sim_opts_defaults(o);
    o->data_dir = FN_SIM_DATA_DIR;
    struct option lopts[NOPTS + 2];
    for (size_t i = 0; i < NOPTS; i++)
        lopts[i] = (struct option){opt_specs[i].name,
                                   opt_specs[i].kind != K_FLAG, NULL, (int)i};
    lopts[NOPTS] = (struct option){"help", 0, NULL, 'h'};
    lopts[NOPTS + 1] = (struct option){NULL, 0, NULL, 0};
    int c;
    while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (c < 0 || c >= (int)NOPTS) {
            usage(stderr);
            exit(2);
        }
        opt_set(o, &opt_specs[c], optarg);
    }
    if (optind < argc || o->devices == 0)
        die(2, "--devices N (N >= 1) is required; see --help");
    if (o->base_port + o->devices - 1 > 65535)
        die(2, "ports %u..%u exceed 65535", o->base_port,
            o->base_port + o->devices - 1);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (o->workers == 0)
        o->workers = ncpu > 0 ? (unsigned)ncpu : 1;
    if (o->workers > o->devices)
        o->workers = o->devices;
    char err[256];
    if (o->faults_spec &&
        sim_faults_parse(&o->faults, o->faults_spec, err, sizeof(err)) < 0)
        die(2, "--faults: %s", err);
}

/* ---- setup ------------------------------------------------------------- */

static int vendor_index(const char *name)
{
    for (int i = 0; i < SIM_NVENDORS; i++)
        if (strcmp(sim_vendor_names[i], name) == 0)
            return i;
    return -1;
}

static void load_vendors(sim_t *sim)
{
    int mix = strcmp(sim->o.vendor, "mix") == 0;
    int only = vendor_index(sim->o.vendor);
    if (!mix && only < 0)
        die(2, "unknown --vendor '%s'", sim->o.vendor);
    for (int i = 0; i < SIM_NVENDORS; i++) {
        if (!mix && i != only)
            continue;
        char err[512];
        sim->vendors[i] = sim_vendor_load(sim->o.data_dir, sim_vendor_names[i],
                                          err, sizeof(err));
        if (!sim->vendors[i])
            die(2, "%s", err);
    }
}

static void make_devices(sim_t *sim)
{
    const sim_opts_t *o = &sim->o;
    int only = vendor_index(o->vendor);
    sim->devs = calloc(o->devices, sizeof(sim_device_t));
    if (!sim->devs)
        die(2, "out of memory for %u devices", o->devices);
    for (unsigned i = 0; i < o->devices; i++) {
        sim_device_t *d = &sim->devs[i];
        int v = only >= 0 ? only : (int)(i % SIM_NVENDORS);
        d->idx = i;
        d->vendor = sim->vendors[v];
        d->fault = sim_fault_of(&o->faults, o->seed, i);
        snprintf(d->host, sizeof(d->host), "%s-%u", sim_vendor_names[v], i);
        fn_buf_init(&d->added, 1u << 20);
        fn_buf_init(&d->cand, 1u << 20);
    }
}

static ssh_key hostkey_get(const sim_opts_t *o)
{
    ssh_key key = NULL;
    int type = o->legacy_algos ? SSH_KEYTYPE_RSA : SSH_KEYTYPE_ED25519;
    if (o->hostkey && access(o->hostkey, F_OK) == 0) {
        if (ssh_pki_import_privkey_file(o->hostkey, NULL, NULL, NULL, &key) !=
            SSH_OK)
            die(2, "--hostkey %s: cannot read the private key", o->hostkey);
        if (o->legacy_algos && ssh_key_type(key) != SSH_KEYTYPE_RSA)
            die(2, "--legacy-algos needs an RSA --hostkey");
        return key;
    }
    if (ssh_pki_generate(type, type == SSH_KEYTYPE_RSA ? 2048 : 0, &key) !=
        SSH_OK)
        die(2, "cannot generate a host key");
    if (o->hostkey && ssh_pki_export_privkey_file(key, NULL, NULL, NULL,
                                                  o->hostkey) != SSH_OK)
        die(2, "--hostkey %s: cannot write the key", o->hostkey);
    return key;
}

/* Checked here so a bad file stops the start with a clear reason; each
 * worker loads it again for its own ssh_bind. */
static void authorized_key_check(const sim_opts_t *o)
{
    ssh_key key = NULL;
    if (!o->authorized_key)
        return;
    if (ssh_pki_import_pubkey_file(o->authorized_key, &key) != SSH_OK)
        die(2, "--authorized-key %s: cannot read an OpenSSH public key",
            o->authorized_key);
    ssh_key_free(key);
}

static void raise_nofile(const sim_opts_t *o)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        die(2, "getrlimit: %s", strerror(errno));
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    /* Per worker: one listening socket and at least one session each. */
    unsigned per = (o->devices + o->workers - 1) / o->workers;
    unsigned long need = 2ul * per + FDS_SPARE;
    if (need > rl.rlim_cur) {
        unsigned long k = (2ul * o->devices + rl.rlim_cur - FDS_SPARE - 1) /
                          (rl.rlim_cur - FDS_SPARE);
        die(2,
            "cannot serve %u devices with %u workers: each worker needs "
            "~%lu open files (a listener and a session per device), the "
            "limit is %lu; use --workers %lu or more",
            o->devices, o->workers, need, (unsigned long)rl.rlim_cur, k);
    }
}

static void write_inventory(const sim_t *sim)
{
    const sim_opts_t *o = &sim->o;
    FILE *f = fopen(o->inventory_out, "w");
    if (!f)
        die(2, "--inventory-out %s: %s", o->inventory_out, strerror(errno));
    for (int v = 0; v < SIM_NVENDORS; v++) {
        if (!sim->vendors[v])
            continue;
        fprintf(f, "[%s]\n", sim_vendor_names[v]);
        for (unsigned i = 0; i < o->devices; i++)
            if (sim->devs[i].vendor == sim->vendors[v])
                fprintf(f, "%s:%u vendor=%s\n", o->listen, o->base_port + i,
                        sim_vendor_names[v]);
        fputc('\n', f);
    }
    if (fclose(f) != 0)
        die(2, "--inventory-out %s: %s", o->inventory_out, strerror(errno));
}

static void write_faults(const sim_t *sim)
{
    const sim_opts_t *o = &sim->o;
    FILE *f = fopen(o->faults_out, "w");
    if (!f)
        die(2, "--faults-out %s: %s", o->faults_out, strerror(errno));
    for (unsigned i = 0; i < o->devices; i++) {
        const sim_device_t *d = &sim->devs[i];
        if (d->fault != SIM_F_NONE)
            fprintf(f, "%u %s %s\n", o->base_port + i, d->vendor->name,
                    sim_fault_name(d->fault));
    }
    if (fclose(f) != 0)
        die(2, "--faults-out %s: %s", o->faults_out, strerror(errno));
}

/* ---- workers ----------------------------------------------------------- */

static void print_total(const sim_t *sim)
{
    sim_stats_t t = {0};
    for (unsigned i = 0; i < sim->o.workers; i++) {
        const sim_stats_t *s = &sim->stats[i];
        t.sessions += s->sessions;
        t.handshakes += s->handshakes;
        t.auth_ok += s->auth_ok;
        t.commands += s->commands;
        t.bytes_out += s->bytes_out;
        t.active += s->active;
        t.cpu_us += s->cpu_us;
        t.maxrss_kb += s->maxrss_kb;
    }
    fprintf(stderr,
            "flexnet-sim: stats worker=all sessions=%llu handshakes=%llu "
            "auth_ok=%llu commands=%llu bytes_out=%llu active=%llu "
            "cpu_s=%.3f peak_rss_kb=%llu\n",
            (unsigned long long)t.sessions, (unsigned long long)t.handshakes,
            (unsigned long long)t.auth_ok, (unsigned long long)t.commands,
            (unsigned long long)t.bytes_out, (unsigned long long)t.active,
            (double)t.cpu_us / 1e6, (unsigned long long)t.maxrss_kb);
}

static void signal_workers(const sim_t *sim, int sig)
{
    for (unsigned i = 0; i < sim->o.workers; i++)
        if (sim->pids[i] > 0)
            kill(sim->pids[i], sig);
}

static void sim_free(sim_t *sim)
{
    for (unsigned i = 0; sim->devs && i < sim->o.devices; i++) {
        fn_buf_cleanup(&sim->devs[i].added);
        fn_buf_cleanup(&sim->devs[i].cand);
    }
    free(sim->devs);
    for (int v = 0; v < SIM_NVENDORS; v++)
        sim_vendor_free(sim->vendors[v]);
    if (sim->hostkey_b64) {
        fn_memwipe(sim->hostkey_b64, strlen(sim->hostkey_b64));
        ssh_string_free_char(sim->hostkey_b64);
    }
    free(sim->pids);
    free(sim->ready);
}

/* Forks worker w; returns the read end of its ready pipe. */
static int fork_worker(sim_t *sim, unsigned w)
{
    const sim_opts_t *o = &sim->o;
    unsigned first = (unsigned)((uint64_t)o->devices * w / o->workers);
    unsigned end = (unsigned)((uint64_t)o->devices * (w + 1) / o->workers);
    int p[2];
    if (pipe(p) < 0)
        die(2, "pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die(2, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[0]);
        for (unsigned i = 0; i < w; i++)
            close(sim->ready[i]); /* earlier workers' pipes */
        int rc = sim_worker_run(o, sim->devs + first, end - first,
                                sim->hostkey_b64, p[1], &sim->stats[w], w);
        sim_free(sim);
        exit(rc);
    }
    close(p[1]);
    sim->pids[w] = pid;
    return p[0];
}

/* Reads a worker's "ok" or its reason. Returns 0 if ready. */
static int await_worker(int fd, unsigned w)
{
    char msg[320];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(msg) - 1 &&
           (n = read(fd, msg + got, sizeof(msg) - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    msg[got] = '\0';
    if (strcmp(msg, "ok\n") == 0)
        return 0;
    msg[strcspn(msg, "\n")] = '\0';
    fprintf(stderr, "flexnet-sim: worker %u: %s\n", w,
            got ? msg : "exited before listening");
    return -1;
}

static int reap_all(sim_t *sim)
{
    int bad = 0;
    for (unsigned i = 0; i < sim->o.workers; i++) {
        int st;
        if (sim->pids[i] <= 0)
            continue;
        if (waitpid(sim->pids[i], &st, 0) == sim->pids[i] &&
            !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
            bad = 1;
        sim->pids[i] = 0;
    }
    return bad;
}

static int serve(sim_t *sim, const sigset_t *set)
{
    for (;;) {
        int sig = sigwaitinfo(set, NULL);
        if (sig == SIGUSR1) {
            signal_workers(sim, SIGUSR1);
            print_total(sim);
        } else if (sig == SIGTERM || sig == SIGINT) {
            signal_workers(sim, SIGTERM);
            return reap_all(sim) ? 1 : 0;
        } else if (sig == SIGCHLD) {
            pid_t pid = waitpid(-1, NULL, WNOHANG);
            if (pid <= 0)
                continue;
            for (unsigned i = 0; i < sim->o.workers; i++)
                if (sim->pids[i] == pid)
                    sim->pids[i] = 0;
            fprintf(stderr, "flexnet-sim: a worker died; stopping\n");
            signal_workers(sim, SIGTERM);
            reap_all(sim);
            return 1;
        }
    }
}

static int run(sim_t *sim)
{
    const sim_opts_t *o = &sim->o;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sim->pids = calloc(o->workers, sizeof(pid_t));
    sim->ready = calloc(o->workers, sizeof(int));
    if (!sim->pids || !sim->ready)
        die(2, "out of memory");
    for (unsigned w = 0; w < o->workers; w++)
        sim->ready[w] = fork_worker(sim, w);
    int ok = 1;
    for (unsigned w = 0; w < o->workers; w++)
        ok &= await_worker(sim->ready[w], w) == 0;
    if (!ok) {
        signal_workers(sim, SIGTERM);
        reap_all(sim);
        return 2;
    }
    printf("flexnet-sim: ready %u devices\n", o->devices);
    fflush(stdout);
    int rc = serve(sim, &set);
    print_total(sim);
    return rc;
}

int main(int argc, char **argv)
{
    sim_t sim = {0};
    /* A peer that vanishes mid-write must cost a session, not a worker. */
    signal(SIGPIPE, SIG_IGN);
    parse_opts(&sim, argc, argv);
    load_vendors(&sim);
    raise_nofile(&sim.o);
    make_devices(&sim);
    authorized_key_check(&sim.o);
    ssh_key key = hostkey_get(&sim.o);
    if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL,
                                      &sim.hostkey_b64) != SSH_OK)
        die(2, "cannot export the host key");
    ssh_key_free(key);
    if (sim.o.inventory_out)
        write_inventory(&sim);
    if (sim.o.faults_out)
        write_faults(&sim);
    size_t shm = sizeof(sim_stats_t) * sim.o.workers;
    sim.stats = mmap(NULL, shm, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sim.stats == MAP_FAILED)
        die(2, "mmap: %s", strerror(errno));
    int rc = run(&sim);
    munmap(sim.stats, shm);
    sim_free(&sim);
    ssh_finalize();
    return rc;
}
