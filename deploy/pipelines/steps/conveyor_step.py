"""conveyor_step: write a Conveyor `command` step as a function, not as a protocol.

Standard library only (numpy is used when present, for `Context.array`). Put this file next to
the step program (deploy/pipelines/steps/ holds it) and:

    import conveyor_step

    def setup(ctx):                      # optional: once per worker process, before any item
        return load_model(ctx.options["model"])

    def handle(data, ctx):               # one item: its input in, its output out
        if "text" not in data:
            raise conveyor_step.ItemError("input has no 'text'")
        return {"labels": ctx.state.predict(data["text"])}

    if __name__ == "__main__":
        conveyor_step.run(handle, setup=setup)

or, to see a whole batch at once (vectorised models), `conveyor_step.run(batch=fn)` with
`fn(items, ctx)` returning one output (or an `ItemError`) per `Item(task_id, part, input)`, in
order.

What it does for the step:
- the protocol (docs/pipelines.md, "command steps"): the hello line `{"hello": {"batch": true}}`
  first, then requests in the batch form `{"batch": [{"seq", "task_id", "part", "input"}, ...]}`
  or the one-item form; one answer line per item, in order, `{"seq": n, "ok": true, "data": ...}`
  or `{"seq": n, "ok": false, "error": "..."}`. Answers are flushed at the end of each batch and
  at least every `FLUSH_EVERY` seconds, so a slow batch keeps the processor informed.
- per-item errors: `ItemError("why")` fails the item with that message; any other exception
  fails it with `<ExceptionType>: <message>` and a log line; the worker goes on. A setup that
  raises ends the worker (exit code 2) with one log line: the processor logs it and restarts it.
- `ctx.options` (the step's `options:`), `ctx.step`, `ctx.worker` (0, 1, ... of `workers`),
  `ctx.state` (what setup returned), `ctx.item` (the item being handled, in `handle`).
- resources (the step's `resources:`): `ctx.resource(name)`, a read-only memoryview of the
  memory-mapped file (every worker maps the same pages); `ctx.array(name, dtype)`, a read-only
  numpy.memmap of it; `ctx.resource_path(name)`.
- `ctx.log(event, **fields)`: one key=value line on stderr, which the processor logs as
  `event=worker_stderr`.
"""

import json
import mmap
import os
import sys
import time
import traceback

__all__ = ["run", "Item", "ItemError", "Context", "log"]

VERSION = 1
FLUSH_EVERY = 0.1
# why: False makes the hello say "batch": false, so that the processor sends one item per
# request, as to a program without the library (benchmarks compare the two this way)
BATCH = True


class ItemError(Exception):
    """Raised by a handler (or returned in a batch's outputs): fails this item alone."""


class Item:
    """One item of a request: its task, its part (-1 for a task-scope item) and its input."""

    __slots__ = ("task_id", "part", "input", "seq")

    def __init__(self, task_id, part, input, seq=None):
        self.task_id = task_id
        self.part = part
        self.input = input
        self.seq = seq

    def __repr__(self):
        return "Item(task_id=%r, part=%r, seq=%r)" % (self.task_id, self.part, self.seq)


def _value(v):
    if isinstance(v, str):
        if v == "" or any(c in v for c in ' "=\n\r\t\\'):
            return json.dumps(v)
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    return str(v)


def format_log(event, fields):
    """`event=<event> k=v ...`: values with spaces, quotes or `=` are JSON-quoted."""
    parts = ["event=" + _value(event)]
    parts.extend("%s=%s" % (k, _value(v)) for k, v in fields.items())
    return " ".join(parts)


def log(event, stream=None, **fields):
    """Writes one key=value line on stderr (or `stream`)."""
    out = stream if stream is not None else sys.stderr
    out.write(format_log(event, fields) + "\n")
    out.flush()


class _Resource:
    __slots__ = ("name", "path", "size", "_mmap", "_view")

    def __init__(self, name, path, size):
        self.name = name
        self.path = path
        self.size = size
        self._mmap = None
        self._view = None

    def view(self):
        if self._view is None:
            if self.size == 0:
                self._view = memoryview(b"")
            else:
                with open(self.path, "rb") as f:
                    mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                if len(mapped) < self.size:
                    found = len(mapped)
                    mapped.close()
                    raise ValueError("resource %s: %s has %d bytes, %d expected"
                                     % (self.name, self.path, found, self.size))
                self._mmap = mapped
                self._view = memoryview(self._mmap)[: self.size]
        return self._view


class Context:
    """What a step's functions get besides the input: options, worker, resources, logging."""

    def __init__(self, environ=None, stderr=None):
        env = os.environ if environ is None else environ
        self.options = json.loads(env.get("CONVEYOR_STEP_OPTIONS") or "{}")
        self.step = env.get("CONVEYOR_STEP", "")
        self.worker = int(env.get("CONVEYOR_WORKER") or 0)
        self.state = None
        self.item = None
        self._stderr = stderr
        self._resources = {}
        for name, spec in json.loads(env.get("CONVEYOR_RESOURCES") or "{}").items():
            self._resources[name] = _Resource(name, spec["path"], int(spec["size"]))

    @property
    def resources(self):
        """The names of the step's resources."""
        return sorted(self._resources)

    def _resource(self, name):
        try:
            return self._resources[name]
        except KeyError:
            raise KeyError("no resource %r for step %s (it has: %s)"
                           % (name, self.step, ", ".join(self.resources) or "none")) from None

    def resource(self, name):
        """The resource's bytes: a read-only memoryview of the memory-mapped file."""
        return self._resource(name).view()

    def resource_path(self, name):
        """The resource's file, absolute."""
        return self._resource(name).path

    def array(self, name, dtype="uint8", offset=0, shape=None):
        """The resource as a read-only numpy.memmap (numpy required)."""
        import numpy  # noqa: the library itself needs only the standard library

        r = self._resource(name)
        return numpy.memmap(r.path, dtype=dtype, mode="r", offset=offset, shape=shape)

    def log(self, event, **fields):
        """One key=value line on stderr: `event=<event> step=<step> worker=<n> k=v ...`."""
        log(event, stream=self._stderr, step=self.step, worker=self.worker, **fields)


def _error_text(e):
    if isinstance(e, ItemError):
        return str(e) or "item error"
    return "%s: %s" % (type(e).__name__, e)


class _Answers:
    """Answer lines to stdout, flushed at the end of a request and every FLUSH_EVERY seconds."""

    def __init__(self, out):
        self.out = out
        self.last_flush = time.monotonic()

    def write(self, answer):
        try:
            line = json.dumps(answer, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as e:
            line = json.dumps({k: v for k, v in answer.items() if k == "seq"}
                              | {"ok": False, "error": "output is not JSON: %s" % e})
        self.out.write(line.encode("utf-8", "surrogatepass") + b"\n")
        if time.monotonic() - self.last_flush >= FLUSH_EVERY:
            self.flush()

    def flush(self):
        self.out.flush()
        self.last_flush = time.monotonic()


def _answer(item, result):
    if isinstance(result, ItemError):
        answer = {"ok": False, "error": _error_text(result)}
    else:
        answer = {"ok": True, "data": result}
    if item.seq is not None:
        answer = {"seq": item.seq, **answer}
    return answer


def _parse(line):
    """The items of one request line: a list of Item, or raises ValueError."""
    request = json.loads(line)
    if not isinstance(request, dict):
        raise ValueError("a request is a JSON object")
    if "batch" in request:
        items = request["batch"]
        if not isinstance(items, list):
            raise ValueError("'batch' is not a list")
        return [Item(r.get("task_id"), r.get("part"), r.get("input"), r.get("seq")) for r in items]
    return [Item(request.get("task_id"), request.get("part"), request.get("input"))]


def serve(ctx, handle=None, batch=None, stdin=None, stdout=None):
    """The protocol loop over `stdin`/`stdout` (binary streams); returns at the end of stdin."""
    if (handle is None) == (batch is None):
        raise TypeError("give exactly one of handle (one item) and batch (a list of items)")
    inp = stdin if stdin is not None else sys.stdin.buffer
    answers = _Answers(stdout if stdout is not None else sys.stdout.buffer)
    answers.write({"hello": {"batch": BATCH, "library": "conveyor_step", "version": VERSION}})
    answers.flush()
    for line in inp:
        if not line.strip():
            continue
        try:
            items = _parse(line)
        except ValueError as e:
            # why: one answer keeps the stream in step with a one-item request
            answers.write({"ok": False, "error": "bad request: %s" % e})
            answers.flush()
            continue
        if handle is not None:
            for item in items:
                answers.write(_answer(item, _one(handle, item, ctx)))
        else:
            for item, result in zip(items, _many(batch, items, ctx)):
                answers.write(_answer(item, result))
        answers.flush()
    ctx.item = None


def _one(handle, item, ctx):
    ctx.item = item
    try:
        return handle(item.input, ctx)
    except ItemError as e:
        return e
    except Exception as e:  # noqa: one item's failure is that item's alone
        ctx.log("item_failed", task=item.task_id, part=item.part, error=_error_text(e),
                at=_where(e))
        return ItemError(_error_text(e))


def _many(batch, items, ctx):
    try:
        results = list(batch(items, ctx))
    except Exception as e:  # noqa: the batch function failed: every item of it fails
        ctx.log("batch_failed", items=len(items), error=_error_text(e), at=_where(e))
        return [ItemError(_error_text(e))] * len(items)
    if len(results) != len(items):
        error = "the batch function returned %d results for %d items" % (len(results), len(items))
        ctx.log("batch_failed", items=len(items), error=error)
        return [ItemError(error)] * len(items)
    return results


def _where(e):
    frames = traceback.extract_tb(e.__traceback__)
    if not frames:
        return ""
    f = frames[-1]
    return "%s:%d" % (os.path.basename(f.filename), f.lineno)


def run(handle=None, batch=None, setup=None):
    """Runs the step: setup once, then the protocol until stdin closes. Never returns on error:
    a setup that raises exits with code 2 after one log line."""
    ctx = Context()
    if setup is not None:
        try:
            ctx.state = setup(ctx)
        except Exception as e:  # noqa: the step cannot work; the processor restarts it
            ctx.log("setup_failed", error=_error_text(e), at=_where(e))
            sys.exit(2)
    ctx.log("worker_ready", pid=os.getpid(), resources=",".join(ctx.resources))
    serve(ctx, handle=handle, batch=batch)
