"""Tests of the Python step library, deploy/pipelines/steps/conveyor_step.py.

Run by PythonStepLibraryIT under `./mvnw -B verify` (module runtime), or by hand:
    PYTHONPATH=deploy/pipelines/steps python3 -m unittest discover -s runtime/src/test/python -v
"""
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

import conveyor_step

STEPS = os.path.dirname(os.path.abspath(conveyor_step.__file__))

try:
    import numpy
except ImportError:  # the library needs only the standard library
    numpy = None


def serve(lines, handle=None, batch=None, environ=None):
    """Runs the protocol loop over `lines`; returns (answers as dicts, stderr text)."""
    stdin = io.BytesIO("".join(line + "\n" for line in lines).encode("utf-8"))
    stdout = io.BytesIO()
    stderr = io.StringIO()
    ctx = conveyor_step.Context(environ=environ or {}, stderr=stderr)
    conveyor_step.serve(ctx, handle=handle, batch=batch, stdin=stdin, stdout=stdout)
    answers = [json.loads(l) for l in stdout.getvalue().decode("utf-8").splitlines()]
    return answers, stderr.getvalue()


def request(n, task="t", part=0):
    return json.dumps({"task_id": task, "part": part, "input": {"n": n}})


def batch(*ns, first_seq=0):
    return json.dumps({"batch": [{"seq": first_seq + i, "task_id": "t", "part": i,
                                  "input": {"n": n}} for i, n in enumerate(ns)]})


def double(data, ctx):
    if data["n"] < 0:
        raise conveyor_step.ItemError("negative: %d" % data["n"])
    if data["n"] == 0:
        return 1 / data["n"]
    return {"n": data["n"] * 2}


class ProtocolTest(unittest.TestCase):
    def test_the_first_line_is_the_hello_saying_it_takes_batches(self):
        answers, _ = serve([], handle=double)
        self.assertEqual(answers, [{"hello": {"batch": True, "library": "conveyor_step",
                                              "version": conveyor_step.VERSION}}])

    def test_a_one_item_request_gets_one_answer_without_seq(self):
        answers, _ = serve([request(2)], handle=double)
        self.assertEqual(answers[1:], [{"ok": True, "data": {"n": 4}}])

    def test_a_batch_gets_one_answer_per_item_in_order_each_with_its_seq(self):
        answers, _ = serve([batch(1, 2, 3, first_seq=40)], handle=double)
        self.assertEqual(answers[1:], [{"seq": 40, "ok": True, "data": {"n": 2}},
                                       {"seq": 41, "ok": True, "data": {"n": 4}},
                                       {"seq": 42, "ok": True, "data": {"n": 6}}])

    def test_an_item_error_fails_that_item_alone(self):
        answers, stderr = serve([batch(1, -5, 3)], handle=double)
        self.assertEqual(answers[2], {"seq": 1, "ok": False, "error": "negative: -5"})
        self.assertEqual([a["ok"] for a in answers[1:]], [True, False, True])
        self.assertEqual(stderr, "")

    def test_an_exception_fails_the_item_with_its_type_and_one_log_line(self):
        answers, stderr = serve([batch(1, 0, 3)], handle=double)
        self.assertEqual(answers[2], {"seq": 1, "ok": False,
                                      "error": "ZeroDivisionError: division by zero"})
        self.assertTrue(answers[3]["ok"])
        lines = stderr.splitlines()
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith('event=item_failed step="" worker=0 task=t part=1 '
                                            'error="ZeroDivisionError: division by zero" '
                                            'at=test_conveyor_step.py:'), lines[0])

    def test_an_output_that_is_not_json_fails_its_item(self):
        answers, _ = serve([batch(1, 2)], handle=lambda d, c: float("nan") if d["n"] == 2 else 1)
        self.assertEqual(answers[1], {"seq": 0, "ok": True, "data": 1})
        self.assertEqual(answers[2]["seq"], 1)
        self.assertFalse(answers[2]["ok"])
        self.assertIn("output is not JSON", answers[2]["error"])

    def test_a_request_that_is_not_json_gets_one_error_answer_and_the_loop_goes_on(self):
        answers, _ = serve(["not json", "", request(1)], handle=double)
        self.assertFalse(answers[1]["ok"])
        self.assertTrue(answers[1]["error"].startswith("bad request: "))
        self.assertEqual(answers[2], {"ok": True, "data": {"n": 2}})

    def test_the_handler_sees_the_item_in_ctx(self):
        seen = []

        def handle(data, ctx):
            seen.append((ctx.item.task_id, ctx.item.part, ctx.item.seq))
            return None

        serve([batch(7, 8), request(9, task="u", part=-1)], handle=handle)
        self.assertEqual(seen, [("t", 0, 0), ("t", 1, 1), ("u", -1, None)])

    def test_non_ascii_text_passes_through(self):
        answers, _ = serve([json.dumps({"task_id": "t", "part": 0, "input": {"s": "Zoë 株式会社"}})],
                           handle=lambda d, c: d["s"].upper())
        self.assertEqual(answers[1], {"ok": True, "data": "ZOË 株式会社"})


class BatchFunctionTest(unittest.TestCase):
    def test_a_batch_function_sees_the_whole_batch_once(self):
        calls = []

        def handle_batch(items, ctx):
            calls.append(len(items))
            return [conveyor_step.ItemError("odd") if i.input["n"] % 2 else i.input["n"]
                    for i in items]

        answers, _ = serve([batch(2, 3, 4)], batch=handle_batch)
        self.assertEqual(calls, [3])
        self.assertEqual(answers[1:], [{"seq": 0, "ok": True, "data": 2},
                                       {"seq": 1, "ok": False, "error": "odd"},
                                       {"seq": 2, "ok": True, "data": 4}])

    def test_a_batch_function_returning_the_wrong_count_fails_every_item_of_the_batch(self):
        answers, stderr = serve([batch(1, 2, 3)], batch=lambda items, ctx: [1])
        self.assertEqual([a["seq"] for a in answers[1:]], [0, 1, 2])
        self.assertTrue(all(a["error"] == "the batch function returned 1 results for 3 items"
                            for a in answers[1:]))
        self.assertIn("event=batch_failed", stderr)

    def test_a_batch_function_that_raises_fails_every_item_of_the_batch(self):
        def broken(items, ctx):
            raise RuntimeError("model not loaded")

        answers, _ = serve([batch(1, 2)], batch=broken)
        self.assertEqual([a["error"] for a in answers[1:]],
                         ["RuntimeError: model not loaded"] * 2)

    def test_one_of_handle_and_batch_is_required(self):
        with self.assertRaises(TypeError):
            serve([], handle=double, batch=lambda i, c: i)
        with self.assertRaises(TypeError):
            serve([])


class ContextTest(unittest.TestCase):
    def test_options_step_and_worker_come_from_the_environment(self):
        ctx = conveyor_step.Context(environ={"CONVEYOR_STEP_OPTIONS": '{"k": [1, 2]}',
                                             "CONVEYOR_STEP": "ner.person",
                                             "CONVEYOR_WORKER": "3"})
        self.assertEqual((ctx.options, ctx.step, ctx.worker), ({"k": [1, 2]}, "ner.person", 3))

    def test_without_the_environment_there_are_no_options_and_worker_zero(self):
        ctx = conveyor_step.Context(environ={})
        self.assertEqual((ctx.options, ctx.step, ctx.worker, ctx.resources), ({}, "", 0, []))

    def test_a_resource_is_a_read_only_memoryview_of_the_mapped_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "names.txt")
            with open(path, "wb") as f:
                f.write(b"Jane\nJohn\n")
            env = {"CONVEYOR_RESOURCES": json.dumps({"names": {"path": path, "size": 10}})}
            ctx = conveyor_step.Context(environ=env)
            view = ctx.resource("names")
            self.assertEqual(bytes(view), b"Jane\nJohn\n")
            self.assertTrue(view.readonly)
            self.assertIs(ctx.resource("names"), view)
            self.assertEqual(ctx.resources, ["names"])
            self.assertEqual(ctx.resource_path("names"), path)
            view.release()

    def test_a_resource_shorter_than_announced_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "short")
            with open(path, "wb") as f:
                f.write(b"ab")
            env = {"CONVEYOR_RESOURCES": json.dumps({"r": {"path": path, "size": 5}})}
            with self.assertRaisesRegex(ValueError, "has 2 bytes, 5 expected"):
                conveyor_step.Context(environ=env).resource("r")

    def test_an_unknown_resource_names_the_ones_there_are(self):
        ctx = conveyor_step.Context(environ={"CONVEYOR_STEP": "p.s"})
        with self.assertRaisesRegex(KeyError, "no resource 'model' for step p.s"):
            ctx.resource("model")

    @unittest.skipIf(numpy is None, "numpy is not installed")
    def test_a_resource_as_a_numpy_memmap(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "weights.f32")
            numpy.arange(6, dtype="float32").tofile(path)
            env = {"CONVEYOR_RESOURCES": json.dumps({"w": {"path": path, "size": 24}})}
            a = conveyor_step.Context(environ=env).array("w", dtype="float32", shape=(2, 3))
            self.assertEqual(a[1, 2], 5.0)
            self.assertFalse(a.flags.writeable)

    def test_log_lines_are_key_value_with_quoting_where_needed(self):
        err = io.StringIO()
        ctx = conveyor_step.Context(environ={"CONVEYOR_STEP": "ner.person",
                                             "CONVEYOR_WORKER": "1"}, stderr=err)
        ctx.log("loaded", names=3107, file="data/first names.txt", ok=True, why=None,
                quote='say "hi"', eq="a=b")
        self.assertEqual(err.getvalue(),
                         'event=loaded step=ner.person worker=1 names=3107 '
                         'file="data/first names.txt" ok=true why=null quote="say \\"hi\\"" '
                         'eq="a=b"\n')


class ProgramTest(unittest.TestCase):
    """Step programs on the library, run as the processor runs them."""

    def run_program(self, code, stdin, env=None):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "step.py")
            with open(path, "w") as f:
                f.write(code)
            full_env = dict(os.environ, PYTHONPATH=STEPS, **(env or {}))
            return subprocess.run([sys.executable, path], input=stdin.encode(),
                                  capture_output=True, env=full_env, timeout=60)

    def test_a_setup_that_raises_ends_the_worker_with_code_2_and_one_log_line(self):
        p = self.run_program(
            "import conveyor_step\n"
            "def setup(ctx):\n"
            "    raise OSError('no model at /models/x')\n"
            "conveyor_step.run(lambda d, c: d, setup=setup)\n", "")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, b"")
        self.assertIn(b'event=setup_failed step="" worker=0 error="OSError: no model at /models/x"',
                      p.stderr)

    def test_setup_state_reaches_the_handler_and_stdin_closing_ends_the_worker(self):
        p = self.run_program(
            "import conveyor_step\n"
            "conveyor_step.run(lambda d, c: c.state + d['n'], setup=lambda c: c.options['add'])\n",
            batch(1, 2) + "\n", env={"CONVEYOR_STEP_OPTIONS": '{"add": 10}'})
        self.assertEqual(p.returncode, 0, p.stderr)
        answers = [json.loads(l) for l in p.stdout.decode().splitlines()]
        self.assertEqual([a["data"] for a in answers[1:]], [11, 12])

    def test_the_person_step_answers_a_batch(self):
        pipelines = os.path.dirname(STEPS)
        req = json.dumps({"batch": [
            {"seq": 5, "task_id": "d", "part": 0,
             "input": {"text": "Acme hired Jane Q. Smith.", "offset": 100}},
            {"seq": 6, "task_id": "d", "part": 1, "input": {"offset": 3}}]})
        p = subprocess.run([sys.executable, "steps/person.py"], input=(req + "\n").encode(),
                           capture_output=True, cwd=pipelines, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        answers = [json.loads(l) for l in p.stdout.decode().splitlines()]
        self.assertEqual(answers[1], {"seq": 5, "ok": True, "data": {"entities": [
            {"kind": "person", "surface": "Jane Q. Smith", "start": 111, "end": 124}]}})
        self.assertEqual(answers[2], {"seq": 6, "ok": False,
                                      "error": "input has no string 'text'"})


if __name__ == "__main__":
    unittest.main()
