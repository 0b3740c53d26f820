/*
 * rec_parse.c — TextFSM in the recorder: loads the templates a spec's
 * steps ask for (Step.template, Step.parse with TaskSpec.templates_dir)
 * before the task starts, so the engine parses without I/O; and turns a
 * result's parsed records into CommandResult.records for the store, the
 * CLI and gRPC.
 *
 * Does not parse output (the engine does, parse/ runs it). Thread: the
 * caller's. Owns the loaded templates / index until
 * fn_recorder_spec_cleanup, and a message's records until
 * fn__rec_parse_free.
 */
#include "recorder_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_buf.h"
#include "fn_err.h"
#include "fn_str.h"

/* Loads what step i needs into st. ix: the spec's index, loaded on the
 * first step that wants it. */
static int spec_step_parse(const Flexnet__V1__TaskSpec *s, size_t i,
                           fn_step_t *st, fn_parse_index_t **ix, char *why,
                           size_t len)
{
    const Flexnet__V1__Step *p = s->steps[i];
    int rc = 0;
    if (p->kind != FLEXNET__V1__STEP_KIND__STEP_KIND_COMMANDS)
        return 0;
    if (*p->template_) {
        fn_parse_tpl_t *t = NULL;
        rc = fn_parse_tpl_load(p->template_, &t, why, len);
        st->parse_tpl = t;
        return rc;
    }
    if (!p->parse)
        return 0;
    if (!*ix && !*s->templates_dir) {
        snprintf(why, len, "step %zu: parse needs a templates directory",
                 i + 1);
        return FN_ETEMPLATE;
    }
    if (!*ix && (rc = fn_parse_index_load(s->templates_dir, ix, why, len)))
        return rc;
    for (size_t k = 0; rc == 0 && k < p->n_commands; k++)
        rc = fn_parse_index_preload(*ix, p->commands[k], why, len);
    st->parse_index = *ix;
    return rc;
}

int fn_recorder_spec_parse(const Flexnet__V1__TaskSpec *s, fn_task_spec_t *es,
                           char *why, size_t len)
{
    fn_parse_index_t *ix = NULL;
    int rc = 0;
    if (why && len)
        why[0] = '\0';
    for (size_t i = 0; rc == 0 && i < s->n_steps && i < es->nsteps; i++)
        rc = spec_step_parse(s, i, (fn_step_t *)&es->steps[i], &ix, why, len);
    if (ix && !es->nsteps)
        fn_parse_index_free(ix);
    return rc;
}

void fn__rec_spec_parse_cleanup(fn_task_spec_t *es)
{
    fn_parse_index_t *ix = NULL;
    for (size_t i = 0; i < es->nsteps; i++) {
        fn_step_t *st = (fn_step_t *)&es->steps[i];
        fn_parse_tpl_free((fn_parse_tpl_t *)st->parse_tpl);
        if (st->parse_index) /* one index shared by the steps */
            ix = (fn_parse_index_t *)st->parse_index;
        st->parse_tpl = NULL;
        st->parse_index = NULL;
    }
    fn_parse_index_free(ix);
}

/* ---- records -> proto ------------------------------------------------ */

/* A proto string: valid UTF-8 (clients refuse anything else). */
static char *pstr(const char *s, size_t len)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    fn_str_utf8(&b, s, len);
    return fn_buf_steal(&b, NULL);
}

static char *item_text(const fn_parse_val_t *v)
{
    if (v->kind == FN_PARSE_STR)
        return pstr(v->str, v->len);
    if (v->kind == FN_PARSE_NULL)
        return strdup("None"); /* clitable's word for it */
    fn_buf_t b;
    fn_buf_init(&b, 0);
    fn_parse_json_val(&b, v);
    return fn_buf_steal(&b, NULL);
}

static Flexnet__V1__ParsedValue *value_new(const fn_parse_val_t *v)
{
    Flexnet__V1__ParsedValue *pv = malloc(sizeof(*pv));
    if (!pv)
        return NULL;
    flexnet__v1__parsed_value__init(pv);
    if (v->kind != FN_PARSE_LIST) {
        pv->value_case = FLEXNET__V1__PARSED_VALUE__VALUE_STR;
        pv->str = item_text(v);
        return pv->str ? pv : (free(pv), NULL);
    }
    Flexnet__V1__ParsedList *l = malloc(sizeof(*l));
    pv->value_case = FLEXNET__V1__PARSED_VALUE__VALUE_LIST;
    pv->list = l;
    if (!l)
        return pv;
    flexnet__v1__parsed_list__init(l);
    l->items = calloc(v->n ? v->n : 1, sizeof(*l->items));
    for (size_t i = 0; l->items && i < v->n; i++, l->n_items++)
        l->items[i] = item_text(&v->items[i]);
    return pv;
}

static Flexnet__V1__ParsedRecord *record_new(const fn_parse_t *p, size_t r)
{
    const fn_parse_tpl_t *t = fn_parse_template(p);
    size_t nv = fn_parse_tpl_nvalues(t);
    const fn_parse_val_t *cells = fn_parse_record(p, r);
    Flexnet__V1__ParsedRecord *pr = malloc(sizeof(*pr));
    if (!pr)
        return NULL;
    flexnet__v1__parsed_record__init(pr);
    pr->values = calloc(nv ? nv : 1, sizeof(*pr->values));
    for (size_t i = 0; pr->values && i < nv; i++) {
        Flexnet__V1__ParsedRecord__ValuesEntry *e = malloc(sizeof(*e));
        if (!e)
            break;
        flexnet__v1__parsed_record__values_entry__init(e);
        const char *name = fn_parse_tpl_value(t, i, NULL);
        e->key = pstr(name, strlen(name));
        e->value = value_new(&cells[i]);
        pr->values[pr->n_values++] = e;
    }
    return pr;
}

void fn__rec_parse_fill(Flexnet__V1__CommandResult *m, const fn_cmd_result_t *c)
{
    if (!c->parsed)
        return;
    m->parsed = 1;
    m->parse_error = pstr(c->parse_error, strlen(c->parse_error));
    size_t n = c->records ? fn_parse_nrecords(c->records) : 0;
    m->records = calloc(n ? n : 1, sizeof(*m->records));
    for (size_t r = 0; m->records && r < n; r++)
        if ((m->records[m->n_records] = record_new(c->records, r)))
            m->n_records++;
}

/* Frees what fn__rec_parse_fill allocated (protobuf-c's free_unpacked
 * walks the same tree, with malloc as its allocator). */
void fn__rec_parse_free(Flexnet__V1__CommandResult *m)
{
    if (!m->parsed)
        return;
    for (size_t r = 0; r < m->n_records; r++)
        flexnet__v1__parsed_record__free_unpacked(m->records[r], NULL);
    free(m->records);
    free(m->parse_error);
    m->records = NULL;
    m->n_records = 0;
    m->parse_error = NULL;
}
