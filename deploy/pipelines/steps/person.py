#!/usr/bin/env python3
"""A Conveyor command step: finds person names, the same way as the Java step
dev.conveyor.steps.ner.PersonRecognizer (PersonRules, PersonWords): change both together;
PersonAgreementTest runs the two over the same texts and compares what they find.

Reads one JSON request per line on stdin: {"task_id": ..., "part": ..., "input": {"text": ...,
"offset": ...}}. Writes one JSON answer per line on stdout, in order:
{"ok": true, "data": {"entities": [{"kind": "person", "surface", "start", "end"}, ...]}} or
{"ok": false, "error": "..."}. Offsets are code points of the task's whole text (the part's
"offset" plus the place in the part). Logs go to stderr.

Options (CONVEYOR_STEP_OPTIONS, JSON): "first_names", the gazetteer's path, relative to the
working directory (the pipeline directory): UTF-8, one name per line, "#" comment lines.

The rules, on words (runs of letters, combining marks and digits, joined across a single "-",
"'" or U+2019 when a letter or digit follows; a trailing "'s" is not part of a word):
1. A name starts at a first name: in the gazetteer, or hyphenated with every piece in it.
   Not right after Saint, St., San, Santa, ... (SAINTS).
2. Then up to three initials: one capital followed by "." ("Jane Q. Smith").
3. Then up to four name elements, each a surname, or one to three particles followed by a
   surname. A surname starts with a capital (after an optional al-, el-, d'), has two or more
   letters, a lowercase letter, no digit, a capital after each hyphen, and is neither a particle
   nor in NOT_SURNAMES.
4. Pieces are separated by spaces within the line only (none needed between initials).
5. A first name with no surname after it is no person.

`python3 person.py --lexicon` prints the word lists as JSON (for the agreement test).
"""
import json
import os
import sys
import unicodedata

PARTICLES = set("""
van von de der den da di du del della delle dei degli des le la bin ibn bint ter ten dos
das do zu af av
""".split())

CAPITAL_PARTICLES = set("Van Von De Di Da Du Del Della Dei Degli Le La Ter Ten Dos".split())

SURNAME_PREFIXES = ["al-", "el-", "d'", "d\u2019"]

SAINTS = set("Saint St San Santa Santo S\u00e3o Sankt Sainte Ste Sint".split())

NOT_SURNAMES = set("""
The An And Or But Nor So Yet If Then Than When While Where What Who Whom Whose Which Why
How That This These Those There Here He She It We They You Me Him Her Us Them His Its Our
Their Your My In On At By For From To Of With Without About After Before During Since
Until Into Onto Over Under Is Are Was Were Be Been Has Have Had Do Does Did Would Can
Could Shall Should Might Must Not No Yes All Any Each Every Some Also Says Told Asked Today
Yesterday Tomorrow Tonight Now However Meanwhile Please Thanks Dear Hi Hello Both Via Per
Like Unlike
Der Die Das Dem Des Ein Eine Einen Einem Einer Und Oder Aber Im Am Beim Vom Zum Zur Bei
Mit Nach Für Auf Aus Ist Sind War Hat Haben Wird Sagte Heute Gestern Morgen Auch Nicht Wie
Als Wenn Dass Er Sie Es Wir Ihr
Les Un Une Et Ou Mais Dans Par Pour Avec Sans Sur Sous Chez Selon Hier Demain Est Sont Il
Elle Ils Elles Nous Vous Ce Cette Ces Son Sa Ses Leur Leurs
El Los Las Una Unos Unas Pero En Con Por Para Sin Sobre Según Desde Hasta Ayer Sus Gli Uno
Tra Fra Nel Nella Dal Ieri Oggi Domani Em Com Os As Um Uma
Het Een Maar Bij Met Voor Door Naar Uit Gisteren Vandaag Volgens
January February March April June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Januar Februar März Juni Juli
Oktober Dezember Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag
Inc Ltd Corp Co Company Corporation Limited Incorporated GmbH Oy Oyj Pty SpA Srl Group
Holdings Holding Bank Capital Partners Associates Foundation Institute University College
School Academy Systems Technologies Technology Tech Industries Motors Airlines Airways
Enterprises Solutions Services Software Labs Laboratories Ventures Trust Fund Insurance
Energy Media Communications Electric Electronics Pharmaceuticals Pharma International
Global Consulting Investments Securities Realty Properties Brands Foods Records Studios
Pictures Entertainment Network Networks Club Society Association Council Committee
Commission Agency Department Ministry Office Party Union League Democrats Republicans
Democratic Republican Conservatives Labour Liberal Liberals Socialist Socialists Greens
Church Hospital Clinic Museum Gallery Library Theatre Theater Opera Center Centre Stadium
Arena Hotel Restaurant Market Mall Store Shop Football Soccer Rugby Olympics Corps Army
Navy Force Police Parliament Senate Congress Government Cabinet Times News Journal Review
Magazine Press Daily Weekly Herald Gazette Tribune
Street Road Rd Avenue Ave Boulevard Blvd Square Place Plaza Garden Gardens Station
Airport Bridge River Falls Beach Coast Island Islands Mountain Mountains Mount Valley
Heights Harbour Harbor Port Tower Castle Palace Cathedral Chapel Abbey Mosque Synagogue
City County State States Province District Region Republic Kingdom Empire Sea Ocean Desert
Forest Canyon Peninsula Strait Channel Gulf
Africa America Americas Asia Europe Australia Antarctica Argentina Austria Belgium Brazil
Canada Chile China Colombia Cuba Denmark Egypt Finland Germany Greece Hungary India
Indonesia Iran Iraq Ireland Israel Italy Japan Kenya Korea Mexico Morocco Netherlands
Nigeria Norway Pakistan Peru Poland Portugal Russia Scotland Spain Sweden Switzerland Syria
Thailand Turkey Ukraine Vietnam Wales England Britain Deutschland Frankreich Italien
Spanien Österreich Schweiz Europa España México Italia Francia Alemania Allemagne Espagne
Italie Suisse Belgique Brasil Texas California Florida Ohio Michigan Arizona Nevada Oregon
Utah Colorado Alabama Alaska Kansas Kentucky Tennessee Dakota Massachusetts Connecticut
Pennsylvania Illinois Iowa Louisiana Minnesota Mississippi Missouri Montana Nebraska
Oklahoma Wisconsin Wyoming Idaho Hawaii Maine Maryland Vermont Paris Madrid Rome Roma Tokyo
Beijing Moscow Vienna Wien München Munich Frankfurt Hamburg Zürich Zurich Geneva Genève
Brussels Bruxelles Amsterdam Barcelona Lisbon Lisboa Milan Milano Prague Praha Warsaw
Stockholm Oslo Copenhagen Helsinki Dublin Edinburgh Manchester Chicago Boston Seattle
Toronto Montreal Montréal Melbourne Shanghai Seoul Mumbai Delhi Cairo Istanbul Athens
Dubai Singapore Kyiv Kiev Budapest Bucharest Bogotá Caracas
American British English German Spanish Italian Chinese Japanese Russian European
Canadian Australian Indian Dutch Swiss Swedish Norwegian Danish Polish Mexican Brazilian
African Asian Korean Irish Scottish Greek Turkish Israeli Arab Arabic Muslim Christian
Catholic Jewish Protestant Western Eastern Northern Southern North South East New Old Great
Royal National Federal Central General Public Private United
President Minister Prime Chancellor Senator Governor Mayor Secretary Director Chairman
Chairwoman Chair Chief Executive Officer Manager Professor Doctor Justice Captain Colonel
Lieutenant Sergeant Queen Princess Duchess Lady Sir Dame Archbishop Cardinal Father Sister
Brother Mother Uncle Aunt Mr Mrs Ms Miss Dr Prof Herr Frau Monsieur Madame Mademoiselle
Señor Señora Signor Signora Jr Sr
""".split())

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


def words(text):
    """The words of the text as (start, end, word); Python strings index code points."""
    found = []
    n = len(text)
    i = 0
    while i < n:
        if not is_word_start(text[i]):
            i += 1
            continue
        start = i
        i += 1
        while True:
            while i < n and is_word_part(text[i]):
                i += 1
            if (i + 1 < n and text[i] in JOINERS and is_word_start(text[i + 1])
                    and not is_possessive(text, i)):
                i += 1
                continue
            break
        found.append((start, i, text[start:i]))
    return found


def is_particle(word):
    return word in PARTICLES or word in CAPITAL_PARTICLES


def is_surname(word):
    if word in NOT_SURNAMES or is_particle(word):
        return False
    rest = word
    for prefix in SURNAME_PREFIXES:
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


def is_initial(text, word):
    start, end, _ = word
    return (end - start == 1 and unicodedata.category(text[start]) == "Lu"
            and end < len(text) and text[end] == ".")


class PersonRules:
    def __init__(self, first_names):
        self.first_names = first_names

    def is_first_name(self, word):
        if word in self.first_names:
            return True
        if "-" not in word:
            return False
        return all(piece in self.first_names for piece in word.split("-"))

    def follows_saint(self, text, ws, k):
        if k == 0 or ws[k - 1][2] not in SAINTS:
            return False
        start = ws[k - 1][1]
        end = ws[k][0]
        if start < len(text) and text[start] == ".":
            start += 1
        return is_line_space_gap(text, start, end)

    def find(self, text, offset):
        ws = words(text)
        found = []
        k = 0
        while k < len(ws):
            first = ws[k]
            if not self.is_first_name(first[2]) or self.follows_saint(text, ws, k):
                k += 1
                continue
            pos = k + 1
            cur = first[1]
            initials = 0
            after_initial = False
            while pos < len(ws) and initials < MAX_INITIALS:
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
            while pos < len(ws) and elements < MAX_NAME_ELEMENTS:
                w = ws[pos]
                if not is_line_space_gap(text, cur, w[0]):
                    break
                if is_particle(w[2]):
                    q = pos
                    particle_end = cur
                    particles = 0
                    while (q < len(ws) and particles < MAX_PARTICLES and is_particle(ws[q][2])
                           and is_line_space_gap(text, particle_end, ws[q][0])):
                        particle_end = ws[q][1]
                        q += 1
                        particles += 1
                    if (q < len(ws) and is_line_space_gap(text, particle_end, ws[q][0])
                            and is_surname(ws[q][2])):
                        cur = ws[q][1]
                        end = cur
                        pos = q + 1
                        elements += 1
                        continue
                    break
                if is_surname(w[2]):
                    cur = w[1]
                    end = cur
                    pos += 1
                    elements += 1
                    continue
                break
            if end < 0:
                k += 1
                continue
            found.append({"kind": "person", "surface": text[first[0]:end],
                          "start": offset + first[0], "end": offset + end})
            k = pos
        return found


def load_first_names(path):
    names = set()
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            name = line.strip()
            if name and not name.startswith("#"):
                names.add(name)
    return names


def handle(item, rules):
    text = item.get("text") if isinstance(item, dict) else None
    if not isinstance(text, str):
        return {"ok": False, "error": "input has no string 'text'"}
    offset = item.get("offset")
    if offset is None:
        offset = 0
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        return {"ok": False, "error": "'offset' must be a non-negative integer, was %s"
                % json.dumps(offset)}
    return {"ok": True, "data": {"entities": rules.find(text, offset)}}


def lexicon():
    return {
        "particles": sorted(PARTICLES),
        "capital_particles": sorted(CAPITAL_PARTICLES),
        "surname_prefixes": SURNAME_PREFIXES,
        "saints": sorted(SAINTS),
        "not_surnames": sorted(NOT_SURNAMES),
    }


def main():
    if sys.argv[1:] == ["--lexicon"]:
        print(json.dumps(lexicon()))
        return
    options = json.loads(os.environ.get("CONVEYOR_STEP_OPTIONS") or "{}")
    path = options.get("first_names", "data/first_names.txt")
    rules = PersonRules(load_first_names(path))
    print("person.py ready: %d first names from %s" % (len(rules.first_names), path),
          file=sys.stderr, flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = handle(json.loads(line).get("input"), rules)
        except (ValueError, AttributeError) as e:
            answer = {"ok": False, "error": "bad request: %s" % e}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
