"""A model-written narrative for one flow's explanation: the assistant's verified answer about the flow,
its evidence appended after the explanation's own and its citations renumbered to match."""

from __future__ import annotations

from tradesentinel.assistant.service import Assistant
from tradesentinel.assistant.view import answer_view, renumber
from tradesentinel.investigate.explain import verified_citations
from tradesentinel.investigate.types import Explanation, Narrative


def narrated(explanation: Explanation, assistant: Assistant) -> Explanation:
    """`explanation` with the assistant's narrative (mode llm, or evidence when nothing verified)."""
    a = explanation.anomaly
    question = f"Why was flow {a.flow_id} ({a.period:%Y-%m}, {a.reporter} {a.flow} {a.partner}, HS {a.hs_code}) flagged?"
    answer = answer_view(assistant.ask(question))
    offset = len(explanation.evidence)
    extra = [e.model_copy(update={"n": e.n + offset}) for e in answer.evidence]
    evidence = explanation.evidence + extra
    text = renumber(answer.text, offset)
    story = Narrative(
        mode=answer.mode, text=text, cited=verified_citations(text, evidence), notes=answer.notes
    )
    return explanation.model_copy(update={"evidence": evidence, "narrative": story})
