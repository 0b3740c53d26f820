#!/usr/bin/python3
"""shell_device.py — a scripted network device, run by a real sshd as the
ForceCommand of the test user: the pty is its terminal (the kernel's line
discipline echoes what is typed, as a device's CLI does).

FN_SCENARIO picks what it does (comma-separated, combinable):
  plain     prompt "r1#", answers the commands of COMMANDS
  nonl      `show nonl` prints output without a final newline
  banner    a MOTD holding '#', '>' and prompt-like lines before the prompt
  slow      waits 3 s before its first prompt
  copy      `copy running-config startup-config` asks "Destination filename
            [startup-config]?" and wants an answer
"""
import os
import sys
import time

SCEN = set(os.environ.get("FN_SCENARIO", "plain").split(","))
PROMPT = "r1#"

COMMANDS = {
    "terminal length 0": "",
    "terminal width 511": "",
    "show version": "Cisco IOS Software, Version 15.2(4)M7\nr1 uptime is 1 day\n",
    "show clock": "*10:00:00.000 UTC Sun Dec 6 2026\n",
}


def out(s):
    sys.stdout.write(s.replace("\n", "\r\n") if False else s)
    sys.stdout.flush()


def run(line):
    if line == "show nonl" and "nonl" in SCEN:
        out("no newline at the end")  # the prompt follows on the same line
        return
    if line == "copy running-config startup-config" and "copy" in SCEN:
        out("Destination filename [startup-config]? ")
        answer = sys.stdin.readline()
        if answer.strip() not in ("", "startup-config"):
            out("%Error opening flash:" + answer.strip() + "\n")
            return
        out("Building configuration...\n[OK]\n")
        return
    if line in COMMANDS:
        out(COMMANDS[line])
    else:
        out("                 ^\n% Invalid input detected at '^' marker.\n")


def main():
    if "slow" in SCEN:
        time.sleep(3)
    if "banner" in SCEN:
        out("\n#######################################\n"
            "# r1# authorized access only > here  #\n"
            "#######################################\n"
            "r1>\n"
            "r1#\n")
    out("\n" + PROMPT)
    for line in sys.stdin:
        line = line.strip()
        if line in ("exit", "logout"):
            return
        if line:
            run(line)
        out("\n" + PROMPT if "nonl" in SCEN and line == "show nonl"
            else PROMPT)


if __name__ == "__main__":
    main()
