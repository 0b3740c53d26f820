/*
 * engine.c — the engine handle: options, the event_base, admission
 * (max sessions, max handshakes in flight), the reaper, task teardown.
 *
 * One "pump" event runs outside every session callback stack: it frees
 * the sessions marked CLOSING (the libuv close-queue pattern), starts
 * queued sessions while the limits allow, and finalizes finished tasks.
 * Anything that changes those (a close, a handshake done) just kicks it.
 *
 * Owns: the pump event, the shared read buffer, its tasks, the base when
 * it created it. Borrows: the vendor registry. Reactor thread only.
 * Does not: talk SSH (session.c) or decide steps (task.c).
 */
#include "engine_int.h"

#include "fn_err.h"
#include "fn_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define ENGINE_SCRATCH   (32u << 10) /* one read buffer for all sessions */
#define ENGINE_SPARE_FDS 256         /* kept for the store, gRPC, logs */
/* A device writes its prompt last; a line of output that looks like the
 * prompt is followed by more within microseconds on a LAN, milliseconds
 * on a slow link. 15 ms keeps a 5-command device ~75 ms longer. */
#define ENGINE_SETTLE_MS 15

/* Cipher order, measured on this machine (bench/results/fanout.md,
 * "cipher cost": engine CPU per device, 1,000-stanza config; three runs
 * of two rounds): aes128-gcm (715-880 µs) and chacha20-poly1305
 * (700-970 µs) stay within the noise of a shared machine, gcm ahead in
 * most rounds; aes128-ctr + HMAC-SHA2 costs ~35-45% more (980-1225 µs).
 * AEAD first, gcm before chacha20, CTR last. */
static const char *const def_algos[4] = {
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
    "ecdh-sha2-nistp384,diffie-hellman-group16-sha512,"
    "diffie-hellman-group14-sha256",
    "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
    "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,"
    "aes256-gcm@openssh.com,aes128-ctr,aes256-ctr",
    NULL, /* MACs: libssh's default (unused with AEAD ciphers) */
};

/* Legacy devices (old IOS, old JunOS): SHA-1 key exchange, ssh-rsa
 * host keys, CBC ciphers, hmac-sha1. Only for hosts that ask. */
static const char *const legacy_algos[4] = {
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
    "diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,"
    "diffie-hellman-group1-sha1",
    "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
    "aes128-gcm@openssh.com,aes128-ctr,chacha20-poly1305@openssh.com,"
    "aes256-ctr,aes128-cbc,aes256-cbc,3des-cbc",
    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
    "hmac-sha2-256,hmac-sha2-512,hmac-sha1",
};

void fn_engine_opts_init(fn_engine_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->max_sessions = 10000;
    o->max_handshakes = 256;
    o->progress_ms = 1000;
    o->ops_per_wakeup = 32;
    o->prompt_settle_ms = ENGINE_SETTLE_MS;
    o->resolv_conf = getenv("FLEXNET_RESOLV_CONF"); /* tests, odd hosts */
}

const char *fn__engine_algos(const fn_engine_t *e, int legacy, int which)
{
    const fn_engine_opts_t *o = &e->opts;
    const char *user[2][4] = {
        {o->kex, o->hostkeys, o->ciphers, NULL},
        {o->legacy_kex, o->legacy_hostkeys, o->legacy_ciphers, o->legacy_macs},
    };
    legacy = legacy ? 1 : 0;
    if (which < 0 || which > 3)
        return NULL;
    if (user[legacy][which])
        return user[legacy][which];
    return legacy ? legacy_algos[which] : def_algos[which];
}

void fn__engine_kick(fn_engine_t *e)
{
    if (e->pump_ev && !e->freeing)
        event_active(e->pump_ev, EV_TIMEOUT, 0);
}

/* The resolver: resolv.conf (opts.resolv_conf, else the system's) and
 * /etc/hosts, read once, lazily, so an all-numeric inventory never
 * touches them. */
struct evdns_base *fn__engine_dns(fn_engine_t *e)
{
    if (!e->dns) {
        const char *conf =
            e->opts.resolv_conf ? e->opts.resolv_conf : "/etc/resolv.conf";
        e->dns = evdns_base_new(e->base, 0);
        if (e->dns &&
            evdns_base_resolv_conf_parse(e->dns, DNS_OPTIONS_ALL, conf) != 0)
            evdns_base_load_hosts(e->dns, NULL); /* hosts file at least */
    }
    return e->dns;
}

static void engine_reap(fn_engine_t *e)
{
    while (e->reap) {
        fn_dev_t *dev = e->reap;
        e->reap = dev->sess->reap_next;
        dev->sess->reap_next = NULL;
        fn__session_free_resources(dev);
        fn__task_on_closed(dev->task,
                           dev); /* then returns s->live to its pool */
    }
}

static void engine_admit(fn_engine_t *e)
{
    for (fn_task_t *t = e->tasks; t; t = fn__task_next(t)) {
        while (fn__task_can_start(t) && e->sessions < e->opts.max_sessions &&
               e->handshakes < e->opts.max_handshakes) {
            fn_dev_t *dev = fn__task_next_idle(t);
            if (!dev)
                break;
            fn__session_start(dev);
        }
    }
}

static void engine_pump_once(fn_engine_t *e)
{
    engine_reap(e);
    for (fn_task_t *t = e->tasks; t; t = fn__task_next(t))
        fn__task_maybe_finish(t);
    if (!e->freeing)
        engine_admit(e);
    engine_reap(e); /* sessions that failed at once */
    fn_task_t *t = e->tasks;
    while (t) {
        fn_task_t *next = fn__task_next(t);
        if (fn__task_finished(t))
            fn__task_finalize(t);
        t = next;
    }
}

/* libevent's own log, process-wide: its warnings go to fn_log at debug.
 * The one expected warning is EBADF from epoll when libssh already
 * closed a socket after EOF before the reaper deleted its events;
 * libevent recovers from it (evmap removal still happens). */
static void engine_evlog(int severity, const char *msg)
{
    fn_log_ctx_t ctx = {NULL, NULL, FN_LOGC_CORE};
    fn_log(severity >= EVENT_LOG_ERR ? FN_LOG_ERROR : FN_LOG_DEBUG, &ctx,
           "libevent: %s", msg);
}

static void engine_on_pump(evutil_socket_t fd, short what, void *arg)
{
    engine_pump_once(arg);
}

/* One socket per session: never plan more sessions than open files
 * allow (20,000 here, a hard limit), minus a reserve for the rest. */
static unsigned engine_fd_cap(unsigned want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return want;
    rlim_t cap = rl.rlim_cur > 2 * ENGINE_SPARE_FDS
                     ? rl.rlim_cur - ENGINE_SPARE_FDS
                     : rl.rlim_cur / 2;
    return want > cap ? (unsigned)cap : want;
}

int fn_engine_new(fn_engine_t **out, struct event_base *base,
                  const fn_vendors_t *vendors, const fn_engine_opts_t *opts)
{
    if (!out || !vendors)
        return FN_EINTERNAL;
    *out = NULL;
    fn_engine_t *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    if (opts)
        e->opts = *opts;
    else
        fn_engine_opts_init(&e->opts);
    if (!e->opts.max_sessions)
        e->opts.max_sessions = 10000;
    e->opts.max_sessions = engine_fd_cap(e->opts.max_sessions);
    if (!e->opts.max_handshakes)
        e->opts.max_handshakes = 256;
    if (!e->opts.ops_per_wakeup)
        e->opts.ops_per_wakeup = 32;
    const char **strs[] = {&e->opts.ciphers,         &e->opts.kex,
                           &e->opts.hostkeys,        &e->opts.legacy_kex,
                           &e->opts.legacy_hostkeys, &e->opts.legacy_ciphers,
                           &e->opts.legacy_macs,     &e->opts.resolv_conf};
    _Static_assert(sizeof(strs) / sizeof(strs[0]) ==
                       sizeof(e->optstr) / sizeof(e->optstr[0]),
                   "every string option has its copy");
    int bad = 0;
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (*strs[i] && !(e->optstr[i] = strdup(*strs[i])))
            bad = 1;
        *strs[i] = e->optstr[i];
    }
    e->vendors = vendors;
    event_set_log_callback(engine_evlog);
    e->base = base;
    if (!e->base) {
        e->base = event_base_new();
        e->own_base = 1;
    }
    e->scratch_len = ENGINE_SCRATCH;
    e->scratch = malloc(e->scratch_len);
    if (e->base)
        e->pump_ev = event_new(e->base, -1, 0, engine_on_pump, e);
    if (bad || !e->base || !e->scratch || !e->pump_ev) {
        fn_engine_free(e);
        return -ENOMEM;
    }
    *out = e;
    return 0;
}

void fn_engine_free(fn_engine_t *e)
{
    if (!e || e->in_callback)
        return;
    fn_engine_shutdown(e);
    for (int i = 0; e->tasks && i < 1000; i++)
        engine_pump_once(e);
    e->freeing = 1;
    while (e->tasks) { /* stuck task: free without a summary */
        fn_task_t *t = e->tasks;
        e->tasks = fn__task_next(t);
        fn__task_free(t);
    }
    if (e->pump_ev)
        event_free(e->pump_ev);
    if (e->dns)
        evdns_base_free(e->dns, 0);
    free(e->scratch);
    for (size_t i = 0; i < sizeof(e->optstr) / sizeof(e->optstr[0]); i++)
        free(e->optstr[i]);
    if (e->own_base && e->base)
        event_base_free(e->base);
    free(e);
}

struct event_base *fn_engine_base(const fn_engine_t *e)
{
    return e->base;
}

int fn_engine_run(fn_engine_t *e)
{
    if (e->in_callback)
        return FN_ERECURSE;
    while (e->tasks)
        if (event_base_loop(e->base, EVLOOP_ONCE) < 0)
            return FN_EINTERNAL;
    return 0;
}

void fn_engine_shutdown(fn_engine_t *e)
{
    for (fn_task_t *t = e->tasks; t; t = fn__task_next(t))
        fn_task_cancel(t);
}

int fn_engine_cancel(fn_engine_t *e, const char *task_id)
{
    for (fn_task_t *t = e->tasks; t && task_id; t = fn__task_next(t))
        if (!strcmp(fn_task_id(t), task_id))
            return fn_task_cancel(t) == 0 ? 0 : FN_ENOTFOUND;
    return FN_ENOTFOUND;
}

size_t fn_engine_task_count(const fn_engine_t *e)
{
    size_t n = 0;
    for (fn_task_t *t = e->tasks; t; t = fn__task_next(t))
        n++;
    return n;
}

void fn_engine_stats(const fn_engine_t *e, fn_engine_stats_t *st)
{
    st->sessions = e->sessions;
    st->sessions_peak = e->sessions_peak;
    st->handshakes = e->handshakes;
    st->sessions_total = e->sessions_total;
    st->live = e->live;
    st->live_peak = e->live_peak;
    st->device_bytes = sizeof(fn_dev_t);
}
