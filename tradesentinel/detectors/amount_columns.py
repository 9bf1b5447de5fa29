"""`significant` and `amount_words` (base.py) for whole columns: the same text, byte for byte, polars only.

Python's format specs ("{:.1f}", "{:,.0f}", "{:g}", repr) round the exact binary value of a float, half
to even. So do these functions, with exact integers: a finite float is an integer mantissa times a power
of two, so round(x * 10**k) is a quotient of two Int128 numbers rounded half to even, whose digits are
then placed as the format places them. A column of values is written in one pass with no Python call
per value (the evidence documents write thousands of reasons this way).

They take and return Series and work through a few `with_columns` steps on a private frame, each step a
shallow expression over the previous step's columns: polars plans a deep expression tree in time that
grows with the square of its depth, which for one expression doing all this would cost more than the
writing. One formatter (`_write`) writes every style, chosen per row, so `amount_words_series` rounds
once whatever the unit.

Exact while the quotient fits Int128: |x| * 10**decimals below about 8e36 for the fixed formats
(".1f", ",.0f"...), 1e-27 <= |x| < 1e38 for `significant` (from 1e-24 for "{:g}"), which covers any
amount, share, z-score or ratio a trade table holds. A value outside that range is written as polars'
shortest repr of it ("1e+40"), where Python prints every binary digit of it. `amount_words(v, "log")`
raises OverflowError for v > 709.78 (math.exp); `amount_words_series` writes "xinf" there.
"""

from __future__ import annotations

import calendar
import math

import polars as pl

EXACT_BITS = 124
"""The largest numerator and denominator of an exact rounding, in bits: twice a remainder must fit Int128."""
LARGEST_EXPONENT = 37
"""The largest decimal exponent `significant_series` writes exactly: its rounded value must fit Int128."""
MONTHS: dict[int, str] = {m: calendar.month_name[m] for m in range(1, 13)}
"""Month numbers -> names, as `amount_words` writes a "month" unit."""
UNIT_FORMATS: dict[str, tuple[str, str, int, str]] = {
    # unit: (prefix, style, decimals, suffix); style "f" fixed decimals, "s" `significant`, "g" "{:g}"
    "USD": ("USD ", "f", 0, ""),  # from USD 1,000 up: one decimal of thousands, millions, billions
    "USD/kg": ("USD ", "s", 0, "/kg"),
    "kg": ("", "f", 0, " kg"),  # with thousands separators
    "share": ("", "f", 1, "%"),  # of 100 x the share
    "z": ("z ", "f", 1, ""),  # signed
    "log": ("x", "s", 0, ""),  # of exp(value)
    "month": ("month ", "g", 0, ""),  # outside 1..12 (a month's name otherwise)
    "year": ("", "f", 0, ""),
}
"""How `amount_words` writes a value of each unit; any other unit (count, code...) is `significant`."""
OTHER_UNIT = ("", "s", 0, "")
"""UNIT_FORMATS' entry for a unit it does not name."""
c = pl.col
"""Short for pl.col: the steps below name many columns."""


def _power(base: int, exponent: pl.Expr) -> pl.Expr:
    """base**exponent as an Int128 (the exponent clipped to 0..126; callers mask rows where it mattered)."""
    return pl.lit(base, dtype=pl.Int128).pow(exponent.clip(0, 126))


def _is_negative(x: pl.Expr) -> pl.Expr:
    """Whether Python writes `x` with a minus sign: x < 0, or -0.0 (never NaN)."""
    return (x < 0) | ((x == 0) & ((pl.lit(1.0) / x) < 0))


def _scaled(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (columns `a`, finite and >= 0, and `k`, Int64) with `n` = round(a * 10**k) as Int128, rounded
    half to even from the exact binary value of `a`; `k` may be negative (round to tens, hundreds...). Null
    where the exact quotient would not fit (module docstring); 0 wherever the product is clearly below 1/2."""
    log2_5 = math.log2(5)
    steps = frame.with_columns(  # a * 2**twos lies in [2**52, 2**55): an integer, whichever way log2 rounded
        _twos=(53.0 - c("a").log(2).floor()).cast(pl.Int64, strict=False)
    ).with_columns(
        _shift=c("k") - c("_twos"),  # a * 10**k = mantissa * 5**k * 2**shift
        _mantissa=(c("a") * pl.lit(2.0).pow(c("_twos"))).cast(pl.Int128, strict=False),
        _zero=(c("a") == 0) | (c("a") * pl.lit(10.0).pow(c("k")) < 0.25),
    )
    steps = steps.with_columns(
        _numerator=c("_mantissa") * _power(5, c("k")) * _power(2, c("_shift")),
        _denominator=_power(5, -c("k")) * _power(2, -c("_shift")),
        _fits=(55 + log2_5 * c("k").clip(0) + c("_shift").clip(0) <= EXACT_BITS)
        & (log2_5 * (-c("k")).clip(0) + (-c("_shift")).clip(0) <= EXACT_BITS)
        & (c("_twos") <= 1000),
    ).with_columns(
        _quotient=c("_numerator") // c("_denominator"),
        _twice_rest=(c("_numerator") % c("_denominator")) * 2,
    )
    up = (c("_twice_rest") > c("_denominator")) | (
        (c("_twice_rest") == c("_denominator")) & (c("_quotient") % 2 == 1)
    )
    n = (
        pl.when(c("_zero"))
        .then(pl.lit(0, dtype=pl.Int128))
        .when(c("_fits"))
        .then(c("_quotient") + up.cast(pl.Int128))
    )
    return steps.with_columns(n=n).drop([name for name in steps.columns if name.startswith("_")])


def _point(n: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    """The digits of the integer `n` with a point `decimals` (>= 0) digits from the right: 1234, 2 -> "12.34"."""
    digits = n.cast(pl.String).str.zfill(decimals + 1)
    pointed = digits.str.head(-decimals) + pl.lit(".") + digits.str.tail(decimals)
    return pl.when(decimals > 0).then(pointed).otherwise(digits)


def _thousands(text: pl.Expr) -> pl.Expr:
    """A comma every three digits of the whole part: "1234567.5" -> "1,234,567.5"."""
    whole = text.str.extract(r"^(\d+)").str.reverse().str.replace_all(r"(\d{3})", "${1},")
    return whole.str.strip_chars_end(",").str.reverse() + text.str.extract(r"^\d+(.*)$").fill_null("")


def _strip_zeros(text: pl.Expr) -> pl.Expr:
    """Trailing zeros of a decimal fraction and then a bare point: "12.500" -> "12.5", "3.00" -> "3"."""
    return text.str.strip_chars_end("0").str.strip_chars_end(".")


def _exponent_words(exponent: pl.Expr) -> pl.Expr:
    """A scientific exponent as Python writes it: "e+08", "e-05", "e+100"."""
    sign = pl.when(exponent < 0).then(pl.lit("e-")).otherwise(pl.lit("e+"))
    return sign + exponent.abs().cast(pl.String).str.zfill(2)


def _rounded(frame: pl.DataFrame) -> pl.DataFrame:
    """`_write`'s frame with the integer `n` to write with `k` decimals, and the decimal exponent `e`."""
    # floor(log10 |x|): off by one only within 1e-13 of a power of ten, where every style writes the same
    # digits either way (the power of ten itself)
    a = c("x").abs()
    steps = frame.with_columns(
        a=a, e=pl.when(a.is_finite() & (a > 0)).then(a.log10().floor()).cast(pl.Int64, strict=False)
    )
    figures = c("figures") - 1 - c("e")
    steps = _scaled(steps.with_columns(k=pl.when(c("style") == "f").then(c("decimals")).otherwise(figures)))
    # "g": rounding made one more figure (999999.5 -> 1000000), which moves the exponent
    carry = ((c("style") == "g") & (c("n") >= _power(10, c("figures")))).cast(pl.Int64)
    steps = steps.with_columns(carry=carry).with_columns(
        n=pl.when(c("carry") == 1).then(c("n") // 10).otherwise(c("n")),
        e=c("e") + c("carry"),
        k=c("k") - c("carry"),
    )
    # "s" from 10**(figures - 1) up: Python's round(x, k) is the decimal's nearest double, written whole
    steps = steps.with_columns(whole=(c("style") == "s") & (c("k") <= 0))
    double = (c("n") * _power(10, -c("k"))).cast(pl.Float64).cast(pl.Int128, strict=False)
    return steps.with_columns(
        n=pl.when(~c("whole")).then(c("n")).when(c("e") <= LARGEST_EXPONENT).then(double),
        k=pl.when(c("whole")).then(0).otherwise(c("k")).clip(0),
        thousands=c("thousands") | c("whole"),
    )


def _write(frame: pl.DataFrame) -> pl.Series:
    """Each `x` of `frame` as Python writes it, in the style of its row: "f" f"{x:.{decimals}f}" ("+" and ","
    options as `plus` and `thousands`), "s" `significant(x, figures)`, "g" f"{x:g}" (figures 6).

    `frame` has columns x (Float64), style (String), decimals and figures (Int64), plus and thousands
    (Boolean)."""
    steps = _rounded(frame).with_columns(text=_point(c("n"), c("k")))
    strip = (c("style") != "f") & (c("k") > 0)
    steps = steps.with_columns(text=pl.when(strip).then(_strip_zeros(c("text"))).otherwise(c("text")))
    steps = steps.with_columns(text=pl.when(c("thousands")).then(_thousands(c("text"))).otherwise(c("text")))
    digits = c("n").cast(pl.String)
    scientific = _strip_zeros(digits.str.head(1) + pl.lit(".") + digits.str.slice(1)) + _exponent_words(
        c("e")
    )
    general = (c("style") == "g") & ((c("e") < -4) | (c("e") >= c("figures")))
    body = pl.when(general).then(scientific).otherwise(c("text"))
    sign = (
        pl.when(_is_negative(c("x")))
        .then(pl.lit("-"))
        .when(c("plus"))
        .then(pl.lit("+"))
        .otherwise(pl.lit(""))
    )
    written = (
        pl.when(c("x").is_nan())
        .then(pl.when(c("plus")).then(pl.lit("+nan")).otherwise(pl.lit("nan")))
        .when(c("x").is_infinite())
        .then(sign + pl.lit("inf"))
        .when((c("x") == 0) & (c("style") != "f"))
        .then(sign + pl.lit("0"))
        .otherwise(sign + body.fill_null(c("x").abs().cast(pl.String)))
    )
    return steps.select(written.alias("text"))["text"]


def _styled(
    x: pl.Series, style: str, decimals: int = 0, figures: int = 3, plus: bool = False, thousands: bool = False
) -> pl.Series:
    """`_write` with one style for every value of `x`."""
    frame = pl.DataFrame({"x": x.cast(pl.Float64)})
    return _write(
        frame.with_columns(
            style=pl.lit(style),
            decimals=pl.lit(decimals, dtype=pl.Int64),
            figures=pl.lit(figures, dtype=pl.Int64),
            plus=pl.lit(plus),
            thousands=pl.lit(thousands),
        )
    )


def fixed_series(x: pl.Series, decimals: int, *, plus: bool = False, thousands: bool = False) -> pl.Series:
    """Python's f"{x:.{decimals}f}" of each value ("+" and "," options as `plus` and `thousands`)."""
    return _styled(x, "f", decimals, plus=plus, thousands=thousands)


def significant_series(values: pl.Series, digits: int = 3) -> pl.Series:
    """`significant(value, digits)` of each value: "0.979", "12.3", "1,240", "0.0000495"."""
    return _styled(values, "s", figures=digits)


def general_series(x: pl.Series) -> pl.Series:
    """Python's f"{x:g}" of each value: "13", "0.5", "1.23457e+08", "1e-07"."""
    return _styled(x, "g", figures=6)


def repr_series(x: pl.Series) -> pl.Series:
    """Python's repr of each Float64: polars' shortest digits (the same digits) laid out as Python lays
    them, "0.1", "100.0", "1e-07", "1.5e+16"; "inf", "nan" as Python writes them."""
    text = c("text")
    steps = pl.DataFrame({"x": x.cast(pl.Float64)}).with_columns(text=c("x").abs().cast(pl.String))
    steps = steps.with_columns(
        whole=text.str.extract(r"^(\d+)"),
        fraction=text.str.extract(r"^\d+\.(\d+)").fill_null(""),
        written=text.str.extract(r"e([+-]?\d+)$").cast(pl.Int64).fill_null(0),
    ).with_columns(all_digits=c("whole") + c("fraction"))
    steps = steps.with_columns(
        digits=c("all_digits").str.strip_chars_start("0").str.strip_chars_end("0"),
        lead=c("all_digits").str.len_chars() - c("all_digits").str.strip_chars_start("0").str.len_chars(),
    )
    # the decimal exponent of the first digit: d.ddd x 10**exponent
    steps = steps.with_columns(
        exponent=c("written") + c("whole").str.len_chars().cast(pl.Int64) - 1 - c("lead")
    )
    steps = steps.with_columns(
        places=(c("exponent") + 1).clip(0), size=c("digits").str.len_chars().cast(pl.Int64)
    )
    tail = pl.when(c("size") > c("places")).then(c("digits").str.slice(c("places"))).otherwise(pl.lit("0"))
    above_one = c("digits").str.pad_end(c("places"), "0").str.head(c("places")) + pl.lit(".") + tail
    below_one = pl.lit("0.") + c("digits").str.zfill((c("size") - c("exponent") - 1).clip(0))
    rest = c("digits").str.slice(1)
    scientific = (
        c("digits").str.head(1)
        + pl.when(rest != "").then(pl.lit(".") + rest).otherwise(pl.lit(""))
        + _exponent_words(c("exponent"))
    )
    body = (
        pl.when((c("exponent") < -4) | (c("exponent") >= 16))
        .then(scientific)
        .when(c("exponent") >= 0)
        .then(above_one)
        .otherwise(below_one)
    )
    sign = pl.when(_is_negative(c("x"))).then(pl.lit("-")).otherwise(pl.lit(""))
    written = (
        pl.when(c("x").is_nan())
        .then(pl.lit("nan"))
        .when(c("x").is_infinite())
        .then(sign + pl.lit("inf"))
        .when(c("x") == 0)
        .then(sign + pl.lit("0.0"))
        .otherwise(sign + body)
    )
    return steps.select(written.alias("text"))["text"]


def _unit_format(unit: pl.Expr, position: int, dtype: pl.DataType) -> pl.Expr:
    """One entry of each row's UNIT_FORMATS (OTHER_UNIT's for a unit it does not name)."""
    mapping = {name: spec[position] for name, spec in UNIT_FORMATS.items()}
    return unit.fill_null("").replace_strict(mapping, default=OTHER_UNIT[position], return_dtype=dtype)


def amount_words_series(values: pl.Series, units: pl.Series | str) -> pl.Series:
    """`amount_words(value, unit)` of each value and unit: "USD 12.3 million", "USD 4.1/kg", "x5.2", "12.5%",
    "z +1.3", "yes", "March"; "n/a" where the value is null or NaN. `units` may be one unit for all."""
    frame = pl.DataFrame({"v": values.cast(pl.Float64)}).with_columns(
        unit=units.cast(pl.String) if isinstance(units, pl.Series) else pl.lit(units, dtype=pl.String),
        big=c("v").abs(),
    )
    big, unit, usd = c("big"), c("unit"), c("unit") == "USD"
    # divide by a column, not a literal: polars divides by a literal as a product with its reciprocal,
    # which rounds some quotients the other way (912550 / 1e3 -> 912.5500000000001, not 912.55)
    size = pl.when(big >= 1e9).then(1e9).when(big >= 1e6).then(1e6).when(big >= 1e3).then(1e3).otherwise(1.0)
    word = pl.when(big >= 1e9).then(pl.lit(" billion")).when(big >= 1e6).then(pl.lit(" million"))
    word = word.when(big >= 1e3).then(pl.lit(" thousand")).otherwise(pl.lit(""))
    frame = frame.with_columns(size=size).with_columns(
        x=pl.when(usd)
        .then(c("v") / c("size"))
        .when(unit == "share")
        .then(c("v") * 100)
        .when(unit == "log")
        .then(c("v").exp())
        .otherwise(c("v")),
        style=_unit_format(unit, 1, pl.String),
        decimals=pl.when(usd & (big >= 1e3)).then(1).otherwise(_unit_format(unit, 2, pl.Int64)),
        figures=pl.when(unit == "month").then(6).otherwise(3).cast(pl.Int64),
        plus=unit == "z",
        thousands=unit == "kg",
    )
    number = _write(frame)
    name = (
        c("v")
        .floor()
        .cast(pl.Int64, strict=False)
        .replace_strict(MONTHS, default=None, return_dtype=pl.String)
    )
    words = (
        pl.when(c("v").is_null() | c("v").is_nan())
        .then(pl.lit("n/a"))
        .when(unit == "flag")
        .then(pl.when(c("v") != 0).then(pl.lit("yes")).otherwise(pl.lit("no")))
        .when((unit == "month") & (c("v") >= 1) & (c("v") <= 12))
        .then(name)
        .otherwise(
            _unit_format(unit, 0, pl.String)
            + c("number")
            + pl.when(usd).then(word).otherwise(_unit_format(unit, 3, pl.String))
        )
    )
    return frame.with_columns(number=number).select(words.alias("words"))["words"]
