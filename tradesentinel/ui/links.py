"""Deep links: what a URL (`/?tab=explorer&country=KAZ&hs=8542&from=2023-01`, `/#explorer`,
`/?flow_id=...`, `/?tab=timeline&reporter=KGZ&partner=RUS&hs=8482`, `/?case=3`) asks the UI to show,
and the query string that brings an analyst's current view back. Pure functions: the JS hook in
ui/app.py reads and writes `location`, these read and write its text."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

TABS = ("chat", "map", "timeline", "explorer", "cases")
EXPLORER_KEYS = (
    "country",
    "reporter",
    "partner",
    "hs",
    "from",
    "to",
    "min",
    "kind",
    "tier",
    "sort",
    "order",
    "p",
)
TIMELINE_KEYS = ("reporter", "partner", "hs", "flow")


@dataclass(frozen=True)
class Link:
    """What a URL names: the tab, its parameters (strings, at most 200 characters each), a flow and a case."""

    tab: str = "chat"
    params: dict[str, str] = field(default_factory=dict)
    flow_id: str | None = None
    case: int | None = None

    def get(self, key: str, default: str = "") -> str:
        """One parameter, or `default`."""
        return self.params.get(key, default)


def parse_link(location: str) -> Link:
    """The Link in `location` (its search and hash, e.g. '?tab=map' or '#explorer' or both, '|'-joined)."""
    search, _, fragment = (location or "").partition("#")
    search = search.split("|")[0]
    params = {k: v.strip()[:200] for k, v in parse_qsl(search.lstrip("?"), keep_blank_values=False)}
    tab = params.pop("tab", "").lower() or fragment.strip().lower().split("&")[0]
    flow_id = params.pop("flow_id", None)
    flow_id = flow_id if flow_id and flow_id.isalnum() and len(flow_id) <= 32 else None
    case = params.pop("case", "")
    case_id = int(case) if case.isdigit() and len(case) < 10 else None
    if tab not in TABS:
        tab = (
            "explorer"
            if flow_id
            else "cases"
            if case_id
            else ("explorer" if any(k in params for k in EXPLORER_KEYS) else "chat")
        )
    return Link(tab=tab, params=params, flow_id=flow_id, case=case_id)


def link_query(tab: str, params: dict[str, object]) -> str:
    """The query string for a view: tab first, then every non-blank parameter."""
    clean = {  # "all" is a default (kind), except for the tier, whose default is "flagged"
        k: str(v) for k, v in params.items() if v not in (None, "") and (v != "all" or k == "tier")
    }
    return urlencode({"tab": tab, **clean})
