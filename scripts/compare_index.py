#!/usr/bin/env python3
"""Compare an index written before the per-method sections (version 1 or 2) with one written now (version 3) for the
same run: every old top-level field's value must be in the new file, at the top level or in the method's section.
Usage: compare_index.py OLD.sls.json NEW.sls.json  (exit 1 and the differing fields when one is not)."""
import json
import sys

SKIP = {"version", "method_seconds", "created"}  # differ between any two runs

old, new = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
section = new.get(new["method"], {})
bad = []
for key, value in old.items():
    if key in SKIP:
        continue
    now = new[key] if key in new else section.get(key, "<missing>")
    if now != value:
        bad.append(f"{key}: {json.dumps(value)[:80]} -> {json.dumps(now)[:80]}")
moved = sorted(k for k in old if k not in new and k in section)
print(f"{len(old) - len(SKIP & old.keys())} fields compared, {len(moved)} moved into '{new['method']}': {', '.join(moved)}")
for line in bad:
    print("differs:", line)
sys.exit(1 if bad else 0)
