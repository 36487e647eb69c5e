#!/usr/bin/env python3
"""A Conveyor command step: upper-cases the "text" of each item.

Reads one JSON request per line on stdin: {"task_id": ..., "part": ..., "input": {...}}.
Writes one JSON answer per line on stdout, in order: {"ok": true, "data": {...}} or
{"ok": false, "error": "..."}. Logs go to stderr; stdout is for answers only.
The step's options arrive as JSON in CONVEYOR_STEP_OPTIONS (here: an optional "suffix").
"""
import json
import os
import sys


def handle(item, options):
    text = item.get("text") if isinstance(item, dict) else None
    if not isinstance(text, str):
        return {"ok": False, "error": "input has no string 'text'"}
    data = {"text": text.upper() + options.get("suffix", ""), "length": len(text)}
    return {"ok": True, "data": data}


def main():
    options = json.loads(os.environ.get("CONVEYOR_STEP_OPTIONS") or "{}")
    print("upper.py ready", file=sys.stderr, flush=True)
    for line in sys.stdin:
        answer = handle(json.loads(line)["input"], options)
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
