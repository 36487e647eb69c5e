"""Tests of the topics pipeline's model step: deploy/pipelines/steps/build_lexicon.py (the lexicon
learnt from documents) and keywords.py (TF-IDF keywords against the memory-mapped lexicon).

Run by PythonStepLibraryIT under `./mvnw -B verify` (module runtime), or by hand:
    PYTHONPATH=deploy/pipelines/steps python3 -m unittest discover -s runtime/src/test/python -v
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import build_lexicon
import keywords

STEPS = os.path.dirname(os.path.abspath(keywords.__file__))

DOCS = {
    "a.txt": "Redistribution of the software is permitted. The zlib licence.",
    "b.txt": "The software is provided as is. Redistribution in binary form.",
    "c.txt": "The GNU General Public License covers the software and zlib.",
    "d.txt": "Permission is hereby granted, free of charge, to the software.",
}


class LexiconTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.docs = os.path.join(self.tmp.name, "docs")
        os.makedirs(self.docs)
        for name, text in DOCS.items():
            with open(os.path.join(self.docs, name), "w", encoding="utf-8") as f:
                f.write(text)

    def tearDown(self):
        self.tmp.cleanup()

    def build(self, name="lexicon.bin"):
        n, records = build_lexicon.build(build_lexicon.documents([self.docs]))
        path = os.path.join(self.tmp.name, name)
        build_lexicon.write(path, n, records)
        with open(path, "rb") as f:
            return f.read()

    def test_weights_are_the_inverse_document_frequency_of_words_in_two_documents_or_more(self):
        lexicon = keywords.Lexicon(memoryview(self.build()))
        self.assertEqual(4, lexicon.documents)
        self.assertEqual(0, lexicon.weight("the"))  # in every document
        self.assertEqual(0, lexicon.weight("software"))
        self.assertEqual(round(1e6 * math.log(5 / 3)), lexicon.weight("zlib"))
        self.assertEqual(round(1e6 * math.log(5 / 3)), lexicon.weight("redistribution"))
        self.assertIsNone(lexicon.weight("gnu"))  # one document only
        self.assertIsNone(lexicon.weight("is"))  # shorter than three letters
        self.assertIsNone(lexicon.weight("x" * 40))  # wider than a record

    def test_every_word_of_the_table_is_found_by_the_binary_search(self):
        data = self.build()
        n, records = build_lexicon.build(build_lexicon.documents([self.docs]))
        lexicon = keywords.Lexicon(memoryview(data))
        self.assertEqual(len(records), lexicon.count)
        for key, weight in records:
            self.assertEqual(weight, lexicon.weight(key.rstrip(b"\0").decode("utf-8")))

    def test_the_same_documents_give_the_same_bytes(self):
        self.assertEqual(self.build("one.bin"), self.build("two.bin"))

    def test_a_file_that_is_no_lexicon_is_refused(self):
        with self.assertRaisesRegex(ValueError, "not a lexicon"):
            keywords.Lexicon(memoryview(b"x" * 64))
        with self.assertRaisesRegex(ValueError, "truncated"):
            keywords.Lexicon(memoryview(self.build()[:-3]))

    def test_keywords_rank_by_hits_times_weight_then_by_word_rounded_to_six_places(self):
        lexicon = keywords.Lexicon(memoryview(self.build()))
        rows = keywords.keywords("Zlib zlib, redistribution. The software, Binary!", lexicon, 5)
        w = round(1e6 * math.log(5 / 3)) / 1e6
        self.assertEqual([
            {"rank": 1, "word": "zlib", "hits": 2, "score": round(2 * w, 6)},
            {"rank": 2, "word": "redistribution", "hits": 1, "score": round(w, 6)},
        ], rows)
        self.assertEqual([], keywords.keywords("nothing known here", lexicon, 5))
        tie = keywords.keywords("zlib redistribution", lexicon, 1)  # same score: the word decides
        self.assertEqual(["redistribution"], [r["word"] for r in tie])

    def test_the_step_answers_a_batch_over_the_protocol(self):
        path = os.path.join(self.tmp.name, "lexicon.bin")
        with open(path, "wb") as f:
            f.write(self.build("built.bin"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_")}
        env["PYTHONPATH"] = STEPS
        env["CONVEYOR_STEP"] = "topics.keywords"
        env["CONVEYOR_STEP_OPTIONS"] = json.dumps({"top": 1})
        env["CONVEYOR_RESOURCES"] = json.dumps(
            {"lexicon": {"path": path, "size": os.path.getsize(path)}})
        request = json.dumps({"batch": [
            {"seq": 7, "task_id": "t", "part": 0, "input": {"text": "zlib and zlib", "offset": 0}},
            {"seq": 8, "task_id": "t", "part": 1, "input": {"no": "text"}},
        ]})
        done = subprocess.run([sys.executable, "-B", os.path.join(STEPS, "keywords.py")],
                              input=request + "\n", capture_output=True, text=True, env=env,
                              timeout=60)
        self.assertEqual(0, done.returncode, done.stderr)
        lines = [json.loads(l) for l in done.stdout.splitlines()]
        self.assertTrue(lines[0]["hello"]["batch"])
        self.assertEqual(7, lines[1]["seq"])
        self.assertEqual(["zlib"], [r["word"] for r in lines[1]["data"]["rows"]])
        self.assertEqual({"seq": 8, "ok": False, "error": "input has no string 'text'"}, lines[2])
        self.assertIn("event=lexicon_mapped", done.stderr)


if __name__ == "__main__":
    unittest.main()
