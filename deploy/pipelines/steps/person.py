#!/usr/bin/env python3
"""A Conveyor command step: finds person names, the same way as the Java step
dev.conveyor.steps.ner.PersonRecognizer (PersonRules): change both together;
PersonAgreementTest runs the two over the same texts and compares what they find. Both read
their word lists (particles, saints, words that are never a surname, ...) from the same file,
data/person_words.txt.

Written on conveyor_step (the step library next to it), which speaks the protocol: each item's
input is {"text": ..., "offset": ...}; its output {"entities": [{"kind": "person", "surface",
"start", "end"}, ...]}, or an item error. Offsets are code points of the task's whole text (the
part's "offset" plus the place in the part). Logs go to stderr.

Its files: the step's resources first_names (the gazetteer: UTF-8, one name per line, "#"
comment lines) and person_words (the word lists, in the format load_person_words describes),
memory-mapped; without resources, the options (CONVEYOR_STEP_OPTIONS) "first_names" and
"person_words" name them, relative to the working directory (the pipeline directory; defaults
data/first_names.txt and data/person_words.txt).

The rules, on words (runs of letters, combining marks and digits, joined across a single "-",
"'" or U+2019 when a letter or digit follows; a trailing "'s" is not part of a word):
1. A name starts at a first name: in the gazetteer, or hyphenated with every piece in it.
   Not right after Saint, St., San, Santa, ... (saints).
2. Then up to three initials: one capital followed by "." ("Jane Q. Smith").
3. Then up to four name elements, each a surname, or one to three particles followed by a
   surname. A surname starts with a capital (after an optional al-, el-, d'), has two or more
   letters, a lowercase letter, no digit, a capital after each hyphen, and is neither a particle
   nor in not_surnames.
4. Pieces are separated by spaces within the line only (none needed between initials).
5. A first name with no surname after it is no person.

`python3 person.py --lexicon` prints the word lists as JSON (for the agreement test).
"""
import json
import os
import re
import sys
import unicodedata
from itertools import compress, islice, repeat, starmap
from operator import contains, methodcaller

import conveyor_step

WORD_LISTS = ("particles", "capital_particles", "surname_prefixes", "saints", "not_surnames")


def load_person_words(path):
    """The word lists of person_words.txt, the file the Java step reads too: {name: [word, ...]}.

    UTF-8; a line [name] starts a list, the lines after it hold its words separated by spaces;
    "#" lines are comments, blank lines are skipped; each list of WORD_LISTS is there once.
    """
    with open(path, encoding="utf-8-sig") as f:
        return parse_person_words(f.read(), path)


def parse_person_words(text, path):
    """The word lists of the text of person_words.txt (`path` names it in errors)."""
    lists = {}
    current = None
    for number, raw in enumerate(lines(text), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1]
            if name not in WORD_LISTS:
                raise ValueError("%s line %d: unknown list [%s] (known: %s)"
                                 % (path, number, name, ", ".join(WORD_LISTS)))
            if name in lists:
                raise ValueError("%s line %d: list [%s] comes twice" % (path, number, name))
            current = lists[name] = []
            continue
        if current is None:
            raise ValueError("%s line %d: words before the first [list]" % (path, number))
        current.extend(line.split())
    missing = [name for name in WORD_LISTS if name not in lists]
    if missing:
        raise ValueError("%s: no list %s" % (path, ", ".join(missing)))
    return lists


class PersonWords:
    def __init__(self, lists):
        self.particles = set(lists["particles"])
        self.capital_particles = set(lists["capital_particles"])
        self.surname_prefixes = list(lists["surname_prefixes"])
        self.saints = set(lists["saints"])
        self.not_surnames = set(lists["not_surnames"])


MAX_INITIALS = 3
MAX_NAME_ELEMENTS = 4
MAX_PARTICLES = 3

LINE_SPACES = {0x20, 0x09, 0xA0, 0x1680, 0x202F, 0x205F, 0x3000} | set(range(0x2000, 0x200B))
JOINERS = {"-", "'", "\u2019", "\u2010"}


def is_letter(c):
    return unicodedata.category(c) in ("Lu", "Ll", "Lt", "Lm", "Lo")


def is_mark(c):
    return unicodedata.category(c) in ("Mn", "Mc", "Me")


def is_digit(c):
    return unicodedata.category(c) == "Nd"


def is_capital(c):
    return unicodedata.category(c) in ("Lu", "Lt")


def is_lower(c):
    return unicodedata.category(c) == "Ll"


def is_word_start(c):
    return is_letter(c) or is_digit(c)


def is_word_part(c):
    return is_letter(c) or is_mark(c) or is_digit(c)


def is_line_space_gap(text, start, end):
    if start >= end:
        return False
    return all(ord(text[i]) in LINE_SPACES for i in range(start, end))


def is_possessive(text, i):
    return (text[i] in ("'", "\u2019") and text[i + 1] == "s"
            and (i + 2 == len(text) or not is_word_part(text[i + 2])))


class _CharClasses(dict):
    """Code point -> one class letter, for str.translate: L letter, s the letter "s", D digit,
    M mark, j "-" or U+2010, q "'" or U+2019, . anything else. Filled as characters come."""

    def __missing__(self, code):
        c = chr(code)
        if c == "s":
            cls = "s"
        elif c in ("-", "\u2010"):
            cls = "j"
        elif c in ("'", "\u2019"):
            cls = "q"
        elif is_letter(c):
            cls = "L"
        elif is_digit(c):
            cls = "D"
        elif is_mark(c):
            cls = "M"
        else:
            cls = "."
        self[code] = cls
        return cls


_CLASSES = _CharClasses()
# why: the rules below on the text's character classes, as a regular expression: a word starts at
# a letter or digit, runs over letters, marks and digits, and goes on across one joiner followed by
# a letter or digit, unless that joiner is an apostrophe of a trailing "'s" (a possessive)
_WORD = re.compile(r"[LDs][LMDs]*(?:(?:j|q(?!s(?![LMDs])))[LDs][LMDs]*)*")


def words(text):
    """The words of the text as (start, end, word); Python strings index code points."""
    classes = text.translate(_CLASSES)
    return [(m.start(), m.end(), text[m.start():m.end()]) for m in _WORD.finditer(classes)]


class _NameClasses(_CharClasses):
    """As _CharClasses, and F for a letter or digit that starts a name of the gazetteer."""

    def __init__(self, starts):
        super().__init__()
        self.starts = starts

    def __missing__(self, code):
        cls = _CharClasses.__missing__(self, code)
        if cls in ("L", "D") and chr(code) in self.starts:
            cls = self[code] = "F"
        return cls


def _word_pattern(first):
    """A word (as _WORD, with F a letter) whose first character is of the classes `first`."""
    return "[%s][LMDsF]*+(?:(?:j|q(?!s(?![LMDsF])))[LDsF][LMDsF]*+)*+" % first


_SPAN = re.Match.span
_CANDIDATE = methodcaller("span", 2)
_FETCH = 3  # words after a first name fetched at a time


def is_initial(text, word):
    start, end, _ = word
    return (end - start == 1 and unicodedata.category(text[start]) == "Lu"
            and end < len(text) and text[end] == ".")


class PersonRules:
    def __init__(self, first_names, lists):
        self.first_names = first_names
        self.lists = lists
        # why: only a word that starts with a name's first character can be a first name; one
        # regular expression skips the other words in C and stops at those (a Python loop over
        # every word took most of a part's time)
        starts = {name[0] for name in first_names}
        self.classes = _NameClasses(starts)
        candidate, other = ("Fs", "LD") if "s" in starts else ("F", "LDs")
        self.scan = re.compile("(?:[^LDsF]|(%s))*+(%s)?"
                               % (_word_pattern(other), _word_pattern(candidate)))
        self.word = re.compile(_word_pattern("LDsF"))

    def is_first_name(self, word):
        if word in self.first_names:
            return True
        if "-" not in word:
            return False
        return all(piece in self.first_names for piece in word.split("-"))

    def is_particle(self, word):
        return word in self.lists.particles or word in self.lists.capital_particles

    def is_surname(self, word):
        if word in self.lists.not_surnames or self.is_particle(word):
            return False
        rest = word
        for prefix in self.lists.surname_prefixes:
            if word.startswith(prefix):
                rest = word[len(prefix):]
                break
        if len(rest) < 2 or not is_capital(rest[0]):
            return False
        lower = False
        piece_start = True
        for c in rest:
            if is_digit(c):
                return False
            if piece_start and not is_capital(c):
                return False
            piece_start = c == "-"
            lower = lower or is_lower(c)
        return lower and not piece_start

    def follows_saint(self, text, before, start):
        """Whether the word at `start` comes right after a saint, the word spanning `before`."""
        if text[before[0]:before[1]] not in self.lists.saints:
            return False
        gap = before[1]
        if gap < len(text) and text[gap] == ".":
            gap += 1
        return is_line_space_gap(text, gap, start)

    def find(self, text, offset):
        classes = text.translate(self.classes)
        # why: the words that may start a name, and the word before each, by map in C; Python
        # looks only at those in the gazetteer or with a "-"
        matches = list(self.scan.finditer(classes))
        spans = list(map(_CANDIDATE, matches))
        words = list(map(text.__getitem__, starmap(slice, spans)))
        named = set(compress(range(len(words)), map(self.first_names.__contains__, words)))
        named.update(compress(range(len(words)), map(contains, words, repeat("-"))))
        found = []
        after = 0  # why: words before this place belong to a person found already
        for i in sorted(named):
            start, first_end = spans[i]
            if start < 0 or start < after or not self.is_first_name(words[i]):
                continue
            before = matches[i].span(1)
            if before[0] < 0:
                before = spans[i - 1] if i > 0 else None
            if before is not None and self.follows_saint(text, before, start):
                continue
            ws = [(start, first_end, words[i])]
            following = map(_SPAN, self.word.finditer(classes, first_end))
            complete = False
            while True:
                # why: the words after a first name are fetched a few at a time, as the rules need
                # them: most first names have no surname after them
                got = [(s, e, text[s:e]) for s, e in islice(following, _FETCH)]
                complete = len(got) < _FETCH
                ws.extend(got)
                walked = self.walk(text, ws, complete)
                if walked is not None:
                    break
            end, taken = walked
            if end < 0:
                continue
            found.append({"kind": "person", "surface": text[start:end],
                          "start": offset + start, "end": offset + end})
            after = ws[taken - 1][1]
        return found

    def walk(self, text, ws, complete):
        """Where the name that starts at ws[0] (a first name) ends: (end, words taken), end -1 when
        no surname follows it; None when the rules need a word after ws and it is not complete."""
        pos = 1
        cur = ws[0][1]
        initials = 0
        after_initial = False
        while initials < MAX_INITIALS:
            if pos >= len(ws):
                if complete:
                    break
                return None
            w = ws[pos]
            joined = is_line_space_gap(text, cur, w[0]) or (after_initial and cur == w[0])
            if not is_initial(text, w) or not joined:
                break
            cur = w[1] + 1
            pos += 1
            initials += 1
            after_initial = True
        end = -1
        elements = 0
        while elements < MAX_NAME_ELEMENTS:
            if pos >= len(ws):
                if complete:
                    break
                return None
            w = ws[pos]
            if not is_line_space_gap(text, cur, w[0]):
                break
            if self.is_particle(w[2]):
                q = pos
                particle_end = cur
                particles = 0
                while particles < MAX_PARTICLES:
                    if q >= len(ws):
                        if complete:
                            break
                        return None
                    if not (self.is_particle(ws[q][2])
                            and is_line_space_gap(text, particle_end, ws[q][0])):
                        break
                    particle_end = ws[q][1]
                    q += 1
                    particles += 1
                if q >= len(ws) and not complete:
                    return None
                if (q < len(ws) and is_line_space_gap(text, particle_end, ws[q][0])
                        and self.is_surname(ws[q][2])):
                    cur = ws[q][1]
                    end = cur
                    pos = q + 1
                    elements += 1
                    continue
                break
            if self.is_surname(w[2]):
                cur = w[1]
                end = cur
                pos += 1
                elements += 1
                continue
            break
        return end, pos


def lines(text):
    """The lines of a text as a file read in text mode gives them (\\n, \\r\\n or \\r ends one)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def load_first_names(path):
    with open(path, encoding="utf-8-sig") as f:
        return parse_first_names(f.read())


def parse_first_names(text):
    """The gazetteer: one name per line, "#" comment lines and blank lines skipped."""
    names = set()
    for line in lines(text):
        name = line.strip()
        if name and not name.startswith("#"):
            names.add(name)
    return names


def handle(item, ctx):
    text = item.get("text") if isinstance(item, dict) else None
    if not isinstance(text, str):
        raise conveyor_step.ItemError("input has no string 'text'")
    offset = item.get("offset")
    if offset is None:
        offset = 0
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise conveyor_step.ItemError("'offset' must be a non-negative integer, was %s"
                                      % json.dumps(offset))
    return {"entities": ctx.state.find(text, offset)}


def setup(ctx):
    """The rules, from the step's resources first_names and person_words (memory-mapped, shared
    by every worker) or, without them, from the files the options name."""
    if "first_names" in ctx.resources and "person_words" in ctx.resources:
        names_from = ctx.resource_path("first_names")
        words_from = ctx.resource_path("person_words")
        first_names = parse_first_names(text_of(ctx.resource("first_names")))
        lists = parse_person_words(text_of(ctx.resource("person_words")), words_from)
    else:
        names_from = ctx.options.get("first_names", "data/first_names.txt")
        words_from = ctx.options.get("person_words", "data/person_words.txt")
        first_names = load_first_names(names_from)
        lists = load_person_words(words_from)
    rules = PersonRules(first_names, PersonWords(lists))
    ctx.log("person_ready", first_names=len(rules.first_names), names_file=names_from,
            words_file=words_from)
    return rules


def text_of(view):
    """A resource's bytes as text: UTF-8, a byte order mark dropped."""
    return bytes(view).decode("utf-8-sig")


def lexicon(lists):
    return {
        "particles": sorted(lists.particles),
        "capital_particles": sorted(lists.capital_particles),
        "surname_prefixes": lists.surname_prefixes,
        "saints": sorted(lists.saints),
        "not_surnames": sorted(lists.not_surnames),
    }


def main():
    if sys.argv[1:] == ["--lexicon"]:
        options = json.loads(os.environ.get("CONVEYOR_STEP_OPTIONS") or "{}")
        words_path = options.get("person_words", "data/person_words.txt")
        try:
            lists = PersonWords(load_person_words(words_path))
        except (OSError, ValueError) as e:
            sys.exit("person.py: cannot read the word lists: %s" % e)
        print(json.dumps(lexicon(lists)))
        return
    conveyor_step.run(handle, setup=setup)


if __name__ == "__main__":
    main()
