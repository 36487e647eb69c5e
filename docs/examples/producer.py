#!/usr/bin/env python3
"""Publish messages to Conveyor over HTTP, then (optionally) wait for their outcome.

Standard library only. Reads JSON lines {"pipeline": ..., "id": ..., "payload": {...}} ("id"
optional) from a file or stdin, sends them to the dispatcher's POST /messages in batches, waits
and retries on 429/503 as Retry-After says, and prints one line per message: its line number,
task id and stream id. With --patrol it then polls patrol's GET /tasks/<id> until each task has
finished or was rejected, and prints its outcome.

    python3 producer.py --dispatcher http://127.0.0.1:8080 messages.jsonl
    python3 producer.py --dispatcher http://dispatcher:8080 --patrol http://patrol:8080 \
        --token "$CONVEYOR_ADMIN_TOKEN" messages.jsonl

Exit status: 0 all published (and, with --patrol, all finished delivered), 1 a message was
refused or a task did not end delivered, 2 usage or connection errors.
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request

# Below the dispatcher's body limit (CONVEYOR_MAX_ENTRY_BYTES + 64 KiB, 1.06 MiB by default).
BATCH_BYTES = 512 * 1024
BATCH_LINES = 500


def request(method, url, token, body=None, content_type="application/x-ndjson"):
    """(status, headers, parsed JSON body) of one HTTP request; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            answer = json.loads(raw or b"null")
        except ValueError:
            answer = {"error": raw.decode("utf-8", "replace")}
        return e.code, e.headers, answer


def publish(dispatcher, token, numbers, lines):
    """Sends one batch until it is answered 202 or 400; returns the answer's JSON."""
    body = ("\n".join(lines) + "\n").encode("utf-8")
    while True:
        status, headers, answer = request("POST", dispatcher + "/messages", token, body)
        if status in (202, 400):
            for item in answer.get("published", []) + answer.get("refused", []):
                if item["line"] > 0:  # the body's line number -> the file's
                    item["line"] = numbers[item["line"] - 1]
            return status, answer
        if status in (429, 503):
            wait = float(headers.get("Retry-After") or 1)
            print(f"# {status}: {answer.get('error')}; again in {wait:g}s", file=sys.stderr)
            time.sleep(wait)
            continue
        raise SystemExit(f"producer: POST /messages answered {status}: {answer}")


def batches(lines):
    """(line numbers, lines) of the non-blank lines, in batches below BATCH_BYTES and BATCH_LINES."""
    numbers, batch, size = [], [], 0
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if batch and (size + len(line) + 1 > BATCH_BYTES or len(batch) >= BATCH_LINES):
            yield numbers, batch
            numbers, batch, size = [], [], 0
        numbers.append(number)
        batch.append(line)
        size += len(line.encode("utf-8")) + 1
    if batch:
        yield numbers, batch


def wait_for(patrol, token, task_ids, timeout):
    """Polls GET /tasks/<id> until every task finished or was rejected; returns their reports."""
    done, deadline = {}, time.monotonic() + timeout
    while len(done) < len(task_ids) and time.monotonic() < deadline:
        for task_id in task_ids:
            if task_id in done:
                continue
            status, _, report = request("GET", f"{patrol}/tasks/{task_id}", token)
            if status == 200 and (report.get("outcome") or report.get("state") == "rejected"):
                done[task_id] = report
        if len(done) < len(task_ids):
            time.sleep(0.5)
    return done


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="JSON lines of messages, - for stdin")
    parser.add_argument("--dispatcher", default="http://127.0.0.1:8080")
    parser.add_argument("--patrol", help="wait for the outcomes at this patrol's HTTP")
    parser.add_argument("--token", help="the admin token, if the daemons have one")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait, --patrol")
    args = parser.parse_args()

    source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    published, refused = [], 0
    try:
        with source:
            for numbers, batch in batches(source):
                status, answer = publish(args.dispatcher, args.token, numbers, batch)
                for p in answer.get("published", []):
                    print(f"{p['line']}\t{p['task_id']}\t{p['stream_id']}")
                    published.append(p["task_id"])
                for r in answer.get("refused", []):
                    print(f"line {r['line']}: {r['reason']}: {r['detail']}", file=sys.stderr)
                    refused += 1
    except (urllib.error.URLError, OSError) as e:
        print(f"producer: {e}", file=sys.stderr)
        return 2
    if refused:
        return 1
    if not args.patrol:
        return 0
    reports = wait_for(args.patrol, args.token, published, args.timeout)
    ok = True
    for task_id in published:
        r = reports.get(task_id)
        ending = "unfinished" if r is None else r.get("outcome") or r.get("reason")
        print(f"{task_id}\t{ending}")
        ok = ok and ending == "delivered"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
