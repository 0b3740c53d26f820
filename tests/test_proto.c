/*
 * test_proto.c — the proto round trip: every message of flexnet.proto,
 * with every field set (every oneof variant in turn), packs and unpacks to
 * the same bytes and the same values. Uses protobuf-c's descriptors to fill
 * and to check, so a field added to the .proto is covered without editing
 * this file.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flexnet/v1/flexnet.pb-c.h"
#include "fn_check.h"

/* Fills every field of m with a non-default value derived from `seed`.
 * For oneofs, the member whose index in the oneof equals `variant` (mod
 * the member count) is set. Everything is malloc'd so that
 * protobuf_c_message_free_unpacked() can free it. */
static void fill(ProtobufCMessage *m, unsigned seed, unsigned variant,
                 int depth);

static void *field_ptr(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (char *)m + f->offset;
}

static size_t scalar_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    default:
        return 4;
    }
}

static void set_value(void *p, const ProtobufCFieldDescriptor *f, unsigned seed,
                      unsigned variant, int depth)
{
    char text[64];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        *(int32_t *)p = (int32_t)(seed * 7 + 3);
        break;
    case PROTOBUF_C_TYPE_SINT32:
        *(int32_t *)p = -(int32_t)(seed % 4) - 1; /* exit codes go negative */
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        *(uint32_t *)p = seed * 11 + 1;
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        *(int64_t *)p = (int64_t)1700000000000000LL + seed;
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *(uint64_t *)p = 5000000000ULL + seed;
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        *(float *)p = 1.5f + (float)seed;
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        *(double *)p = 2.25 + seed;
        break;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)p = 1;
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *e = f->descriptor;
        *(int *)p = e->values[e->n_values - 1].value; /* non-zero */
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        snprintf(text, sizeof(text), "%s-%u\xc3\xa9\n\t", f->name, seed);
        *(char **)p = strdup(text);
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *b = p;
        b->len = 5 + seed % 3;
        b->data = malloc(b->len);
        for (size_t i = 0; i < b->len; i++)
            b->data[i] = (uint8_t)(i * 37 + seed); /* includes NUL bytes */
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *d = f->descriptor;
        ProtobufCMessage *sub = calloc(1, d->sizeof_message);
        d->message_init(sub);
        if (depth < 4)
            fill(sub, seed + 1, variant, depth + 1);
        *(ProtobufCMessage **)p = sub;
        break;
    }
    }
}

/* Index of f among the members of its oneof, and the member count. */
static void oneof_pos(const ProtobufCMessageDescriptor *d, unsigned fi,
                      unsigned *idx, unsigned *count)
{
    const ProtobufCFieldDescriptor *f = &d->fields[fi];
    *idx = *count = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *g = &d->fields[i];
        if ((g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            g->quantifier_offset == f->quantifier_offset) {
            if (i == fi)
                *idx = *count;
            (*count)++;
        }
    }
}

static void fill(ProtobufCMessage *m, unsigned seed, unsigned variant,
                 int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        void *p = field_ptr(m, f);
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            unsigned idx, count;
            oneof_pos(d, i, &idx, &count);
            if (idx != variant % count)
                continue;
            *(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
            set_value(p, f, seed + i, variant, depth);
        } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = 2, sz = scalar_size(f->type);
            void **arr = p;
            *arr = calloc(n, sz);
            for (size_t k = 0; k < n; k++)
                set_value((char *)*arr + k * sz, f, seed + i + (unsigned)k,
                          variant, depth);
            *(size_t *)((char *)m + f->quantifier_offset) = n;
        } else {
            set_value(p, f, seed + i, variant, depth);
        }
    }
}

/* Asserts that every non-oneof field (and the chosen oneof member) is set. */
static void check_all_set(const ProtobufCMessage *m, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *p = (const char *)m + f->offset;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t c =
                *(const uint32_t *)((const char *)m + f->quantifier_offset);
            ck_assert_msg(c != 0, "%s: oneof unset", d->name);
            if (c != f->id)
                continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n =
                *(const size_t *)((const char *)m + f->quantifier_offset);
            ck_assert_msg(n == 2, "%s.%s: %zu items", d->name, f->name, n);
            continue;
        }
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING:
            ck_assert_msg(*(char *const *)p && **(char *const *)p,
                          "%s.%s empty", d->name, f->name);
            break;
        case PROTOBUF_C_TYPE_MESSAGE:
            ck_assert_msg(*(void *const *)p, "%s.%s null", d->name, f->name);
            if (depth < 4)
                check_all_set(*(const ProtobufCMessage *const *)p, depth + 1);
            break;
        case PROTOBUF_C_TYPE_BYTES:
            ck_assert_msg(((const ProtobufCBinaryData *)p)->len > 0,
                          "%s.%s empty", d->name, f->name);
            break;
        default: {
            int nonzero = 0;
            for (size_t k = 0; k < scalar_size(f->type); k++)
                nonzero |= p[k];
            ck_assert_msg(nonzero, "%s.%s is zero", d->name, f->name);
        }
        }
    }
}

/* Count of oneof members of d (1 when it has none). */
static unsigned variants(const ProtobufCMessageDescriptor *d)
{
    unsigned n = 0;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            n++;
    return n ? n : 1;
}

static void roundtrip(const ProtobufCMessageDescriptor *d)
{
    for (unsigned v = 0; v < variants(d); v++) {
        ProtobufCMessage *m = calloc(1, d->sizeof_message);
        d->message_init(m);
        fill(m, 1, v, 0);
        check_all_set(m, 0);
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *a = malloc(n);
        ck_assert_uint_eq(protobuf_c_message_pack(m, a), n);
        ProtobufCMessage *u = protobuf_c_message_unpack(d, NULL, n, a);
        ck_assert_ptr_nonnull(u);
        check_all_set(u, 0);
        ck_assert_uint_eq(protobuf_c_message_get_packed_size(u), n);
        uint8_t *b = malloc(n);
        protobuf_c_message_pack(u, b);
        ck_assert_mem_eq(a, b, n);
        protobuf_c_message_free_unpacked(u, NULL);
        protobuf_c_message_free_unpacked(m, NULL);
        free(a);
        free(b);
    }
}

START_TEST(test_task_event_every_variant)
{
    roundtrip(&flexnet__v1__task_event__descriptor);
    ck_assert_uint_eq(variants(&flexnet__v1__task_event__descriptor), 6);
}
END_TEST

START_TEST(test_task_event_values)
{
    /* Spot-check concrete values through the typed API, not reflection. */
    Flexnet__V1__CommandResult r = FLEXNET__V1__COMMAND_RESULT__INIT;
    r.host = "r1";
    r.command = "show version";
    r.exit_code = -3;
    r.stdout = "Cisco IOS";
    r.duration_us = 1234567;
    Flexnet__V1__TaskEvent ev = FLEXNET__V1__TASK_EVENT__INIT;
    ev.task_id = "t1";
    ev.event_case = FLEXNET__V1__TASK_EVENT__EVENT_RESULT;
    ev.result = &r;
    uint8_t buf[256];
    size_t n = flexnet__v1__task_event__pack(&ev, buf);
    Flexnet__V1__TaskEvent *u = flexnet__v1__task_event__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(u);
    ck_assert_int_eq(u->event_case, FLEXNET__V1__TASK_EVENT__EVENT_RESULT);
    ck_assert_str_eq(u->result->host, "r1");
    ck_assert_int_eq(u->result->exit_code, -3);
    ck_assert_int_eq(u->result->duration_us, 1234567);
    flexnet__v1__task_event__free_unpacked(u, NULL);
}
END_TEST

START_TEST(test_every_message)
{
    /* Every record the store keeps and every request the API takes. */
    const ProtobufCMessageDescriptor *all[] = {
        &flexnet__v1__task_spec__descriptor,
        &flexnet__v1__task__descriptor,
        &flexnet__v1__backup__descriptor,
        &flexnet__v1__backup_chunk__descriptor,
        &flexnet__v1__host_key__descriptor,
        &flexnet__v1__log_line__descriptor,
        &flexnet__v1__get_task_response__descriptor,
        &flexnet__v1__list_tasks_request__descriptor,
        &flexnet__v1__list_backups_response__descriptor,
        &flexnet__v1__diff_backups_response__descriptor,
        &flexnet__v1__list_vendors_response__descriptor,
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        roundtrip(all[i]);
}
END_TEST

START_TEST(test_garbage_is_rejected)
{
    /* A truncated message must fail to unpack, not crash. */
    Flexnet__V1__LogLine l = FLEXNET__V1__LOG_LINE__INIT;
    l.text = "a line long enough to be cut in the middle";
    uint8_t buf[128];
    size_t n = flexnet__v1__log_line__pack(&l, buf);
    ck_assert_ptr_null(flexnet__v1__log_line__unpack(NULL, n - 5, buf));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proto");
    TCase *tc = tcase_create("roundtrip");
    tcase_add_test(tc, test_task_event_every_variant);
    tcase_add_test(tc, test_task_event_values);
    tcase_add_test(tc, test_every_message);
    tcase_add_test(tc, test_garbage_is_rejected);
    suite_add_tcase(s, tc);
    return fn_check_run(s);
}
