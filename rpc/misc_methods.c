/*
 * misc_methods.c — the small unary methods that touch neither tasks nor
 * backups: ListVendors (the server's effective vendor profiles). Health
 * is health.c's.
 *
 * Thread: reactor. Owns: the response messages while they are packed.
 */
#include "rpc_int.h"

#include <stdlib.h>
#include <string.h>

#include "fn_vendor.h"
#include "flexnet/v1/flexnet.pb-c.h"

/* Accessor-driven string lists: (count, at) of a profile. The strings stay
 * borrowed from the registry, which outlives the reply. */
static char **misc_strv(const fn_vendor_t *v,
                        size_t (*count)(const fn_vendor_t *),
                        const char *(*at)(const fn_vendor_t *, size_t),
                        size_t *n)
{
    *n = count(v);
    char **a = *n ? calloc(*n, sizeof(*a)) : NULL;
    if (!a) {
        *n = 0;
        return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        a[i] = (char *)at(v, i);
    return a;
}

static char *misc_str(const char *s)
{
    return (char *)(s ? s : "");
}

static void misc_vendor(const fn_vendor_t *v, Flexnet__V1__Vendor *out)
{
    flexnet__v1__vendor__init(out);
    out->name = misc_str(fn_vendor_name(v));
    out->description = misc_str(fn_vendor_description(v));
    out->backup_command = misc_str(fn_vendor_backup_command(v));
    out->source = misc_str(fn_vendor_source(v));
    out->paging_off = misc_strv(v, fn_vendor_setup_count, fn_vendor_setup_at,
                                &out->n_paging_off);
    out->error_keywords = misc_strv(v, fn_vendor_error_count,
                                    fn_vendor_error_at, &out->n_error_keywords);
}

void fn__rpc_list_vendors(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const fn_vendors_t *vs = c->srv->vendors;
    size_t n = vs ? fn_vendors_count(vs) : 0;
    Flexnet__V1__ListVendorsResponse resp;
    flexnet__v1__list_vendors_response__init(&resp);
    Flexnet__V1__Vendor *items = n ? calloc(n, sizeof(*items)) : NULL;
    Flexnet__V1__Vendor **ptrs = n ? calloc(n, sizeof(*ptrs)) : NULL;
    if (n && (!items || !ptrs)) {
        free(items);
        free(ptrs);
        fn__rpc_call_finish(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        misc_vendor(fn_vendors_at(vs, i), &items[i]);
        ptrs[i] = &items[i];
    }
    resp.n_vendors = n;
    resp.vendors = ptrs;
    fn__rpc_call_reply(c, &resp.base);
    for (size_t i = 0; i < n; i++) {
        free(items[i].paging_off);
        free(items[i].error_keywords);
    }
    free(items);
    free(ptrs);
}
