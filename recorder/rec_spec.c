/*
 * rec_spec.c — a stored task spec (flexnet.proto TaskSpec, what the CLI
 * builds from flags or a manifest and what flexnetd receives) as the
 * engine's fn_task_spec_t: the one translation both front ends use.
 *
 * Does not: resolve hosts or secrets (front ends do; they ask
 * fn_recorder_spec_in_shard which targets a shard keeps), copy strings (the
 * view points into the spec). Thread: any. Owns the steps array until
 * fn_recorder_spec_cleanup.
 */
#include "recorder_int.h"

#include "fn_vendor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fn_str.h"

_Static_assert(sizeof(int) == sizeof(int32_t), "when codes are passed as-is");
_Static_assert((int)FN_STEP_SAVE == (int)FLEXNET__V1__STEP_KIND__STEP_KIND_SAVE,
               "step kinds are passed as-is");
_Static_assert((int)FN_ON_ERROR_STOP ==
                       (int)FLEXNET__V1__ON_ERROR__ON_ERROR_STOP &&
                   (int)FN_ON_ERROR_CONTINUE ==
                       (int)FLEXNET__V1__ON_ERROR__ON_ERROR_CONTINUE,
               "on_error values are passed as-is");

/* The step's expect pairs (an owned array of views into p). */
static int spec_expect(const Flexnet__V1__Step *p, fn_step_t *st)
{
    if (!p->n_expect)
        return 0;
    fn_expect_t *e = calloc(p->n_expect, sizeof(*e));
    if (!e)
        return -ENOMEM;
    for (size_t i = 0; i < p->n_expect; i++)
        e[i] = (fn_expect_t){p->expect[i]->question, p->expect[i]->answer};
    st->expect = e;
    st->nexpect = p->n_expect;
    return 0;
}

static int spec_step(const Flexnet__V1__Step *p, fn_step_t *st)
{
    st->kind = (int)p->kind;
    st->commands = (const char *const *)p->commands;
    st->ncommands = p->n_commands;
    st->tag = *p->tag ? p->tag : NULL;
    st->exit_on_fail = p->exit_on_fail;
    st->only_on = (const char *const *)p->only_on;
    st->nonly_on = p->n_only_on;
    st->skip = (const char *const *)p->skip;
    st->nskip = p->n_skip;
    if (p->when && *p->when->tag) {
        st->when_tag = p->when->tag;
        st->when_codes = (const int *)p->when->exit_codes;
        st->nwhen_codes = p->when->n_exit_codes;
    }
    st->comment = *p->comment ? p->comment : NULL;
    st->timeout_ms = p->timeout_ms;
    st->on_error = (int)p->on_error; /* same values as enum fn_on_error */
    return spec_expect(p, st);
}

int fn_recorder_spec(const Flexnet__V1__TaskSpec *s, fn_task_spec_t *es)
{
    memset(es, 0, sizeof(*es));
    fn_step_t *steps = calloc(s->n_steps ? s->n_steps : 1, sizeof(*steps));
    if (!steps)
        return -ENOMEM;
    es->steps = steps;
    es->nsteps = s->n_steps;
    for (size_t i = 0; i < s->n_steps; i++)
        if (spec_step(s->steps[i], &steps[i]) < 0) {
            fn_recorder_spec_cleanup(es);
            return -ENOMEM;
        }
    if (s->credentials && *s->credentials->username)
        es->creds.username = s->credentials->username;
    if (s->credentials && *s->credentials->key_file)
        es->creds.key_file = s->credentials->key_file;
    if (s->credentials)
        es->creds.use_agent = s->credentials->ssh_agent;
    es->default_vendor = *s->default_vendor ? s->default_vendor : NULL;
    es->mode = (int)s->mode;
    es->max_failed = s->max_failed;
    es->max_failed_percent = s->max_failed_percent;
    es->concurrency = s->concurrency;
    es->connect_timeout_ms = s->connect_timeout_ms;
    es->command_timeout_ms = s->command_timeout_ms;
    es->login_timeout_ms = s->login_timeout_ms;
    es->hostkey_policy = (int)s->host_key_policy;
    es->redact = fn_recorder_redact_from_proto((int)s->redact);
    return 0;
}

/* RedactMode <-> enum fn_vendor_redact: one table both ways. */
static const int redact_map[][2] = {
    {FLEXNET__V1__REDACT_MODE__REDACT_MODE_REVERSIBLE, FN_REDACT_REVERSIBLE},
    {FLEXNET__V1__REDACT_MODE__REDACT_MODE_ALL, FN_REDACT_ALL},
    {FLEXNET__V1__REDACT_MODE__REDACT_MODE_NONE, FN_REDACT_NONE},
};

int fn_recorder_redact_from_proto(int mode)
{
    for (size_t i = 0; i < sizeof(redact_map) / sizeof(redact_map[0]); i++)
        if (redact_map[i][0] == mode)
            return redact_map[i][1];
    return FN_REDACT_REVERSIBLE; /* UNSPECIFIED */
}

int fn_recorder_redact_to_proto(int mode)
{
    for (size_t i = 0; i < sizeof(redact_map) / sizeof(redact_map[0]); i++)
        if (redact_map[i][1] == mode)
            return redact_map[i][0];
    return FLEXNET__V1__REDACT_MODE__REDACT_MODE_REVERSIBLE;
}

void fn_recorder_spec_cleanup(fn_task_spec_t *es)
{
    fn__rec_spec_parse_cleanup(es);
    for (size_t i = 0; es->steps && i < es->nsteps; i++)
        free((fn_expect_t *)es->steps[i].expect);
    free((fn_step_t *)es->steps);
    es->steps = NULL;
    es->nsteps = 0;
}

int fn_recorder_spec_in_shard(const Flexnet__V1__TaskSpec *s, const char *host)
{
    if (!s->shard_count)
        return 1;
    /* FNV-1a mixes poorly at both ends: its low k bits depend only on
     * the low k bits of each byte ("sw1", "sw5", "sw9" would always
     * share one of 4 shards), and a last byte's change reaches the top
     * bits only by carries. MurmurHash3's 64-bit finaliser spreads every
     * bit over all of them before the modulo. Never change either. */
    uint64_t h = fn_str_hash(host);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h % s->shard_count == s->shard_index;
}
