"""The one query contract over the ranked anomalies: filters, sort, order, offset, limit.

`AnomalyQuery` is what the API's query parameters, the Explorer's form, the map and the assistant's
tools all build; later features only add fields to it. It validates itself (a bad value is an
`InvalidArgumentError` naming the parameter) and turns into one polars predicate and one sort.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

import polars as pl
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from tradesentinel.detectors.ensemble import TIERS
from tradesentinel.detectors.signals import SANCTIONS_SIDE
from tradesentinel.errors import InvalidArgumentError, echo
from tradesentinel.investigate.kinds import FILTER_KINDS, kinds_for
from tradesentinel.reference import hs_prefixes, valid_iso3

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

MAX_PAGE = 500
"""Most anomalies one page may hold."""

DEFAULT_FLOOR_USD = 10_000.0
"""The materiality floor when no setting says otherwise (TRADESENTINEL_MATERIALITY_FLOOR_USD)."""
TIER_CHOICES = ("flagged", "high", "medium", "review", "all")
"""The `tier` filter: `flagged` (the default views: the review tier and above, with at least the
materiality floor at stake unless a sanctions reason applies), a tier and those above it (floor
applied), or `all` (every scored flow)."""
TIER_LEVELS: dict[str, tuple[str, ...]] = {
    "high": ("high",),
    "medium": ("high", "medium"),
    "review": ("high", "medium", "review"),
    "flagged": ("high", "medium", "review"),
}

ISO3 = r"^[A-Za-z]{3}$"
PERIOD = r"^[12]\d{3}(-(0[1-9]|1[0-2]))?$"
SORTS = ("rank", "score", "value_at_stake", "value_usd", "period", "corridor")
"""What a list can be sorted by; `rank` (the ensemble's order) is the default. `value_at_stake` falls
back to `value_usd` on scores written before the detectors stored it; `corridor` is reporter, partner."""


def _country(value: Any) -> Any:
    """An ISO3 code in any case (blank: no filter); InvalidArgumentError for a code nobody uses."""
    if not isinstance(value, str):
        return value
    code = value.strip().upper()
    if not code:
        return None
    if re.fullmatch(ISO3, code) and code not in valid_iso3():
        raise ValueError(f"unknown country code {echo(code)} (ISO 3166 alpha-3, e.g. RUS)")
    return code


def _hs(value: Any) -> Any:
    """An HS code or prefix (blank: no filter) that the HS 2022 nomenclature knows."""
    if not isinstance(value, str):
        return value
    code = value.strip()
    if not code:
        return None
    if code.isdigit() and len(code) <= 6 and code not in hs_prefixes():
        raise ValueError(f"unknown HS code {echo(code)}")
    return code


Country = Annotated[
    str | None,
    BeforeValidator(_country),
    Field(pattern=r"^[A-Z]{3}$"),
    WithJsonSchema({"type": "string", "pattern": ISO3}),
]
"""An ISO3 country filter in any case; codes nobody uses (XXX) are refused."""

HsCode = Annotated[
    str | None,
    BeforeValidator(_hs),
    Field(pattern=r"^\d{1,6}$"),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,6}$"}),
]
"""An HS code or prefix filter; prefixes of no HS 2022 code are refused."""

Tier = Annotated[
    Literal[TIER_CHOICES] | None,  # type: ignore[valid-type]
    Field(
        description="Risk tier: `flagged` (review tier and above with at least the materiality floor at stake "
        "unless a sanctions reason applies), `high` (top 0.1%), `medium` (top 1%), `review` (top 5%), or "
        "`all` (every scored flow)."
    ),
]
"""The `tier` filter (TIER_CHOICES) and its description; None does not filter. The one definition both
queries use, each with its own default."""


def _period(value: Any, *, end: bool) -> Any:
    """'YYYY-MM' (that month) or 'YYYY' (its first month, or its last when `end`); blank: no filter."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if re.fullmatch(PERIOD, text) is None:
            raise ValueError("expected YYYY-MM or YYYY")
        if len(text) == 4:
            return date(int(text), 12 if end else 1, 1)
        return month_start(text)
    return value


Month = Annotated[
    date | None,
    BeforeValidator(lambda v: _period(v, end=False)),
    WithJsonSchema({"type": "string", "pattern": PERIOD}),
]
"""A first-month filter: written YYYY-MM or YYYY (January), held as the first day of the month."""

EndMonth = Annotated[
    date | None,
    BeforeValidator(lambda v: _period(v, end=True)),
    WithJsonSchema({"type": "string", "pattern": PERIOD}),
]
"""A last-month filter: written YYYY-MM or YYYY (December), held as the first day of the month."""


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

    country: Country = Field(None, description="Reporter or partner (ISO3, any case).")
    reporter: Country = Field(None, description="Reporting country (ISO3, any case).")
    partner: Country = Field(None, description="Partner country (ISO3, any case).")
    counterpart: Country = Field(
        None, description="With `country`: the other side of the trade (flows between the two, either way)."
    )
    origin: Country = Field(
        None, description="Goods shipped from (ISO3): the exporter's or the importer's report."
    )
    destination: Country = Field(None, description="Goods shipped to (ISO3), either side's report.")
    flow: Literal["X", "M", "RX", "RM"] | None = Field(None, description="Flow code of the report.")
    hs: HsCode = Field(None, description="HS code or prefix (2, 4 or 6 digits), e.g. 8542.")
    period_from: Month = Field(None, description="First month, YYYY-MM (or YYYY: its January), inclusive.")
    period_to: EndMonth = Field(None, description="Last month, YYYY-MM (or YYYY: its December), inclusive.")
    min_score: float = Field(0.0, ge=0.0, le=1.0, description="Lowest ensemble score kept.")
    tier: Tier = None
    kind: Literal[FILTER_KINDS] | None = Field(  # type: ignore[valid-type]
        None,
        description="What the flow's reasons point at (detectors/signals.py): a kind, `sanctions` for every "
        "sanctions-side kind, or an older name (surge, value_outlier).",
    )
    label: str | None = Field(None, max_length=40, description="Injected kind (DEMO data).")
    sort: Literal[SORTS] = Field("rank", description="Sort key.")  # type: ignore[valid-type]
    order: Literal["asc", "desc"] | None = Field(
        None, description="Sort order; default: rank and corridor ascending, the others descending."
    )
    offset: int = Field(0, ge=0, le=10_000_000, description="Rows to skip.")
    limit: int = Field(50, ge=1, le=MAX_PAGE, description="Rows per page.")

    @model_validator(mode="after")
    def _ordered_periods(self) -> AnomalyQuery:
        if self.period_from and self.period_to and self.period_from > self.period_to:
            raise InvalidArgumentError(
                "period_to",
                f"{self.period_to:%Y-%m} is before period_from {self.period_from:%Y-%m}",
                hint="swap them",
            )
        return self

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
                field,
                f"{echo(first.get('input'))} is not valid: {first['msg'].removeprefix('Value error, ')}",
            ) from None

    def predicate(self, columns: Collection[str] = (), floor_usd: float = DEFAULT_FLOOR_USD) -> pl.Expr:
        """One polars predicate for all the given filters; `columns` (of the frame it filters) tell
        whether the scoring run wrote tiers and value at stake, `floor_usd` is the materiality floor."""
        expr = pl.col("score") >= self.min_score
        for field, condition in FILTERS.items():
            value = getattr(self, field)
            if value:
                expr &= condition(self, value)
        if self.origin or self.destination:
            expr &= _goods_direction(self.origin, self.destination)
        if self.tier and self.tier != "all":
            expr &= tier_expr(self.tier, columns, floor_usd)
        return expr

    def sort_keys(self, columns: list[str] | tuple[str, ...]) -> list[str]:
        """The columns this query sorts by, present in `columns` (rank breaks every tie)."""
        if self.sort == "corridor":
            return ["reporter", "partner", "rank"]
        if self.sort == "value_at_stake":
            return ["value_at_stake_usd" if "value_at_stake_usd" in columns else "value_usd", "rank"]
        return [self.sort] if self.sort == "rank" else [self.sort, "rank"]

    def in_rank_order(self) -> bool:
        """Whether the query lists in the ensemble's order (rank ascending), the order snapshots keep."""
        return self.sort == "rank" and not self.descending()

    def sorted(self, frame: Frame) -> Frame:
        """`frame` (in rank order) in this query's sort order; rank breaks ties, ascending unless rank
        is itself the sort key."""
        if self.in_rank_order():
            return frame
        keys = self.sort_keys(frame.collect_schema().names())
        descending = [self.descending() if k != "rank" else self.descending() and k == keys[0] for k in keys]
        return frame.sort(keys, descending=descending, nulls_last=True)

    def predicate_fields(self) -> list[str]:
        """The filters this query sets (empty: every scored flow)."""
        fields = [f for f in (*FILTERS, "origin", "destination") if getattr(self, f)]
        return [*fields, "tier"] if self.tier and self.tier != "all" else fields

    def descending(self) -> bool:
        """Whether the sort runs high to low (rank runs low to high unless asked otherwise)."""
        if self.order is not None:
            return self.order == "desc"
        return self.sort not in ("rank", "corridor")


def tier_expr(tier: str, columns: Collection[str], floor_usd: float = DEFAULT_FLOOR_USD) -> pl.Expr:
    """Flows in `tier` or above (TIER_LEVELS) with at least `floor_usd` at stake unless a sanctions-side
    reason applies; a flow whose stake is unknown is kept. On a scores table written before tiers
    (no `tier` column), the tier is read off `rank` with the same shares; without value at stake, no
    floor applies."""
    levels = TIER_LEVELS[tier]
    if "tier" in columns:
        expr = pl.col("tier").is_in(levels)
    else:
        share = dict(TIERS)[levels[-1]]
        expr = pl.col("rank") <= (pl.len() * share).ceil().clip(lower_bound=1)
    if "value_at_stake_usd" in columns:
        stake = pl.col("value_at_stake_usd")
        sanctions = pl.col("kind").is_in([s.value for s in SANCTIONS_SIDE])
        expr &= (stake >= floor_usd) | stake.is_null() | sanctions
    return expr


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


class AnomalyListQuery(AnomalyQuery):
    """The anomalies list's query: the same filters, the flagged flows by default (the review tier
    and above, materiality floor applied, by rank); `tier=all` lists every scored flow."""

    tier: Tier = "flagged"  # the same field, only the default differs (the schema states it)
