/*
 * main.c — flexnetd: parses the command line, opens the vendor profiles,
 * the store and the engine on one event_base, serves gRPC (fn_rpc.h)
 * until SIGTERM/SIGINT, then drains and frees everything (valgrind-clean).
 *
 *   flexnetd [--listen 127.0.0.1:50051] [--db DIR] [--inventory FILE]
 *            [--vendors-dir D] [--token-file F] [--tls-cert F --tls-key F]
 *            [--config F] [--stream-queue N] [--drain-ms MS]
 *            [--metrics-listen 127.0.0.1:9464] [--log-format text|json]
 *            [--verbose] [--options FILE]
 *
 * --options: a file of "name = value" lines, one per long option above
 * (the packaged unit's /etc/flexnet/flexnetd.conf); what the command line
 * sets wins.
 * --config: the integrations file ([vault], [cyberark] for credential
 * providers, [s3] for backup copies made by the recorder; default
 * ./flexnet.conf when it exists).
 * Prints "flexnetd: metrics on ADDR:PORT" (with --metrics-listen), then
 * "flexnetd: listening on ADDR:PORT" on stdout once it serves.
 * Thread: main = the reactor. Owns every module handle it opens. The token
 * and the TLS key are wiped from memory once handed over.
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_buf.h"
#include "fn_config.h"
#include "fn_engine.h"
#include "fn_err.h"
#include "fn_proc.h"
#include "fn_log.h"
#include "fn_rpc.h"
#include "fn_store.h"
#include "fn_str.h"
#include "fn_vendor.h"

#define MAIN_FILE_MAX (1024 * 1024) /* token, cert and key files */

typedef struct main_args {
    const char *listen, *db, *inventory, *vendors_dir;
    const char *token_file, *tls_cert, *tls_key, *config;
    const char *metrics_listen, *log_format, *options;
    unsigned long stream_queue, drain_ms;
    int verbose;
} main_args_t;

typedef struct main_ctx {
    struct event_base *base;
    fn_vendors_t *vendors;
    fn_config_t *config;
    fn_store_t *store;
    fn_engine_t *engine;
    fn_rpc_t *rpc;
    struct event *sigterm, *sigint;
    fn_buf_t token, cert, key; /* file contents; token and key wiped */
} main_ctx_t;

static void main_usage(FILE *f)
{
    fprintf(f, "usage: flexnetd [--listen 127.0.0.1:50051] [--db DIR] "
               "[--inventory FILE]\n"
               "                [--vendors-dir D] [--token-file F] "
               "[--tls-cert F --tls-key F]\n"
               "                [--config F] [--stream-queue N] "
               "[--drain-ms MS]\n"
               "                [--metrics-listen 127.0.0.1:9464] "
               "[--log-format text|json] [--verbose]\n"
               "                [--options FILE]   (name = value lines; "
               "flags win)\n");
}

static int main_number(const char *s, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v == 0 || v > 100000000ul)
        return -1;
    *out = v;
    return 0;
}

/* Options: one row each; the value goes to the field at `off`. */
enum { MAIN_STR, MAIN_NUM, MAIN_FLAG };
static const struct main_opt {
    const char *name;
    int kind;
    size_t off;
} main_opts[] = {
    {"listen", MAIN_STR, offsetof(main_args_t, listen)},
    {"db", MAIN_STR, offsetof(main_args_t, db)},
    {"inventory", MAIN_STR, offsetof(main_args_t, inventory)},
    {"vendors-dir", MAIN_STR, offsetof(main_args_t, vendors_dir)},
    {"token-file", MAIN_STR, offsetof(main_args_t, token_file)},
    {"tls-cert", MAIN_STR, offsetof(main_args_t, tls_cert)},
    {"tls-key", MAIN_STR, offsetof(main_args_t, tls_key)},
    {"config", MAIN_STR, offsetof(main_args_t, config)},
    {"stream-queue", MAIN_NUM, offsetof(main_args_t, stream_queue)},
    {"drain-ms", MAIN_NUM, offsetof(main_args_t, drain_ms)},
    {"metrics-listen", MAIN_STR, offsetof(main_args_t, metrics_listen)},
    {"log-format", MAIN_STR, offsetof(main_args_t, log_format)},
    {"options", MAIN_STR, offsetof(main_args_t, options)},
    {"verbose", MAIN_FLAG, offsetof(main_args_t, verbose)},
};
#define MAIN_NOPTS (sizeof(main_opts) / sizeof(main_opts[0]))

static int main_set(main_args_t *a, const struct main_opt *o, char *val)
{
    char *field = (char *)a + o->off;
    if (o->kind == MAIN_STR)
        *(const char **)field = val;
    else if (o->kind == MAIN_FLAG)
        *(int *)field = 1;
    else
        return main_number(val, (unsigned long *)field);
    return 0;
}

static int main_parse(int argc, char **argv, main_args_t *a)
{
    struct option lo[MAIN_NOPTS + 2];
    memset(lo, 0, sizeof(lo));
    for (size_t i = 0; i < MAIN_NOPTS; i++) {
        lo[i].name = main_opts[i].name;
        lo[i].has_arg =
            main_opts[i].kind == MAIN_FLAG ? no_argument : required_argument;
        lo[i].val = 256 + (int)i;
    }
    lo[MAIN_NOPTS].name = "help";
    lo[MAIN_NOPTS].val = 'h';
    memset(a, 0, sizeof(*a));
    int ch;
    while ((ch = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
        if (ch == 'h') {
            main_usage(stdout);
            exit(0);
        }
        if (ch == 'v')
            ch = 256 + (int)MAIN_NOPTS - 1; /* --verbose */
        if (ch < 256 || main_set(a, &main_opts[ch - 256], optarg) < 0)
            return -1;
    }
    return optind == argc ? 0 : -1;
}

/* Checks what no single option can: pairs and choices. */
static int main_check(main_args_t *a)
{
    if (!a->listen)
        a->listen = "127.0.0.1:50051";
    if (a->log_format && fn_log_format_parse(a->log_format) < 0)
        return -1;
    return !a->tls_cert == !a->tls_key ? 0 : -1;
}

static int main_read(const char *path, fn_buf_t *b);

/* One "name = value" line of an options file (value may be absent for
 * a flag, or true/false). Returns 0 or -1 with why said. */
static int main_option_line(char *line, main_args_t *f, const char *path,
                            int lineno)
{
    char *eq = strchr(line, '=');
    char *val = eq ? fn_str_trim(eq + 1) : (char *)"";
    if (eq)
        *eq = '\0';
    char *name = fn_str_trim(line);
    for (size_t i = 0; i < MAIN_NOPTS; i++) {
        const struct main_opt *o = &main_opts[i];
        if (strcmp(o->name, name) != 0 || !strcmp(name, "options"))
            continue;
        if (o->kind == MAIN_FLAG &&
            (!strcmp(val, "false") || !strcmp(val, "no") || !strcmp(val, "0")))
            return 0;
        if ((o->kind != MAIN_FLAG && !*val) || main_set(f, o, val) < 0)
            break;
        return 0;
    }
    fprintf(stderr, "flexnetd: %s:%d: bad option line \"%s\"\n", path, lineno,
            name);
    return -1;
}

/* --options FILE: every long option as "name = value", '#' comments.
 * What the command line set wins; the file fills the rest. text keeps
 * the file's strings alive (owned by the caller). */
static int main_options(main_args_t *a, fn_buf_t *text)
{
    fn_buf_init(text, MAIN_FILE_MAX);
    int rc = main_read(a->options, text);
    if (rc < 0 || fn_buf_append(text, "", 0) < 0) {
        fprintf(stderr, "flexnetd: %s: %s\n", a->options, fn_strerror(rc));
        return -1;
    }
    main_args_t f;
    memset(&f, 0, sizeof(f));
    int lineno = 0;
    for (char *line = text->data, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        if (*fn_str_trim(line))
            rc = main_option_line(line, &f, a->options, lineno);
    }
    for (size_t i = 0; rc == 0 && i < MAIN_NOPTS; i++) {
        size_t off = main_opts[i].off,
               n = main_opts[i].kind == MAIN_STR   ? sizeof(const char *)
                   : main_opts[i].kind == MAIN_NUM ? sizeof(unsigned long)
                                                   : sizeof(int);
        static const char zero[sizeof(unsigned long) + sizeof(void *)];
        if (!memcmp((char *)a + off, zero, n))
            memcpy((char *)a + off, (char *)&f + off, n);
    }
    return rc;
}

/* Reads a whole small file into b (capped). Returns 0 or -errno/FN_EFULL. */
static int main_read(const char *path, fn_buf_t *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    char chunk[4096];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = fn_buf_append(b, chunk, n);
    fclose(f);
    fn_memwipe(chunk, sizeof(chunk));
    return rc;
}

static int main_secrets(const main_args_t *a, main_ctx_t *m)
{
    fn_buf_init(&m->token, MAIN_FILE_MAX);
    fn_buf_init(&m->cert, MAIN_FILE_MAX);
    fn_buf_init(&m->key, MAIN_FILE_MAX);
    const char *paths[3] = {a->token_file, a->tls_cert, a->tls_key};
    fn_buf_t *bufs[3] = {&m->token, &m->cert, &m->key};
    for (int i = 0; i < 3; i++) {
        int rc = paths[i] ? main_read(paths[i], bufs[i]) : 0;
        if (rc < 0) {
            fprintf(stderr, "flexnetd: %s: %s\n", paths[i], fn_strerror(rc));
            return rc;
        }
    }
    while (m->token.len && strchr(" \t\r\n", m->token.data[m->token.len - 1]))
        m->token.data[--m->token.len] = '\0';
    if (a->token_file && !m->token.len) {
        fprintf(stderr, "flexnetd: %s: empty token\n", a->token_file);
        return FN_EPARSE;
    }
    return 0;
}

/* "flexnetd: WHAT HOST:PORT" with the port bound (the one asked may be 0). */
static void main_announce(const char *what, const char *addr, int port)
{
    const char *colon = strrchr(addr, ':');
    printf("flexnetd: %s %.*s:%d\n", what, colon ? (int)(colon - addr) : 0,
           addr, port);
}

static void main_on_drained(fn_rpc_t *s, void *arg)
{
    main_ctx_t *m = arg;
    event_base_loopexit(m->base, NULL);
}

static void main_on_signal(evutil_socket_t sig, short what, void *arg)
{
    main_ctx_t *m = arg;
    fn_log(FN_LOG_WARN, NULL, "flexnetd: signal %d: draining", (int)sig);
    if (fn_rpc_drain(m->rpc, main_on_drained, m) < 0)
        event_base_loopexit(m->base, NULL); /* second signal: leave now */
}

static int main_open(const main_args_t *a, main_ctx_t *m, char *err,
                     size_t errlen)
{
    int rc = fn_vendors_new(&m->vendors, a->vendors_dir, err, errlen);
    if (rc == 0)
        rc = fn_config_load(&m->config, a->config, err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = fn_store_open(&m->store, a->db, 0)) < 0) {
        snprintf(err, errlen, "store %s: %s", a->db ? a->db : "./.db",
                 fn_strerror(rc));
        return rc;
    }
    fn_engine_opts_t eo;
    fn_engine_opts_init(&eo);
    if ((rc = fn_engine_new(&m->engine, m->base, m->vendors, &eo)) < 0) {
        snprintf(err, errlen, "engine: %s", fn_strerror(rc));
        return rc;
    }
    fn_rpc_opts_t ro;
    fn_rpc_opts_init(&ro);
    ro.listen = a->listen;
    ro.token = a->token_file ? m->token.data : NULL;
    ro.tls_cert_pem = a->tls_cert ? m->cert.data : NULL;
    ro.tls_key_pem = a->tls_key ? m->key.data : NULL;
    ro.inventory = a->inventory;
    ro.config = m->config;
    ro.stream_queue = a->stream_queue;
    ro.drain_ms = a->drain_ms;
    ro.metrics_listen = a->metrics_listen;
    return fn_rpc_new(&m->rpc, m->base, m->engine, m->store, m->vendors, &ro,
                      err, errlen);
}

static int main_signals(main_ctx_t *m)
{
    signal(SIGPIPE, SIG_IGN);
    m->sigterm = evsignal_new(m->base, SIGTERM, main_on_signal, m);
    m->sigint = evsignal_new(m->base, SIGINT, main_on_signal, m);
    if (!m->sigterm || !m->sigint || evsignal_add(m->sigterm, NULL) < 0 ||
        evsignal_add(m->sigint, NULL) < 0)
        return FN_EINTERNAL;
    return 0;
}

static void main_close(main_ctx_t *m)
{
    fn_engine_free(m->engine);
    fn_rpc_free(m->rpc);
    fn_store_close(m->store);
    fn_config_free(m->config);
    fn_vendors_free(m->vendors);
    if (m->sigterm)
        event_free(m->sigterm);
    if (m->sigint)
        event_free(m->sigint);
    if (m->base)
        event_base_free(m->base);
    fn_buf_wipe(&m->token);
    fn_buf_wipe(&m->key);
    fn_buf_cleanup(&m->token);
    fn_buf_cleanup(&m->cert);
    fn_buf_cleanup(&m->key);
    libevent_global_shutdown();
}

int main(int argc, char **argv)
{
    if (fn_proc_protect_secrets() < 0)
        fprintf(stderr, "flexnetd: warning: core dumps stay enabled\n");
    main_args_t a;
    fn_buf_t options;
    fn_buf_init(&options, 0);
    if (main_parse(argc, argv, &a) < 0 ||
        (a.options && main_options(&a, &options) < 0) || main_check(&a) < 0) {
        fn_buf_cleanup(&options);
        main_usage(stderr);
        return 2;
    }
    fn_log_configure(a.verbose ? FN_LOG_DEBUG : FN_LOG_WARN,
                     a.verbose ? FN_LOGC_RPC : 0, NULL);
    if (a.log_format)
        fn_log_set_format(fn_log_format_parse(a.log_format));
    main_ctx_t m;
    memset(&m, 0, sizeof(m));
    char err[512] = "";
    int rc = main_secrets(&a, &m);
    if (rc == 0 &&
        (evthread_use_pthreads() < 0 || !(m.base = event_base_new())))
        rc = FN_EINTERNAL; /* one priority: see fn_rpc.h */
    if (rc == 0 && (rc = main_open(&a, &m, err, sizeof(err))) < 0)
        fn_log(FN_LOG_ERROR, NULL, "flexnetd: %s",
               err[0] ? err : fn_strerror(rc));
    fn_buf_wipe(&m.token); /* the server keeps its own copy */
    fn_buf_wipe(&m.key);
    if (rc == 0)
        rc = main_signals(&m);
    if (rc == 0) {
        if (a.metrics_listen)
            main_announce("metrics on", a.metrics_listen,
                          fn_rpc_metrics_port(m.rpc));
        main_announce("listening on", a.listen, fn_rpc_port(m.rpc));
        fflush(stdout);
        event_base_dispatch(m.base);
    }
    main_close(&m);
    fn_buf_cleanup(&options); /* a's strings from --options point here */
    return rc < 0 ? 1 : 0;
}
