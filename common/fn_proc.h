/*
 * fn_proc.h — process-wide protection for programs that hold secrets.
 *
 * flexnet and flexnetd hold device passwords, Vault tokens and S3 keys in
 * memory. A core dump would write them to disk, and a dumpable process
 * lets other processes of the same user read its memory and environment
 * (/proc/PID/mem, /proc/PID/environ: where --password-env lives).
 *
 * Call once at the start of main(), before any secret is read. Not
 * thread-safe (call it before starting threads).
 */
#ifndef FN_PROC_H
#define FN_PROC_H

/* Turns core dumps off (RLIMIT_CORE 0) and makes the process non-dumpable
 * (PR_SET_DUMPABLE 0; not in ASan builds, whose leak checker needs to
 * ptrace itself), unless the environment has FLEXNET_CORE_DUMPS=1
 * (for debugging a crash). Returns 0, or -errno from the first call that
 * failed (the process still runs; the caller decides whether to warn). */
int fn_proc_protect_secrets(void);

#endif /* FN_PROC_H */
