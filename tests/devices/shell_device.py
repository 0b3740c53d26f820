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
  ansi      `show color` paints its output with ANSI colour and cursor codes
  big       `show big` prints 5 MB (65,536 lines of 80 bytes)
  slowecho  echoes what is typed one byte every 20 ms (a loaded device)
  wrap      echoes a typed line longer than 80 columns wrapped at 80
            ("\r\n" inserted), as devices that ignore the pty width do
Always: `configure terminal` enters config mode ("r1(config)#"), where any
line is accepted, `hostname NAME` changes the prompt at once (as IOS
does) and `end` leaves.
"""
import os
import sys
import time

SCEN = set(os.environ.get("FN_SCENARIO", "plain").split(","))
STATE = {"host": "r1", "config": False}


def prompt():
    return STATE["host"] + ("(config)#" if STATE["config"] else "#")

COMMANDS = {
    "terminal length 0": "",
    "terminal width 511": "",
    "show version": "Cisco IOS Software, Version 15.2(4)M7\nr1 uptime is 1 day\n",
    "show clock": "*10:00:00.000 UTC Sun Dec 6 2026\n",
}


def out(s):
    sys.stdout.write(s)  # the pty turns "\n" into "\r\n"
    sys.stdout.flush()


def config(line):
    if line == "end":
        STATE["config"] = False
    elif line.startswith("hostname "):
        STATE["host"] = line.split()[1]


def run(line):
    if line == "show color" and "ansi" in SCEN:
        out("\x1b[1;32mGi0/1\x1b[0m  up\x1b[K\n\x1b[31mGi0/2\x1b[0m  down\n")
        return
    if line == "show big" and "big" in SCEN:
        row = "x" * 73 + " %05d\n"
        for i in range(65536):
            sys.stdout.write(row % i)
        return
    if STATE["config"]:
        config(line)
        return
    if line == "configure terminal":
        STATE["config"] = True
        out("Enter configuration commands, one per line.  End with CNTL/Z.\n")
        return
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


def echo_off():
    import termios
    attrs = termios.tcgetattr(0)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(0, termios.TCSANOW, attrs)


def main():
    if "wrap" in SCEN or "slowecho" in SCEN:
        echo_off()
    if "slow" in SCEN:
        time.sleep(3)
    if "banner" in SCEN:
        out("\n#######################################\n"
            "# r1# authorized access only > here  #\n"
            "#######################################\n"
            "r1>\n"
            "r1#\n")
    out("\n" + prompt())
    for line in sys.stdin:
        line = line.strip()
        if "slowecho" in SCEN:  # our own echo, byte by byte
            for ch in line + "\n":
                out(ch)
                time.sleep(0.02)
        if "wrap" in SCEN:  # our own echo, wrapped at 80 columns
            shown = prompt() + line
            out("\r\n".join(shown[i:i + 80] for i in
                              range(0, len(shown), 80))[len(prompt()):] + "\n")
        if line in ("exit", "logout"):
            return
        if line:
            run(line)
        out(prompt())


if __name__ == "__main__":
    main()
