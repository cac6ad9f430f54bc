// {{name}}: a netrun driver plugin — a platform definition and one parser.
//
// `netrun plugin build` turns this file into a WebAssembly component with
// componentize-js; `netrun plugin test` runs `parse` against every fixture in
// tests/fixtures/<command with underscores>/<case>.raw and compares it with
// the <case>.json beside it.

const PLATFORM = "{{platform}}";

// Prompts are regular expressions matched against the end of the received text.
const MODES = [
  {
    name: "exec",
    prompt: String.raw`(?m)^[\w.\-@/:]{1,63}>\s*$`,
    transitions: [{ to: "privileged-exec", send: "enable" }],
  },
  {
    name: "privileged-exec",
    prompt: String.raw`(?m)^[\w.\-@/:]{1,63}#\s*$`,
    transitions: [
      { to: "exec", send: "disable" },
      { to: "configuration", send: "configure terminal" },
    ],
  },
  {
    name: "configuration",
    prompt: String.raw`(?m)^[\w.\-@/:]{1,63}\(config[\w.\-@/:]*\)#\s*$`,
    transitions: [{ to: "privileged-exec", send: "end" }],
  },
];

/** `show version`: software version, hostname, uptime and serial number. */
function parseShowVersion(output) {
  const version = /Version\s+([\w.()\-]+)/.exec(output);
  const uptime = /^(\S+) uptime is (.+)$/m.exec(output);
  const serial = /^Serial Number:\s*(\S+)/m.exec(output);
  if (!version || !uptime) {
    throw fail("parse", "show version: no `Version …` or `<host> uptime is …` line");
  }
  return {
    version: version[1],
    hostname: uptime[1],
    uptime: uptime[2].trim(),
    serial: serial ? serial[1] : null,
  };
}

const PARSERS = { "show version": parseShowVersion };

// An error that crosses to the host with its class: "parse" when output does
// not fit, "unsupported" when there is no parser or getter.
function fail(errorClass, message, command) {
  return { class: errorClass, message, command };
}

export const driver = {
  platforms() {
    return [
      {
        name: PLATFORM,
        defaultMode: "privileged-exec",
        configurationMode: "configuration",
        modes: MODES,
        onOpen: ["terminal length 0"],
        onClose: ["exit"],
        pagers: [{ pattern: "--More--", keys: " " }],
        failureIndicators: ["% Invalid input", "% Incomplete command"],
        lineEnding: "\n",
        config: undefined,
        variants: [],
      },
    ];
  },
  parsers(_platform) {
    return Object.keys(PARSERS);
  },
  parse(_platform, command, output) {
    const parser = PARSERS[command.trim().split(/\s+/).join(" ")];
    if (!parser) {
      throw fail("unsupported", `no parser for \`${command}\``, command);
    }
    return JSON.stringify(parser(output));
  },
  // NAPALM-style getters (`facts`, `interfaces`, …): the commands whose
  // outputs answer one (and any follow-up commands they call for), then the
  // answer built from [command, output] pairs.
  getters(_platform) {
    return [];
  },
  getterCommands(platform, getter) {
    throw fail("unsupported", `no getter \`${getter}\` on ${platform}`);
  },
  // Asked only when getterCommands' plan says followUp: commands built from
  // the outputs so far (one per neighbour a summary listed); none when the
  // outputs are complete.
  getterFollowUp(_platform, _getter, _outputs) {
    return [];
  },
  getter(platform, getter, _outputs) {
    throw fail("unsupported", `no getter \`${getter}\` on ${platform}`);
  },
};
