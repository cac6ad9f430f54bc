"""netrun parse against Python textfsm 2.1.0 (clitable, as ntc-templates'
parse_output runs it) on the test corpus of ntc-templates 1.4.0: every
`tests/PLATFORM/COMMAND/CASE.raw`, found through the index of the templates
folder given (the 9.3.0 package's by default, so today's templates meet
real outputs they were not all written for). Prints the tally and each case
where the two differ.

  scripts/install-plugin-tools.sh
  ~/.cache/netrun-tools/venv/bin/python textfsm/tests/ntc_corpus_diff.py \
      --netrun target/release/netrun [--templates DIR]
"""
import argparse
import collections
import json
import os
import pathlib
import subprocess

from textfsm import clitable
from ntc_templates.parse import _get_template_dir


def python_records(table, platform, command, text):
    try:
        table.ParseCmd(text, {"Command": command, "Platform": platform})
    except Exception as e:  # what failed is compared, not why
        return {"error": type(e).__name__}
    return {"records": [dict(zip([h.lower() for h in table.header], row)) for row in table]}


def netrun_records(netrun, templates, platform, command, text):
    p = subprocess.run(
        [netrun, "parse", "--platform", platform, "--command", command, "--templates", templates, "-"],
        input=text.encode(), capture_output=True)
    line = p.stdout.decode().strip()
    v = json.loads(line) if line else {"error": p.stderr.decode()[:200]}
    return {"records": v} if isinstance(v, list) else {"error": v.get("error", "")}


def main():
    tools = pathlib.Path(os.environ.get("NETRUN_TOOLS_DIR", pathlib.Path.home() / ".cache/netrun-tools"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--netrun", required=True)
    ap.add_argument("--templates", default=_get_template_dir())
    ap.add_argument("--corpus", default=tools / "ntc-templates-1.4.0" / "tests")
    a = ap.parse_args()
    table = clitable.CliTable("index", str(a.templates))
    tally, differ = collections.Counter(), []
    for raw in sorted(pathlib.Path(a.corpus).glob("*/*/*.raw")):
        platform, command = raw.parent.parent.name, raw.parent.name.replace("_", " ")
        text = raw.read_bytes().decode("utf-8", "replace")
        py = python_records(table, platform, command, text)
        nr = netrun_records(a.netrun, str(a.templates), platform, command, text)
        if "records" in py and "records" in nr:
            same = py["records"] == nr["records"]
        else:
            same = "error" in py and "error" in nr
        key = ("same records" if "records" in py else "both refuse") if same else "DIFFER"
        tally[key] += 1
        if not same:
            differ.append(f"{raw}: python {str(py)[:150]} / netrun {str(nr)[:150]}")
    print(dict(tally))
    print("\n".join(differ))
    raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
