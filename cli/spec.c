/*
 * spec.c — building TaskSpec messages by hand: the one representation of
 * "what to run" shared by the flag parser, the manifest parser, the store
 * and the engine.
 *
 * Every string and array of a spec built here is malloc'd, so the generic
 * protobuf-c free (fn__cli_spec_free) releases the whole tree. Also the
 * small number parsers the CLI shares (unsigned, seconds, N|P%).
 *
 * Does not validate hosts or groups (the inventory does). Thread: any.
 */
#include "cli_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int fn__cli_str_set(char **field, const char *s)
{
    char *copy = strdup(s ? s : "");
    if (!copy)
        return -ENOMEM;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
    return 0;
}

int fn__cli_strv_push(char ***v, size_t *n, const char *s)
{
    char **grown = realloc(*v, (*n + 1) * sizeof(**v));
    if (!grown)
        return -ENOMEM;
    *v = grown;
    grown[*n] = strdup(s);
    if (!grown[*n])
        return -ENOMEM;
    (*n)++;
    return 0;
}

Flexnet__V1__TaskSpec *fn__cli_spec_new(void)
{
    Flexnet__V1__TaskSpec *spec = malloc(sizeof(*spec));
    Flexnet__V1__Credentials *cred = malloc(sizeof(*cred));
    if (!spec || !cred) {
        free(spec);
        free(cred);
        return NULL;
    }
    flexnet__v1__task_spec__init(spec);
    flexnet__v1__credentials__init(cred);
    spec->credentials = cred;
    return spec;
}

void fn__cli_spec_free(Flexnet__V1__TaskSpec *spec)
{
    if (spec)
        flexnet__v1__task_spec__free_unpacked(spec, NULL);
}

Flexnet__V1__Step *fn__cli_spec_add_step(Flexnet__V1__TaskSpec *spec,
                                         Flexnet__V1__StepKind kind)
{
    Flexnet__V1__Step **grown =
        realloc(spec->steps, (spec->n_steps + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    spec->steps = grown;
    Flexnet__V1__Step *step = malloc(sizeof(*step));
    if (!step)
        return NULL;
    flexnet__v1__step__init(step);
    step->kind = kind;
    grown[spec->n_steps++] = step;
    return step;
}

int fn__cli_parse_uint(const char *s, unsigned long max, unsigned *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return FN_EPARSE;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return FN_EPARSE;
    *out = (unsigned)v;
    return 0;
}

int fn__cli_parse_seconds(const char *s, unsigned *ms)
{
    char *end;
    if (!s || !*s)
        return FN_EPARSE;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v <= 0 || v > 86400.0)
        return FN_EPARSE;
    *ms = (unsigned)lround(v * 1000.0);
    return *ms ? 0 : FN_EPARSE;
}

int fn__cli_parse_max_failed(const char *s, Flexnet__V1__TaskSpec *spec)
{
    size_t len = s ? strlen(s) : 0;
    unsigned v;
    if (len > 1 && s[len - 1] == '%') {
        char num[16];
        if (len >= sizeof(num))
            return FN_EPARSE;
        memcpy(num, s, len - 1);
        num[len - 1] = '\0';
        if (fn__cli_parse_uint(num, 100, &v))
            return FN_EPARSE;
        spec->max_failed_percent = v;
        spec->max_failed = 0;
        return 0;
    }
    if (fn__cli_parse_uint(s, UINT_MAX, &v))
        return FN_EPARSE;
    spec->max_failed = v;
    spec->max_failed_percent = 0;
    return 0;
}

static const struct {
    const char *name;
    int mode;
} redact_names[] = {
    {"reversible", FLEXNET__V1__REDACT_MODE__REDACT_MODE_REVERSIBLE},
    {"all", FLEXNET__V1__REDACT_MODE__REDACT_MODE_ALL},
    {"none", FLEXNET__V1__REDACT_MODE__REDACT_MODE_NONE},
};

int fn__cli_redact_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(redact_names) / sizeof(redact_names[0]); i++)
        if (!strcmp(s, redact_names[i].name))
            return redact_names[i].mode;
    return -1;
}

const char *fn__cli_redact_name(int mode)
{
    for (size_t i = 0; i < sizeof(redact_names) / sizeof(redact_names[0]); i++)
        if (redact_names[i].mode == mode)
            return redact_names[i].name;
    return "reversible";
}

int fn__cli_parse_on_error(const char *s, int *out)
{
    if (s && !strcmp(s, "stop"))
        *out = FLEXNET__V1__ON_ERROR__ON_ERROR_STOP;
    else if (s && !strcmp(s, "continue"))
        *out = FLEXNET__V1__ON_ERROR__ON_ERROR_CONTINUE;
    else
        return FN_EPARSE;
    return 0;
}

int fn__cli_add_expect(Flexnet__V1__Step *step, const char *s)
{
    const char *arrow = s ? strstr(s, "=>") : NULL;
    if (!arrow)
        return FN_EPARSE;
    size_t qn = (size_t)(arrow - s);
    while (qn > 0 && s[qn - 1] == ' ')
        qn--;
    if (!qn)
        return FN_EPARSE;
    const char *ans = arrow + 2 + (arrow[2] == ' ');
    Flexnet__V1__Expect **grown =
        realloc(step->expect, (step->n_expect + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    step->expect = grown;
    Flexnet__V1__Expect *e = malloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    flexnet__v1__expect__init(e);
    e->question = strndup(s, qn);
    e->answer = strdup(ans);
    grown[step->n_expect++] = e;
    return e->question && e->answer ? 0 : -ENOMEM;
}
