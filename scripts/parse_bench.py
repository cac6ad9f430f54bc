#!/usr/bin/env python3
"""Time `netrun parse` (a whole process per file) against Python TextFSM on
the same large outputs: pre-compiled `textfsm.TextFSM` (ParseText only) and
`ntc_templates.parse.parse_output` (index lookup included, index cached after
a warm-up), and check that all three give the same records.

Run through scripts/parse-bench.sh, which builds netrun and finds the venv.
"""

import argparse
import io
import json
import os
import pathlib
import random
import statistics
import sys
import tempfile
import time

import textfsm
from ntc_templates.parse import _get_template_dir, parse_output

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "plugins/cisco-ios/tests/fixtures"


def show_ip_interface_brief(rows, rng):
    out = ["Interface              IP-Address      OK? Method Status                Protocol"]
    for i in range(rows):
        name = f"GigabitEthernet{i // 2304}/{(i // 48) % 48}/{i % 48}"
        addr = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" if rng.random() < 0.7 else "unassigned"
        method = "NVRAM" if addr != "unassigned" else "unset"
        status, proto = rng.choice([("up", "up"), ("down", "down"), ("administratively down", "down")])
        out.append(f"{name:<23}{addr:<16}YES {method:<7}{status:<22}{proto}")
    return "\n".join(out) + "\n"


def show_interfaces(blocks, rng):
    block = """GigabitEthernet{slot}/{port} is {state}, line protocol is {proto} 
  Hardware is CN Gigabit Ethernet, address is 5475.d0{a:02x}.{b:04x} (bia 5475.d0{a:02x}.{b:04x})
  Description: {desc}
  Internet address is 10.{a}.{c}.1/24
  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec, 
     reliability 255/255, txload 1/255, rxload 1/255
  Encapsulation ARPA, loopback not set
  Keepalive set (10 sec)
  Full Duplex, 1Gbps, media type is RJ45
  output flow-control is unsupported, input flow-control is unsupported
  ARP type: ARPA, ARP Timeout 04:00:00
  Last input 00:00:0{c1}, output 00:00:0{c2}, output hang never
  Last clearing of "show interface" counters never
  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: {drops}
  Queueing strategy: fifo
  Output queue: 0/40 (size/max)
  5 minute input rate {rate_in} bits/sec, {pps_in} packets/sec
  5 minute output rate {rate_out} bits/sec, {pps_out} packets/sec
     {pkts_in} packets input, {bytes_in} bytes, 0 no buffer
     Received {bcast} broadcasts (0 IP multicasts)
     0 runts, 0 giants, 0 throttles 
     {errs} input errors, {crc} CRC, 0 frame, 0 overrun, 0 ignored
     0 watchdog, 0 multicast, 0 pause input
     {pkts_out} packets output, {bytes_out} bytes, 0 underruns
     0 output errors, 0 collisions, 1 interface resets
     0 unknown protocol drops
     0 babbles, 0 late collision, 0 deferred
     0 lost carrier, 0 no carrier, 0 pause output
     0 output buffer failures, 0 output buffers swapped out
"""
    out = []
    for i in range(blocks):
        state, proto = rng.choice([("up", "up"), ("down", "down"), ("administratively down", "down")])
        out.append(block.format(
            slot=i // 48, port=i % 48, state=state, proto=proto, a=i % 250, b=i, c=i % 200,
            desc=f"access port {i} floor {i % 9}", c1=rng.randint(0, 9), c2=rng.randint(0, 9),
            drops=rng.randint(0, 99), rate_in=rng.randint(0, 10**8), pps_in=rng.randint(0, 10**5),
            rate_out=rng.randint(0, 10**8), pps_out=rng.randint(0, 10**5),
            pkts_in=rng.randint(0, 10**10), bytes_in=rng.randint(0, 10**12),
            bcast=rng.randint(0, 10**6), errs=rng.randint(0, 9), crc=rng.randint(0, 9),
            pkts_out=rng.randint(0, 10**10), bytes_out=rng.randint(0, 10**12)))
    return "".join(out)


# "wall": elapsed time; "cpu": CPU time of the work (this process for
# Python, the netrun process alone, from its own rusage), steadier on a
# loaded machine.
PYTHON_CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def netrun_timed(cmd, clock, out_path=os.devnull):
    """Seconds of one `netrun parse` process, from spawn to exit, its
    stdout written to `out_path`: posix_spawn (vfork, so no copy of this
    Python process is made, torn down or charged to the child) and wait4
    (the child's own rusage). The timed runs print to /dev/null: piping the
    output into this process would time Python's reading of it, and a file
    rewritten in place its filesystem's flushing (ext4 writes a truncated
    and rewritten file out at close); netrun formats every record either way."""
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(cmd[0], cmd, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, fd, 1)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(fd)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed (exit {os.waitstatus_to_exitcode(status)})")
    return wall if clock == "wall" else usage.ru_utime + usage.ru_stime


def python_timed(fn, clock):
    """Seconds `fn()` takes on `clock`."""
    start = PYTHON_CLOCKS[clock]()
    fn()
    return PYTHON_CLOCKS[clock]() - start


def interleaved_medians(contenders, runs):
    """Median seconds of each contender (a function returning the seconds
    one run took), run in turn run after run, each run starting with the
    next contender: a machine whose speed drifts slows them alike (on these
    VMs a 12 ms parse takes 17 ms for stretches of a few seconds), and none
    always runs right after parse_output's quarter second of work."""
    times = [[] for _ in contenders]
    for run in range(runs):
        for i in range(len(contenders)):
            k = (run + i) % len(contenders)
            times[k].append(contenders[k]())
    return [statistics.median(t) for t in times]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--netrun", required=True, help="the netrun binary (release build)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    ap.add_argument("--clock", choices=sorted(PYTHON_CLOCKS), default="wall",
                    help="wall time, or CPU time of the process doing the work")
    ap.add_argument("--scale", type=int, default=1,
                    help="multiply the large inputs (10: 50,000 rows and 5,000 blocks)")
    args = ap.parse_args()
    templates = _get_template_dir()
    rng = random.Random(14)
    cases = [
        ("show ip interface brief", f"{5000 * args.scale:,} rows", show_ip_interface_brief(5000 * args.scale, rng)),
        ("show interfaces", f"{500 * args.scale:,} blocks", show_interfaces(500 * args.scale, rng)),
        ("show version", "C9300, IOS-XE 17.3", (FIXTURES / "show_version/ios_xe_17_3_c9300.raw").read_text()),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for command, what, text in cases:
            path = pathlib.Path(tmp) / (command.replace(" ", "_") + ".txt")
            path.write_text(text)
            mb = len(text.encode()) / 1e6
            cmd = [args.netrun, "parse", "--platform", "cisco_ios", "--command", command,
                   "--templates", templates, str(path)]
            out_path = pathlib.Path(tmp) / (command.replace(" ", "_") + ".json")
            netrun_timed(cmd, args.clock, out_path)  # the records, checked below
            py = parse_output(platform="cisco_ios", command=command, data=text)  # warms the index cache
            template = pathlib.Path(templates) / f"cisco_ios_{command.replace(' ', '_')}.textfsm"
            fsm = textfsm.TextFSM(io.StringIO(template.read_text()))

            def precompiled():
                fsm.Reset()
                fsm.ParseText(text)

            netrun_s, precompiled_s, parse_output_s = interleaved_medians([
                lambda: netrun_timed(cmd, args.clock),
                lambda: python_timed(precompiled, args.clock),
                lambda: python_timed(
                    lambda: parse_output(platform="cisco_ios", command=command, data=text), args.clock),
            ], args.runs)
            same = json.loads(out_path.read_text()) == py
            rows.append({
                "command": command, "input": what, "mb": mb, "records": len(py), "same_records": same,
                "netrun_s": netrun_s, "python_precompiled_s": precompiled_s,
                "python_parse_output_s": parse_output_s,
            })
    head = (f"{'input':<40} {'MB':>6} {'recs':>5} {'same':>4} | {'netrun parse':>18} | "
            f"{'textfsm.TextFSM':>18} | {'parse_output':>18} | {'vs TextFSM':>10} {'vs parse_output':>15}")
    print(f"median of {args.runs} runs (the three in turn), {args.clock} time; netrun = whole "
          "process, spawn to exit (start, index, template compile, parse, print)")
    # How the interpreter was built moves Python's side by half or more (on
    # one machine, TextFSM ran 1.6x slower on pyenv's CPython 3.11.7 than on
    # Debian's 3.11.2): say which one ran.
    print(f"python: {sys.executable} (CPython {sys.version.split()[0]}, "
          f"{os.path.realpath(sys.executable)})")
    print(head)
    print("-" * len(head))
    for r in rows:
        def cell(s):
            return f"{s * 1000:7.1f} ms {r['mb'] / s:6.2f} MB/s"
        print(f"{r['command'] + ' (' + r['input'] + ')':<40} {r['mb']:6.3f} {r['records']:5} "
              f"{'yes' if r['same_records'] else 'NO':>4} | {cell(r['netrun_s'])} | "
              f"{cell(r['python_precompiled_s'])} | {cell(r['python_parse_output_s'])} | "
              f"{r['python_precompiled_s'] / r['netrun_s']:9.1f}x {r['python_parse_output_s'] / r['netrun_s']:14.1f}x")
    if args.json:
        print(json.dumps(rows))
    return 0 if all(r["same_records"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
