"""{{name}}: a netrun workflow plugin — hostname and software version of
each device, from `show version` parsed by the device's driver.

`netrun plugin build` turns this file into a WebAssembly component with
componentize-py; `netrun plugin test` runs it against every recorded
transcript in tests/transcripts/*.json, with no device.
"""

import json

from wit_world import exports
from wit_world.imports import cli, log, parser


class Workflow(exports.Workflow):
    def run(self, device, params):
        # The host logs in, walks modes and answers pagers; this plugin may
        # send only the commands its manifest requests (`show version`).
        # A failed host call raises componentize_py_types.Err, which becomes
        # the device's error record with its class kept.
        with cli.open() as session:
            output = session.send_command("show version", None)
        version = json.loads(parser.parse("show version", output))
        log.log(log.Level.DEBUG, f"{device.name}: show version parsed")
        return json.dumps({
            "hostname": version.get("hostname"),
            "version": version.get("version"),
        })
