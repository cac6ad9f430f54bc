// {{name}}: a netrun workflow plugin — hostname and software version of
// each device, from `show version` parsed by the device's driver.
//
// `netrun plugin build` turns this file into a WebAssembly component with
// componentize-js; `netrun plugin test` runs it against every recorded
// transcript in tests/transcripts/*.json, with no device.

import { open } from "netrun:plugin/cli@0.2.0";
import { parse } from "netrun:plugin/parser@0.2.0";
import { log } from "netrun:plugin/log@0.2.0";

export const workflow = {
  run(device, _params) {
    // The host logs in, walks modes and answers pagers; this plugin may send
    // only the commands its manifest requests (`show version`). A failed
    // host call throws; left uncaught it becomes the device's error record.
    const session = open();
    const output = session.sendCommand("show version", undefined);
    const version = JSON.parse(parse("show version", output));
    log("debug", `${device.name}: show version parsed`);
    return JSON.stringify({
      hostname: version.hostname ?? null,
      version: version.version ?? null,
    });
  },
};
