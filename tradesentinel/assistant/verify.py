"""Verification of a model's answer, sentence by sentence, against the evidence it cites.

A sentence is kept only when every [n] it cites is in the evidence list, and every number,
country and organisation it states appears in a passage it cites, and most of its content words
do too. Passages are checked as data only (instruction-like sentences withheld, see prompt.py),
together with their metadata (countries, HS code, date, source), which the user sees as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tradesentinel.assistant.mentions import (
    MONTHS,
    Number,
    content_words,
    countries_in,
    normalise,
    numbers_in,
    organisations_in,
)
from tradesentinel.assistant.prompt import data_only
from tradesentinel.retrieval.hits import Hit

MIN_WORD_SUPPORT = 0.75
"""Share of a sentence's content words that must appear in the passages it cites."""
MIN_WORDS = 4
"""Content words a sentence needs when it states no number, country or name ("DEMO data." says nothing)."""

_CITATION = re.compile(
    r"\s*(?:\[(?:evidence|source|doc|passage)?\s*#?(\d+(?:\s*(?:,|;|-|–|and)\s*#?\d+)*)\s*\]"
    r"|\((?:evidence|source|doc|passage)\s*#?(\d{1,2})\)|\((\d)\))",
    re.IGNORECASE,
)
"""[1], [1, 3], [2-4], [evidence 2], (evidence 2) and (2); not (2022), which is a year."""
_DATE = re.compile(r"\b(?:19|20)\d\d-[01]\d(?:-[0-3]\d)?\b")
_NEGATION = re.compile(
    r"\b(?:no|not|never|none|neither|nor|without|cannot)\b(?:\W+\w+){0,2}"
    r"|\bnon-?\w+|\b(?:unlisted|delisted|unsanctioned|lifted|removed|revoked|exempt|exempted|cleared)\b",
    re.IGNORECASE,
)
"""Words that deny or undo; a sentence may use one only as its cited passage does."""
_NOT = re.compile(r"n't\b|\bcannot\b", re.IGNORECASE)
_HS_NUMBER = re.compile(r"\b(?:HS|heading|chapter|code)\s*(\d{2,6})\b", re.IGNORECASE)
_ABBREVIATION = re.compile(r"(?:\b(?:Ltd|Inc|Co|Corp|No|no|St|Mr|Ms|Dr|vs|etc|e\.g|i\.e|approx)|\b[A-Z])\.$")
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[^\s\[(a-z])|\n+")  # "n.e.c. in heading" goes on
_LATE_CITATION = re.compile(r"([.!?])((?:[ \t]*\[[\d,;\s–-]+\])+)")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Verdict:
    """What verification decided about one sentence of the model's answer."""

    sentence: str  # with citations rewritten as [n]
    cited: tuple[int, ...]
    kept: bool
    reason: str = ""  # why it was dropped
    attributed: bool = (
        False  # the model gave no citation; verification found the one passage that supports it
    )


def citations_in(sentence: str) -> list[int]:
    """The evidence numbers a sentence cites: [1], [1, 3], [2-4], (evidence 2), [1][2]."""
    numbers: list[int] = []
    for match in _CITATION.finditer(sentence):
        for part in re.split(r"\s*(?:,|;|and)\s*", match[1] or match[2] or match[3]):
            ends = [int(x) for x in re.findall(r"\d+", part)]
            if len(ends) == 2 and re.search(r"[-–]", part) and 0 < ends[1] - ends[0] < 20:
                numbers += range(ends[0], ends[1] + 1)
            else:
                numbers += ends
    return list(dict.fromkeys(numbers))


def without_citations(sentence: str) -> str:
    """The sentence with its citation markers removed (so [2] is not read as a claimed number)."""
    return " ".join(_CITATION.sub(" ", sentence).split())


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`; a citation written after the full stop stays with its sentence."""
    text = _LATE_CITATION.sub(lambda m: m[2] + m[1], text)  # "rose. [3] Next" -> "rose [3]. Next"
    pieces, current = [], ""
    for part in _BOUNDARY.split(text):
        if not part or not part.strip():
            continue
        current = f"{current} {part}" if current else part
        if _ABBREVIATION.search(current.rstrip()):
            continue  # "Acme Ltd. said" is one sentence
        pieces.append(current)
        current = ""
    if current:
        pieces.append(current)
    cleaned = (_LIST_MARKER.sub("", p).strip() for p in pieces)
    return [s for s in cleaned if s and not re.fullmatch(r"\(?\d+[.):]?", s)]  # a bare "1." is a list marker


class SentenceStream:
    """Cuts streamed text into whole sentences as soon as each one is certainly complete."""

    def __init__(self) -> None:
        self.text, self.emitted = "", 0

    def feed(self, piece: str) -> list[str]:
        """Add a piece of text; return the sentences it completed (the last one waits for more text)."""
        self.text += piece
        sentences = split_sentences(self.text)
        done = sentences[self.emitted : max(self.emitted, len(sentences) - 1)]
        self.emitted += len(done)
        return done

    def flush(self) -> list[str]:
        """The sentences left when the text has ended."""
        rest = split_sentences(self.text)[self.emitted :]
        self.emitted += len(rest)
        return rest


def passage_text(hit: Hit) -> str:
    """What a passage can support: its text as data only, plus its metadata (countries, HS code, date...)."""
    meta = []
    for key, value in hit.metadata.items():
        if key == "url" or value is None:
            continue
        meta.extend(str(v) for v in value) if isinstance(value, list | tuple | set) else meta.append(
            str(value)
        )
    return data_only(hit.text) + (" | " + " ; ".join(meta) if meta else "")


def _number_supported(number: Number, passage_numbers: list[Number], hs_prefixes: set[str]) -> bool:
    return any(number.matches(p) for p in passage_numbers) or number.digits in hs_prefixes


def _negation_or_date_problem(sentence: str, text: str, normal: str) -> str:
    for phrase in _NEGATION.findall(_NOT.sub(" not", sentence)):
        if normalise(phrase) not in normal:  # "X is not listed" must be what the passage says, word for word
            return f"negation {phrase.strip()!r} is not in the cited evidence"
    for day in _DATE.findall(sentence):
        if day not in text:
            return f"date {day} is not in the cited evidence"
    return ""


def _number_problem(sentence: str, text: str) -> str:
    passage_numbers = numbers_in(text)
    digit_strings = {n.digits for n in passage_numbers}
    hs_claims = {m[1] for m in _HS_NUMBER.finditer(sentence)}
    hs_prefixes = {c for c in hs_claims if any(d.startswith(c) for d in digit_strings)}
    for number in numbers_in(sentence):
        if not _number_supported(number, passage_numbers, hs_prefixes):
            return f"number {number.digits}{'%' if number.percent else ''} is not in the cited evidence"
    return ""


def _name_problem(sentence: str, text: str, normal: str) -> str:
    missing = countries_in(sentence) - countries_in(text)
    if missing:
        return f"country {', '.join(sorted(missing))} is not in the cited evidence"
    for name in organisations_in(sentence):
        if normalise(name) not in normal:
            return f"organisation {name!r} is not in the cited evidence"
    return ""


def _word_problem(sentence: str, text: str) -> str:
    words = content_words(sentence)
    claims = numbers_in(sentence) or countries_in(sentence) or organisations_in(sentence)
    if len(words) < MIN_WORDS and not claims:
        return "says too little to check (no number, country or name)"
    if not words:  # only numbers, countries and names, each already found in the passage
        return ""
    known = content_words(text) | {
        MONTHS[int(m) - 1][:5] for m in re.findall(r"\b(?:19|20)\d\d-([01]\d)\b", text) if 1 <= int(m) <= 12
    }
    share = len(words & known) / len(words)
    if share < MIN_WORD_SUPPORT:
        return f"only {share:.0%} of its words are in the cited evidence"
    return ""


def unsupported_claim(sentence: str, passages: Sequence[str]) -> str:
    """Why `sentence` (citations removed) is not supported by `passages` together; "" when it is."""
    text = " \n ".join(passages)
    normal = normalise(text)
    problem = _negation_or_date_problem(sentence, text, normal)
    if problem:
        return problem
    undated = _DATE.sub(" ", sentence)
    return (
        _number_problem(undated, text) or _name_problem(undated, text, normal) or _word_problem(undated, text)
    )


def best_supporting(sentence: str, evidence: Sequence[Hit]) -> int | None:
    """The number of the passage that alone supports every claim of `sentence` best, if any does."""
    words = content_words(sentence)
    best, best_overlap = None, 0.0
    for n, hit in enumerate(evidence, 1):
        text = passage_text(hit)
        if unsupported_claim(sentence, [text]):
            continue
        overlap = len(words & content_words(text)) / max(1, len(words))
        if overlap > best_overlap:
            best, best_overlap = n, overlap
    return best


def verify_sentence(sentence: str, evidence: Sequence[Hit], *, attribute: bool = True) -> Verdict:
    """Keep or drop one sentence of a model's answer, with the reason when dropped.

    With `attribute`, a sentence the model left uncited is kept only if one passage supports all of
    its claims, and it then cites that passage (small models copy evidence but forget the [n]).
    """
    cited = tuple(citations_in(sentence))
    body = without_citations(sentence)
    if not body.rstrip().endswith((".", "!", "?")) and not sentence.rstrip().endswith(("]", ")")):
        return Verdict(_canonical(body, cited), cited, False, "unfinished sentence")
    if body.count("(") != body.count(")"):  # "(Electronic integrated circuits; in heading no [3]."
        return Verdict(
            _canonical(body, cited), cited, False, "unfinished sentence: a bracket is never closed"
        )
    if not cited:
        found = best_supporting(body, evidence) if attribute else None
        if found is None:
            return Verdict(_canonical(body, cited), cited, False, "no citation, and no passage supports it")
        return Verdict(_canonical(body, (found,)), (found,), True, attributed=True)
    missing = [n for n in cited if not 1 <= n <= len(evidence)]
    if missing:
        return Verdict(
            _canonical(body, cited), cited, False, f"cites [{missing[0]}], which is not in the evidence list"
        )
    reason = unsupported_claim(body, [passage_text(evidence[n - 1]) for n in cited])
    return Verdict(_canonical(body, cited), cited, not reason, reason)


def _canonical(body: str, cited: Sequence[int]) -> str:
    """The sentence as shown: its words, then its citations as [n], then a full stop."""
    return body.rstrip(".!?;: ") + (" " + "".join(f"[{n}]" for n in cited) if cited else "") + "."


def verify_text(text: str, evidence: Sequence[Hit], *, attribute: bool = True) -> Iterator[Verdict]:
    """A verdict for each sentence of a finished answer."""
    for sentence in split_sentences(text):
        yield verify_sentence(sentence, evidence, attribute=attribute)
