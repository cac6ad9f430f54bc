"""Peer clients for scripts/peer-bench.sh: `show version` + TextFSM parse on
every device of a lab inventory, with scrapli (asyncio, asyncssh) or netmiko
(threads), as their users write it; each prints one JSON object (ok, failed,
per-device latencies). `bench` runs both and netrun (`exec "show version"`,
parsed by its driver; cold with an empty compiled-code cache, and warm),
each in its own measured process, in rounds that run them all in turn, and
prints each one's median run and the ratios."""

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import time

import yaml


def hosts(inventory_dir):
    with open(os.path.join(inventory_dir, "hosts.yaml")) as f:
        hosts = yaml.safe_load(f)
    with open(os.path.join(inventory_dir, "defaults.yaml")) as f:
        defaults = yaml.safe_load(f) or {}
    for name, h in hosts.items():
        yield {
            "name": name,
            "host": h.get("hostname", name),
            "port": int(h.get("port", 22)),
            "username": h.get("username", defaults.get("username")),
            "password": h.get("password", defaults.get("password")),
            "platform": h.get("platform", defaults.get("platform", "cisco_ios")),
            # The enable secret: scrapli's IOS driver enters privileged exec
            # on open, as its users' scripts do.
            "secret": ((defaults.get("connection_options") or {}).get("netrun") or {})
            .get("extras", {})
            .get("secret", ""),
        }


def run_scrapli(devices, concurrency, known_hosts):
    import asyncio

    from scrapli.driver.core import AsyncIOSXEDriver

    async def one(d, gate):
        async with gate:
            started = time.monotonic()
            conn = AsyncIOSXEDriver(
                host=d["host"],
                port=d["port"],
                auth_username=d["username"],
                auth_password=d["password"],
                auth_secondary=d["secret"],
                # scrapli looks a key up by host name alone, not
                # `[host]:port`: with every lab device on 127.0.0.1 it cannot
                # pick one device's key, so it checks none (a cost netrun and
                # netmiko pay and scrapli does not: the ratio favours scrapli).
                auth_strict_key=False,
                transport="asyncssh",
                timeout_socket=30,
                timeout_transport=60,
                timeout_ops=60,
            )
            try:
                async with conn:
                    response = await conn.send_command("show version")
                    parsed = response.textfsm_parse_output()
                    if not parsed:
                        raise RuntimeError("show version did not parse")
                return (time.monotonic() - started) * 1e3, None
            except Exception as e:  # one record per device, as the others
                return None, f"{d['name']}: {e!r}"

    async def main():
        gate = asyncio.Semaphore(concurrency)
        return await asyncio.gather(*(one(d, gate) for d in devices))

    return asyncio.run(main())


def run_netmiko(devices, concurrency, known_hosts):
    from concurrent.futures import ThreadPoolExecutor

    from netmiko import ConnectHandler

    def one(d):
        started = time.monotonic()
        try:
            conn = ConnectHandler(
                device_type="cisco_ios",
                host=d["host"],
                port=d["port"],
                username=d["username"],
                password=d["password"],
                ssh_strict=True,
                system_host_keys=False,
                alt_host_keys=True,
                alt_key_file=known_hosts,
                secret=d["secret"],
                fast_cli=True,
            )
            try:
                # Privileged exec, as scrapli and netrun open sessions:
                # netmiko users call enable() on a device that lands at `>`.
                if not conn.check_enable_mode():
                    conn.enable()
                parsed = conn.send_command("show version", use_textfsm=True)
                if not isinstance(parsed, list) or not parsed:
                    raise RuntimeError("show version did not parse")
            finally:
                conn.disconnect()
            return (time.monotonic() - started) * 1e3, None
        except Exception as e:
            return None, f"{d['name']}: {e!r}"

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, devices))


def measure(cmd, out_file=None):
    """Run `cmd` to its end; its wall time, CPU (user + system) and peak
    RSS from wait4, so only that process is counted."""
    started = time.monotonic()
    stdout = open(out_file, "w") if out_file else subprocess.PIPE
    proc = subprocess.Popen(cmd, stdout=stdout, stdin=subprocess.DEVNULL)
    text = proc.stdout.read().decode() if proc.stdout else ""
    _, status, ru = os.wait4(proc.pid, 0)
    return {
        "wall_s": time.monotonic() - started,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "peak_rss_mib": ru.ru_maxrss / 1024.0,
        "exit": os.waitstatus_to_exitcode(status),
    }, text


def percentile(v, p):
    if not v:
        return 0
    rank = max(1, min(len(v), -(-len(v) * p // 100)))
    return round(v[int(rank) - 1])


def floor_row(a, lines):
    """`netrun bench --floor-only` over the inventory, typing `lines` (none:
    `show version` alone), measured alone; its row of the table."""
    usage, text = measure([a.netrun, "bench", "--floor-only", "--inventory-dir", a.inventory_dir,
                           "--concurrency", str(a.concurrency)]
                          + [f"--floor-line={line}" for line in lines])
    try:
        r = json.loads(text)
    except ValueError:
        print(f"  russh floor: exit code {usage['exit']}, no figures", file=sys.stderr)
        return dict(usage, ok=0, failed=1, latencies=[])
    return dict(usage, ok=len(r["latencies_ms"]), failed=len(r["failures"]),
                latencies=sorted(r["latencies_ms"]))


# TCP states of a connection still open at either end (/proc/net/tcp's
# hex codes): established, FIN-WAIT-1/2, CLOSE-WAIT, LAST-ACK, CLOSING.
# TIME-WAIT (06) is the kernel's alone, and LISTEN (0A) the simulator's.
OPEN_TCP_STATES = {"01", "04", "05", "08", "09", "0B"}


def open_sessions(ports):
    """Connections to or from `ports` on this machine not yet closed at both ends."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, remote, state = fields[1], fields[2], fields[3]
                    if state not in OPEN_TCP_STATES:
                        continue
                    lport = int(local.rsplit(":", 1)[1], 16)
                    rport = int(remote.rsplit(":", 1)[1], 16)
                    if lport in ports or rport in ports:
                        count += 1
        except OSError:
            continue
    return count


def settle(ports, quiet=0.3, most=20.0):
    """Wait until the last client's sessions to the devices are closed at both
    ends, then `quiet` seconds more, so a run does not share the machine with
    the simulator tearing down the run before it (every contender waits
    alike). Gives up after `most` seconds and says so."""
    started = time.monotonic()
    while (still := open_sessions(ports)):
        if time.monotonic() - started > most:
            print(f"  (the simulator still had {still} sessions open after "
                  f"{most:.0f} s; measuring anyway)", file=sys.stderr)
            break
        time.sleep(0.05)
    time.sleep(quiet)


def median_run(runs):
    """The run whose client CPU is the median of `runs` (the lower middle
    one of an even count), whole: its wall time, RSS and latencies too."""
    return sorted(runs, key=lambda r: r["cpu_s"])[(len(runs) - 1) // 2]


def bench(a):
    def peer(client):
        def run():
            usage, text = measure([sys.executable, __file__, client, "--inventory-dir",
                                   a.inventory_dir, "--concurrency", str(a.concurrency)])
            r = json.loads(text)
            for f in r["failures"]:
                print(f"  {client}: {f}", file=sys.stderr)
            return dict(usage, ok=r["ok"], failed=r["failed"], latencies=r["latencies_ms"])
        return run

    cache = os.path.join(a.scratch, "cache")
    os.environ["XDG_CACHE_HOME"] = cache

    def netrun(env, extra):
        def run():
            if env == "cold":
                shutil.rmtree(cache, ignore_errors=True)
            records = os.path.join(a.scratch, f"records-{env}.jsonl")
            # A run that stops before writing leaves no records, not the last run's.
            if os.path.exists(records):
                os.remove(records)
            usage, _ = measure([a.netrun, "exec", "show version", "-i", a.inventory_dir,
                                "--concurrency", str(a.concurrency), "-o", records] + extra, os.devnull)
            ok = failed = 0
            latencies = []
            with open(records) if os.path.exists(records) else io.StringIO() as f:
                for line in f:
                    rec = json.loads(line)
                    parsed = rec.get("data", {}).get("commands", [{}])[0].get("parsed")
                    if rec["status"] == "ok" and parsed:
                        ok += 1
                    else:
                        # The first few of a run, as the peers' failures are:
                        # a run where every device failed says why once.
                        if failed < 3:
                            why = (rec.get("error") or {}).get("message") or "no parsed `show version`"
                            print(f"  netrun {env}: {rec.get('device')}: {why}", file=sys.stderr)
                        failed += 1
                    latencies.append(rec["elapsed_ms"])
            if usage["exit"] != 0 and not ok and not failed:
                print(f"  netrun {env}: exit code {usage['exit']}, no records", file=sys.stderr)
                failed = 1
            return dict(usage, ok=ok, failed=failed, latencies=sorted(latencies))
        return run

    # The warm run again without the post-quantum hybrid key exchange
    # (ML-KEM-768 + X25519), which netrun offers first as OpenSSH 10 and
    # asyncssh 2.24 do: where the devices offer it too, this row tells what
    # the hybrid exchange costs a device (equal to warm where they do not).
    no_pq = os.path.join(a.scratch, "no-mlkem.ssh_config")
    with open(no_pq, "w") as f:
        f.write("Host *\n  KexAlgorithms -mlkem768x25519-sha256\n")
    contenders = {
        "scrapli": peer("scrapli"),
        "netmiko": peer("netmiko"),
        # cold: the compiled-code cache emptied before each of its runs.
        "netrun cold": netrun("cold", []),
        "netrun warm": netrun("warm", []),
        "netrun no PQ": netrun("warm", ["--ssh-config", no_pq]),
        # The floor: bare russh sessions (connect, log in, a PTY, `show
        # version`, no plugins, no parsing, none of the set-up commands a CLI
        # session types), what no SSH client in this process model gets below.
        "russh floor": lambda: floor_row(a, []),
        # The same floor typing what a CLI session types for this job
        # (netrun, scrapli and netmiko alike): the Enter that confirms the
        # prompt, `enable` where the device lands at `>`, the paging and
        # width set-up, then `show version`: the wire work of the job with no
        # client around it.
        "floor, same": lambda: floor_row(
            a, ["", *([] if a.lands_privileged else ["enable"]), "terminal length 0",
                "terminal width 511", "show version"]),
    }
    # One unmeasured warm run first: it fills the cache the warm rows use,
    # and takes the first sessions a simulator serves after starting (slower
    # on some, e.g. Python servers importing as they go) off every row.
    netrun("warm", [])()
    # Rounds, each running every contender in turn and starting one further
    # along than the round before: a machine whose speed drifts weighs on
    # all of them alike; each row is its median run. Before each run the
    # previous client's sessions are let close (`settle`): a simulator
    # tearing them down (a thread or a process a session) would otherwise
    # share the cores with whichever client runs next.
    labels = list(contenders)
    runs = {label: [] for label in labels}
    ports = {h["port"] for h in hosts(a.inventory_dir)}
    for r in range(a.rounds):
        for i in range(len(labels)):
            label = labels[(r + i) % len(labels)]
            settle(ports)
            runs[label].append(contenders[label]())
    rows = {label: dict(median_run(runs[label]),
                        failed=sum(x["failed"] for x in runs[label]),
                        cpu_runs=[x["cpu_s"] for x in runs[label]])
            for label in labels}
    n = max(1, len(list(hosts(a.inventory_dir))))
    print(f"peer bench: `show version` + parse on {n} devices, concurrency {a.concurrency}; "
          f"each row its median run of {a.rounds} (failed: over all runs)")
    print(f"  {'':<12} {'ok':>5} {'failed':>6} {'wall s':>7} {'CPU s':>7} {'CPU/dev ms':>10} "
          f"{'RSS MiB':>8} {'p50 ms':>7} {'p99 ms':>7}  CPU s of each run")
    for label, r in rows.items():
        print(f"  {label:<12} {r['ok']:>5} {r['failed']:>6} {r['wall_s']:>7.2f} {r['cpu_s']:>7.2f} "
              f"{r['cpu_s'] * 1e3 / n:>10.2f} {r['peak_rss_mib']:>8.1f} "
              f"{percentile(r['latencies'], 50):>7} {percentile(r['latencies'], 99):>7}  "
              + " ".join(f"{c:.2f}" for c in r["cpu_runs"]))
    def times(label, than, suffix=""):
        """How many times `than`'s client CPU is `label`'s, or why there is
        no ratio: a row with failed devices did less work than the other."""
        failed = [f"{x} failed {rows[x]['failed']}" for x in (label, than) if rows[x]["failed"]]
        if failed:
            return "no ratio (" + ", ".join(failed) + ")"
        return f"{rows[than]['cpu_s'] / max(rows[label]['cpu_s'], 1e-9):.{2 if than.startswith('netrun') else 1}f}x{suffix}"

    for label in ["netrun cold", "netrun warm", "netrun no PQ"]:
        print(f"  client CPU, {label} vs scrapli: {times(label, 'scrapli', ' less')}; "
              f"vs netmiko: {times(label, 'netmiko', ' less')}")
    print(f"  client CPU, netrun warm vs the russh floor: {times('russh floor', 'netrun warm')}; "
          f"scrapli vs the floor: {times('russh floor', 'scrapli')}")
    print(f"  client CPU vs the floor typing the same lines: netrun warm {times('floor, same', 'netrun warm')}, "
          f"scrapli {times('floor, same', 'scrapli')}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({k: {kk: vv for kk, vv in v.items() if kk != "latencies"}
                       for k, v in rows.items()}, f, indent=1)
    return 0 if all(r["failed"] == 0 for r in rows.values()) else 2


def main():
    p = argparse.ArgumentParser()
    p.add_argument("client", choices=["scrapli", "netmiko", "bench"])
    p.add_argument("--inventory-dir", required=True)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--netrun", help="netrun binary (bench)")
    p.add_argument("--scratch", help="folder for records and the empty cache (bench)")
    p.add_argument("--json", help="also write the figures here (bench)")
    p.add_argument("--rounds", type=int, default=3,
                   help="runs of each contender, in turn; each row is its median run (bench)")
    p.add_argument("--lands-privileged", action="store_true",
                   help="the devices log in at `#`: the floor types no `enable` (bench)")
    a = p.parse_args()
    if a.client == "bench":
        sys.exit(bench(a))
    devices = list(hosts(a.inventory_dir))
    known_hosts = os.path.join(a.inventory_dir, "known_hosts")
    run = run_scrapli if a.client == "scrapli" else run_netmiko
    results = run(devices, a.concurrency, known_hosts)
    latencies = sorted(ms for ms, err in results if err is None)
    failures = [err for ms, err in results if err is not None]
    json.dump({"ok": len(latencies), "failed": len(failures),
               "latencies_ms": latencies, "failures": failures[:5]}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
