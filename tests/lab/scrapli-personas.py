"""Drive every device of a `netrun lab` inventory whose platform scrapli knows
(core drivers, or scrapli-community's) with scrapli, a client netrun did not
write: open the device with scrapli's own platform name (its prompt patterns,
privilege escalation and on-open commands such as `terminal width 512` or
`set cli complete-on-space off`), read the prompt, run a show command and a
long one that pages, and close. Prints one JSON object per device with the
outputs, and exits non-zero when any device does not behave like its
platform.

Not driven: dell_os10 (scrapli-community's `dell_emc` is the OS9 / Force10
CLI: `enable`, `% Invalid input` errors), hp_procurve and linux (no scrapli
platform).

usage: scrapli-personas.py INVENTORY_DIR
"""
import io
import json
import sys
import time
from pathlib import Path

import yaml
from scrapli import Scrapli

inv = Path(sys.argv[1])
hosts = yaml.safe_load((inv / "hosts.yaml").read_text())
defaults = yaml.safe_load((inv / "defaults.yaml").read_text())
secret = defaults["connection_options"]["netrun"]["extras"]["secret"]

# Per lab platform: scrapli platform, a show command printing the version, and
# a command whose output is longer than a pager page.
PLATFORMS = {
    "cisco_ios": ("cisco_iosxe", "show version", "show running-config"),
    "cisco_xe": ("cisco_iosxe", "show version", "show running-config"),
    "cisco_nxos": ("cisco_nxos", "show version", "show running-config"),
    "cisco_xr": ("cisco_iosxr", "show version", "show running-config"),
    "arista_eos": ("arista_eos", "show version", "show running-config"),
    "juniper_junos": ("juniper_junos", "show version", "show configuration"),
    "cisco_asa": ("cisco_asa", "show version", "show running-config"),
    "huawei_vrp": ("huawei_vrp", "display version", "display current-configuration"),
    "hp_comware": ("hp_comware", "display version", "display current-configuration"),
    "mikrotik_routeros": ("mikrotik_routeros", "/system resource print", "/export"),
    "fortinet": ("fortinet_fortios", "get system status", "show full-configuration"),
    "paloalto_panos": ("paloalto_panos", "show system info", "show config running"),
    "aruba_aoscx": ("aruba_aoscx", "show version", "show running-config"),
    "nokia_sros": ("nokia_sros", "show system information", "admin show configuration"),
    "vyos": ("vyos_vyos", "show version", "show configuration"),
}

# How the platforms refuse a command: scrapli's on-open commands must not meet
# any of them (scrapli itself does not check what its on-open was answered).
REFUSALS = ["Invalid input", "Invalid command", "Unknown command", "Unrecognized command",
            "bad command name", "command parse error", "Unknown action", "Incomplete command",
            "syntax error", "Error: Unrecognized", "MINOR: CLI", "Invalid syntax"]

# What a pager prints while it waits: none of it may reach an output.
PAGERS = ["--More--", "-- MORE --", "--more--", "---- More ----", "---(more", "lines 1-", "-More-"]

failures = 0
for name, h in sorted(hosts.items()):
    platform = h.get("platform") or "cisco_ios"
    if platform not in PLATFORMS:
        continue
    scrapli_platform, show, long = PLATFORMS[platform]
    version = h["data"].get("os_version", "")
    variant = None
    if platform == "nokia_sros" and version.startswith("B-19"):
        # The classic CLI (`A:host#`): scrapli-community's classic variant.
        variant, long = "classic", "admin display-config"
    record = {"device": name, "platform": platform, "scrapli_platform": scrapli_platform}
    try:
        kwargs = dict(
            host=h["hostname"], port=h["port"], platform=scrapli_platform,
            auth_username=defaults["username"], auth_password=defaults["password"],
            # The lab's host keys are in INVENTORY_DIR/known_hosts under
            # [host]:port, which scrapli's key lookup (by host alone) misses.
            auth_strict_key=False,
            transport="paramiko", timeout_socket=10, timeout_transport=20, timeout_ops=20,
        )
        if variant:
            kwargs["variant"] = variant
        if platform == "vyos":
            # VyOS pages long output through `less` at the terminal's height;
            # scrapli's on-open only widens the terminal (`stty cols`), so a
            # scrapli user turns paging off as the VyOS CLI does.
            from scrapli_community.vyos.vyos.sync_driver import default_sync_on_open

            def on_open(conn):
                default_sync_on_open(conn)
                conn.send_command("set terminal length 0")

            kwargs["on_open"] = on_open
        if platform in ("cisco_ios", "cisco_xe", "cisco_asa"):
            # Where the lab's devices ask for an enable secret. Given one,
            # scrapli sends it after `enable` even when no password is asked
            # (EOS without an enable secret then refuses it as a command).
            kwargs["auth_secondary"] = secret
        started = time.monotonic()
        session = io.BytesIO()
        kwargs["channel_log"] = session
        conn = Scrapli(**kwargs)
        conn.open()
        opened = session.getvalue().decode(errors="replace")
        # scrapli-community's VRP on-open writes `screen-width 256` and `y`
        # blind, knowing some releases refuse them; other refusals count.
        if platform != "huawei_vrp":
            record["on_open_refused"] = [r for r in REFUSALS if r in opened]
        record["prompt"] = conn.get_prompt()
        out = conn.send_command(show)
        record["show_failed"] = out.failed
        record["version_seen"] = version in out.result
        config = conn.send_command(long)
        record["long_failed"] = config.failed
        record["long"] = config.result
        record["pager_seen"] = [p for p in PAGERS if p in config.result + out.result]
        # The prompt ends each command's output, never inside it.
        record["prompt_in_output"] = record["prompt"].strip() in config.result
        conn.close()
        record["seconds"] = round(time.monotonic() - started, 2)
    except Exception as e:  # report, do not stop the sweep
        record["error"] = f"{type(e).__name__}: {e}"
    ok = not record.get("error") and record.get("version_seen") \
        and not record.get("show_failed") and not record.get("long_failed") \
        and not record.get("pager_seen") and not record.get("prompt_in_output") \
        and not record.get("on_open_refused")
    record["ok"] = bool(ok)
    failures += 0 if ok else 1
    print(json.dumps(record), flush=True)
sys.exit(1 if failures else 0)
