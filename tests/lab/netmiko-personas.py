"""Drive every device of a `netrun lab` inventory with Netmiko, a client netrun
did not write: log in with the device's Netmiko device_type, run a show command,
push one configuration line (committing where the platform needs it) and read it
back from the running configuration. Prints one JSON object per device and exits
non-zero when any device does not behave like its platform.

usage: netmiko-personas.py INVENTORY_DIR [NTP_SERVER]
"""
import json
import sys
from pathlib import Path

import yaml
from netmiko import ConnectHandler

inv = Path(sys.argv[1])
ntp = sys.argv[2] if len(sys.argv) > 2 else "192.0.2.77"
hosts = yaml.safe_load((inv / "hosts.yaml").read_text())
defaults = yaml.safe_load((inv / "defaults.yaml").read_text())
secret = defaults["connection_options"]["netrun"]["extras"]["secret"]

# Per platform: Netmiko device_type, a show command, the configuration lines,
# whether they need a commit, and the command that prints the configuration.
PLATFORMS = {
    "cisco_ios": ("cisco_ios", "show version", [f"ntp server {ntp}"], False, "show running-config"),
    "cisco_xe": ("cisco_xe", "show version", [f"ntp server {ntp}"], False, "show running-config"),
    "cisco_nxos": ("cisco_nxos", "show version", [f"ntp server {ntp}"], False, "show running-config"),
    "cisco_xr": ("cisco_xr", "show version", [f"ntp server {ntp}"], True, "show running-config"),
    "cisco_asa": ("cisco_asa", "show version", [f"ntp server {ntp}"], False, "show running-config"),
    "arista_eos": ("arista_eos", "show version", [f"ntp server {ntp}"], False, "show running-config"),
    "juniper_junos": ("juniper_junos", "show version", [f"set system ntp server {ntp}"], True,
                      "show configuration | display set"),
    "paloalto_panos": ("paloalto_panos", "show system info",
                       [f"set deviceconfig system ntp-servers primary-ntp-server ntp-server-address {ntp}"],
                       True, "show config running"),
    "vyos": ("vyos", "show version", [f"set system ntp server {ntp}"], True,
             "show configuration commands"),
    "fortinet": ("fortinet", "get system status", ["config system dns", f"set primary {ntp}", "end"],
                 False, "show system dns"),
    "huawei_vrp": ("huawei", "display version", [f"ntp-service unicast-server {ntp}"], False,
                   "display current-configuration"),
    "hp_comware": ("hp_comware", "display version", [f"ntp-service unicast-server {ntp}"], False,
                   "display current-configuration"),
    "aruba_aoscx": ("aruba_aoscx", "show version", [f"ntp server {ntp}"], False, "show running-config"),
    "hp_procurve": ("hp_procurve", "show version", [f"ntp server {ntp}"], False, "show running-config"),
    "dell_os10": ("dell_os10", "show version", [f"ntp server {ntp}"], False,
                  "show running-configuration"),
    "nokia_sros": ("nokia_sros", "show system information",
                   [f"/configure system time ntp server {ntp}"], True, "admin show configuration"),
    "mikrotik_routeros": ("mikrotik_routeros", "/system resource print",
                          [f"/system ntp client servers add address={ntp}"], False, "/export"),
    "linux": ("linux", "cat /etc/os-release", [], False, ""),
}

failures = 0
for name, h in sorted(hosts.items()):
    platform = h.get("platform") or "cisco_ios"
    if platform not in PLATFORMS:
        continue
    device_type, show, lines, commit, show_config = PLATFORMS[platform]
    version = h["data"].get("os_version", "")
    if platform == "huawei_vrp" and version.startswith(("V300", "V800")):
        # VRP8 (CE, NE): two-stage commit.
        device_type, commit = "huawei_vrpv8", True
    if platform == "nokia_sros" and version.startswith("B-19"):
        # Classic CLI: one-line configuration commands, applied at once.
        lines, commit, show_config = [f"configure system time ntp server {ntp}"], False, \
            "admin display-config"
    record = {"device": name, "platform": platform, "device_type": device_type}
    try:
        conn = ConnectHandler(device_type=device_type, host=h["hostname"], port=h["port"],
                              username=defaults["username"], password=defaults["password"],
                              secret=secret, allow_agent=False, use_keys=False,
                              ssh_config_file=None, fast_cli=True, timeout=20)
        conn.enable()
        record["prompt"] = conn.find_prompt()
        out = conn.send_command(show)
        record["version_seen"] = version in out
        bad = conn.send_command("bogus-command-xyz")
        record["bogus_refused"] = bad.strip() != "" and version not in bad
        if not lines:
            record["config_seen"] = True
        else:
            if commit:
                conn.send_config_set(lines, exit_config_mode=False)
                conn.commit()
                conn.exit_config_mode()
            else:
                conn.send_config_set(lines)
            record["config_seen"] = ntp in conn.send_command(show_config)
        conn.disconnect()
    except Exception as e:  # report, do not stop the sweep
        record["error"] = f"{type(e).__name__}: {e}"
    ok = not record.get("error") and record.get("version_seen") and record.get("config_seen") \
        and record.get("bogus_refused")
    record["ok"] = bool(ok)
    failures += 0 if ok else 1
    print(json.dumps(record), flush=True)
sys.exit(1 if failures else 0)
