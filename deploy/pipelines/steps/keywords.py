#!/usr/bin/env python3
"""A Conveyor command step: the keywords of each part, scored by TF-IDF against a lexicon.

The lexicon (the step's resource `lexicon`, data/lexicon.bin, built from the documents on the
machine by build_lexicon.py, which describes the format) is memory-mapped, never read into the
process: N workers share one copy of its pages. Each word is found by a binary search over its
sorted fixed-width records.

Written on conveyor_step in batch mode: each item's input is a part, {"text": ..., "offset": ...};
its output {"rows": [{"rank": 1, "word": ..., "hits": 3, "score": 12.345678}, ...]}, the `top`
(option, default 5) words of the part known to the lexicon by score = hits x weight, ties broken
by the word (code point order). Scores are integers of millionths until the end and then
rounded to 6 places: the same text gives the same rows in every process. A part with no word of
the lexicon gives no rows. Standard library only.
"""
import struct

import conveyor_step

from build_lexicon import HEADER, MAGIC, WORD

_WEIGHT = struct.Struct("<I")


class Lexicon:
    """word -> weight (millionths) over the memory-mapped file; None for an unknown word."""

    def __init__(self, view, name="lexicon"):
        if len(view) < HEADER.size:
            raise ValueError("%s: %d bytes, no header" % (name, len(view)))
        magic, self.documents, self.count, self.width, self.record = HEADER.unpack_from(view, 0)
        if magic != MAGIC:
            raise ValueError("%s: not a lexicon (magic %r)" % (name, bytes(magic)))
        if self.record != self.width + 4 or len(view) < HEADER.size + self.count * self.record:
            raise ValueError("%s: truncated or inconsistent (%d words of %d bytes, %d bytes)"
                             % (name, self.count, self.record, len(view)))
        self.view = view
        self.cache = {}

    def _key(self, i):
        at = HEADER.size + i * self.record
        return self.view[at: at + self.width]

    def weight(self, word):
        if word in self.cache:
            return self.cache[word]
        raw = word.encode("utf-8")
        found = None
        if len(raw) <= self.width:
            key = raw.ljust(self.width, b"\0")
            lo, hi = 0, self.count
            while lo < hi:
                mid = (lo + hi) // 2
                k = self._key(mid).tobytes()
                if k < key:
                    lo = mid + 1
                elif k > key:
                    hi = mid
                else:
                    found = _WEIGHT.unpack_from(self.view, HEADER.size + mid * self.record
                                                + self.width)[0]
                    break
        if len(self.cache) < 200_000:
            self.cache[word] = found
        return found


def keywords(text, lexicon, top):
    """The rows of one part: its top words by hits x weight."""
    hits = {}
    for m in WORD.finditer(text.lower()):
        w = m.group(0)
        if len(w) >= 3:
            hits[w] = hits.get(w, 0) + 1
    scored = []
    for w, n in hits.items():
        weight = lexicon.weight(w)
        if weight:
            scored.append((-n * weight, w, n))
    scored.sort()
    return [{"rank": i + 1, "word": w, "hits": n, "score": round(-s / 1_000_000, 6)}
            for i, (s, w, n) in enumerate(scored[:top])]


def setup(ctx):
    top = ctx.options.get("top", 5)
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ValueError("option top must be a positive integer, was %r" % (top,))
    lexicon = Lexicon(ctx.resource("lexicon"), ctx.resource_path("lexicon"))
    ctx.log("lexicon_mapped", documents=lexicon.documents, words=lexicon.count, top=top)
    return lexicon, top


def batch(items, ctx):
    lexicon, top = ctx.state
    out = []
    for item in items:
        data = item.input
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str):
            out.append(conveyor_step.ItemError("input has no string 'text'"))
        else:
            out.append({"rows": keywords(text, lexicon, top)})
    return out


if __name__ == "__main__":
    conveyor_step.run(batch=batch, setup=setup)
