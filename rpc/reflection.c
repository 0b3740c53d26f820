/*
 * reflection.c — gRPC server reflection (grpc.reflection.v1 and v1alpha,
 * the same messages): what lets grpcurl, grpcui, Postman or any dynamic
 * client call flexnetd without flexnet.proto.
 *
 * The answers come from the FileDescriptorSet that protoc built with the
 * binary (--descriptor_set_out --include_imports, embedded as
 * fn__rpc_descriptor_set by rpc/CMakeLists.txt), so they always match the
 * protobuf-c code compiled in. On first use the set is indexed with a
 * small protobuf wire reader (files, their dependencies, and every
 * package-qualified symbol: messages and enums at any depth, services,
 * methods). A file answer carries the file and every file it imports,
 * as the reference servers do.
 *
 * Thread: reactor. Owns: the index (freed with the server). The served
 * bytes are the embedded array's, never copied.
 */
#include "rpc_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "grpc/reflection/v1/reflection.pb-c.h"

extern const unsigned char fn__rpc_descriptor_set[];
extern const size_t fn__rpc_descriptor_set_len;

#define REFL_FILES    16  /* files in the set (5 today) */
#define REFL_DEPS     8   /* imports per file */
#define REFL_SYMBOLS  512 /* symbols over all files */
#define REFL_NAME_MAX 256 /* a fully qualified name */

/* Services listed (the reflection services answer for themselves). */
static const char *const refl_services[] = {
    "flexnet.v1.Flexnet",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
};
#define REFL_NSERVICES (sizeof(refl_services) / sizeof(refl_services[0]))

typedef struct refl_span {
    const uint8_t *p;
    size_t len;
} refl_span_t;

typedef struct refl_file {
    refl_span_t bytes, name;
    refl_span_t deps[REFL_DEPS];
    size_t ndeps;
} refl_file_t;

typedef struct refl_symbol {
    char *name; /* owned, "flexnet.v1.TaskSpec" */
    size_t file;
} refl_symbol_t;

struct fn__rpc_refl {
    refl_file_t files[REFL_FILES];
    size_t nfiles;
    refl_symbol_t symbols[REFL_SYMBOLS];
    size_t nsymbols;
};

/* ---------------------------------------------------------------------
 * Protobuf wire reading (just what descriptors need) */

typedef struct refl_field {
    uint32_t num;
    int wire;        /* 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
    refl_span_t val; /* wire 2 */
} refl_field_t;

static int refl_varint(refl_span_t *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && r->len; shift += 7) {
        uint8_t b = *r->p++;
        r->len--;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return FN_EPARSE;
}

static int refl_skip(refl_span_t *r, size_t n)
{
    if (n > r->len)
        return FN_EPARSE;
    r->p += n;
    r->len -= n;
    return 0;
}

/* Reads the next field; returns 1, 0 at the end, or FN_EPARSE. */
static int refl_next(refl_span_t *r, refl_field_t *f)
{
    uint64_t key, v;
    if (!r->len)
        return 0;
    if (refl_varint(r, &key) < 0)
        return FN_EPARSE;
    f->num = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    switch (f->wire) {
    case 0:
        return refl_varint(r, &v) < 0 ? FN_EPARSE : 1;
    case 1:
        return refl_skip(r, 8) < 0 ? FN_EPARSE : 1;
    case 5:
        return refl_skip(r, 4) < 0 ? FN_EPARSE : 1;
    case 2:
        if (refl_varint(r, &v) < 0 || v > r->len)
            return FN_EPARSE;
        f->val.p = r->p;
        f->val.len = (size_t)v;
        return refl_skip(r, (size_t)v) < 0 ? FN_EPARSE : 1;
    default:
        return FN_EPARSE;
    }
}

/* The string field `num` of a message (the last one wins), or empty. */
static refl_span_t refl_string(refl_span_t msg, uint32_t num)
{
    refl_span_t out = {NULL, 0};
    refl_field_t f;
    while (refl_next(&msg, &f) == 1)
        if (f.num == num && f.wire == 2)
            out = f.val;
    return out;
}

/* ---------------------------------------------------------------------
 * The index */

static int refl_add_symbol(struct fn__rpc_refl *x, const char *scope,
                           refl_span_t name, size_t file, char *out,
                           size_t outlen)
{
    int n = snprintf(out, outlen, "%s%s%.*s", scope, *scope ? "." : "",
                     (int)name.len, (const char *)name.p);
    if (n < 0 || (size_t)n >= outlen || x->nsymbols == REFL_SYMBOLS)
        return FN_EFULL;
    refl_symbol_t *s = &x->symbols[x->nsymbols];
    if (!(s->name = strdup(out)))
        return -ENOMEM;
    s->file = file;
    x->nsymbols++;
    return 0;
}

/* Field numbers of the children to index, per descriptor kind. */
enum { REFL_MSG, REFL_ENUM, REFL_SERVICE, REFL_METHOD };
static const struct {
    uint32_t num;
    int kind;
} refl_children[][3] = {
    /* DescriptorProto: nested_type = 3, enum_type = 4 */
    [REFL_MSG] = {{3, REFL_MSG}, {4, REFL_ENUM}, {0, 0}},
    [REFL_ENUM] = {{0, 0}},
    /* ServiceDescriptorProto: method = 2 */
    [REFL_SERVICE] = {{2, REFL_METHOD}, {0, 0}},
    [REFL_METHOD] = {{0, 0}},
};

static int refl_index_decl(struct fn__rpc_refl *x, const char *scope,
                           refl_span_t msg, int kind, size_t file)
{
    char full[REFL_NAME_MAX];
    int rc = refl_add_symbol(x, scope, refl_string(msg, 1), file, full,
                             sizeof(full));
    refl_field_t f;
    while (rc == 0 && refl_next(&msg, &f) == 1)
        for (int i = 0; refl_children[kind][i].num; i++)
            if (f.wire == 2 && f.num == refl_children[kind][i].num)
                rc = refl_index_decl(x, full, f.val,
                                     refl_children[kind][i].kind, file);
    return rc;
}

/* FileDescriptorProto: name 1, package 2, dependency 3, message_type 4,
 * enum_type 5, service 6. */
static int refl_index_file(struct fn__rpc_refl *x, refl_span_t bytes)
{
    if (x->nfiles == REFL_FILES)
        return FN_EFULL;
    size_t fi = x->nfiles++;
    refl_file_t *file = &x->files[fi];
    file->bytes = bytes;
    file->name = refl_string(bytes, 1);
    refl_span_t pkg = refl_string(bytes, 2);
    char scope[REFL_NAME_MAX];
    snprintf(scope, sizeof(scope), "%.*s", (int)pkg.len, (const char *)pkg.p);
    refl_field_t f;
    int rc = 0;
    while (rc == 0 && refl_next(&bytes, &f) == 1) {
        if (f.wire != 2)
            continue;
        if (f.num == 3 && file->ndeps < REFL_DEPS)
            file->deps[file->ndeps++] = f.val;
        else if (f.num >= 4 && f.num <= 6)
            rc = refl_index_decl(x, scope, f.val,
                                 f.num == 4   ? REFL_MSG
                                 : f.num == 5 ? REFL_ENUM
                                              : REFL_SERVICE,
                                 fi);
    }
    return rc;
}

void fn__rpc_refl_free(struct fn_rpc *s)
{
    struct fn__rpc_refl *x = s->refl;
    if (!x)
        return;
    for (size_t i = 0; i < x->nsymbols; i++)
        free(x->symbols[i].name);
    free(x);
    s->refl = NULL;
}

/* FileDescriptorSet: file = 1. */
static int refl_index(struct fn_rpc *s)
{
    if (s->refl)
        return 0;
    if (!(s->refl = calloc(1, sizeof(*s->refl))))
        return -ENOMEM;
    refl_span_t set = {fn__rpc_descriptor_set, fn__rpc_descriptor_set_len};
    refl_field_t f;
    int rc = 0, more;
    while (rc == 0 && (more = refl_next(&set, &f)) != 0)
        rc = more < 0                    ? more
             : f.num == 1 && f.wire == 2 ? refl_index_file(s->refl, f.val)
                                         : 0;
    if (rc < 0)
        fn__rpc_refl_free(s);
    return rc;
}

static int refl_file_by_name(const struct fn__rpc_refl *x, const char *p,
                             size_t len)
{
    for (size_t i = 0; i < x->nfiles; i++)
        if (x->files[i].name.len == len &&
            memcmp(x->files[i].name.p, p, len) == 0)
            return (int)i;
    return -1;
}

static int refl_file_of_symbol(const struct fn__rpc_refl *x, const char *name)
{
    if (*name == '.')
        name++; /* some clients send fully qualified ".pkg.Name" */
    for (size_t i = 0; i < x->nsymbols; i++)
        if (strcmp(x->symbols[i].name, name) == 0)
            return (int)x->symbols[i].file;
    return -1;
}

/* ---------------------------------------------------------------------
 * Answers */

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_req_t;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_resp_t;
#define REFL_RESP(x) GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__##x
#define REFL_REQ(x)  GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__##x

/* Adds file i and, first, everything it imports (each once). */
static void refl_collect(const struct fn__rpc_refl *x, int i, int *seen,
                         ProtobufCBinaryData *out, size_t *n)
{
    if (i < 0 || seen[i])
        return;
    seen[i] = 1;
    const refl_file_t *f = &x->files[i];
    for (size_t d = 0; d < f->ndeps; d++)
        refl_collect(
            x, refl_file_by_name(x, (const char *)f->deps[d].p, f->deps[d].len),
            seen, out, n);
    out[*n].data = (uint8_t *)f->bytes.p;
    out[*n].len = f->bytes.len;
    (*n)++;
}

static void refl_send_error(fn_rpc_call_t *c, refl_resp_t *resp, int code,
                            const char *msg)
{
    Grpc__Reflection__V1__ErrorResponse er =
        GRPC__REFLECTION__V1__ERROR_RESPONSE__INIT;
    er.error_code = code;
    er.error_message = (char *)msg;
    resp->message_response_case = REFL_RESP(MESSAGE_RESPONSE_ERROR_RESPONSE);
    resp->error_response = &er;
    fn__rpc_call_send(c, &resp->base);
}

static void refl_send_file(fn_rpc_call_t *c, refl_resp_t *resp, int file)
{
    const struct fn__rpc_refl *x = c->srv->refl;
    if (file < 0) {
        refl_send_error(c, resp, GRPC_STATUS_NOT_FOUND, "not found");
        return;
    }
    int seen[REFL_FILES] = {0};
    ProtobufCBinaryData files[REFL_FILES];
    Grpc__Reflection__V1__FileDescriptorResponse fd =
        GRPC__REFLECTION__V1__FILE_DESCRIPTOR_RESPONSE__INIT;
    refl_collect(x, file, seen, files, &fd.n_file_descriptor_proto);
    fd.file_descriptor_proto = files;
    resp->message_response_case =
        REFL_RESP(MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
    resp->file_descriptor_response = &fd;
    fn__rpc_call_send(c, &resp->base);
}

static void refl_send_services(fn_rpc_call_t *c, refl_resp_t *resp)
{
    Grpc__Reflection__V1__ServiceResponse svc[REFL_NSERVICES];
    Grpc__Reflection__V1__ServiceResponse *ptrs[REFL_NSERVICES];
    for (size_t i = 0; i < REFL_NSERVICES; i++) {
        grpc__reflection__v1__service_response__init(&svc[i]);
        svc[i].name = (char *)refl_services[i];
        ptrs[i] = &svc[i];
    }
    Grpc__Reflection__V1__ListServiceResponse ls =
        GRPC__REFLECTION__V1__LIST_SERVICE_RESPONSE__INIT;
    ls.n_service = REFL_NSERVICES;
    ls.service = ptrs;
    resp->message_response_case =
        REFL_RESP(MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
    resp->list_services_response = &ls;
    fn__rpc_call_send(c, &resp->base);
}

/* No message of ours has extensions: a known type has none. */
static void refl_send_extensions(fn_rpc_call_t *c, refl_resp_t *resp,
                                 const char *type)
{
    if (refl_file_of_symbol(c->srv->refl, type) < 0) {
        refl_send_error(c, resp, GRPC_STATUS_NOT_FOUND, "type not found");
        return;
    }
    Grpc__Reflection__V1__ExtensionNumberResponse en =
        GRPC__REFLECTION__V1__EXTENSION_NUMBER_RESPONSE__INIT;
    en.base_type_name = (char *)type;
    resp->message_response_case =
        REFL_RESP(MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE);
    resp->all_extension_numbers_response = &en;
    fn__rpc_call_send(c, &resp->base);
}

static void refl_answer(fn_rpc_call_t *c, const refl_req_t *r)
{
    const struct fn__rpc_refl *x = c->srv->refl;
    refl_resp_t resp = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;
    resp.valid_host = r->host;
    resp.original_request = (refl_req_t *)r;
    switch (r->message_request_case) {
    case REFL_REQ(MESSAGE_REQUEST_LIST_SERVICES):
        refl_send_services(c, &resp);
        break;
    case REFL_REQ(MESSAGE_REQUEST_FILE_BY_FILENAME):
        refl_send_file(c, &resp,
                       refl_file_by_name(x, r->file_by_filename,
                                         strlen(r->file_by_filename)));
        break;
    case REFL_REQ(MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL):
        refl_send_file(c, &resp,
                       refl_file_of_symbol(x, r->file_containing_symbol));
        break;
    case REFL_REQ(MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE):
        refl_send_extensions(c, &resp, r->all_extension_numbers_of_type);
        break;
    case REFL_REQ(MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION):
        refl_send_error(c, &resp, GRPC_STATUS_NOT_FOUND,
                        "no extensions are defined");
        break;
    default:
        refl_send_error(c, &resp, GRPC_STATUS_INVALID_ARGUMENT,
                        "empty or unknown request");
        break;
    }
}

static void refl_on_cancel(fn_rpc_call_t *c, void *arg)
{
    fn__rpc_call_release(c);
}

/* One answer per request, in order, until the client half-closes. */
static void refl_on_request(fn_rpc_call_t *c, const ProtobufCMessage *req,
                            void *arg)
{
    if (!req) {
        fn__rpc_call_finish(c, GRPC_STATUS_OK, NULL);
        fn__rpc_call_release(c);
        return;
    }
    refl_answer(c, (const refl_req_t *)req);
    if (fn__rpc_call_recv(c, refl_on_request, NULL) < 0) {
        fn__rpc_call_finish(c, GRPC_STATUS_INTERNAL, "cannot read");
        fn__rpc_call_release(c);
    }
}

void fn__rpc_reflection(fn_rpc_call_t *c, const ProtobufCMessage *unused)
{
    int rc = refl_index(c->srv);
    if (rc < 0) {
        fn__rpc_fail(c, rc, "cannot index the descriptor set");
        return;
    }
    fn__rpc_call_hold(c);
    fn__rpc_call_set_hooks(c, NULL, refl_on_cancel, NULL);
    if (fn__rpc_call_recv(c, refl_on_request, NULL) < 0) {
        fn__rpc_call_finish(c, GRPC_STATUS_INTERNAL, "cannot read");
        fn__rpc_call_release(c);
    }
}
