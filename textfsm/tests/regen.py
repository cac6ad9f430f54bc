#!/usr/bin/env python3
"""Record what Python textfsm gives, as the expectations of the Rust tests.

  features/NAME.textfsm + NAME.raw  ->  NAME.json
      TextFSM(template).ParseText(raw): {"header", "rows"} and the rows as
      parse_output records ({"records"}), or the error
      class ({"template_error"} / {"parse_error"}) when Python refuses.
  corpus/PLATFORM/COMMAND/CASE.raw  ->  CASE.json
      ntc_templates.parse.parse_output(PLATFORM, COMMAND, raw); COMMAND is
      the folder name with `_` for spaces.
  python_isprintable.json
      The code point ranges str.isprintable() is false on (what repr()
      escapes in the dict text of nested-group List items), with the
      Python and Unicode versions they are from.
  plugins/*/tests/fixtures/COMMAND/CASE.raw (real device outputs of the
  first-party drivers)  ->  corpus/PLATFORM/COMMAND/plugin-CASE.json
      The same, pointing back at the raw file.

Run with the tools venv (textfsm 2.1.0, ntc-templates 9.3.0, from
scripts/install-plugin-tools.sh):

  OVERWRITE=1 ~/.cache/netrun-tools/venv/bin/python textfsm/tests/regen.py

Without OVERWRITE=1 it only reports the expectations that differ.
"""

import importlib.metadata
import io
import json
import os
import pathlib
import sys
import unicodedata

import textfsm
from textfsm import texttable
from ntc_templates.parse import parse_output

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PLUGIN_PLATFORMS = {"cisco-ios": "cisco_ios", "arista-eos": "arista_eos"}
OVERWRITE = os.environ.get("OVERWRITE") == "1"
stale = []


def emit(path, value):
    text = json.dumps(value, indent=1, ensure_ascii=False) + "\n"
    if path.exists() and path.read_text() == text:
        return
    stale.append(path.relative_to(ROOT))
    if OVERWRITE:
        path.write_text(text)


def feature(template_path):
    raw_path = template_path.with_suffix(".raw")
    raw = raw_path.read_text() if raw_path.exists() else ""
    try:
        fsm = textfsm.TextFSM(io.StringIO(template_path.read_text()))
    except textfsm.TextFSMTemplateError as e:
        return {"template_error": str(e)}
    try:
        rows = fsm.ParseText(raw)
    except textfsm.TextFSMError as e:
        return {"parse_error": str(e)}
    # The same rows as ntc-templates' parse_output gives them: through
    # clitable's TextTable (List items str()-ed), keys lower-cased.
    table = texttable.TextTable()
    table.header = fsm.header
    for row in rows:
        table.Append(row)
    records = [{table.header[i].lower(): v for i, v in enumerate(r)} for r in table]
    return {"header": fsm.header, "rows": rows, "records": records}


def corpus(platform, command, raw_path):
    raw = raw_path.read_text()
    try:
        records = parse_output(platform=platform, command=command, data=raw)
    except Exception as e:  # noqa: BLE001 - the class is the expectation
        return {"platform": platform, "command": command,
                "raw": str(raw_path.relative_to(ROOT)), "error": type(e).__name__}
    return {"platform": platform, "command": command,
            "raw": str(raw_path.relative_to(ROOT)), "records": records}


def isprintable():
    ranges = []
    for n in range(0x110000):
        if not chr(n).isprintable():
            if ranges and ranges[-1][1] == n - 1:
                ranges[-1][1] = n
            else:
                ranges.append([n, n])
    return {"python": sys.version.split()[0],
            "unicode": unicodedata.unidata_version,
            "not_printable": ranges}


def main():
    for pkg, want in (("textfsm", "2.1.0"), ("ntc-templates", "9.3.0")):
        have = importlib.metadata.version(pkg)
        if have != want:
            sys.exit(f"{pkg} {have} installed, the fixtures are for {want}")
    for t in sorted((HERE / "features").glob("*.textfsm")):
        emit(t.with_suffix(".json"), feature(t))
    emit(HERE / "python_isprintable.json", isprintable())
    for raw in sorted((HERE / "corpus").glob("*/*/*.raw")):
        command = raw.parent.name.replace("_", " ")
        emit(raw.with_suffix(".json"), corpus(raw.parent.parent.name, command, raw))
    for plugin, platform in PLUGIN_PLATFORMS.items():
        for raw in sorted((ROOT / "plugins" / plugin / "tests/fixtures").glob("*/*.raw")):
            out = HERE / "corpus" / platform / raw.parent.name / f"plugin-{raw.stem}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            emit(out, corpus(platform, raw.parent.name.replace("_", " "), raw))
    verb = "wrote" if OVERWRITE else "differ (OVERWRITE=1 to write)"
    print(f"{len(stale)} expectations {verb}")
    for p in stale:
        print(f"  {p}")
    return 0 if OVERWRITE or not stale else 1


if __name__ == "__main__":
    sys.exit(main())
