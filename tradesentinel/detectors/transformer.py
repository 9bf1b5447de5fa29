"""Transformer detector: a small transformer predicts each month of a series from the months around it.

Objective: leave-one-out masked reconstruction, all months in one pass. Each month is a query that
never holds its own value: it carries the values 1, 12 and 24 months either side and attends, with
a learned bias per signed lag, to embeddings of the other months within `window` (keys come from the
inputs only, so no layer leaks a month into its own prediction). So every month of a window is a
training target at once and every month is scored by one pass; unlike a next-month forecast, the
first year is judged against the seasonality of later years (a forecaster flags each first peak).
Series (reporter, partner, flow, HS) are dense monthly arrays (missing months masked) of log value
and log unit value, normalised by their own median/MAD so the model learns shapes, not levels.
Training inputs get random outliers, so a spike does not spoil its neighbours' predictions. Errors
are standardised by the series' robust error scale (shrunk toward the global one) times a factor
for thin context; the score is the larger of the two channels.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import numpy as np
import polars as pl
import torch
from torch import nn
from torch.nn import functional as F

from tradesentinel.detectors.base import BaseDetector, DetectorSkipped
from tradesentinel.detectors.signals import Signal

SERIES_KEY = ("reporter", "partner", "flow", "hs_code")
CHANNELS = ("log_value", "log_unit_value")
READABLE = {"log_value": "value_usd", "log_unit_value": "unit_value"}
CHANNEL_WORDS = {"log_value": ("value", "USD"), "log_unit_value": ("unit value", "USD/kg")}
SCALE_FLOOR = 0.05  # log units: the least spread a series is normalised by (as z_series)
CLIP = 6.0  # normalised inputs and training targets are clipped: one outlier cannot dominate
SHRINK = 6.0  # pseudo-months pulling a series' error scale toward the global one
OUTLIER_RATE = 0.03  # share of training input months turned into outliers
LAGS = (-24, -12, -1, 1, 12, 24)  # each query shows the months 1, 12 and 24 either side
HIST = max(LAGS)  # months of padding either side of a series
SPAN = 96  # tokens per forward pass when scoring long series
N_CH = len(CHANNELS)
MIN_MONTHS = 13  # months of trade a series needs to teach the model anything


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Cap torch's CPU threads for the duration, then restore them (no lasting global state)."""
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(before, n)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _Block(nn.Module):
    """Queries attend to the month embeddings (never to each other), then a feed-forward layer."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm_q, self.norm_kv, self.norm_ff = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.kv, self.proj = nn.Linear(d, d), nn.Linear(d, 2 * d), nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(
        self, h: torch.Tensor, e: torch.Tensor, band: torch.Tensor, keys: torch.Tensor
    ) -> torch.Tensor:
        b, lq, d = h.shape
        q = self.q(self.norm_q(h)).view(b, lq, self.heads, -1).transpose(1, 2)
        k, v = self.kv(self.norm_kv(e)).view(b, e.shape[1], 2, self.heads, -1).permute(2, 0, 3, 1, 4)
        a = torch.matmul(q * q.shape[-1] ** -0.5, k.transpose(-1, -2))
        a += band  # (H, Lq, Lk): lag bias, -inf outside the window and on the query's own month
        a += keys  # (B, 1, 1, Lk): -inf on missing months
        a = torch.matmul(torch.softmax(a, dim=-1), v)  # manual: SDPA with a float mask is slower on CPU
        h = h + self.proj(a.transpose(1, 2).reshape(b, lq, d))
        return h + self.ff(self.norm_ff(h))


class _Net(nn.Module):
    """Predicts months q0..q1 of padded series x, each from the other months k0..k1 (never itself)."""

    def __init__(self, d_model: int, n_heads: int, n_layers: int, window: int) -> None:
        super().__init__()
        self.window = window
        self.query_in = nn.Linear(2 * N_CH * len(LAGS), d_model)
        self.key_in = nn.Linear(2 * N_CH, d_model)
        self.calendar = nn.Embedding(12, d_model)
        self.sink = nn.Parameter(torch.zeros(1, 1, d_model))  # always visible: no month is ever context-free
        self.lag_bias = nn.Parameter(torch.zeros(n_heads, 2 * window + 1))
        self.blocks = nn.ModuleList(_Block(d_model, n_heads) for _ in range(n_layers))
        self.norm, self.out = nn.LayerNorm(d_model), nn.Linear(d_model, N_CH)

    def forward(self, x: torch.Tensor, q: range, k: range, first: torch.Tensor) -> torch.Tensor:
        """x (B, HIST + T + HIST, C) normalised, NaN missing; first (B, 1): calendar month of month 0."""
        lagged = torch.cat([x[:, HIST + q.start + lag : HIST + q.stop + lag] for lag in LAGS], dim=-1)
        at = torch.arange(max(q.stop, k.stop), device=x.device)
        h = self.query_in(_inputs(lagged)) + self.calendar((first + at[q.start : q.stop]) % 12)
        xk = x[:, HIST + k.start : HIST + k.stop]
        e = self.key_in(_inputs(xk)) + self.calendar((first + at[k.start : k.stop]) % 12)
        e = torch.cat([e, self.sink.expand(len(x), 1, -1)], dim=1)
        lag = at[q.start : q.stop, None] - at[None, k.start : k.stop]
        inside = (lag.abs() <= self.window) & (lag != 0)
        band = torch.where(
            inside, self.lag_bias[:, (lag + self.window).clamp(0, 2 * self.window)], -torch.inf
        )
        band = F.pad(band, (0, 1))  # the sink
        keys = torch.where(torch.isnan(xk).all(-1), -torch.inf, 0.0)
        keys = F.pad(keys, (0, 1))[:, None, None]
        for block in self.blocks:
            h = block(h, e, band, keys)
        return self.out(self.norm(h))


def _inputs(x: torch.Tensor) -> torch.Tensor:
    """Model inputs from normalised values: clipped values (0 when missing) and observed flags."""
    return torch.cat([torch.nan_to_num(x).clamp(-CLIP, CLIP), (~torch.isnan(x)).float()], dim=-1)


def _corrupted(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """`x` with a few months turned into outliers, so the model learns to discount an isolated
    spike in the context (the predictions around a spike stay clean)."""
    shape = x.shape[:2]
    hit = torch.rand(shape, generator=gen) < OUTLIER_RATE
    jump = (torch.rand(shape, generator=gen) * 5 + 2) * (torch.randint(0, 2, shape, generator=gen) * 2 - 1)
    return x + (hit * jump)[..., None].to(x.device)


def _panel(features: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, pl.DataFrame, int]:
    """Dense normalised (S, T, C) months (NaN = missing), month-observed flags, row table, month 0.

    The row table has per input row: series `s`, month `m`, and per channel its median and scale.
    Only monthly rows span the panel: rows without a month, and annual rows, share one extra empty
    series at month 0 (so a table mixing 2005-2014 annual rows with 2018-2020 monthly ones is not a
    panel of every annual series over 20 years of empty months).
    """
    month = pl.col("period").dt.year().cast(pl.Int64) * 12 + pl.col("period").dt.month().cast(pl.Int64) - 1
    usable = pl.col("period").is_not_null()  # rows without a month, or annual rows, are not scored
    if "freq" in features.columns:
        usable = usable & (pl.col("freq") == "M").fill_null(True)
    rows = features.select(
        (pl.when(usable).then(pl.struct(SERIES_KEY)).rank("dense").cast(pl.Int64) - 1).alias("s"),
        pl.when(usable).then(month).alias("m"),
        *[pl.when(usable).then(pl.col(c).cast(pl.Float64).fill_nan(None)).alias(c) for c in CHANNELS],
    )
    first = int(rows["m"].min() or 0)
    empty = int(rows["s"].max() + 1 if rows["s"].null_count() < rows.height else 0)
    rows = rows.with_columns(pl.col("s").fill_null(empty), pl.col("m").fill_null(first) - first).with_columns(
        *[pl.col(c).median().over("s").alias(f"{c}_c") for c in CHANNELS]
    )
    spread = [(pl.col(c) - pl.col(f"{c}_c")).abs().median().over("s") * 1.4826 for c in CHANNELS]
    rows = rows.with_columns(
        x.fill_null(1.0).clip(lower_bound=SCALE_FLOOR).alias(f"{c}_s")
        for x, c in zip(spread, CHANNELS, strict=True)
    )
    rows = rows.with_columns(
        *[((pl.col(c) - pl.col(f"{c}_c")) / pl.col(f"{c}_s")).alias(f"{c}_z") for c in CHANNELS]
    )
    s, m = rows["s"].to_numpy(), rows["m"].to_numpy()
    values = np.full((int(s.max()) + 1, int(m.max()) + 1, N_CH), np.nan, dtype=np.float32)
    for i, c in enumerate(CHANNELS):
        z = rows[f"{c}_z"].to_numpy()
        has = ~np.isnan(z)
        values[s[has], m[has], i] = z[has]
    return values, ~np.isnan(values).all(-1), rows, first


def _windows(
    values: np.ndarray, observed: np.ndarray, first: int, length: int, n: int, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Up to n random training windows (n, HIST + length + HIST, C), with a fair share of observed
    months, and the calendar month of each window's first month (n, 1)."""
    n_series, n_months = observed.shape
    length = min(n_months, length)
    s, t0 = rng.integers(0, n_series, 2 * n), rng.integers(0, n_months - length + 1, 2 * n)
    cum = np.pad(observed.cumsum(1, dtype=np.int32), ((0, 0), (1, 0)))
    keep = (cum[s, t0 + length] - cum[s, t0]) >= min(length, max(3, length // 4))
    s, t0 = s[keep][:n], t0[keep][:n]
    padded = np.pad(values, ((0, 0), (HIST, HIST), (0, 0)), constant_values=np.nan)
    windows = padded[s[:, None], t0[:, None] + np.arange(length + 2 * HIST)]
    return torch.from_numpy(windows), torch.from_numpy((first + t0[:, None]) % 12)


def _context(observed: np.ndarray) -> np.ndarray:
    """Per (series, month): how many of the months LAGS away are observed (0..len(LAGS))."""
    padded = np.pad(observed, ((0, 0), (HIST, HIST)))
    n = observed.shape[1]
    return sum(padded[:, HIST + lag : HIST + lag + n].astype(np.int8) for lag in LAGS)


class SeriesTransformerDetector(BaseDetector):
    """Self-supervised leave-one-out reconstruction of each series; score = standardised error.

    `window`: months either side a month attends to; `max_train_windows` windows of window + 12
    months are sampled for `epochs` passes; `threads`: CPU threads for scoring (training uses one).
    """

    name = "transformer"
    family = "value"
    corroborates = True

    def __init__(
        self,
        d_model: int = 32,
        n_heads: int = 4,
        n_layers: int = 2,
        window: int = 24,
        epochs: int = 4,
        batch_size: int = 64,
        lr: float = 6e-3,
        seed: int = 0,
        max_train_windows: int = 8192,
        device: str = "cpu",
        threads: int = 2,
    ) -> None:
        self.d_model, self.n_heads, self.n_layers, self.window = d_model, n_heads, n_layers, window
        self.epochs, self.batch_size, self.lr, self.seed = epochs, batch_size, lr, seed
        self.max_train_windows, self.device, self.threads = max_train_windows, device, threads

    def _new_net(self) -> _Net:
        return _Net(self.d_model, self.n_heads, self.n_layers, self.window).to(self.device)

    def _fit(self, features: pl.DataFrame) -> None:
        """Train on random windows of the series, then calibrate the error scales on a sample."""
        rng = np.random.default_rng(self.seed)
        values, observed, _, first = _panel(features)
        long_enough = observed.sum(axis=1) >= MIN_MONTHS
        if not long_enough.any():
            raise DetectorSkipped(
                self.name, f"no monthly series with {MIN_MONTHS} months of trade (annual or short data)"
            )
        with torch.random.fork_rng(devices=[]):  # seeded weights, global RNG left as it was
            torch.manual_seed(self.seed)
            self.net_ = self._new_net()
        with _torch_threads(1):  # small batches: a 2nd thread gains ~10%, and much less on a busy machine
            self._train(*_windows(values, observed, first, self.window + 12, self.max_train_windows, rng))
        with _torch_threads(self.threads):
            sample = np.sort(rng.choice(len(values), min(len(values), 4096), replace=False))
            err = np.abs(values[sample] - self._predict(values[sample], first))
        context = _context(observed[sample])
        by_context = np.ones((len(LAGS) + 1, N_CH), np.float32)
        full = err[context == len(LAGS)]
        for k in range(len(LAGS) + 1):
            here = err[context == k]
            if min((~np.isnan(here)).sum(0).min(), (~np.isnan(full)).sum(0).min()) >= 30:
                by_context[k] = np.nanmedian(here, axis=0) / np.maximum(np.nanmedian(full, axis=0), 1e-6)
        # thinner context can only make a prediction less certain: non-increasing in k, >= 1
        by_context = np.maximum.accumulate(np.nan_to_num(by_context, nan=1.0)[::-1], axis=0)[::-1]
        self.by_context_ = np.maximum(by_context, 1.0).astype(np.float32)
        global_scale = np.nanmedian(err / self.by_context_[context], axis=(0, 1)) * 1.4826
        self.global_scale_ = np.nan_to_num(global_scale, nan=1.0).clip(1e-3).astype(np.float32)

    def _train(self, windows: torch.Tensor, starts: torch.Tensor) -> None:
        """Masked reconstruction of every month of each window from its (corrupted) surroundings."""
        net, length = self.net_.train(), windows.shape[1] - 2 * HIST
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=1e-4)
        gen = torch.Generator().manual_seed(self.seed)
        for _ in range(self.epochs):
            for batch in torch.randperm(len(windows), generator=gen).split(self.batch_size):
                x = windows[batch]
                noisy = _corrupted(x, gen).to(self.device)
                pred = net(noisy, range(length), range(length), starts[batch].to(self.device))
                target = x[:, HIST : HIST + length].to(self.device)
                seen = ~torch.isnan(target)
                loss = F.smooth_l1_loss(pred[seen], target[seen].clamp(-CLIP, CLIP))
                opt.zero_grad()
                loss.backward()
                opt.step()
        net.eval()

    def _predict(self, values: np.ndarray, first: int) -> np.ndarray:
        """Leave-one-out predictions (S, T, C) of every month, in chunks of at most SPAN months."""
        n_series, n_months, _ = values.shape
        out = np.empty_like(values)
        x_all = torch.from_numpy(np.pad(values, ((0, 0), (HIST, HIST), (0, 0)), constant_values=np.nan))
        step = n_months if n_months <= SPAN else max(SPAN - 2 * self.window, self.window)
        start = torch.full((1, 1), first % 12, device=self.device)
        with torch.inference_mode():
            for c in range(0, n_months, step):
                q = range(c, min(n_months, c + step))
                k = range(max(0, q.start - self.window), min(n_months, q.stop + self.window))
                for i in range(0, n_series, 1024):
                    pred = self.net_(x_all[i : i + 1024].to(self.device), q, k, start)
                    out[i : i + 1024, q.start : q.stop] = pred.cpu().numpy()
        return out

    def _standardised(self, err: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Errors (n, C) over each series' robust error scale, shrunk toward the global scale."""
        errors = [pl.Series(f"e{i}", err[:, i], nan_to_null=True) for i in range(N_CH)]
        stats = pl.DataFrame([pl.Series("s", s), *errors]).select(
            *[pl.col(f"e{i}").abs().median().over("s").alias(f"mad{i}") for i in range(N_CH)],
            *[pl.col(f"e{i}").is_not_null().sum().over("s").alias(f"n{i}") for i in range(N_CH)],
        )
        mad = np.nan_to_num(stats.select([f"mad{i}" for i in range(N_CH)]).to_numpy() * 1.4826)
        count = stats.select([f"n{i}" for i in range(N_CH)]).to_numpy()
        g = self.global_scale_[None]
        return err / np.sqrt((count * mad**2 + SHRINK * g**2) / (count + SHRINK))

    def _row_outputs(self, features: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row and channel: observed log value, expected log value, signed standardised error."""
        values, observed, rows, first = _panel(features)
        s, m = rows["s"].to_numpy(), rows["m"].to_numpy()
        ctx = self.by_context_[_context(observed)[s, m]]  # (n, C)
        own = rows.select([f"{c}_z" for c in CHANNELS]).to_numpy()
        with _torch_threads(self.threads):
            self.net_.eval()
            pred = self._predict(values, first)[s, m]
        z = self._standardised((own - pred) / ctx, s)  # normalised units, short context discounted
        center = rows.select([f"{c}_c" for c in CHANNELS]).to_numpy()
        scale = rows.select([f"{c}_s" for c in CHANNELS]).to_numpy()
        return rows.select(CHANNELS).to_numpy(), pred.astype(np.float64) * scale + center, z

    def _score(self, features: pl.DataFrame) -> np.ndarray:
        """Per row: the larger absolute standardised error of its channels (0 if it has neither)."""
        _, _, z = self.remembered(features, self._row_outputs)
        return np.where(np.isnan(z), 0.0, np.abs(z)).max(axis=1)

    def _reasons(self, features: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
        """Per asked row: observed vs expected value for each channel it has, in USD (or USD/kg)."""
        cached = self.__dict__.get("_memo")
        if cached is not None and cached[0]() is features:  # scored just now: its outputs are kept
            (obs, expected, z), at = cached[1], rows
        else:  # only the asked rows' series
            keys = features[rows].select(SERIES_KEY).unique()
            subset = features.with_row_index("_row").join(keys, on=SERIES_KEY, how="semi", nulls_equal=True)
            obs, expected, z = self._row_outputs(subset)
            where = np.full(features.height, -1, np.int64)
            where[subset["_row"].to_numpy()] = np.arange(subset.height)
            at = where[rows]
        parts = []
        for i, channel in enumerate(CHANNELS):
            words, unit = CHANNEL_WORDS[channel]
            frame = pl.DataFrame(
                {
                    "row": rows,
                    "observed": np.exp(obs[at, i]),
                    "expected": np.exp(expected[at, i]),
                    "magnitude": np.abs(z[at, i]),
                }
            ).filter(pl.col("magnitude").is_finite())
            parts.append(
                frame.select(
                    "row",
                    pl.lit(self.name).alias("detector"),
                    _residual_signal().alias("signal"),
                    pl.lit(f"{words} vs its series' own pattern").alias("label"),
                    pl.lit(READABLE[channel]).alias("feature"),
                    "observed",
                    "expected",
                    pl.lit(unit).alias("unit"),
                    pl.lit("vs the transformer's prediction from the months 1, 12 and 24 either side").alias(
                        "comparison"
                    ),
                    "magnitude",
                )
            )
        return pl.concat(parts)

    def save(self, path: Path) -> Path:
        """Weights, error calibration and parameters as plain tensors (loadable weights_only)."""
        self.check_fitted()
        torch.save(
            {
                "params": self.get_params(),
                "state": self.net_.state_dict(),
                "by_context": torch.from_numpy(self.by_context_),
                "global_scale": torch.from_numpy(self.global_scale_),
            },
            path,
        )
        return path

    @classmethod
    def load(cls, path: Path) -> Self:
        """A fitted detector from `save`'s file."""
        blob = torch.load(path, map_location="cpu", weights_only=True)
        detector = cls(**blob["params"])
        detector.net_ = detector._new_net()
        detector.net_.load_state_dict(blob["state"])
        detector.by_context_ = blob["by_context"].numpy()
        detector.global_scale_ = blob["global_scale"].numpy()
        return detector


def _residual_signal() -> pl.Expr:
    """model_residual, or unit_error where observed/expected is near x1000 or /1000."""
    thousands = (pl.col("observed") / pl.col("expected")).log10() / 3.0
    near = thousands.round(0)
    hit = (near != 0) & ((thousands - near).abs() * 3.0 <= 0.5)
    return (
        pl.when(hit.fill_null(False))
        .then(pl.lit(Signal.UNIT_ERROR.value))
        .otherwise(pl.lit(Signal.MODEL_RESIDUAL.value))
    )
