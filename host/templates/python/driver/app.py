"""{{name}}: a netrun driver plugin — a platform definition and one parser.

`netrun plugin build` turns this file into a WebAssembly component with
componentize-py; `netrun plugin test` runs `parse` against every fixture in
tests/fixtures/<command with underscores>/<case>.raw and compares it with
the <case>.json beside it.
"""

import json
import re

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import log
from wit_world.imports.platform import Definition, Mode, Pager, Transition
from wit_world.imports.types import Error, ErrorClass


def fail(error_class, message, command=None):
    """An error that crosses to the host with its class: PARSE when output
    does not fit, UNSUPPORTED when there is no parser or getter."""
    return Err(Error(class_=error_class, message=message, command=command))

PLATFORM = "{{platform}}"

# Prompts are regular expressions matched against the end of the received text.
EXEC = Mode(
    name="exec",
    prompt=r"(?m)^[\w.\-@/:]{1,63}>\s*$",
    transitions=[Transition(to="privileged-exec", send="enable", challenge=None)],
)
PRIVILEGED = Mode(
    name="privileged-exec",
    prompt=r"(?m)^[\w.\-@/:]{1,63}#\s*$",
    transitions=[
        Transition(to="exec", send="disable", challenge=None),
        Transition(to="configuration", send="configure terminal", challenge=None),
    ],
)
CONFIGURATION = Mode(
    name="configuration",
    prompt=r"(?m)^[\w.\-@/:]{1,63}\(config[\w.\-@/:]*\)#\s*$",
    transitions=[Transition(to="privileged-exec", send="end", challenge=None)],
)


def parse_show_version(output: str) -> dict:
    """`show version`: software version, hostname, uptime and serial number."""
    version = re.search(r"Version\s+([\w.()\-]+)", output)
    uptime = re.search(r"^(\S+) uptime is (.+)$", output, re.MULTILINE)
    serial = re.search(r"^Serial Number:\s*(\S+)", output, re.MULTILINE)
    if not (version and uptime):
        raise fail(ErrorClass.PARSE,
                   "show version: no `Version …` or `<host> uptime is …` line")
    return {
        "version": version.group(1),
        "hostname": uptime.group(1),
        "uptime": uptime.group(2).strip(),
        "serial": serial.group(1) if serial else None,
    }


PARSERS = {"show version": parse_show_version}


class Driver(exports.Driver):
    def platforms(self):
        return [Definition(
            name=PLATFORM,
            default_mode="privileged-exec",
            configuration_mode="configuration",
            modes=[EXEC, PRIVILEGED, CONFIGURATION],
            on_open=["terminal length 0"],
            on_close=["exit"],
            pagers=[Pager(pattern=r"--More--", keys=" ")],
            failure_indicators=["% Invalid input", "% Incomplete command"],
            line_ending="\n",
            config=None,
            variants=[],
        )]

    def parsers(self, platform):
        return list(PARSERS)

    def parse(self, platform, command, output):
        parser = PARSERS.get(" ".join(command.split()))
        if parser is None:
            raise fail(ErrorClass.UNSUPPORTED, f"no parser for `{command}`", command)
        return json.dumps(parser(output))

    # NAPALM-style getters (`facts`, `interfaces`, …): the commands whose
    # outputs answer one (and any follow-up commands they call for), then the
    # answer built from (command, output) pairs.
    def getters(self, platform):
        return []

    def getter_commands(self, platform, getter):
        raise fail(ErrorClass.UNSUPPORTED, f"no getter `{getter}` on {platform}")

    def getter_follow_up(self, platform, getter, outputs):
        # Asked only when getter_commands' GetterPlan says follow_up=True:
        # commands built from the outputs so far (one per neighbour a
        # summary listed); none when the outputs are complete.
        return []

    def getter(self, platform, getter, outputs):
        raise fail(ErrorClass.UNSUPPORTED, f"no getter `{getter}` on {platform}")
