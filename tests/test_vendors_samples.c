/*
 * test_vendors_samples.c — device transcripts (as the devices print them:
 * "\r\n", echo, pagers and their erase sequences, ANSI colours) and the
 * cleaned result flexnet must produce. Error lines use the exact strings
 * the devices print.
 *
 * Does not: run anything; data only.
 */
#include "test_vendors_samples.h"

#include "fn_vendor.h"

#define U FN_VENDOR_MODE_USER
#define P FN_VENDOR_MODE_PRIV
#define C FN_VENDOR_MODE_CONFIG

#define IOS_LOGIN      "\r\n\r\nUser Access Verification\r\n\r\nrouter1>"
#define IOS_PRIV_LOGIN "\r\n**  Authorized access only  **\r\n\r\nrouter1#"
#define NXOS_LOGIN                                                             \
    "Cisco Nexus Operating System (NX-OS) Software\r\n"                        \
    "TAC support: http://www.cisco.com/tac\r\nswitch1# "
#define XR_LOGIN "\r\n\r\nRP/0/RSP0/CPU0:router1#"
#define JUNOS_LOGIN                                                            \
    "Last login: Sun Nov 29 06:00:00 2026 from 10.0.0.1\r\n"                   \
    "--- JUNOS 21.4R3-S1 Kernel 64-bit\r\n\r\n{master:0}\r\nadmin@r1> "
#define EOS_LOGIN "Last login: Sun Nov 29 06:00:00 2026\r\nsw1>"
#define VRP_LOGIN                                                              \
    "\r\nInfo: The max number of VTY users is 10, and the number\r\n"          \
    "      of current VTY users on line is 1.\r\n"                             \
    "      The current login time is 2026-11-29 06:00:00.\r\n<r1>"
#define ROS_LOGIN                                                              \
    "\r\n\r\n  MikroTik RouterOS 6.49.10 (c) 1999-2023       "                 \
    "http://www.mikrotik.com/\r\n\r\n[admin@r1] > "
#define LINUX_LOGIN                                                            \
    "Linux h1 6.1.0-13-amd64 #1 SMP x86_64\r\n\r\nLast login: Sun Nov 29\r\n"  \
    "\x1b]0;u@h1: ~\x07u@h1:~$ "

/* The prompt each login ends with: a command's stderr starts with its
 * echo line as the screen shows it, prompt included. */
#define IOS_P      "router1>"
#define IOS_PRIV_P "router1#"
#define NXOS_P     "switch1# "
#define XR_P       "RP/0/RSP0/CPU0:router1#"
#define JUNOS_P    "admin@r1> "
#define EOS_P      "sw1>"
#define VRP_P      "<r1>"
#define ROS_P      "[admin@r1] > "
#define LINUX_P    "u@h1:~$ "

const vendor_sample_t vendor_samples[] = {
    /* ---- cisco_ios ---- */
    {"ios_invalid_input", "cisco_ios", IOS_LOGIN, "router1",
     "show ip intrface brief",
     "show ip intrface brief\r\n"
     "             ^\r\n"
     "% Invalid input detected at '^' marker.\r\n\r\nrouter1>",
     1, "^", "\n",
     IOS_P "show ip intrface brief\n             ^\n"
           "% Invalid input detected at '^' marker.\n",
     U},
    {"ios_incomplete", "cisco_ios", IOS_PRIV_LOGIN, "router1", "show ip",
     "show ip\r\n% Incomplete command.\r\n\r\nrouter1#", 1,
     "% Incomplete command", "\n",
     IOS_PRIV_P "show ip\n% Incomplete command.\n", P},
    {"ios_ambiguous", "cisco_ios", IOS_PRIV_LOGIN, "router1", "sh i",
     "sh i\r\n% Ambiguous command:  \"sh i\"\r\nrouter1#", 1,
     "% Ambiguous command", "",
     IOS_PRIV_P "sh i\n% Ambiguous command:  \"sh i\"\n", P},
    {"ios_translating", "cisco_ios", IOS_LOGIN, "router1", "shwo",
     "shwo\r\nTranslating \"shwo\"...domain server (255.255.255.255)\r\n"
     "% Unknown command or computer name, or unable to find computer "
     "address\r\nrouter1>",
     1, "Translating \"", "",
     IOS_P "shwo\nTranslating \"shwo\"...domain server (255.255.255.255)\n"
           "% Unknown command or computer name, or unable to find computer "
           "address\n",
     U},
    {"ios_bad_ip", "cisco_ios", IOS_PRIV_LOGIN, "router1",
     "ip address 10.0.0 255.255.255.0",
     "ip address 10.0.0 255.255.255.0\r\n% Bad IP address or host name\r\n"
     "router1(config-if)#",
     1, "% Bad IP address", "",
     IOS_PRIV_P
     "ip address 10.0.0 255.255.255.0\n% Bad IP address or host name\n",
     C},
    {"ios_authorization", "cisco_ios", IOS_PRIV_LOGIN, "router1",
     "show running-config",
     "show running-config\r\nCommand authorization failed.\r\n\r\n"
     "router1#",
     1, "Command authorization failed", "\n",
     IOS_PRIV_P "show running-config\nCommand authorization failed.\n", P},
    {"ios_show_run_pager", "cisco_ios", IOS_PRIV_LOGIN, "router1",
     "show running-config",
     "show running-config\r\nBuilding configuration...\r\n\r\n"
     "Current configuration : 1024 bytes\r\n!\r\nhostname router1\r\n"
     "!\r\ninterface GigabitEthernet0/1\r\n"
     " --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b"
     " description uplink # to core\r\n ip address 10.0.0.1 255.255.255.0\r\n"
     "!\r\nend\r\n\r\nrouter1#",
     0, NULL,
     "Building configuration...\n\nCurrent configuration : 1024 bytes\n"
     "!\nhostname router1\n!\ninterface GigabitEthernet0/1\n"
     " description uplink # to core\n ip address 10.0.0.1 255.255.255.0\n"
     "!\nend\n\n",
     "", P},
    {"ios_prompt_like_output", "cisco_ios", IOS_PRIV_LOGIN, "router1",
     "show logging | include #",
     "show logging | include #\r\n! router2#\r\n#\r\nrouter1 #\r\n"
     "<router1>\r\n[router1]\r\nrouter1 > x\r\nrouter1#",
     0, NULL, "! router2#\n#\nrouter1 #\n<router1>\n[router1]\nrouter1 > x\n",
     "", P},
    /* a device that wraps its echo at 80 columns */
    {"ios_wrapped_echo", "cisco_ios", IOS_PRIV_LOGIN, "router1",
     "show ip bgp neighbors 10.0.0.1 advertised-routes | include 10.20.30.40 "
     "| exclude 99",
     "show ip bgp neighbors 10.0.0.1 advertised-routes | include 10.20.30.40 "
     "| ex\r\nclude 99\r\n*> 10.20.30.40/32\r\nrouter1#",
     0, NULL, "*> 10.20.30.40/32\n", "", P},
    /* output without its last newline: the prompt ends the same line */
    {"ios_output_without_newline", "cisco_ios", IOS_PRIV_LOGIN, "router1",
     "show nonl", "show nonl\r\nno newline at the endrouter1#", 0, NULL,
     "no newline at the end\n", "", P},
    {"linux_printf_without_newline", "linux", "u@h1:~$ ", "u@h1", "printf foo",
     "printf foo\r\nfoou@h1:~$ ", 0, NULL, "foo\n", "", FN_VENDOR_MODE_USER},
    {"ios_enable_password", "cisco_ios", IOS_LOGIN, "router1", "enable",
     "enable\r\nPassword: \r\nrouter1#", 0, NULL, "", "", P},
    {"ios_config_enter", "cisco_ios", IOS_PRIV_LOGIN, "router1",
     "configure terminal",
     "configure terminal\r\nEnter configuration commands, one per line.  "
     "End with CNTL/Z.\r\nrouter1(config)#",
     0, NULL, "Enter configuration commands, one per line.  End with CNTL/Z.\n",
     "", C},
    /* ---- cisco_nxos ---- */
    {"nxos_invalid_command", "cisco_nxos", NXOS_LOGIN, "switch1",
     "show intrface",
     "show intrface\r\n        ^\r\n% Invalid command at '^' marker.\r\n"
     "switch1# ",
     1, "^", "",
     NXOS_P "show intrface\n        ^\n% Invalid command at '^' marker.\n", P},
    {"nxos_invalid_parameter", "cisco_nxos", NXOS_LOGIN, "switch1",
     "show vlan id 5000",
     "show vlan id 5000\r\n% Invalid parameter detected at '^' marker.\r\n"
     "switch1# ",
     1, "% Invalid parameter", "",
     NXOS_P "show vlan id 5000\n% Invalid parameter detected at '^' marker.\n",
     P},
    {"nxos_invalid_number", "cisco_nxos", NXOS_LOGIN, "switch1", "vlan 0",
     "vlan 0\r\n% Invalid number at '^' marker.\r\nswitch1(config)# ", 1,
     "% Invalid number at", "",
     NXOS_P "vlan 0\n% Invalid number at '^' marker.\n", C},
    {"nxos_syntax", "cisco_nxos", NXOS_LOGIN, "switch1", "feature foo",
     "feature foo\r\nSyntax error while parsing 'feature foo'\r\n\r\n"
     "switch1(config)# ",
     1, "Syntax error", "\n",
     NXOS_P "feature foo\nSyntax error while parsing 'feature foo'\n", C},
    {"nxos_pager_ansi", "cisco_nxos", NXOS_LOGIN, "switch1", "show vlan",
     "show vlan\r\n\r\nVLAN Name                             Status\r\n"
     "---- -------------------------------- ---------\r\n"
     "1    default                          active\r\n"
     "\x1b[7m--More--\x1b[m\r\x1b[K"
     "10   users                            active\r\nswitch1# ",
     0, NULL,
     "\nVLAN Name                             Status\n"
     "---- -------------------------------- ---------\n"
     "1    default                          active\n"
     "10   users                            active\n",
     "", P},
    /* ---- cisco_iosxr ---- */
    {"xr_invalid_input", "cisco_iosxr", XR_LOGIN, "router1",
     "show interfaces brif",
     "show interfaces brif\r\nSun Nov 29 06:00:00.000 UTC\r\n"
     "                      ^\r\n"
     "% Invalid input detected at '^' marker.\r\nRP/0/RSP0/CPU0:router1#",
     1, "^", "Sun Nov 29 06:00:00.000 UTC\n",
     XR_P "show interfaces brif\n                      ^\n"
          "% Invalid input detected at '^' marker.\n",
     P},
    {"xr_not_authorized", "cisco_iosxr", XR_LOGIN, "router1",
     "show running-config",
     "show running-config\r\n% This command is not authorized\r\n"
     "RP/0/RSP0/CPU0:router1#",
     1, "% This command is not authorized", "",
     XR_P "show running-config\n% This command is not authorized\n", P},
    {"xr_commit_failed", "cisco_iosxr", XR_LOGIN, "router1", "commit",
     "commit\r\n\r\n% Failed to commit one or more configuration items "
     "during a pseudo-atomic operation. All changes made have been "
     "reverted.\r\nRP/0/RSP0/CPU0:router1(config-if)#",
     1, "Failed to commit", "\n",
     XR_P "commit\n% Failed to commit one or more configuration items during a "
          "pseudo-atomic operation. All changes made have been reverted.\n",
     C},
    {"xr_incomplete", "cisco_iosxr", XR_LOGIN, "router1", "show ipv4",
     "show ipv4\r\n% Incomplete command.\r\nRP/0/RSP0/CPU0:router1#", 1,
     "% Incomplete command", "", XR_P "show ipv4\n% Incomplete command.\n", P},
    /* ---- juniper_junos ---- */
    {"junos_syntax_error", "juniper_junos", JUNOS_LOGIN, "admin@r1",
     "show intrfaces",
     "show intrfaces \r\n     ^\r\nsyntax error, expecting <command>.\r\n"
     "\r\n{master:0}\r\nadmin@r1> ",
     1, "syntax error", "\n",
     JUNOS_P "show intrfaces\n     ^\nsyntax error, expecting <command>.\n", U},
    {"junos_unknown_command", "juniper_junos", JUNOS_LOGIN, "admin@r1",
     "shw version",
     "shw version \r\n ^\r\nunknown command.\r\n\r\n{master:0}\r\n"
     "admin@r1> ",
     1, "unknown command", "\n", JUNOS_P "shw version\n ^\nunknown command.\n",
     U},
    {"junos_ambiguous", "juniper_junos", JUNOS_LOGIN, "admin@r1", "show i",
     "show i \r\n      ^\r\n'i' is ambiguous.\r\nPossible completions:\r\n"
     "  igmp                 Show Internet Group Management Protocol "
     "information\r\n  interfaces           Show interface information\r\n"
     "{master:0}\r\nadmin@r1> ",
     1, "is ambiguous",
     "Possible completions:\n  igmp                 Show Internet Group "
     "Management Protocol information\n  interfaces           Show "
     "interface information\n",
     JUNOS_P "show i\n      ^\n'i' is ambiguous.\n", U},
    {"junos_commit_error", "juniper_junos", JUNOS_LOGIN, "admin@r1", "commit",
     "commit \r\n[edit interfaces ge-0/0/0 unit 0 family inet]\r\n"
     "  'address 10.0.0.1/24'\r\n    missing mandatory argument\r\n"
     "error: configuration check-out failed\r\n\r\n[edit]\r\n"
     "admin@r1# ",
     1, "missing mandatory argument", "  'address 10.0.0.1/24'\n\n",
     JUNOS_P "commit\n    missing mandatory argument\n"
             "error: configuration check-out failed\n",
     C},
    {"junos_numeric", "juniper_junos", JUNOS_LOGIN, "admin@r1",
     "set interfaces ge-0/0/0 mtu x",
     "set interfaces ge-0/0/0 mtu x \r\n"
     "                             ^\r\n"
     "invalid numeric value: 'x' at 'x'\r\n\r\n[edit]\r\nadmin@r1# ",
     1, "invalid numeric value", "\n",
     JUNOS_P "set interfaces ge-0/0/0 mtu x\n                             ^\n"
             "invalid numeric value: 'x' at 'x'\n",
     C},
    {"junos_completions", "juniper_junos", JUNOS_LOGIN, "admin@r1",
     "show foo bar",
     "show foo bar \r\n         ^\r\nNo valid completions\r\n\r\n"
     "{master:0}\r\nadmin@r1> ",
     1, "No valid completions", "\n",
     JUNOS_P "show foo bar\n         ^\nNo valid completions\n", U},
    {"junos_pager", "juniper_junos", JUNOS_LOGIN, "admin@r1",
     "show configuration | display set",
     "show configuration | display set \r\n"
     "set version 21.4R3-S1\r\nset system host-name r1\r\n"
     "---(more 45%)---\r                                        \r"
     "set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24\r\n"
     "\r\n{master:0}\r\nadmin@r1> ",
     0, NULL,
     "set version 21.4R3-S1\nset system host-name r1\n"
     "set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24\n\n",
     "", U},
    /* ---- arista_eos ---- */
    {"eos_invalid_input", "arista_eos", EOS_LOGIN, "sw1", "show foo",
     "show foo\r\n% Invalid input (at token 1: 'foo')\r\nsw1>", 1,
     "% Invalid input", "",
     EOS_P "show foo\n% Invalid input (at token 1: 'foo')\n", U},
    {"eos_ambiguous", "arista_eos", EOS_LOGIN, "sw1", "show in",
     "show in\r\n% Ambiguous command\r\nsw1>", 1, "% Ambiguous command", "",
     EOS_P "show in\n% Ambiguous command\n", U},
    {"eos_incomplete", "arista_eos", EOS_LOGIN, "sw1", "show ip",
     "show ip\r\n% Incomplete command\r\nsw1#", 1, "% Incomplete command", "",
     EOS_P "show ip\n% Incomplete command\n", P},
    {"eos_unavailable", "arista_eos", EOS_LOGIN, "sw1", "show platform fap",
     "show platform fap\r\n% Unavailable command (not supported on this "
     "hardware platform)\r\nsw1#",
     1, "% Unavailable command", "",
     EOS_P "show platform fap\n% Unavailable command (not supported on this "
           "hardware platform)\n",
     P},
    {"eos_duplicate_seq", "arista_eos", EOS_LOGIN, "sw1",
     "10 permit ip any any",
     "10 permit ip any any\r\n% Duplicate sequence number\r\n"
     "sw1(config-acl-a1)#",
     1, "% Duplicate sequence number", "",
     EOS_P "10 permit ip any any\n% Duplicate sequence number\n", C},
    {"eos_cannot_commit", "arista_eos", EOS_LOGIN, "sw1", "commit",
     "commit\r\n% Cannot commit: session is stale\r\nsw1(config-s-s1)#", 1,
     "% Cannot commit", "", EOS_P "commit\n% Cannot commit: session is stale\n",
     C},
    {"eos_error", "arista_eos", EOS_LOGIN, "sw1", "copy flash:x flash:y",
     "copy flash:x flash:y\r\n% Error copying flash:x to flash:y (No such "
     "file)\r\nsw1#",
     1, "% Error", "",
     EOS_P "copy flash:x flash:y\n% Error copying flash:x to flash:y (No such "
           "file)\n",
     P},
    {"eos_show_version_colour", "arista_eos", EOS_LOGIN, "sw1", "show version",
     "show version\r\n\x1b[1mArista DCS-7050SX-64\x1b[0m\r\n"
     "Hardware version:    01.11\r\n --More-- \r          \r"
     "Software image version: 4.28.3M\r\nsw1>",
     0, NULL,
     "Arista DCS-7050SX-64\nHardware version:    01.11\n"
     "Software image version: 4.28.3M\n",
     "", U},
    /* ---- huawei_vrp ---- */
    {"vrp_unrecognized", "huawei_vrp", VRP_LOGIN, "r1", "dis ip int brif",
     "dis ip int brif\r\n              ^\r\n"
     "Error: Unrecognized command found at '^' position.\r\n<r1>",
     1, "^", "",
     VRP_P "dis ip int brif\n              ^\n"
           "Error: Unrecognized command found at '^' position.\n",
     U},
    {"vrp_wrong_parameter", "huawei_vrp", VRP_LOGIN, "r1",
     "interface GigabitEthernet0/0/99",
     "interface GigabitEthernet0/0/99\r\nError: Wrong parameter found at "
     "'^' position.\r\n[~r1]",
     1, "Error:", "",
     VRP_P
     "interface GigabitEthernet0/0/99\nError: Wrong parameter found at '^' "
     "position.\n",
     C},
    {"vrp_percent", "huawei_vrp", VRP_LOGIN, "r1", "save",
     "save\r\n% Failed to save the configuration.\r\n<r1>", 1, "%", "",
     VRP_P "save\n% Failed to save the configuration.\n", U},
    {"vrp_version_pager", "huawei_vrp", VRP_LOGIN, "r1", "display version",
     "display version\r\nHuawei Versatile Routing Platform Software\r\n"
     "VRP (R) software, Version 5.160 (AR2200 V200R009C00SPC500)\r\n"
     "[V200R009C00SPC500]\r\n"
     "  ---- More ----\x1b[42D                                          "
     "\x1b[42D  BKP 0 version information:\r\n"
     "  PCB      Version : AR01BAK2A VER.NC\r\n<r1>",
     0, NULL,
     "Huawei Versatile Routing Platform Software\n"
     "VRP (R) software, Version 5.160 (AR2200 V200R009C00SPC500)\n"
     "[V200R009C00SPC500]\n  BKP 0 version information:\n"
     "  PCB      Version : AR01BAK2A VER.NC\n",
     "", U},
    {"vrp_interface_view", "huawei_vrp", VRP_LOGIN, "r1",
     "interface GigabitEthernet0/0/1",
     "interface GigabitEthernet0/0/1\r\n[~r1-GigabitEthernet0/0/1]", 0, NULL,
     "", "", C},
    /* ---- mikrotik_routeros ---- */
    {"ros_bad_command", "mikrotik_routeros", ROS_LOGIN, "admin@r1",
     "/ip adress print",
     "/ip adress print\r\nbad command name adress (line 1 column 5)\r\n"
     "[admin@r1] > ",
     1, "bad command name", "",
     ROS_P "/ip adress print\nbad command name adress (line 1 column 5)\n", U},
    {"ros_syntax", "mikrotik_routeros", ROS_LOGIN, "admin@r1",
     "/ip address add address=",
     "/ip address add address=\r\nsyntax error (line 1 column 25)\r\n"
     "[admin@r1] > ",
     1, "syntax error", "",
     ROS_P "/ip address add address=\nsyntax error (line 1 column 25)\n", U},
    {"ros_expected_end", "mikrotik_routeros", ROS_LOGIN, "admin@r1",
     "/system reboot now",
     "/system reboot now\r\nexpected end of command (line 1 column 16)\r\n"
     "[admin@r1] > ",
     1, "expected end of command", "",
     ROS_P "/system reboot now\nexpected end of command (line 1 column 16)\n",
     U},
    {"ros_failure", "mikrotik_routeros", ROS_LOGIN, "admin@r1",
     "/ip address add address=10.0.0.1/24 interface=ether1",
     "/ip address add address=10.0.0.1/24 interface=ether1\r\n"
     "failure: already have such address\r\n[admin@r1] /ip address> ",
     1, "failure:", "",
     ROS_P "/ip address add address=10.0.0.1/24 interface=ether1\n"
           "failure: already have such address\n",
     U},
    {"ros_export", "mikrotik_routeros", ROS_LOGIN, "admin@r1", "/export",
     "/export\r\n# nov/29/2026 06:00:00 by RouterOS 6.49.10\r\n"
     "# software id = ABCD-1234\r\n/interface bridge\r\n"
     "add name=bridge1\r\n[admin@r1] > ",
     0, NULL,
     "# nov/29/2026 06:00:00 by RouterOS 6.49.10\n# software id = "
     "ABCD-1234\n/interface bridge\nadd name=bridge1\n",
     "", U},
    /* ---- linux ---- */
    {"linux_not_found", "linux", LINUX_LOGIN, "u@h1", "shwo",
     "shwo\r\n-bash: shwo: command not found\r\n"
     "\x1b]0;u@h1: ~\x07u@h1:~$ ",
     1, "command not found", "",
     LINUX_P "shwo\n-bash: shwo: command not found\n", U},
    {"linux_ls", "linux", LINUX_LOGIN, "u@h1", "ls -1 /etc/ssh",
     "ls -1 /etc/ssh\r\n\x1b[0m\x1b[01;34mmoduli\x1b[0m\r\nssh_config\r\n"
     "# not a prompt\r\n$ not a prompt\r\n"
     "\x1b]0;u@h1: ~\x07u@h1:~$ ",
     0, NULL, "moduli\nssh_config\n# not a prompt\n$ not a prompt\n", "", U},
    {"linux_bracketed_paste", "linux", LINUX_LOGIN, "u@h1", "uname -s",
     "uname -s\r\n\x1b[?2004l\rLinux\r\n\x1b[?2004h"
     "\x1b]0;u@h1: ~\x07u@h1:~$ ",
     0, NULL, "Linux\n", "", U},
    {"linux_root", "linux", LINUX_LOGIN, "u@h1", "sudo -s",
     "sudo -s\r\n[sudo] password for u: \r\nu@h1:/home/u# ", 0, NULL, "", "",
     P},
};

const size_t vendor_sample_count =
    sizeof(vendor_samples) / sizeof(vendor_samples[0]);
