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

Option: --config FILE keeps a running configuration in FILE (JSON), so
every SSH login sees the configuration the last one left: configuration
lines change it (indentation-aware blocks for interface, line, router …;
`no …` removes), `show running-config` prints it the way IOS does (with
the volatile header lines), `copy running-config flash:NAME` (answering
"Destination filename [NAME]?") and `configure replace flash:NAME force`
keep and restore rollback points, `copy running-config startup-config` /
`write memory` save. Unknown configuration keywords are refused with
IOS's "% Invalid input" caret; --refuse TEXT refuses any configuration
line containing TEXT the same way; --hang-on TEXT never answers the exec
command TEXT (a device that hangs after a change).

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
import json
import os
import re
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


# The configuration engine of --config: a tree of {"line", "children"}.
# Keywords that open a block (a sub-mode), and global keywords that, typed
# inside a block, end it (IOS parses them in the parent mode).
SECTIONS = ("interface", "line", "router", "vrf", "control-plane", "redundancy",
            "policy-map", "class-map", "key")
GLOBALS = ("hostname", "ntp", "logging", "snmp-server", "username", "enable",
           "service", "banner", "aaa", "clock", "version", "boot-start-marker",
           "boot-end-marker", "access-list", "tacacs-server", "radius-server",
           "spanning-tree", "vlan", "archive", "license", "alias", "ip", "ipv6",
           "no", "cdp", "lldp", "login")
# Lines that hold one value: a new one replaces the old (key = leading words).
SINGLE = ("hostname", "enable secret", "description", "ip address", "clock timezone")
SUBMODE = {"interface": "config-if", "line": "config-line", "router": "config-router",
           "vrf": "config-vrf", "control-plane": "config-cp", "redundancy": "config-red",
           "policy-map": "config-pmap", "class-map": "config-cmap", "key": "config-keychain"}

DEFAULT_CONFIG = [
    "version 15.7", "service timestamps debug datetime msec",
    "service timestamps log datetime msec", "service password-encryption",
    "hostname " + HOSTNAME, "boot-start-marker", "boot-end-marker",
    "enable secret 9 $9$nR5l4bL4bS3cr3t$kq8b5G0JzL3d1Q6mZcVtYwR2pN7sH9aF4eU0oI1jKx",
    "no aaa new-model", "ip domain name lab.example.net",
    "username admin privilege 15 secret 9 $9$xY7l4bS3cr3tH4sh$Vh1Xh0uUhaEDiI5bMWsTdBvSgJxJa7NmkqPQgO2aNYE",
    ["interface GigabitEthernet0/0", "description uplink", "ip address 198.51.100.10 255.255.255.0"],
    ["interface GigabitEthernet0/1", "no ip address", "shutdown"],
    ["interface Loopback0", "ip address 10.255.255.1 255.255.255.255"],
    "ip forward-protocol nd", "no ip http server", "ip ssh version 2",
    ["line con 0", "stopbits 1"], ["line vty 0 4", "login local", "transport input ssh"],
]


def node(line, children=None):
    return {"line": line, "children": children or []}


def from_spec(spec):
    out = []
    for item in spec:
        if isinstance(item, list):
            out.append(node(item[0], [node(c) for c in item[1:]]))
        else:
            out.append(node(item))
    return out


def render(tree, depth=0):
    lines = []
    for n in tree:
        lines.append(" " * depth + n["line"])
        lines.extend(render(n["children"], depth + 1))
        if depth == 0 and n["children"]:
            lines.append("!")
    return lines


def first_word(line):
    return line.split()[0].lower() if line.split() else ""


def single_key(line):
    for key in SINGLE:
        if line == key or line.startswith(key + " "):
            return key
    return None


class Config:
    """The device's configuration, kept in a JSON file across logins."""

    def __init__(self, path):
        self.path = path
        self.flash = os.path.join(os.path.dirname(os.path.abspath(path)), "flash")
        try:
            with open(path) as f:
                state = json.load(f)
        except (OSError, ValueError):
            state = {"running": from_spec(DEFAULT_CONFIG), "startup": None,
                     "changed": time.time()}
        self.state = state
        self.save()

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f)
        os.replace(tmp, self.path)

    def hostname(self):
        for n in self.state["running"]:
            if n["line"].startswith("hostname "):
                return n["line"].split()[1]
        return HOSTNAME

    def text(self, tree=None):
        body = "\n".join(render(self.state["running"] if tree is None else tree)) + "\n"
        return "!\n" + body + "end\n"

    def show_running(self):
        when = datetime.datetime.fromtimestamp(self.state["changed"], datetime.timezone.utc)
        body = self.text()
        head = ("Building configuration...\n\nCurrent configuration : %d bytes\n!\n"
                "! Last configuration change at %s UTC %s by netrun-ios\n"
                % (len(body), when.strftime("%H:%M:%S"), when.strftime("%a %b %d %Y")))
        return head + body

    def apply(self, path, line):
        """Apply `line` inside the block `path` (list of lines from the
        top); returns the new block path (a block line enters it)."""
        level = self.state["running"]
        for p in path:
            level = next(n for n in level if n["line"] == p)["children"]
        self.state["changed"] = time.time()
        if line.startswith("no "):
            target = line[3:].strip()
            gone = [n for n in level if n["line"] == target or n["line"].startswith(target + " ")]
            for n in gone:
                level.remove(n)
            if not gone and not path and target.split()[0] in ("ip", "service", "aaa", "cdp", "lldp"):
                # Default-on features show as `no …` once turned off.
                if not any(n["line"] == line for n in level):
                    level.append(node(line))
            return path
        # Turning a feature on drops its `no …` line.
        for n in [n for n in level if n["line"] == "no " + line]:
            level.remove(n)
        existing = next((n for n in level if n["line"] == line), None)
        if existing is None:
            key = single_key(line)
            old = next((n for n in level if key and single_key(n["line"]) == key), None)
            if old is not None:
                old["line"] = line
                existing = old
            else:
                existing = node(line)
                level.append(existing)
        if first_word(line) in SECTIONS:
            return path + [line]
        return path

    def snapshot(self, name):
        os.makedirs(self.flash, exist_ok=True)
        with open(os.path.join(self.flash, name), "w") as f:
            json.dump(self.state["running"], f)
        return len(self.text())

    def restore(self, name):
        try:
            with open(os.path.join(self.flash, name)) as f:
                self.state["running"] = json.load(f)
        except (OSError, ValueError):
            return False
        self.state["changed"] = time.time()
        self.save()
        return True


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
    ((("show", 2), ("running-config", 3)), (PRIV,), "show_running"),
    ((("show", 2), ("startup-config", 3)), (PRIV,), "show_startup"),
    ((("write", 2),), (PRIV,), "write_memory"),
    ((("write", 2), ("memory", 1)), (PRIV,), "write_memory"),
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
    def __init__(self, term, pause_after=None, config=None, refuse=None, hang_on=None):
        self.term = term
        self.pause_after = pause_after
        self.config = Config(config) if config else None
        self.refuse = refuse
        self.hang_on = hang_on
        # The block configuration lines go into (list of lines from the top).
        self.block = []
        self.mode = EXEC
        self.page_length = 24
        self.width = 80
        self.running = True

    def prompt(self):
        host = self.config.hostname() if self.config else HOSTNAME
        if self.mode == CONF and self.block:
            return host + "(" + SUBMODE.get(first_word(self.block[-1]), "config-sub") + ")#"
        return host + {EXEC: ">", PRIV: "#", CONF: "(config)#"}[self.mode]

    def invalid(self, column):
        self.term.write(" " * (len(self.prompt()) + column) + "^\n% Invalid input detected at '^' marker.\n\n")

    def config_line(self, line):
        """A configuration line with --config: change the running config."""
        text = line.strip()
        word = first_word(text)
        column = len(line) - len(line.lstrip())
        if word in ("end",):
            self.block = []
            self.mode = PRIV
            return
        if word in ("exit", "exi"):
            if self.block:
                self.block.pop()
            else:
                self.mode = PRIV
            return
        if text.startswith("!"):
            return
        if self.refuse and self.refuse in text:
            self.invalid(line.find(self.refuse))
            return
        if word == "do":
            self.mode = PRIV
            try:
                self.run(text[2:])
            finally:
                self.mode = CONF
            return
        if self.block and (word in SECTIONS or word in ("hostname", "ntp", "logging",
                "snmp-server", "username", "enable", "service", "banner", "aaa",
                "tacacs-server", "radius-server", "access-list")):
            # A global command inside a block: IOS runs it in global mode.
            self.block = []
        if not self.block and word not in SECTIONS and word not in GLOBALS:
            self.invalid(column)
            return
        self.block = self.config.apply(self.block, text)
        self.config.save()

    def special(self, line):
        """Privileged commands with free arguments (file names); True when handled."""
        text = line.strip()
        m = re.match(r"^copy\s+run(?:ning-config)?\s+(flash:(\S+)|start(?:up-config)?)$", text)
        if m:
            default = m.group(2) or "startup-config"
            self.term.write("Destination filename [%s]? " % default)
            answer = self.term.read_line().strip() or default
            if m.group(2):
                size = self.config.snapshot(answer)
                self.term.write("\n%d bytes copied in 0.104 secs (%d bytes/sec)\n" % (size, size * 9))
            else:
                self.config.state["startup"] = json.loads(json.dumps(self.config.state["running"]))
                self.config.save()
                self.term.write("Building configuration...\n[OK]\n")
            return True
        m = re.match(r"^conf(?:igure)?\s+replace\s+flash:(\S+)(\s+force)?$", text)
        if m:
            if not m.group(2):
                self.term.write("This will apply all necessary additions and deletions\nto replace the current running configuration with the\ncontents of the specified configuration file, which is\nassumed to be a complete configuration, not a partial\nconfiguration. Enter Y if you are sure you want to proceed. ? [no]: ")
                if self.term.read_line().strip().lower() not in ("y", "yes"):
                    return True
            if self.config.restore(m.group(1)):
                self.term.write("Total number of passes: 1\nRollback Done\n\n")
            else:
                self.term.write("%%Error opening flash:%s (File not found)\n" % m.group(1))
            return True
        return False

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
        if self.hang_on and line.strip() == self.hang_on:
            time.sleep(3600)
        if self.mode == CONF and self.config:
            self.config_line(line)
            return
        if self.mode == CONF and not line.strip().lower().startswith(("end", "exi")):
            # Configuration lines are accepted and forgotten.
            return
        if self.mode == PRIV and self.config and self.special(line):
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

    def cmd_show_running(self):
        if self.config:
            self.page(self.config.show_running())

    def cmd_show_startup(self):
        if self.config and self.config.state["startup"] is not None:
            self.page(self.config.text(self.config.state["startup"]))
        else:
            self.term.write("startup-config is not present\n")

    def cmd_write_memory(self):
        if self.config:
            self.config.state["startup"] = json.loads(json.dumps(self.config.state["running"]))
            self.config.save()
        self.term.write("Building configuration...\n[OK]\n")

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
        self.block = []
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
    options = {"--pause-after": None, "--config": None, "--refuse": None, "--hang-on": None}
    args = sys.argv[1:]
    while args:
        if len(args) < 2 or args[0] not in options:
            sys.stderr.write("usage: ios-shell.py [--pause-after TEXT] [--config FILE] [--refuse TEXT] [--hang-on TEXT]\n")
            return 2
        options[args[0]] = args[1]
        args = args[2:]
    try:
        Shell(Terminal(), options["--pause-after"], options["--config"],
              options["--refuse"], options["--hang-on"]).main()
    except (Closed, KeyboardInterrupt):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
