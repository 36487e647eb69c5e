#!/usr/bin/env python3
"""Builds the lexicon of the topics pipeline (data/lexicon.bin) from documents on this machine.

The lexicon is a word -> weight table, the "model" the keywords step (steps/keywords.py)
memory-maps as its resource `lexicon`. It is not typed in: it is learnt from the texts found
here, the licences in /usr/share/common-licenses and the Debian copyright files
/usr/share/doc/*/copyright (every one of at most 200 KB, in name order). A word's weight is its
inverse document frequency over them, ln((1 + N) / (1 + df)), in millionths: words every licence
says ("the", "software") weigh almost nothing, rarer ones more. Words found in fewer than two
documents are left out (names, typos).

Deterministic: the same files give the same bytes (sorted words, integer weights), so every
process and machine that builds from the same files scores alike. Standard library only.

The file (little-endian):
    header, 32 bytes: magic b"CVLEX001", uint32 documents, uint32 words, uint32 width (24),
                      uint32 record size (28), 8 bytes zero
    words records:    word, UTF-8, NUL-padded to `width` bytes; uint32 weight (millionths)
                      sorted by the padded bytes, so a lookup is a binary search
Words are runs of letters (lowercased), 3 to 24 UTF-8 bytes.

    python3 steps/build_lexicon.py [--out data/lexicon.bin] [--docs DIR ...]

writes the file next to its final name and renames it over (a processor maps either the old or
the new one, never half of one); deploy/bin/build-lexicon runs it.
"""
import argparse
import math
import os
import re
import struct
import sys

MAGIC = b"CVLEX001"
WIDTH = 24
RECORD = WIDTH + 4
HEADER = struct.Struct("<8sIIII8x")
MAX_FILE_BYTES = 200_000
MIN_DF = 2
WORD = re.compile(r"[^\W\d_]+")


def words(text):
    """The distinct lexicon words of a text: lowercased runs of letters, 3 to WIDTH bytes."""
    out = set()
    for m in WORD.finditer(text.lower()):
        w = m.group(0)
        if len(w) >= 3 and len(w.encode("utf-8")) <= WIDTH:
            out.add(w)
    return out


def documents(roots=None):
    """The files the lexicon is learnt from, in name order."""
    if roots:
        files = []
        for root in roots:
            for d, _, names in os.walk(root):
                files.extend(os.path.join(d, n) for n in names)
    else:
        files = []
        licences = "/usr/share/common-licenses"
        if os.path.isdir(licences):
            files.extend(os.path.join(licences, n) for n in os.listdir(licences))
        doc = "/usr/share/doc"
        if os.path.isdir(doc):
            files.extend(os.path.join(doc, n, "copyright") for n in os.listdir(doc))
    chosen = []
    for f in sorted(set(files)):
        try:
            if os.path.isfile(f) and 0 < os.path.getsize(f) <= MAX_FILE_BYTES:
                chosen.append(f)
        except OSError:
            pass
    return chosen


def build(files):
    """(documents, [(padded word bytes, weight), ...] sorted) from the files."""
    df = {}
    n = 0
    for f in files:
        try:
            with open(f, "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            continue
        n += 1
        for w in words(text):
            df[w] = df.get(w, 0) + 1
    records = []
    for w, count in df.items():
        if count >= MIN_DF:
            weight = int(round(1_000_000 * math.log((1 + n) / (1 + count))))
            records.append((w.encode("utf-8").ljust(WIDTH, b"\0"), weight))
    records.sort()
    return n, records


def write(path, n, records):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as out:
        out.write(HEADER.pack(MAGIC, n, len(records), WIDTH, RECORD))
        for key, weight in records:
            out.write(key)
            out.write(struct.pack("<I", weight))
    os.replace(tmp, path)


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="build the topics pipeline's lexicon")
    parser.add_argument("--out", default=os.path.join(here, "..", "data", "lexicon.bin"))
    parser.add_argument("--docs", action="append", help="learn from every file under DIR instead")
    args = parser.parse_args(argv)
    files = documents(args.docs)
    n, records = build(files)
    if n < 10 or not records:
        print("event=lexicon_failed reason=\"only %d documents found\"" % n, file=sys.stderr)
        return 2
    out = os.path.normpath(args.out)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    write(out, n, records)
    print("event=lexicon_built path=%s documents=%d words=%d bytes=%d"
          % (out, n, len(records), HEADER.size + RECORD * len(records)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
