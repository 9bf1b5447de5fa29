"""Polarity and judgement in a model's sentence: what it claims must be what its cited facts assert.

Lexical verification (verify.py) checks that names, numbers, countries, dates and negations come
from the cited text. It cannot see that "the Kazakhstan exports to Russia are all fine [7]" turns a
flagged flow into a clean one. This module can: a sentence that calls something fine, legitimate,
safe or of no concern is never supported (the data can flag, it cannot clear), one that calls
something suspicious or anomalous needs a cited flagged fact, and one that says a party is listed
(or not) needs a cited screening fact that says the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tradesentinel.assistant.facts import Fact, Polarity

_CLEARS = re.compile(
    r"\b(?:fine|ok|okay|legitimate|legit|legal|lawful|safe|normal|clean|compliant|harmless|benign|genuine"
    r"|innocent|above board|in order|unremarkable|nothing (?:unusual|suspicious|wrong|to worry)"
    r"|no (?:concerns?|issues?|problems?|red flags?|risk)|not (?:suspicious|anomalous|a concern|risky)"
    r"|all clear|cleared|nothing to see)\b",
    re.IGNORECASE,
)
_ACCUSES = re.compile(
    r"\b(?:suspicious|suspect|anomalous|anomaly|anomalies|unusual|irregular|risky|high[- ]risk|flagged"
    r"|evasion|evading|evade|illicit|illegal|fraud\w*|smuggl\w*|concerning|red flags?|misinvoic\w*)\b",
    re.IGNORECASE,
)
_LISTING = re.compile(
    r"\b(?:sanctioned|listed|designated|blacklisted|on (?:the|a|an|any) [\w-]*\s*list)\b", re.IGNORECASE
)
_DENIES = re.compile(
    r"\b(?:not|no|never|isn't|aren't|wasn't|none|neither|nor|unlisted|without)\b|n't\b", re.IGNORECASE
)
ACCUSING = (Polarity.FLAGGED, Polarity.LISTED, Polarity.POSSIBLE)
CLEARING = (Polarity.NOT_LISTED, Polarity.NOT_FOUND, Polarity.NOT_FLAGGED)


def polarity_conflict(sentence: str, cited: Sequence[Fact]) -> str:
    """Why `sentence` claims what its cited facts do not; "" when its polarity and judgement agree."""
    if not cited:
        return "cites no fact"
    polarities = {f.polarity for f in cited}
    judged = _CLEARS.search(sentence)
    if judged:
        return f"judges {judged[0]!r}: the data can flag a flow or find no match, it cannot clear anything"
    accuses = _ACCUSES.search(sentence)
    if accuses and not polarities & set(ACCUSING):
        return f"calls it {accuses[0]!r}, but no cited fact is a flagged flow or a listing"
    if _LISTING.search(sentence):
        denied = bool(_DENIES.search(sentence))
        if denied and Polarity.NOT_LISTED not in polarities:
            return "says a party is not listed, but no cited fact is a screening without a match"
        if not denied and not polarities & {Polarity.LISTED, Polarity.POSSIBLE}:
            return "says a party is listed, but no cited fact is a sanctions match"
    elif (
        _DENIES.search(sentence)
        and not polarities & set(CLEARING)
        and not any(_DENIES.search(f.sentence) for f in cited)
    ):
        return "denies what its cited facts state"
    return ""
