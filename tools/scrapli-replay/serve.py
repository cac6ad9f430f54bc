"""Devices served by scrapli-replay (PyPI `scrapli-replay`, its asyncssh
server), a simulator that is not netrun's: it answers each line it is sent
with what a session file says the device printed, and anything else with
IOS's `% Invalid input`. The session file is written here from saved IOS-XE
outputs, in scrapli-replay's format: the device starts in privileged exec;
its prompts are `NAME#`, `NAME>` and `NAME(config)#`.

    serve.py --outputs DIR --session FILE --hostname NAME --devices N --base-port P
             [--host-key KEY]

DIR holds the outputs to answer, one file each named after the command
with `_` for spaces (`show_version.txt`, `show_running-config.txt`); FILE
is where the session data is written. Listens on 127.0.0.1 ports P ..
P+N-1 (user `scrapli`, password `scrapli`: scrapli-replay's), prints
`ready` when all listen, and serves until killed. KEY (an OpenSSH private
key file) replaces scrapli-replay's own host key, a 1,024-bit RSA key:
devices keep a 2,048-bit RSA key (IOS's default, and what paramiko and
asyncssh generate) or an Ed25519 one.
"""
import argparse
import asyncio
import json
import os
import sys

import scrapli_replay.server.server as replay_server

INVALID = "                 ^\n% Invalid input detected at '^' marker.\n\n"


def event(output, level, closes=False):
    return {"type": "standard", "channel_output": output, "result_privilege_level": level,
            "returns_prompt": not closes, "closes_connection": closes}


def session(outputs, hostname):
    """scrapli-replay's session data: per privilege level, before and after
    the on-open commands, what each line prints and the level it leaves."""
    PROMPTS = {"exec": f"{hostname}>", "privilege_exec": f"{hostname}#",
               "configuration": f"{hostname}(config)#"}
    priv = {
        "terminal length 0": event(PROMPTS["privilege_exec"], "privilege_exec"),
        "terminal width 511": event(PROMPTS["privilege_exec"], "privilege_exec"),
        "terminal width 512": event(PROMPTS["privilege_exec"], "privilege_exec"),
        "configure terminal": event("Enter configuration commands, one per line.  End with "
                                    "CNTL/Z.\n" + PROMPTS["configuration"], "configuration"),
        "disable": event(PROMPTS["exec"], "exec"),
        "exit": event("__CLOSES_CONNECTION__", "privilege_exec", closes=True),
    }
    for name in sorted(os.listdir(outputs)):
        if name.endswith(".txt"):
            with open(os.path.join(outputs, name), encoding="utf-8") as f:
                text = f.read().rstrip("\n")
            command = name[:-4].replace("_", " ")
            priv[command] = event(text + "\n" + PROMPTS["privilege_exec"], "privilege_exec")
    config = {"end": event(PROMPTS["privilege_exec"], "privilege_exec"),
              "exit": event(PROMPTS["privilege_exec"], "privilege_exec")}
    user = {"enable": event(PROMPTS["privilege_exec"], "privilege_exec"),
            "exit": event("__CLOSES_CONNECTION__", "exec", closes=True)}
    events = {level: {"pre_on_open": e, "post_on_open": e}
              for level, e in [("privilege_exec", priv), ("configuration", config), ("exec", user)]}
    unknown = {level: {state: event(INVALID + prompt, level)
                       for state in ["pre_on_open", "post_on_open"]}
               for level, prompt in PROMPTS.items()}
    return {"events": events, "unknown_events": unknown,
            "initial_privilege_level": "privilege_exec", "privilege_level_prompts": PROMPTS,
            "on_open_inputs": ["terminal length 0", "terminal width 512"]}


async def serve(a):
    if a.host_key:
        # `start` hands this module variable to asyncssh as the host key.
        with open(a.host_key, "rb") as f:
            replay_server.BASE_SERVER_KEY = f.read()
    data = a.session
    # Written as JSON (which is YAML): ruamel's emitter folds long strings
    # in a way its loader reads back with stray spaces (` !` for `!`).
    with open(data, "w", encoding="utf-8") as f:
        json.dump(session(a.outputs, a.hostname), f)
    for i in range(a.devices):
        await replay_server.start(port=a.base_port + i, collect_data=data)
    print("ready", flush=True)
    await asyncio.Event().wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--outputs", required=True)
    p.add_argument("--session", required=True, help="where to write the session file")
    p.add_argument("--hostname", default="csr1000v", help="the prompts' name")
    p.add_argument("--devices", type=int, default=1)
    p.add_argument("--base-port", type=int, required=True)
    p.add_argument("--host-key", help="OpenSSH private key file to serve instead of scrapli-replay's")
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
