/*
 * faults.c — the fault plan: which device misbehaves, and how.
 *
 * A device's fault is a pure function of (plan, seed, device index): the
 * index is hashed with the seed to a number in [0, 1e6) and the faults'
 * shares are laid end to end in the order of SIM_FAULT_MAP. So the same
 * seed gives the same faulty devices whatever N or --workers is.
 *
 * Does not: apply faults (worker.c and cli.c do). Thread: any; pure.
 */
#include "sim_int.h"

#include "fn_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fault_names[] = {
#define SIM__F_NAME(name, kw) kw,
    SIM_FAULT_MAP(SIM__F_NAME)
#undef SIM__F_NAME
};

const char *sim_fault_name(int fault)
{
    if (fault < 0 || fault >= SIM_F_COUNT)
        return "?";
    return fault_names[fault];
}

uint64_t sim_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* One "name=P%" item. */
static int parse_item(sim_faults_t *f, char *item, char *err, size_t errlen)
{
    char *eq = strchr(item, '=');
    if (!eq) {
        snprintf(err, errlen, "fault '%s': expected name=P%%", item);
        return FN_EPARSE;
    }
    *eq = '\0';
    int k = 1;
    while (k < SIM_F_COUNT && strcmp(fault_names[k], item) != 0)
        k++;
    char *end;
    double pct = strtod(eq + 1, &end);
    if (k == SIM_F_COUNT) {
        snprintf(err, errlen, "unknown fault '%s'", item);
        return FN_EPARSE;
    }
    if (end == eq + 1 || (*end && strcmp(end, "%") != 0) || pct < 0 ||
        pct > 100) {
        snprintf(err, errlen, "fault '%s': bad share '%s'", item, eq + 1);
        return FN_EPARSE;
    }
    f->ppm[k] = (uint32_t)(pct * 10000.0 + 0.5);
    return 0;
}

int sim_faults_parse(sim_faults_t *f, const char *spec, char *err,
                     size_t errlen)
{
    char buf[512];
    memset(f, 0, sizeof(*f));
    if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf)) {
        snprintf(err, errlen, "fault spec too long");
        return FN_EPARSE;
    }
    for (char *s = buf, *e; s && *s; s = e) {
        e = strchr(s, ',');
        if (e)
            *e++ = '\0';
        int rc = parse_item(f, s, err, errlen);
        if (rc < 0)
            return rc;
    }
    uint64_t total = 0;
    for (int k = 1; k < SIM_F_COUNT; k++)
        total += f->ppm[k];
    if (total > 1000000) {
        snprintf(err, errlen, "fault shares add up to more than 100%%");
        return FN_EPARSE;
    }
    return 0;
}

int sim_fault_of(const sim_faults_t *f, uint64_t seed, unsigned idx)
{
    uint64_t h = sim_mix64(sim_mix64(seed) ^ (0xfa17ull << 32 | idx));
    uint32_t x = (uint32_t)(h % 1000000u);
    uint32_t acc = 0;
    for (int k = 1; k < SIM_F_COUNT; k++) {
        acc += f->ppm[k];
        if (x < acc)
            return k;
    }
    return SIM_F_NONE;
}
