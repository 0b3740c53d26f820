/*
 * validate.c — checks every decoded request against the API's limits
 * before a handler sees it, driven by protobuf-c's descriptors (so a
 * field added to the .proto is covered without code):
 *   - enum fields hold a value the .proto defines (proto3 parsers keep
 *     unknown numbers; we refuse them);
 *   - strings are valid UTF-8 and within their cap (a per-name table,
 *     else VALIDATE_STR_MAX); bytes within VALIDATE_BYTES_MAX;
 *   - repeated fields hold at most VALIDATE_REPEATED_MAX elements.
 * Semantic checks (a step without commands …) belong to the handlers.
 *
 * Thread: any (pure). Owns nothing.
 */
#include "rpc_int.h"

#include <stdio.h>
#include <string.h>

#include "fn_err.h"
#include "fn_utf8.h"

#define VALIDATE_STR_MAX      (64 * 1024)
#define VALIDATE_BYTES_MAX    (4 * 1024 * 1024)
#define VALIDATE_REPEATED_MAX 100000
#define VALIDATE_DEPTH_MAX    8

/* Caps by field name, whatever the message (names are used
 * consistently across flexnet.proto). */
static const struct {
    const char *name;
    size_t max;
} validate_caps[] = {
    {"task_id", 64},
    {"id", 64},
    {"id_a", 64},
    {"id_b", 64},
    {"page_token", 256},
    {"service", 256},
    {"host", 255},
    {"hosts", 255},
    {"groups", 255},
    {"username", 255},
    {"password_env", 255},
    {"enable_password_env", 255},
    {"inventory_text", 3 * 1024 * 1024},
};

static size_t validate_cap(const ProtobufCFieldDescriptor *f)
{
    for (size_t i = 0; i < sizeof(validate_caps) / sizeof(validate_caps[0]);
         i++)
        if (strcmp(validate_caps[i].name, f->name) == 0)
            return validate_caps[i].max;
    return VALIDATE_STR_MAX;
}

static int validate_msg(const ProtobufCMessage *m, int depth, char *why,
                        size_t whylen);

static int validate_fail(const ProtobufCFieldDescriptor *f, const char *what,
                         char *why, size_t whylen)
{
    snprintf(why, whylen, "field %s: %s", f->name, what);
    return FN_EPARSE;
}

static int validate_value(const ProtobufCFieldDescriptor *f, const void *p,
                          int depth, char *why, size_t whylen)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_ENUM:
        if (!protobuf_c_enum_descriptor_get_value(f->descriptor,
                                                  *(const int *)p))
            return validate_fail(f, "unknown enum value", why, whylen);
        return 0;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        size_t n = s ? strlen(s) : 0;
        if (n > validate_cap(f))
            return validate_fail(f, "too long", why, whylen);
        if (!fn_utf8_valid(s, n))
            return validate_fail(f, "not valid UTF-8", why, whylen);
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES:
        if (((const ProtobufCBinaryData *)p)->len > VALIDATE_BYTES_MAX)
            return validate_fail(f, "too long", why, whylen);
        return 0;
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        return sub ? validate_msg(sub, depth + 1, why, whylen) : 0;
    }
    default:
        return 0;
    }
}

static size_t validate_elem_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    default:
        return 0; /* plain numbers: nothing to check */
    }
}

static int validate_field(const ProtobufCMessage *m,
                          const ProtobufCFieldDescriptor *f, int depth,
                          char *why, size_t whylen)
{
    const char *base = (const char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF &&
        *(const uint32_t *)(base + f->quantifier_offset) != f->id)
        return 0;
    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return validate_value(f, base + f->offset, depth, why, whylen);
    size_t n = *(const size_t *)(base + f->quantifier_offset);
    if (n > VALIDATE_REPEATED_MAX)
        return validate_fail(f, "too many elements", why, whylen);
    size_t size = validate_elem_size(f);
    const char *arr = *(char *const *)(base + f->offset);
    for (size_t i = 0; size && i < n; i++) {
        int rc = validate_value(f, arr + i * size, depth, why, whylen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int validate_msg(const ProtobufCMessage *m, int depth, char *why,
                        size_t whylen)
{
    if (depth > VALIDATE_DEPTH_MAX) {
        snprintf(why, whylen, "message nested too deep");
        return FN_EPARSE;
    }
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        int rc = validate_field(m, &d->fields[i], depth, why, whylen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int fn__rpc_validate(const ProtobufCMessage *m, char *why, size_t whylen)
{
    return validate_msg(m, 0, why, whylen);
}
