"""The one query contract over the ranked anomalies: filters, sort, order, offset, limit.

`AnomalyQuery` is what the API's query parameters, the Explorer's form, the map and the assistant's
tools all build; later features only add fields to it. It validates itself (a bad value is an
`InvalidArgumentError` naming the parameter) and turns into one polars predicate and one sort.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from tradesentinel.errors import InvalidArgumentError, echo
from tradesentinel.investigate.kinds import FILTER_KINDS, kinds_for

MAX_PAGE = 500
"""Most anomalies one page may hold."""

ISO3 = r"^[A-Z]{3}$"
PERIOD = r"^[12]\d{3}-(0[1-9]|1[0-2])$"
SORTS = ("rank", "score", "value_usd", "period")
"""What a list can be sorted by; `rank` (the ensemble's order) is the default."""

Country = Annotated[str | None, Field(pattern=ISO3)]


def _month(value: Any) -> Any:
    """A 'YYYY-MM' string as the first day of that month (blank: no filter); dates pass through."""
    if isinstance(value, str):
        if not value.strip():
            return None
        if re.fullmatch(PERIOD, value) is None:
            raise ValueError("expected YYYY-MM")
        return month_start(value)
    return value


Month = Annotated[
    date | None,
    BeforeValidator(_month),
    WithJsonSchema({"type": "string", "pattern": PERIOD}),
]
"""A month filter: written YYYY-MM, held as the first day of the month."""


def month_start(text: str) -> date:
    """'YYYY-MM' as the first day of that month (InvalidArgumentError names the bad value)."""
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise InvalidArgumentError("period", f"{echo(text)} is not YYYY-MM") from None


class AnomalyQuery(BaseModel):
    """Which scored flows to list and in what order; None fields do not filter."""

    model_config = ConfigDict(frozen=True)

    country: Country = Field(None, description="Reporter or partner (ISO3).")
    reporter: Country = Field(None, description="Reporting country (ISO3).")
    partner: Country = Field(None, description="Partner country (ISO3).")
    counterpart: Country = Field(
        None, description="With `country`: the other side of the trade (flows between the two, either way)."
    )
    origin: Country = Field(
        None, description="Goods shipped from (ISO3): the exporter's or the importer's report."
    )
    destination: Country = Field(None, description="Goods shipped to (ISO3), either side's report.")
    flow: Literal["X", "M", "RX", "RM"] | None = Field(None, description="Flow code of the report.")
    hs: str | None = Field(None, pattern=r"^\d{1,6}$", description="HS code prefix, e.g. 8542.")
    period_from: Month = Field(None, description="First month, YYYY-MM, inclusive.")
    period_to: Month = Field(None, description="Last month, YYYY-MM, inclusive.")
    min_score: float = Field(0.0, ge=0.0, le=1.0, description="Lowest ensemble score kept.")
    kind: Literal[FILTER_KINDS] | None = Field(  # type: ignore[valid-type]
        None,
        description="What the flow's reasons point at (detectors/signals.py): a kind, `sanctions` for every "
        "sanctions-side kind, or an older name (surge, value_outlier).",
    )
    label: str | None = Field(None, max_length=40, description="Injected kind (DEMO data).")
    sort: Literal[SORTS] = Field("rank", description="Sort key.")  # type: ignore[valid-type]
    order: Literal["asc", "desc"] | None = Field(
        None, description="Sort order; default: rank ascending, the others descending."
    )
    offset: int = Field(0, ge=0, le=10_000_000, description="Rows to skip.")
    limit: int = Field(50, ge=1, le=MAX_PAGE, description="Rows per page.")

    @classmethod
    def of(cls, **fields: Any) -> AnomalyQuery:
        """A query from loose inputs (a form, a tool call): blanks do not filter, and a bad value is an
        InvalidArgumentError naming its field instead of pydantic's error list."""
        given = {k: v for k, v in fields.items() if v is not None and v != ""}
        try:
            return cls(**given)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "query"
            raise InvalidArgumentError(
                field, f"{echo(first.get('input'))} is not valid: {first['msg']}"
            ) from None

    def predicate(self) -> pl.Expr:
        """One polars predicate for all the given filters."""
        expr = pl.col("score") >= self.min_score
        for field, condition in FILTERS.items():
            value = getattr(self, field)
            if value:
                expr &= condition(self, value)
        if self.origin or self.destination:
            expr &= _goods_direction(self.origin, self.destination)
        return expr

    def predicate_fields(self) -> list[str]:
        """The filters this query sets (empty: every scored flow)."""
        return [f for f in (*FILTERS, "origin", "destination") if getattr(self, f)]

    def descending(self) -> bool:
        """Whether the sort runs high to low (rank runs low to high unless asked otherwise)."""
        if self.order is not None:
            return self.order == "desc"
        return self.sort != "rank"


def _either_side(country: str) -> pl.Expr:
    return (pl.col("reporter") == country) | (pl.col("partner") == country)


FILTERS: dict[str, Callable[[AnomalyQuery, Any], pl.Expr]] = {
    "country": lambda q, v: _either_side(v),
    "reporter": lambda q, v: pl.col("reporter") == v,
    "partner": lambda q, v: pl.col("partner") == v,
    "counterpart": lambda q, v: _either_side(v),
    "flow": lambda q, v: pl.col("flow") == v,
    "hs": lambda q, v: pl.col("hs_code").str.starts_with(v),
    "period_from": lambda q, v: pl.col("period") >= v,
    "period_to": lambda q, v: pl.col("period") <= v,
    "kind": lambda q, v: pl.col("kind").is_in(kinds_for(v)),
    "label": lambda q, v: pl.col("label") == v,
}
"""Each filter field of a query and the condition it adds when set."""


def _goods_direction(origin: str | None, destination: str | None) -> pl.Expr:
    """Flows carrying goods from `origin` to `destination` as either side reports them: the exporter's
    X/RX row (reporter = origin) or the importer's M/RM row (reporter = destination)."""
    exported = pl.col("flow").is_in(["X", "RX"])
    imported = pl.col("flow").is_in(["M", "RM"])
    if origin:
        exported &= pl.col("reporter") == origin
        imported &= pl.col("partner") == origin
    if destination:
        exported &= pl.col("partner") == destination
        imported &= pl.col("reporter") == destination
    return exported | imported
