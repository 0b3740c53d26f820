/*
 * pack_utf8.c — every proto3 `string` flexnetd sends is valid UTF-8.
 *
 * Device output is bytes and reaches many string fields (results, logs,
 * reasons, diffs); Python and Go clients refuse a whole message over one
 * bad byte, and a stored task would then never read back. So the one
 * packer (fn_rpc_pack) walks the message by its descriptor before
 * packing, swaps each string that is not UTF-8 for a sanitized copy
 * (fn_utf8_sanitize: U+FFFD per bad byte), packs, and swaps the
 * originals back. The caller's message is unchanged afterwards; exact
 * bytes travel in the `bytes` fields that carry them (CommandResult's
 * stdout_raw / stderr_raw, backup chunks).
 *
 * Thread: any (state lives in the caller's undo list). Owns the copies
 * until fn__rpc_utf8_restore.
 */
#include "rpc_int.h"

#include <stdlib.h>
#include <string.h>

#include "fn_utf8.h"

/* Sanitizes *slot if needed, remembering the original. */
static int utf8_fix_slot(char **slot, fn__rpc_utf8_undo_t *u)
{
    if (!*slot || fn_utf8_valid(*slot, strlen(*slot)))
        return 0;
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 8;
        void *p = realloc(u->swaps, cap * sizeof(*u->swaps));
        if (!p)
            return -1;
        u->swaps = p;
        u->cap = cap;
    }
    fn_buf_t b;
    fn_buf_init(&b, 0);
    char *copy = fn_utf8_sanitize(*slot, strlen(*slot), &b) == 0
                     ? fn_buf_steal(&b, NULL)
                     : NULL;
    fn_buf_cleanup(&b);
    if (!copy)
        return -1;
    u->swaps[u->n].slot = slot;
    u->swaps[u->n].orig = *slot;
    u->n++;
    *slot = copy;
    return 0;
}

/* A oneof member counts only when it is the one set. */
static int utf8_field_present(const ProtobufCMessage *m,
                              const ProtobufCFieldDescriptor *f)
{
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return 1;
    const uint32_t *which =
        (const uint32_t *)((const char *)m + f->quantifier_offset);
    return *which == f->id;
}

static int utf8_fix_field(ProtobufCMessage *m,
                          const ProtobufCFieldDescriptor *f,
                          fn__rpc_utf8_undo_t *u)
{
    char *member = (char *)m + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = *(size_t *)((char *)m + f->quantifier_offset);
        void **arr = *(void ***)member;
        int rc = 0;
        for (size_t i = 0; i < n && !rc; i++)
            rc = f->type == PROTOBUF_C_TYPE_STRING
                     ? utf8_fix_slot((char **)&arr[i], u)
                     : fn__rpc_utf8_fix(arr[i], u);
        return rc;
    }
    if (f->type == PROTOBUF_C_TYPE_STRING)
        return utf8_fix_slot((char **)member, u);
    ProtobufCMessage *sub = *(ProtobufCMessage **)member;
    return sub ? fn__rpc_utf8_fix(sub, u) : 0;
}

int fn__rpc_utf8_fix(ProtobufCMessage *m, fn__rpc_utf8_undo_t *u)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING &&
            f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (!utf8_field_present(m, f))
            continue;
        if (utf8_fix_field(m, f, u) < 0)
            return -1;
    }
    return 0;
}

void fn__rpc_utf8_restore(fn__rpc_utf8_undo_t *u)
{
    for (size_t i = u->n; i-- > 0;) {
        free(*u->swaps[i].slot);
        *u->swaps[i].slot = u->swaps[i].orig;
    }
    free(u->swaps);
    memset(u, 0, sizeof(*u));
}
