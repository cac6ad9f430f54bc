#!/usr/bin/env python3
r"""Cross-application differential test: every real device output we hold,
parsed by every ntc-templates template of its platform, by netrun's TextFSM
engine and by Python textfsm 2.1.0, compared exactly.

A template meeting output it was not written for takes paths its own tests
never take: rules that almost match, `Required` values left empty, `Filldown`
across unrelated blocks, `-> Error` on a line of another command, `Continue`
chains over foreign text. The outputs are real (ntc-templates 1.4.0's test
corpus, unpacked by scripts/install-plugin-tools.sh, and this repository's
fixtures), so line endings, blanks, banners and odd characters are what
devices send. Not part of CI: it needs Python and takes a few minutes.

  cargo build --release -p netrun-textfsm --example parse_json
  nice ~/.cache/netrun-tools/venv/bin/python textfsm/tests/cross_diff.py \
      [--platform cisco_ios] [--limit N] [--outputs DIR] [--skip NAME]

Disagreements are written under target/cross_diff/ (template, input, both
answers); the exit code is 1 when there is any.
"""

import argparse
import collections
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
import warnings

import textfsm

from fuzz_diff import python_records, same

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
TEMPLATES = pathlib.Path(textfsm.__file__).parent.parent / "ntc_templates" / "templates"
TOOLS = pathlib.Path(os.environ.get("NETRUN_TOOLS_DIR", pathlib.Path.home() / ".cache/netrun-tools"))


def outputs(extra):
    """(platform, path) of every real device output on hand."""
    found = []
    for root in [TOOLS / "ntc-templates-1.4.0/tests", HERE / "corpus", *extra]:
        for p in sorted(root.glob("*/*/*.raw")):
            found.append((p.parent.parent.name, p))
    # Our own plugins' fixtures: a driver's are its platform's (cisco-ios →
    # cisco_ios), the platforms bundle's are filed by platform.
    for p in sorted((ROOT / "plugins").glob("*/tests/**/*.raw")):
        parts = p.relative_to(ROOT / "plugins").parts
        platform = parts[3] if parts[0] == "netrun-platforms" else parts[0].replace("-", "_")
        found.append((platform, p))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--platform", default="", help="only outputs of this platform")
    ap.add_argument("--limit", type=int, default=0, help="at most N outputs per platform")
    ap.add_argument("--skip", action="append", default=[],
                    help="leave out templates whose name contains this (repeatable): "
                    "Python backtracks for seconds with some on foreign output")
    ap.add_argument("--work", default=str(TARGET / "cross_diff"))
    ap.add_argument("--bin", default=str(TARGET / "release/examples/parse_json"))
    ap.add_argument("--outputs", action="append", default=[], type=pathlib.Path,
                    help="more outputs: DIR/PLATFORM/ANY/NAME.raw (repeatable)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    work = pathlib.Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    by_platform = collections.defaultdict(list)
    for platform, path in outputs(args.outputs):
        if args.platform in ("", platform):
            by_platform[platform].append(path)
    templates = {}
    for platform in by_platform:
        for tp in sorted(TEMPLATES.glob(f"{platform}_*.textfsm")):
            if any(part in tp.name for part in args.skip):
                continue
            try:
                templates[tp] = textfsm.TextFSM(io.StringIO(tp.read_text()))
            except Exception:  # noqa: BLE001 - a template Python refuses is not compared
                continue
    cases = []
    for platform, paths in sorted(by_platform.items()):
        if args.limit:
            paths = paths[: args.limit]
        tps = [tp for tp in templates if tp.name.startswith(platform + "_")]
        cases += [(tp, raw) for raw in paths for tp in tps]
    print(f"{len(cases)} parses: {sum(len(v) for v in by_platform.values())} outputs × "
          f"the templates of their platform ({len(templates)} templates)", flush=True)

    manifest = "".join(f"{tp}\t{raw}\n" for tp, raw in cases)
    proc = subprocess.run([args.bin], input=manifest.encode(), capture_output=True, check=True)
    answers = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(answers) == len(cases), (len(answers), len(cases))

    tally = collections.Counter()
    python_seconds = collections.Counter()
    bad = []
    for n, ((tp, raw), rs) in enumerate(zip(cases, answers)):
        if n and n % 5000 == 0:
            print(f"  {n} compared, {len(bad)} disagreements", flush=True)
        text = raw.read_bytes().decode("utf-8", "replace")
        started = time.perf_counter()
        py = python_records(templates[tp], text, seconds=2)
        python_seconds[tp.name] += time.perf_counter() - started
        if "timeout" in py:
            tally["python timed out"] += 1
            continue
        if same(py, rs):
            tally["same records" if "records" in py else "both failed"] += 1
            if "records" in py and py["records"]:
                tally["same, non-empty"] += 1
            continue
        bad.append((tp, raw, py, rs))
    for n, (tp, raw, py, rs) in enumerate(bad):
        d = work / f"{n:04d}-{tp.stem}"
        d.mkdir()
        shutil.copy(tp, d / tp.name)
        shutil.copy(raw, d / "input.raw")
        (d / "python.json").write_text(json.dumps(py, indent=1))
        (d / "netrun.json").write_text(json.dumps(rs, indent=1))
        print(f"DIFFER {tp.name} on {raw}")
    tally["disagreements"] = len(bad)
    slow = ", ".join(f"{name} {s:.1f} s" for name, s in python_seconds.most_common(3))
    print(f"Python's slowest templates here: {slow}")
    print(", ".join(f"{k}: {v}" for k, v in sorted(tally.items())))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
