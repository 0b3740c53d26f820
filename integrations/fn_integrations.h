/*
 * fn_integrations.h — the integrations module: S3 backup target, Vault
 * and CyberArk credentials, the config that describes them, and the
 * `flexnet integrations check` logic.
 *
 * One umbrella over the per-concern headers:
 *   fn_config.h  the INI file ([s3], [vault], [cyberark])
 *   fn_http.h    libcurl multi on the caller's libevent loop
 *   fn_s3.h      PUT / GET / DELETE / LIST / bucket creation (+ sync)
 *   fn_secrets.h   env / file / prompt / vault / cyberark, cached per task
 *
 * Depends on common/ only; knows nothing of the store, the engine or
 * gRPC. Thread: see each header; fn_integrations_check blocks its caller.
 *
 * Wiring (recorder/ does the task and backup parts for flexnetd and the
 * CLI; this is what it calls):
 *  - start:  fn_config_load(&cfg, path_or_NULL, err, len);
 *            fn_http_new(&http, reactor_base); if [s3] is configured,
 *            fn_config_s3(cfg, &s3c) + fn_s3_new(&s3, http, &s3c, ...).
 *  - a task: fn_secrets_new(&creds, http, cfg) (the CLI also calls
 *            fn_secrets_set_prompt); per host before AUTH,
 *            fn_secrets_get(creds, provider, ref, cb, host) and use
 *            cred->username / cred->secret in the callback (borrowed until
 *            the task ends); fn_secrets_free(creds) when the task ends.
 *  - backup: store the config locally first; then fn_s3_key(s3,
 *            "<host>/<backup id>.cfg", key, ...) and fn_s3_put(s3, key,
 *            text, len, cb, ctx) with text kept until cb; in cb record
 *            target "s3", fn_s3_bucket(s3), res->key, or on failure
 *            target "local" and error = res->reason.
 *  - CLI:    `backups get` of an s3 record: fn_s3_sync_get(&s3c with
 *            bucket = record.bucket, record.key, &out, reason, len), the
 *            local copy when that fails; `backups delete`:
 *            fn_s3_sync_delete; `integrations check`:
 *            fn_integrations_check(cfg, &report), print, exit 1 on error.
 *  - stop:   fn_s3_free, then fn_http_free, then event_base_free.
 */
#ifndef FN_INTEGRATIONS_H
#define FN_INTEGRATIONS_H

#include "fn_buf.h"
#include "fn_config.h"
#include "fn_secrets.h"
#include "fn_http.h"
#include "fn_s3.h"

/* Validates each configured section against its server, on a private
 * event_base (blocking the caller):
 *   [s3]       HEAD bucket (creating it when create_bucket is set), then
 *              a LIST of the prefix;
 *   [vault]    token lookup-self (or the AppRole login), then a read of
 *              check_ref when set;
 *   [cyberark] the server answers HTTP at url; a retrieval of check_ref
 *              when set (PVWA: logon + find + retrieve).
 * Appends one line per section to report (borrowed, caller-initialised):
 * "s3: ok: ..." or "vault: FAILED: <reason>". No secret is written.
 * Returns 0 when every configured section passed, FN_ENOTFOUND when none
 * is configured, else the first failing section's code. */
int fn_integrations_check(const fn_config_t *cfg, fn_buf_t *report);

#endif /* FN_INTEGRATIONS_H */
