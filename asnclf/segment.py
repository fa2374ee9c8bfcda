"""Split Indonesian news text into sentences, keeping character spans.

The splitter is a handful of rules over regular expressions, with no model and no
dependency. It runs in time linear in the length of the text: patterns are possessive,
anchored or searched in bounded windows, so nothing backtracks over long input.

1. **Lines.** A line break is always a boundary, so captions, "Baca juga" lines, editor lines
   and list items laid out on their own lines come out on their own.
2. **Punctuation.** ``.``, ``?``, ``!`` and ellipses, with any closing quotes or brackets
   after them (a quote belongs to the sentence it closes), end a sentence when white space
   follows and the next word does not start in lower case. A period does not end a sentence
   after a title or abbreviation (``Kab.``, ``Hj.``, ``a.n.``), an initial (``M. Yusuf``) or
   a list number. A photo credit such as ``(Dok. Istimewa)`` stays with its caption.
3. **Page furniture.** Scraped news often loses its line breaks, so inside a line a sentence
   also starts at an editorial label (``Baca juga:``, ``Editor:``, ``Tag:``, ``Bagikan``), at
   a dateline that follows a heading (``GARUT –``, ``Tarakan, 26 November 2024 –``), after a
   parenthesis that opens a sentence (``(Foto: Istimewa)``) and before a closing credit tag
   (``(ant/abc)``). A related headline or a byline without final punctuation ends where its
   Title Case gives way to running text.

White space around a sentence is left out by narrowing its span, never by editing its text,
so ``source[s.start:s.end] == s.text`` always holds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from asnclf.errors import InputError

__all__ = ["Sentence", "split_sentences"]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a source text.

    Attributes:
        start: offset of the sentence's first character in the source text.
        end: offset just past its last character.
        text: ``source[start:end]``; never empty, never starts or ends with white space.
    """

    start: int
    end: int
    text: str


# --- lines and white space -----------------------------------------------------------------

# The line boundaries of str.splitlines(); all of them are also white space.
_LINE = re.compile("[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
_NON_SPACE = re.compile(r"\S")
_WORD = re.compile(r"\S+")

_OPENERS = "\"'“‘«([{"
_CLOSERS = "\"'”’»)]}"
_DASHES = "-–—"

# --- punctuation ---------------------------------------------------------------------------

# The lookbehind makes a long run of dots one attempt, not one attempt per dot.
_TERMINATOR = re.compile(r"(?<![.?!…])(?P<marks>[.?!…]++)(?P<closers>[\"'”’»)\]}]*+)(?=\s|\Z)")
# After a sentence end, a word starting with one of these continues the sentence.
_CONTINUATION = frozenset(",;:%)]}”’»")

# Titles and abbreviations that never end a sentence, lower-cased. dll., dsb., dkk. and tsb.
# are left out on purpose: followed by a capital they usually do end one.
_ABBREVIATIONS = frozenset(
    """
    kab kec kel ds dsn kp gg jl jln no hlm tel telp rp pkl tgl thn prov
    hj hi ir dr drs dra drg prof tn ny nn sdr sdri bpk bp yth ust kh
    pj plt plh pjs st dt dg tgk moh muh mhd dok kol letkol kapt jend
    """.split()
)
# The longest word the abbreviation checks need to see.
_ABBREVIATION_MAX = 16
# Dotted abbreviations: a.n, u.p, K.H, S.Pd (the final period excluded).
_DOTTED = re.compile(r"(?:[^\W\d_]{1,4}\.)+[^\W\d_]{1,4}")
# Academic degrees (Sarjana, Magister, Doktor) follow a name, so they can end a sentence.
_DEGREE = re.compile(r"[SMD]\.[A-Z][A-Za-z]{0,4}|A\.Md|Ph\.D")
# Single capitals that are numerals, not initials: "Dapil Sumatera Barat I."
_NUMERALS = frozenset("IVX")

# A photo credit that completes the caption before it rather than standing alone.
_BARE_CREDIT = re.compile(r"\((?i:dok|dokumentasi|ist|istimewa|arsip)\b[^()]{0,80}\)")
# After a caption, any parenthesis is its credit: "Foto: Apel pagi. (Humas Pemkab)".
_CAPTION = re.compile(r"(?i:foto|gambar|ilustrasi) ?:")
_PARENTHESIS = re.compile(r"\([^()]{1,100}\)")

# --- page furniture ------------------------------------------------------------------------

# Editorial labels of news pages. Each starts a new sentence unless it continues a credit
# line ("Penulis: A | Editor: B", "Penulis dan Foto: C").
_LABEL_WORDS = (
    r"(?:baca|simak|lihat)\sjuga|editor|pewarta|reporter|penulis|redaktur|penyunting"
    r"|fotografer|laporan|foto|sumber|narahubung|kontak|tags?|topik|oleh"
    r"|informasi\slebih\slanjut"
)
_COLON = re.compile(":")
_LABEL = re.compile(rf"(?<!\S)(?=[A-Z])(?P<word>(?i:{_LABEL_WORDS}))\s?:\Z")
# Labels are found from their colon, looking back this far (the longest label and a space).
_LABEL_WINDOW = 25
# "Bagikan" and "Share" are also headline verbs ("Lurah Bagikan Sembako"), so they count as
# labels only in their page-furniture forms.
_SHARE_WORD = re.compile(r"[BS](?i:agikan|hare)\b")
_SHARE = re.compile(r"(?<!\S)(?i:bagikan|share)(?:(?i:\s(?:artikel|berita)\sini|\ske)\b|(?=\s?:|\Z))")
_CREDIT_SEPARATORS = frozenset("|/,;(&" + _DASHES)
_CREDIT_CONJUNCTIONS = frozenset({"dan", "serta", "&"})

# A heading (a press-release header, a caption credit, a byline) comes before the first word
# in lower case, and is short; datelines are looked for only there.
_RUNNING_WORD = re.compile(r"(?<!\S)[\"'“‘(\[]?[a-z]")
_HEADING_MAX = 300
_DASH = re.compile(r"(?<=\s)[-–—]{1,2}(?=\s)")
_DATE = re.compile(
    r"(?<!\S)\d{1,2}\s(?:Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober"
    r"|November|Desember)\s\d{4}(?!\S)"
)
# A dateline place just before its dash: "Tarakan, 26 November 2024", "KAYUAGUNG,
# SUMSELKITA.ID", "Kalabahi, NTT (Warta Nusantara)", "TANJUNG BALAI KARIMUN", "Simpang
# Empat". Words of a press-release heading ("SIARAN PERS") are never part of the place.
_CAPS_WORD = r"(?!(?:SIARAN|PERS|RILIS)\b)[A-Z][A-Z.'-]*[A-Z]"
_TITLE_WORD = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_OUTLET = r"(?:,\s[A-Z]\S*(?:\s[A-Z]\S*){0,2})?(?:\s\([^()]{1,30}\))?"
_DATELINE_PLACE = re.compile(
    rf"(?<!\S)(?:{_TITLE_WORD},\s\d{{1,2}}\s[A-Z][a-z]+\s\d{{4}}"
    rf"|(?:{_CAPS_WORD}\s){{0,2}}{_CAPS_WORD}{_OUTLET}"
    rf"|(?P<titled>(?:{_TITLE_WORD}\s)?{_TITLE_WORD}){_OUTLET})\s+\Z"
)
# A Title Case place right after another Title Case word or a dash is more likely the end of
# a route or a name ("Jalur Lintas Selatan Makale – Rantepao", "Bawaslu Kabupaten Dompu, 22
# Oktober 2024") than the start of a dateline.
_TITLE_OR_DASH = re.compile(rf"(?:{_TITLE_WORD}|[-–—]{{1,2}})\s+\Z")
_TITLE_OR_DASH_WINDOW = 30
# How far before its dash a dateline may start, and before its date a place may start.
_DATELINE_WINDOW = 100
_PLACE_WINDOW = 30
# A second dash this close after the first closes an apposition rather than a dateline.
_APPOSITION_MAX = 60
_PLACE_BEFORE_DATE = re.compile(rf"(?<!\S)(?P<place>{_TITLE_WORD}),\s\Z")
_WEEKDAYS = frozenset({"Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"})

# A byline without a colon names someone: "Oleh Marthen Latuconsina", not "Oleh karena itu".
_BYLINE = re.compile(r"Oleh\s(?=[A-Z])")

# "(1) Setiap ASN ..." opens a numbered clause; it is not a sentence of its own.
_LIST_MARKER = re.compile(r"\(\s*(?:\d{1,3}|[^\W\d_]|[ivxIVX]{1,4})\s*\)")
# A closing credit tag: "(adm)", "(sam/dy)", "(KNA/rdw)", "(mg-02/fhm)".
_TRAILING_CREDIT = re.compile(r"(?<=\s)\((?:[^\W_][\w-]*/)*[a-z][\w-]*\)\Z")
_TRAILING_CREDIT_WINDOW = 40

# --- where a Title Case headline or byline ends --------------------------------------------

# A headline or byline is never longer than this; past it, give up looking for its end.
_HEADLINE_MAX_WORDS = 60
# Words a Title Case headline keeps in lower case; they do not signal running text.
_TITLE_LOWERCASE = frozenset(
    """
    di ke dari dan yang untuk dengan dalam bagi pada kepada hingga sampai soal atau selama
    saat secara atas serta oleh tentang terhadap per antar usai sejak agar demi karena
    jelang vs
    """.split()
)
# Conjunctions and prepositions that headlines keep in lower case: capitalised inside a
# headline, they open the sentence after it ("... di Pilwalkot Makassar Dalam Pilkada ...").
_SENTENCE_OPENERS = frozenset("menurut dalam namun tetapi meski meskipun sedangkan adapun sehingga bahkan".split())
# Offices that open the usual attribution "Ketua Bawaslu Agam, Rahmat Hidayat, mengatakan".
_OFFICES = frozenset(
    """
    ketua kepala anggota sekretaris wakil koordinator direktur komisioner asisten inspektur
    camat lurah bupati gubernur penjabat plt pj sekda kapolres kapolda dandim pimpinan staf
    """.split()
)
# From the office: up to seven capitalised words, a comma, a name, a comma, running text.
_ATTRIBUTION = re.compile(r"(?:[A-Z]\S*\s+){0,6}?[A-Z]\S*,\s+(?:[A-Z]\S*\s+){0,4}?[A-Z]\S*,\s+[a-z]")


def split_sentences(text: str) -> list[Sentence]:
    """Split a text into sentences with their character spans.

    Args:
        text: any string, including empty text, lone surrogates and control characters.

    Returns:
        The sentences in order; spans do not overlap and ``text[s.start:s.end] == s.text``.
        Empty or white-space-only text gives ``[]``.

    Raises:
        InputError: ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise InputError(
            f"split_sentences() needs a str, got {type(text).__name__}; decode bytes or convert the value to text first"
        )
    return [
        Sentence(start, end, text[start:end])
        for line in _LINE.finditer(text)
        for start, end in _split_line(text, line.start(), line.end())
    ]


def _split_line(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Sentence spans of one line, ``text[start:end]``."""
    piece_start = start
    for stop in _punctuation_ends(text, start, end):
        yield from _split_piece(text, piece_start, stop)
        piece_start = stop
    yield from _split_piece(text, piece_start, end)


def _punctuation_ends(text: str, start: int, end: int) -> Iterator[int]:
    """Offsets inside ``text[start:end]`` (one line) where punctuation ends a sentence."""
    sentence_start = _skip_space(text, start, end)
    for match in _TERMINATOR.finditer(text, start, end):
        if match.start() < sentence_start:
            continue  # inside a photo credit already given to the previous sentence
        stop = match.end()
        following = _skip_space(text, stop, end)
        if following == end:
            return
        if _continues(text[following]):
            continue
        if match["marks"] == "." and not match["closers"] and _is_abbreviation(text, sentence_start, match.start()):
            continue
        credit = _BARE_CREDIT.match(text, following, end)
        if credit is None and _CAPTION.match(text, sentence_start, end):
            credit = _PARENTHESIS.match(text, following, end)
        if credit is not None:
            stop = credit.end()
            following = _skip_space(text, stop, end)
            if following == end:
                return
        yield stop
        sentence_start = following


def _skip_space(text: str, pos: int, end: int) -> int:
    """Offset of the first non-space character in ``text[pos:end]``, or ``end``."""
    found = _NON_SPACE.search(text, pos, end)
    return found.start() if found else end


def _continues(char: str) -> bool:
    """Whether a word starting with ``char`` continues the sentence before it."""
    return char.islower() or char in _CONTINUATION


def _is_abbreviation(text: str, sentence_start: int, period: int) -> bool:
    """Whether the period at ``period`` closes an abbreviation, initial or list number."""
    floor = max(sentence_start, period - _ABBREVIATION_MAX)
    word_start = period
    while word_start > floor and not text[word_start - 1].isspace():
        word_start -= 1
    if word_start == floor and floor > sentence_start and not text[floor - 1].isspace():
        return False  # longer than any abbreviation
    word = text[word_start:period].lstrip(_OPENERS)
    if word.isdigit():
        # "1. Menghadiri kampanye" opens a numbered item; it is not a sentence of its own.
        return word_start == sentence_start and len(word) <= 3
    if len(word) == 1:
        return word.isalpha() and word not in _NUMERALS and not _is_hari_h(text, word_start)
    if word.lower() in _ABBREVIATIONS:
        return True
    if _DOTTED.fullmatch(word):
        return not _DEGREE.fullmatch(word)
    return False


def _is_hari_h(text: str, letter: int) -> bool:
    """Whether the capital at ``letter`` is the H of "hari H" (the appointed day)."""
    return text[letter] == "H" and text[max(0, letter - 5) : letter].lower() == "hari "


def _split_piece(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Split a piece of one line that punctuation does not split further."""
    start, end = _strip(text, start, end)
    if start == end:
        return
    cuts = _layout_cuts(text, start, end)
    if not cuts:
        yield start, end
        return
    previous = start
    for cut in sorted(cuts):
        sentence_start, sentence_end = _strip(text, previous, cut)
        if sentence_start < sentence_end:
            yield sentence_start, sentence_end
        previous = cut
    sentence_start, sentence_end = _strip(text, previous, end)
    if sentence_start < sentence_end:
        yield sentence_start, sentence_end


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` narrowed to leave out white space at either end."""
    start = _skip_space(text, start, end)
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _layout_cuts(text: str, start: int, end: int) -> set[int]:
    """Sentence starts that page layout implies inside ``text[start:end]`` (stripped)."""
    cuts: set[int] = set()
    title_cased: list[tuple[int, bool]] = []  # (where its words start, is a byline)
    unlabelled_byline = _BYLINE.match(text, start, end)
    if unlabelled_byline is not None:
        title_cased.append((unlabelled_byline.end(), True))
    for label_start, label_end, kind in _labels(text, start, end):
        if _label_starts_sentence(text, start, label_start):
            cuts.add(label_start)
            if kind is not None:
                title_cased.append((label_end, kind == "byline"))

    if text[start] == "(":
        opening = _PARENTHESIS.match(text, start, end)
        if opening is not None and not _LIST_MARKER.fullmatch(opening.group()):
            following = _skip_space(text, opening.end(), end)
            if following < end and not (_continues(text[following]) or text[following] in _DASHES):
                cuts.add(opening.end())
    if text[end - 1] == ")":
        credit = _TRAILING_CREDIT.search(text, max(start, end - _TRAILING_CREDIT_WINDOW), end)
        if credit is not None:
            cuts.add(credit.start())

    heading_limit = min(end, start + _HEADING_MAX)
    running = _RUNNING_WORD.search(text, start, heading_limit)
    heading_end = running.start() if running else heading_limit
    search_end = min(end, heading_end + _DATELINE_WINDOW)
    for dash in _DASH.finditer(text, start, search_end):
        place = _dateline_start(text, start, dash.start(), dash.end(), end)
        if place is not None and place <= heading_end:
            cuts.add(place)
    for date in _DATE.finditer(text, start, search_end):
        if date.start() <= heading_end:
            cuts.update(_date_line_cuts(text, start, date, end))

    ordered = sorted(cuts)
    for words_start, byline in title_cased:
        after = bisect.bisect_right(ordered, words_start)
        limit = ordered[after] if after < len(ordered) else end
        running_start = _title_case_end(text, words_start, limit, byline=byline)
        if running_start is not None:
            cuts.add(running_start)
    return cuts


def _labels(text: str, start: int, end: int) -> Iterator[tuple[int, int, str | None]]:
    """Editorial labels in ``text[start:end]``: (start, end, "headline"/"byline"/None)."""
    for colon in _COLON.finditer(text, start, end):
        label = _LABEL.search(text, max(start, colon.start() - _LABEL_WINDOW), colon.end())
        if label is not None:
            word = label["word"].lower()
            kind = "byline" if word == "oleh" else "headline" if word.endswith("juga") else None
            yield label.start(), label.end(), kind
    for anchor in _SHARE_WORD.finditer(text, start, end):
        share = _SHARE.match(text, anchor.start(), end)
        if share is not None:
            yield share.start(), share.end(), None


def _label_starts_sentence(text: str, floor: int, label: int) -> bool:
    """Whether the label at ``label`` opens a sentence, not continues a credit line."""
    before = label
    while before > floor and text[before - 1].isspace():
        before -= 1
    if before == floor:
        return True
    if text[before - 1] in _CREDIT_SEPARATORS:
        return False
    previous_word = text[max(floor, before - 6) : before].split()[-1].lower()
    return previous_word not in _CREDIT_CONJUNCTIONS


def _dateline_start(text: str, floor: int, dash: int, dash_end: int, end: int) -> int | None:
    """Where the dateline ending in the dash at ``dash`` starts, if it is one."""
    following = _skip_space(text, dash_end, end)
    if following == end or not (text[following].isupper() or text[following] in _OPENERS):
        return None
    if next(_labels(text, following, min(end, following + _LABEL_WINDOW)), None) is not None:
        return None  # "Laporan: A — Penyunting: B" is a credit line
    if _DASH.search(text, dash_end, min(end, dash_end + _APPOSITION_MAX)) is not None:
        return None  # "Ketua Bawaslu Garut – Ahmad Fauzi – mengatakan" encloses an apposition
    place = _DATELINE_PLACE.search(text, max(floor, dash - _DATELINE_WINDOW), dash)
    if place is None or place.start() == floor:
        return None
    if place["titled"] is not None and _follows_title_or_dash(text, floor, place.start()):
        return None
    return place.start()


def _follows_title_or_dash(text: str, floor: int, pos: int) -> bool:
    """Whether the word just before ``pos`` is a Title Case word or a dash."""
    return _TITLE_OR_DASH.search(text, max(floor, pos - _TITLE_OR_DASH_WINDOW), pos) is not None


def _date_line_cuts(text: str, floor: int, date: re.Match[str], end: int) -> list[int]:
    """Where a "Place, 8 November 2024" line around ``date`` starts and ends, if it is one."""
    place = _PLACE_BEFORE_DATE.search(text, max(floor, date.start() - _PLACE_WINDOW), date.start())
    if place is None or place["place"] in _WEEKDAYS:
        return []
    following = _skip_space(text, date.end(), end)
    if following == end or not text[following].isupper():
        return []
    if _follows_title_or_dash(text, floor, place.start()):
        return [date.end()]
    return [place.start(), date.end()]


def _title_case_end(text: str, start: int, end: int, *, byline: bool) -> int | None:
    """Where running text starts after a Title Case headline or byline in ``text[start:end]``.

    A headline ("Baca juga: Jalan Poros Mulai Diperbaiki Simon menegaskan, ...") or byline
    ("Oleh: Ratna Kusumaningrum Seminggu setelah ...") is a run of capitalised words. The
    sentence after it starts at a capitalised word followed by a lower-case word that a
    headline would not write in lower case, at a capitalised conjunction that a headline would
    write in lower case, at an office that opens an attribution ("... di Tigaraksa Sekretaris
    Daerah Kabupaten Tangerang, Heru Saptono, yang ...") or, in a byline, after a footnote
    star ("Agustina Rumbiak*").
    """
    words = list(islice(_WORD.finditer(text, start, end), _HEADLINE_MAX_WORDS))
    for index in range(1, len(words)):
        if byline and words[index - 1].group().endswith("*"):
            return words[index].start()
        word = words[index].group().lstrip(_OPENERS)
        if not word[:1].isupper():
            continue
        if word.rstrip(",.:;").lower() in _SENTENCE_OPENERS:
            return words[index].start()
        if word.lower() in _OFFICES and _ATTRIBUTION.match(text, words[index].start(), end):
            return words[index].start()
        if not word[-1].isalnum():
            continue
        following = words[index + 1 : index + 3]
        if following and following[0].group().isdigit():
            following = following[1:]
        if following and _is_running(following[0].group()):
            return words[index].start()
    return None


def _is_running(word: str) -> bool:
    """Whether ``word`` reads as running text rather than as part of a headline."""
    bare = word.rstrip(",.:;!?" + _CLOSERS)
    return bare[:1].islower() and bare.lower() not in _TITLE_LOWERCASE and not bare.startswith("se-")
