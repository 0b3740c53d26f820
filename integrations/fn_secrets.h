/*
 * fn_secrets.h — device credentials by reference, fetched once per task.
 *
 * A fn_secrets_t is the credential cache of one task: the engine asks it
 * for (provider, ref) for each host; the first ask fetches, every later
 * ask of the same pair (pending or done, success or failure) shares that
 * one result. Secrets live only in this object's memory and are wiped by
 * fn_secrets_free() when the task ends. They are never logged: reasons
 * name the provider, the reference and what failed, never a value.
 *
 * Named fn_secrets (not fn_creds): engine/fn_engine.h's fn_creds_t is the
 * task's resolved credentials, and a file may include both headers.
 *
 * Providers and their ref:
 *   env       name of an environment variable holding the password
 *   file      path of a file holding the password (trailing newline cut)
 *   prompt    a label; the CLI's prompt function reads the password
 *   vault     "path" or "path#field": KV v2 GET /v1/<mount>/data/<path>;
 *             password from password_field (or #field), username from
 *             username_field when present. Token from token_env/_file, or
 *             an AppRole login (POST /v1/auth/<approle_mount>/login) once
 *             per fn_secrets_t.
 *   cyberark  "Safe/Object" or "Object" (the [cyberark] safe). CCP:
 *             GET /AIMWebService/api/Accounts?AppID=&Safe=&Object=
 *             (Content, UserName). PVWA: logon once per fn_secrets_t
 *             (POST /PasswordVault/API/auth/<method>/Logon), find the
 *             account (GET /PasswordVault/API/Accounts?search=&filter=),
 *             retrieve (POST .../Accounts/<id>/Password/Retrieve).
 *
 * Errors (a callback's status): FN_ECREDS (unset variable, unreadable
 * file, missing field, provider not configured, prompt failed),
 * FN_EAUTH (token or login rejected: HTTP 401/403), FN_ENOTFOUND (no such
 * secret or account), FN_EREFUSED / FN_ETIMEOUT / FN_EHTTP (server
 * unreachable, TLS), FN_EPARSE (malformed answer), FN_ECANCELED
 * (fn_secrets_free while pending), -ENOMEM.
 *
 * Thread: the event_base's thread (the one of the fn_http given).
 */
#ifndef FN_SECRETS_H
#define FN_SECRETS_H

#include <stddef.h>

#include "fn_config.h"
#include "fn_http.h"

typedef struct fn_secrets fn_secrets_t;

/* A fetched credential; borrowed from the cache, valid until
 * fn_secrets_free(): copy what must live longer, and wipe the copy. */
typedef struct fn_secret {
    const char *username; /* NULL when the provider gave none */
    const char *secret;   /* NUL-terminated password */
    size_t secret_len;
} fn_secret_t;

/* Reads a secret for ref (borrowed) into out (outlen bytes, borrowed),
 * e.g. from the terminal with echo off. Called synchronously on the loop
 * thread. Returns 0 or an error (then the lookup fails with FN_ECREDS). */
typedef int fn_secrets_prompt_fn(const char *ref, char *out, size_t outlen,
                                 void *arg);

/* status as listed above; cred NULL unless status is 0; reason "" on
 * success (borrowed for the call). Called from the loop, never inside
 * fn_secrets_get. May call fn_secrets_get, not fn_secrets_free. */
typedef void fn_secrets_done_cb(int status, const fn_secret_t *cred,
                                const char *reason, void *arg);

/* http and cfg are kept until fn_secrets_free (cfg may be NULL: env, file
 * and prompt only). Nothing is fetched or read yet. Returns 0 or
 * -ENOMEM. *out is owned: fn_secrets_free. */
int fn_secrets_new(fn_secrets_t **out, fn_http_t *http, const fn_config_t *cfg);

/* Cancels pending fetches (their callbacks run inside this call with
 * FN_ECANCELED), wipes every secret, frees. Accepts NULL. */
void fn_secrets_free(fn_secrets_t *c);

void fn_secrets_set_prompt(fn_secrets_t *c, fn_secrets_prompt_fn *fn,
                           void *arg);

/* Looks up (provider, ref), both borrowed. Returns 0 (cb runs later,
 * exactly once), -EINVAL (unknown provider, empty ref) or -ENOMEM. */
int fn_secrets_get(fn_secrets_t *c, const char *provider, const char *ref,
                   fn_secrets_done_cb *cb, void *arg);

/* Number of distinct (provider, ref) fetches made so far. */
size_t fn_secrets_fetches(const fn_secrets_t *c);

#endif /* FN_SECRETS_H */
