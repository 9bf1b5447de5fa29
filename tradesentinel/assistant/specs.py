"""The tools as a model sees them: names, descriptions and typed argument schemas, defined once.

A tool-calling model (Ollama's `tools` field, a LangChain chat model) chooses from these; its
arguments are validated here before anything runs, and turned into the planner's `Call`s, so a
model-chosen call goes through the same investigation service as a parsed one.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from tradesentinel.assistant.planner import Call
from tradesentinel.errors import TradeSentinelError
from tradesentinel.investigate.query import AnomalyQuery


class Filters(BaseModel):
    """Anomaly filters: countries, HS prefix, period (YYYY-MM), kind."""

    country: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="Reporter or partner, ISO3.")
    counterpart: str | None = Field(
        None, pattern=r"^[A-Z]{3}$", description="With country: the other side, ISO3."
    )
    reporter: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="Reporting country, ISO3.")
    partner: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="Partner country, ISO3.")
    hs: str | None = Field(None, pattern=r"^\d{2,6}$", description="HS code prefix, e.g. 8542.")
    period_from: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="First month, YYYY-MM.")
    period_to: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="Last month, YYYY-MM.")
    kind: str | None = Field(None, description="Anomaly kind, e.g. sanctions, spike, mirror_gap.")

    def query(self) -> AnomalyQuery:
        """The filters as the service's query."""
        return AnomalyQuery.of(**self.model_dump())


class TopArgs(Filters):
    k: int = Field(5, ge=1, le=20, description="How many flows.")


class CountArgs(Filters):
    top_of: int | None = Field(None, ge=1, le=10_000, description="Count within the first N of the ranking.")


class ScreenArgs(BaseModel):
    name: str = Field(min_length=2, max_length=200, description="A party's name or an identifier number.")


class HSArgs(BaseModel):
    code: str = Field(pattern=r"^\d{2}(\d{2}){0,2}$", description="An HS code of 2, 4 or 6 digits.")


class ProductArgs(BaseModel):
    words: str = Field(min_length=2, max_length=100, description="Product words, e.g. smartphones.")


class ExplainArgs(BaseModel):
    flow_id: str | None = Field(None, pattern=r"^[0-9a-f]{16}$", description="A flow id.")
    reporter: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    partner: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    flow: Literal["X", "M", "RX", "RM"] | None = None
    hs_code: str | None = Field(None, pattern=r"^\d{2,6}$")


class NewsArgs(BaseModel):
    countries: list[str] = Field(
        default_factory=list, max_length=3, description="ISO3 codes the news must all name."
    )
    names: list[str] = Field(
        default_factory=list, max_length=3, description="Names the headline must mention."
    )


class PartiesArgs(BaseModel):
    country_code: str = Field(pattern=r"^[A-Z]{3}$", description="ISO3 of the country.")


SPECS: dict[str, tuple[str, type[BaseModel]]] = {
    "top_anomalies": ("The top flagged flows in the default ranking, filtered.", TopArgs),
    "count_anomalies": ("How many flagged flows match the filters.", CountArgs),
    "total_value": ("The value of the flagged flows matching the filters.", Filters),
    "corridor": ("A corridor's scored and flagged flows.", Filters),
    "evasion_patterns": ("Corridors where trade looks diverted to sanctioned destinations.", Filters),
    "explain_flow": ("Why one flow was flagged (by id or by its key).", ExplainArgs),
    "screen": ("Screen a name or identifier against the loaded sanctions lists.", ScreenArgs),
    "listed_parties": ("Listed parties tied to a country.", PartiesArgs),
    "hs_code": ("Describe an HS code with its parents.", HSArgs),
    "hs_search": ("Find HS codes whose descriptions name a product.", ProductArgs),
    "news": ("News naming the given countries and names.", NewsArgs),
}
"""Every tool a model may choose: (description, argument schema)."""


def tool_schemas() -> list[dict[str, Any]]:
    """The tools in the JSON shape Ollama's and OpenAI's `tools` fields take."""
    return [
        {
            "type": "function",
            "function": {"name": name, "description": text, "parameters": schema.model_json_schema()},
        }
        for name, (text, schema) in SPECS.items()
    ]


def to_call(name: str, arguments: dict[str, Any]) -> Call | None:
    """A model's tool call as a planner Call, or None when the name or the arguments are not valid."""
    if name not in SPECS:
        return None
    try:
        args = SPECS[name][1].model_validate(arguments or {})
    except ValidationError:
        return None
    if isinstance(args, Filters):
        extra = {k: v for k, v in args.model_dump().items() if k not in Filters.model_fields}
        try:
            return Call(tool=name, args={"query": args.query(), **extra})
        except TradeSentinelError:
            return None
    values = args.model_dump(exclude_none=True)
    if name == "news":
        values = {"countries": tuple(values.get("countries", ())), "names": tuple(values.get("names", ()))}
    return Call(tool=name, args=values)
