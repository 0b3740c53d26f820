/*
 * vendor_builtin.c — the built-in vendor profiles, as data.
 *
 * Each profile is a list of "key", "value" pairs in the profile file
 * format (vendors/README.md), applied by the same code that reads profile
 * files, so a built-in and a file cannot drift apart. Repeated keys build
 * lists. Defaults every profile starts from: pager_answer " ",
 * password_prompt "*assword:", clean echo + caret.
 *
 * Sources: the keywords as the devices print them, as collected by
 * public automation tools.
 *
 * Does not: hold code; a vendor is a table row.
 * Thread: any; read-only.
 */
#include "vendors_int.h"

/* One "key", "value" pair per line: keep it so. */
/* clang-format off */

/* Cisco-style CLI (IOS, NX-OS, EOS): prompts "r1>", "r1#",
 * "r1(config-if)#", the pager, config mode and backup commands. NX-OS
 * logs in privileged and has no "enable". */
#define CISCO_CLI                                                              \
    "prompt_user", "{base}>",                                                  \
    "prompt_priv", "{base}#",                                                  \
    "prompt_config", "{base}(*)#",                                             \
    "pager", "--More--",                                                       \
    "setup", "terminal length 0",                                              \
    "config_enter", "configure terminal",                                      \
    "config_leave", "end",                                                     \
    "backup", "show running-config"

/* Volatile lines of a Cisco-style running-config (as Oxidized strips
 * them): they change whenever anything does. */
#define CISCO_STRIP                                                            \
    "backup_strip", "Building configuration...",                               \
    "backup_strip", "Current configuration :",                                 \
    "backup_strip", "! Last configuration change at",                          \
    "backup_strip", "! NVRAM config last updated at"

/* Where Cisco-style configurations (IOS, NX-OS, EOS) keep secrets, as
 * RANCID and Oxidized find them (vendor_redact.c: the pattern language).
 * secret_hash patterns are tried first ("secret 5 {}" before
 * "secret [N] {}"); within a list the first match wins, so the longer
 * pattern comes first ("enable password level * [N] {}"). */
#define CISCO_SECRETS                                                         \
    "secret_hash", "... secret 4 {}",                                          \
    "secret_hash", "... secret 5 {}",                                          \
    "secret_hash", "... secret 8 {}",                                          \
    "secret_hash", "... secret 9 {}",                                          \
    "secret_hash", "... secret sha512 {}",                                     \
    "secret_hash", "username * password 5 {}",                                 \
    "secret", "username * password [N] {}",                                    \
    "secret", "username * secret [N] {}",                                      \
    "secret", "username * privilege * password [N] {}",                        \
    "secret", "username * privilege * secret [N] {}",                          \
    "secret", "enable password level * [N] {}",                                \
    "secret", "enable password [N] {}",                                        \
    "secret", "enable secret level * [N] {}",                                  \
    "secret", "enable secret [N] {}",                                          \
    "secret", "snmp-server community {}",                                      \
    "secret", "tacacs-server key [N] {}",                                      \
    "secret", "tacacs-server host * key [N] {}",                               \
    "secret", "radius-server key [N] {}",                                      \
    "secret", "radius-server host * key [N] {}",                               \
    "secret", "crypto isakmp key [N] {}",                                      \
    "secret", "key 0 {}",                                                      \
    "secret", "key 7 {}",                                                      \
    "secret", "... key 7 {}",                                                  \
    "secret", "... password 7 {}",                                             \
    "secret", "... md5 7 {}",                                                  \
    "secret", "... key-string [N] {}",                                         \
    "secret", "... pre-shared-key [N] {}"

static const char *const cisco_ios[] = {
    "description", "Cisco IOS and IOS-XE",
    CISCO_CLI,
    "enable", "enable",
    "setup", "terminal width 511",
    "save", "copy running-config startup-config",
    "save_expect", "Destination filename* => ",
    CISCO_STRIP,
    "backup_marker", "version ",
    "backup_marker", "hostname ",
    "error", "% Invalid input detected",
    "error", "% Incomplete command",
    "error", "% Ambiguous command",
    "error", "% Unknown command",
    "error", "% Bad IP address",
    "error", "Command authorization failed",
    "error_start", "Translating \"",
    "caret_error", "yes",
    CISCO_SECRETS,
    NULL,
};

static const char *const cisco_nxos[] = {
    "description", "Cisco NX-OS",
    CISCO_CLI,
    "setup", "terminal width 511",
    CISCO_STRIP,
    "backup_strip", "!Time:",
    "backup_strip", "!Command: show running-config",
    "backup_strip", "!Running configuration last done at:",
    "save", "copy running-config startup-config",
    "backup_marker", "version ",
    "backup_marker", "hostname ",
    "error", "% Invalid command at",
    "error", "% Invalid parameter",
    "error", "% Invalid number at",
    "error", "% Incomplete command",
    "error", "% Ambiguous command",
    "error", "Syntax error",
    "caret_error", "yes",
    CISCO_SECRETS,
    NULL,
};

static const char *const cisco_iosxr[] = {
    "description", "Cisco IOS-XR",
    "prompt_priv", "RP/*:{base}#",
    "prompt_priv", "{base}#",
    "prompt_config", "RP/*:{base}(*)#",
    "prompt_config", "{base}(*)#",
    "pager", "--More--",
    "setup", "terminal length 0",
    "setup", "terminal width 512",
    "config_enter", "configure terminal",
    "config_leave", "end",
    "config_commit", "commit",
    /* leaves config mode too: no "end" (which would ask to commit) */
    "config_discard", "abort",
    "backup", "show running-config",
    "backup_marker", "!! IOS XR Configuration",
    "backup_marker", "hostname ",
    CISCO_STRIP,
    "backup_strip", "!! Last configuration change at",
    /* the timestamp "show" commands print first: "Sun Nov 29 06:30:00.123
     * UTC" (a config line never starts with a day name and a time) */
    "backup_strip", "Mon * *:*:*.* *",
    "backup_strip", "Tue * *:*:*.* *",
    "backup_strip", "Wed * *:*:*.* *",
    "backup_strip", "Thu * *:*:*.* *",
    "backup_strip", "Fri * *:*:*.* *",
    "backup_strip", "Sat * *:*:*.* *",
    "backup_strip", "Sun * *:*:*.* *",
    "error", "% Invalid input detected",
    "error", "% Incomplete command",
    "error", "% Ambiguous command",
    "error", "% This command is not authorized",
    "error", "Failed to commit",
    "caret_error", "yes",
    CISCO_SECRETS,
    NULL,
};

static const char *const juniper_junos[] = {
    "description", "Juniper Junos",
    "prompt_user", "{base}>",
    "prompt_config", "{base}#",
    "pager", "---(more*)---",
    "setup", "set cli screen-length 0",
    "setup", "set cli screen-width 511",
    "setup", "set cli complete-on-space off",
    "config_enter", "configure",
    "config_leave", "exit",
    "config_commit", "commit",
    "config_discard", "rollback 0",
    "backup", "show configuration | display set",
    "backup_marker", "set ",
    "backup_strip", "## Last commit:",
    "backup_strip", "## Last changed:",
    "error", "unknown command",
    "error", "syntax error",
    "error", "is ambiguous",
    "error", "missing mandatory argument",
    "error", "invalid numeric value",
    "error", "No valid completions",
    "error_start", "error:",
    "strip_line", "{master*}",
    "strip_line", "{backup*}",
    "strip_line", "{primary*}",
    "strip_line", "{linecard*}",
    "strip_line", "[edit]",
    "strip_line", "[edit *]",
    "caret_error", "no",
    "secret_hash", "... encrypted-password {}",
    "secret", "... secret {}",
    "secret", "... authentication-key {}",
    "secret", "... ascii-text {}",
    "secret", "... hexadecimal {}",
    "secret", "... simple-password {}",
    "secret", "... community {}",
    NULL,
};

static const char *const arista_eos[] = {
    "description", "Arista EOS",
    CISCO_CLI,
    "enable", "enable",
    "setup", "terminal width 32767",
    /* a session: its changes apply on commit (which leaves it), abort
     * drops them; "configure session" alone picks a fresh name */
    "config_enter", "configure session",
    "config_commit", "commit",
    "config_discard", "abort",
    "save", "copy running-config startup-config",
    CISCO_STRIP,
    "backup_marker", "! Command: show running-config",
    "backup_marker", "hostname ",
    "error", "% Invalid input",
    "error", "% Incomplete command",
    "error", "% Ambiguous command",
    "error", "% Error",
    "error", "% Cannot commit",
    "error", "% Unavailable command",
    "error", "% Duplicate sequence number",
    "caret_error", "yes",
    CISCO_SECRETS,
    NULL,
};

static const char *const huawei_vrp[] = {
    "description", "Huawei VRP",
    "prompt_user", "<{base}>",
    "prompt_config", "[{base}]",
    "prompt_config", "[~{base}]",
    "prompt_config", "[*{base}]",
    "prompt_config", "[{base}-*]",
    "prompt_config", "[~{base}-*]",
    "prompt_config", "[*{base}-*]",
    "pager", "---- More ----",
    "setup", "screen-length 0 temporary",
    "enable", "super",
    "enable_check", "output", /* super keeps the prompt <host> */
    "save", "save",
    "save_expect", "*[Y/N]* => y",
    "config_enter", "system-view",
    "config_leave", "return",
    "backup", "display current-configuration",
    "backup_strip", "!Last configuration was",
    "backup_marker", "#",
    "backup_marker", " sysname ",
    "error_start", "Error:",
    "error_start", "%",
    "caret_error", "yes",
    "secret_hash", "... irreversible-cipher {}",
    "secret", "... cipher {}",
    "secret", "... simple {}",
    "secret", "snmp-agent community read {}",
    "secret", "snmp-agent community write {}",
    NULL,
};

static const char *const mikrotik_routeros[] = {
    "description", "MikroTik RouterOS",
    "prompt_user", "[{base}] *>",
    /* paging is off with the +cte511w login suffix; this is for logins
     * without it */
    "pager", "-- [Q quit|D dump|down]",
    "backup", "/export",
    "backup_strip", "# * by RouterOS *",
    "backup_marker", "/",
    "backup_marker", "# * by RouterOS *",
    "username_suffix", "+cte511w",
    "error", "bad command name",
    "error", "syntax error",
    "error", "expected end of command",
    "error", "failure:",
    "error", "no such item",
    "caret_error", "no",
    "secret", "... password={}",
    "secret", "... secret={}",
    "secret", "... authentication-key={}",
    "secret", "... wpa2-pre-shared-key={}",
    "secret", "... wpa-pre-shared-key={}",
    "secret", "... community={}",
    NULL,
};

static const char *const linux_shell[] = {
    "description", "Generic Linux/Unix shell (prompt ends in \"$ \" or \"# \")",
    "prompt_user", "{base}:*$ ",
    "prompt_user", "[{base} *]$ ",
    "prompt_user", "{base}$ ",
    "prompt_user", "$ ",
    "prompt_priv", "{base}:*# ",
    "prompt_priv", "[{base} *]# ",
    "prompt_priv", "{base}# ",
    "prompt_priv", "# ",
    "password_prompt", "*assword:",
    "password_prompt", "*password for *:",
    "pager", "",
    "enable", "sudo -s",
    "error", "command not found",
    "error", "No such file or directory",
    "error", "Permission denied",
    "caret_error", "no",
    NULL,
};

/* clang-format on */

const fn__builtin_t fn__vendor_builtins[] = {
    {"cisco_ios", cisco_ios},
    {"cisco_nxos", cisco_nxos},
    {"cisco_iosxr", cisco_iosxr},
    {"juniper_junos", juniper_junos},
    {"arista_eos", arista_eos},
    {"huawei_vrp", huawei_vrp},
    {"mikrotik_routeros", mikrotik_routeros},
    {"linux", linux_shell},
};

const size_t fn__vendor_builtin_count =
    sizeof(fn__vendor_builtins) / sizeof(fn__vendor_builtins[0]);
