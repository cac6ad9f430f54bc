#!/usr/bin/python3
"""A small scripted Cisco-IOS-like CLI, run by OpenSSH's sshd as the login
user's ForceCommand in tests/integration/openssh.rs.

It runs on the PTY sshd allocates, so it behaves like a terminal program:
the kernel's line discipline echoes what the client types and turns "\n"
into "\r\n"; this script turns echo off to read the enable secret and
switches to raw mode for the one key that answers " --More-- ", as a real
device's terminal would.

Option: --pause-after TEXT sends command output up to and including the
first TEXT, pauses 0.3 s, then sends the rest, so the client receives TEXT
at the end of a chunk (as happens when a real device's output is split into
TCP segments).

Supported: enable (secret "netrun-ios-enable"), disable, configure terminal,
end, exit/logout, terminal length N / terminal width N, show version,
show ip interface brief, show clock; IOS abbreviations ("sh ver",
"sh ip int br", "term len 0"); the IOS error messages for unknown,
ambiguous and incomplete commands.

The outputs follow the format of real IOS 15.x devices (the cisco-ios
driver's parser fixtures); the test asserts the values defined below.
Python 3 standard library only.
"""

import datetime
import os
import sys
import termios
import time

HOSTNAME = "sshd-r1"
ENABLE_SECRET = "netrun-ios-enable"

# Values the integration test expects the parsers to find.
VERSION = "15.7(3)M8"
MODEL = "CISCO2911/K9"
SERIAL = "FTX1917AL2K"
UPTIME = "1 year, 12 weeks, 3 days, 4 hours, 5 minutes"
INTERFACES = [
    # interface, ip-address, ok?, method, status, protocol
    ("Embedded-Service-Engine0/0", "unassigned", "YES", "unset", "administratively down", "down"),
    ("GigabitEthernet0/0", "198.51.100.10", "YES", "NVRAM", "up", "up"),
    ("GigabitEthernet0/1", "unassigned", "YES", "NVRAM", "up", "up"),
    ("GigabitEthernet0/1.100", "10.100.0.1", "YES", "NVRAM", "up", "up"),
    ("GigabitEthernet0/1.200", "10.200.0.1", "YES", "NVRAM", "up", "up"),
    ("GigabitEthernet0/2", "unassigned", "YES", "NVRAM", "down", "down"),
    ("Loopback0", "10.255.255.1", "YES", "NVRAM", "up", "up"),
    ("Tunnel10", "172.31.0.1", "YES", "manual", "up", "down"),
]

BANNER = """
**************************************************************************
* sshd-r1 #### netrun OpenSSH integration lab ####                       *
* Authorized access only! Unauthorized use -> prosecution.               *
* Problems? <noc@example.net> or #netrun-lab (chat) >> on-call.          *
**************************************************************************
"""

SHOW_VERSION = """\
Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version {version}, RELEASE SOFTWARE (fc2)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2020 by Cisco Systems, Inc.
Compiled Thu 30-Jan-20 02:51 by prod_rel_team

ROM: System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)

{host} uptime is {uptime}
System returned to ROM by power-on
System restarted at 09:12:44 UTC Mon Aug 31 2026
System image file is "flash0:c2900-universalk9-mz.SPA.157-3.M8.bin"
Last reload type: Normal Reload
Last reload reason: power-on



This product contains cryptographic features and is subject to United
States and local country laws governing import, export, transfer and
use. Delivery of Cisco cryptographic products does not imply
third-party authority to import, export, distribute or use encryption.
Importers, exporters, distributors and users are responsible for
compliance with U.S. and local country laws. By using this product you
agree to comply with applicable laws and regulations. If you are unable
to comply with U.S. and local laws, return this product immediately.

A summary of U.S. laws governing Cisco cryptographic products may be found at:
http://www.cisco.com/wwl/export/crypto/tool/stqrg.html

If you require further assistance please contact us by sending email to
export@cisco.com.

Cisco {model} (revision 1.0) with 483328K/40960K bytes of memory.
Processor board ID {serial}
3 Gigabit Ethernet interfaces
1 Virtual Private Network (VPN) Module
DRAM configuration is 64 bits wide with parity enabled.
255K bytes of non-volatile configuration memory.
250880K bytes of ATA System CompactFlash 0 (Read/Write)


License Info:

License UDI:

-------------------------------------------------
Device#\t  PID\t\t\tSN
-------------------------------------------------
*0  \t  {model}          {serial}     



Technology Package License Information for Module:'c2900' 

-----------------------------------------------------------------
Technology    Technology-package           Technology-package
              Current       Type           Next reboot  
------------------------------------------------------------------
ipbase        ipbasek9      Permanent      ipbasek9
security      securityk9    Permanent      securityk9
uc            None          None           None
data          None          None           None

Configuration register is 0x2102
""".format(version=VERSION, host=HOSTNAME, uptime=UPTIME, model=MODEL, serial=SERIAL)


def show_ip_interface_brief():
    lines = ["Interface                  IP-Address      OK? Method Status                Protocol"]
    for name, ip, ok, method, status, proto in INTERFACES:
        lines.append("%-26s %-15s %-3s %-6s %-21s %-8s" % (name, ip, ok, method, status, proto))
    return "\n".join(lines) + "\n"


def show_clock():
    now = datetime.datetime.now(datetime.timezone.utc)
    return "*%s.%03d UTC %s\n" % (
        now.strftime("%H:%M:%S"),
        now.microsecond // 1000,
        now.strftime("%a %b ") + str(now.day) + now.strftime(" %Y"),
    )


class Closed(Exception):
    """The client went away (EOF, or the terminal is gone)."""


class Terminal:
    """The session's terminal: fd 0 for input, fd 1 for output."""

    def __init__(self):
        self.tty = os.isatty(0)

    def write(self, text):
        data = text.encode()
        try:
            while data:
                n = os.write(1, data)
                data = data[n:]
        except OSError as e:
            raise Closed() from e

    def _read(self, size):
        try:
            data = os.read(0, size)
        except OSError as e:
            raise Closed() from e
        if not data:
            raise Closed()
        return data

    def read_line(self):
        """One line in canonical mode (the line discipline assembles it)."""
        line = b""
        while not line.endswith(b"\n"):
            line += self._read(4096)
        return line.decode(errors="replace").rstrip("\r\n")

    def read_secret(self):
        """A line typed with echo off, as a device reads a password."""
        if not self.tty:
            return self.read_line()
        saved = termios.tcgetattr(0)
        quiet = termios.tcgetattr(0)
        quiet[3] &= ~(termios.ECHO | termios.ECHOE | termios.ECHOK | termios.ECHONL)
        termios.tcsetattr(0, termios.TCSADRAIN, quiet)
        try:
            # The prompt goes out only once echo is off, so the client cannot
            # answer it before the terminal stops echoing.
            self.write("Password: ")
            return self.read_line()
        finally:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)

    def read_key(self):
        """One key in raw mode (no line editing, no echo)."""
        if not self.tty:
            return self._read(1).decode(errors="replace")
        saved = termios.tcgetattr(0)
        raw = termios.tcgetattr(0)
        raw[3] &= ~(termios.ICANON | termios.ECHO)
        raw[6][termios.VMIN] = 1
        raw[6][termios.VTIME] = 0
        termios.tcsetattr(0, termios.TCSADRAIN, raw)
        try:
            return self._read(1).decode(errors="replace")
        finally:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)


# Commands: keywords as (word, shortest accepted abbreviation), "NUM" for a
# number argument; the modes they exist in; the handler's name.
EXEC, PRIV, CONF = "exec", "privileged", "config"
COMMANDS = [
    ((("show", 2), ("version", 3)), (EXEC, PRIV), "show_version"),
    ((("show", 2), ("ip", 2), ("interface", 3), ("brief", 2)), (EXEC, PRIV), "show_ip_int_brief"),
    ((("show", 2), ("clock", 3)), (EXEC, PRIV), "show_clock"),
    ((("terminal", 3), ("length", 3), "NUM"), (EXEC, PRIV), "terminal_length"),
    ((("terminal", 3), ("width", 1), "NUM"), (EXEC, PRIV), "terminal_width"),
    ((("enable", 2),), (EXEC, PRIV), "enable"),
    ((("disable", 4),), (PRIV,), "disable"),
    ((("configure", 4), ("terminal", 1)), (PRIV,), "configure"),
    ((("exit", 3),), (EXEC, PRIV, CONF), "exit"),
    ((("logout", 2),), (EXEC, PRIV), "logout"),
    ((("end", 3),), (CONF,), "end"),
]


def tokens(line):
    """Words of `line` with their column."""
    out, i = [], 0
    while i < len(line):
        if line[i].isspace():
            i += 1
            continue
        j = i
        while j < len(line) and not line[j].isspace():
            j += 1
        out.append((line[i:j], i))
        i = j
    return out


def element_matches(element, word):
    if element == "NUM":
        return word.isdigit()
    keyword, _ = element
    return keyword.startswith(word.lower())


def element_ambiguous(element, word):
    return element != "NUM" and len(word) < element[1]


def resolve(mode, line):
    """("run", handler, args) or ("error", message-lines) for a command line."""
    words = tokens(line)
    candidates = [c for c in COMMANDS if mode in c[1]]
    for i, (word, column) in enumerate(words):
        matching = [c for c in candidates if len(c[0]) > i and element_matches(c[0][i], word)]
        if not matching:
            return ("invalid", column)
        if all(element_ambiguous(c[0][i], word) for c in matching):
            return ("error", ['% Ambiguous command:  "' + line.strip() + '"'])
        candidates = [c for c in matching if not element_ambiguous(c[0][i], word)]
    complete = [c for c in candidates if len(c[0]) == len(words)]
    if complete:
        args = [w for (w, _), e in zip(words, complete[0][0]) if e == "NUM"]
        return ("run", complete[0][2], args)
    return ("error", ["% Incomplete command.", ""])


class Shell:
    def __init__(self, term, pause_after=None):
        self.term = term
        self.pause_after = pause_after
        self.mode = EXEC
        self.page_length = 24
        self.width = 80
        self.running = True

    def prompt(self):
        return HOSTNAME + {EXEC: ">", PRIV: "#", CONF: "(config)#"}[self.mode]

    def page(self, text):
        """Print `text`, pausing at " --More-- " every screen unless
        `terminal length 0`."""
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if self.page_length == 0:
            self.output("".join(l + "\n" for l in lines))
            return
        shown = 0
        per_screen = max(self.page_length - 1, 1)
        budget = per_screen
        while shown < len(lines):
            chunk = lines[shown:shown + budget]
            self.output("".join(l + "\n" for l in chunk))
            shown += len(chunk)
            if shown >= len(lines):
                return
            self.term.write(" --More-- ")
            key = self.term.read_key()
            # Erase the pager prompt as IOS does.
            self.term.write("\b" * 10 + " " * 10 + "\b" * 10)
            if key == " ":
                budget = per_screen
            elif key in ("\r", "\n"):
                budget = 1
            else:
                return

    def output(self, text):
        """Command output, split at --pause-after's text if given."""
        cut = text.find(self.pause_after) if self.pause_after else -1
        if cut < 0:
            self.term.write(text)
            return
        cut += len(self.pause_after)
        self.term.write(text[:cut])
        time.sleep(0.3)
        self.term.write(text[cut:])

    def run(self, line):
        if not line.strip():
            return
        if self.mode == CONF and not line.strip().lower().startswith(("end", "exi")):
            # Configuration lines are accepted and forgotten.
            return
        result = resolve(self.mode, line)
        if result[0] == "invalid":
            column = len(self.prompt()) + result[1]
            self.term.write(" " * column + "^\n% Invalid input detected at '^' marker.\n\n")
            return
        if result[0] == "error":
            self.term.write("".join(l + "\n" for l in result[1]))
            return
        _, handler, args = result
        getattr(self, "cmd_" + handler)(*args)

    def cmd_show_version(self):
        self.page(SHOW_VERSION)

    def cmd_show_ip_int_brief(self):
        self.page(show_ip_interface_brief())

    def cmd_show_clock(self):
        self.page(show_clock())

    def cmd_terminal_length(self, n):
        self.page_length = int(n)

    def cmd_terminal_width(self, n):
        self.width = int(n)

    def cmd_enable(self):
        if self.mode == PRIV:
            return
        secret = self.term.read_secret()
        # Echo was off: the Enter the user typed left no line break.
        self.term.write("\n")
        if secret == ENABLE_SECRET:
            self.mode = PRIV
        else:
            self.term.write("% Access denied\n\n")

    def cmd_disable(self):
        self.mode = EXEC

    def cmd_configure(self):
        self.term.write("Enter configuration commands, one per line.  End with CNTL/Z.\n")
        self.mode = CONF

    def cmd_end(self):
        self.mode = PRIV

    def cmd_exit(self):
        if self.mode == CONF:
            self.mode = PRIV
        else:
            self.running = False

    def cmd_logout(self):
        self.running = False

    def main(self):
        self.term.write(BANNER + "\n")
        while self.running:
            self.term.write(self.prompt())
            self.run(self.term.read_line())


def main():
    pause_after = None
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--pause-after":
        pause_after = args[1]
    elif args:
        sys.stderr.write("usage: ios-shell.py [--pause-after TEXT]\n")
        return 2
    try:
        Shell(Terminal(), pause_after).main()
    except (Closed, KeyboardInterrupt):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
