"""Online operation: refit the learned models from the live stream, never blocking the tick.

The tick path (:meth:`OnlineModels.on_event`, :meth:`OnlineModels.predict_slippage`,
:meth:`OnlineModels.fill_probability`) only feeds the dataset builder and reads the current
compiled predictors. Refits run on a background thread over the builder's *sealed* sample
chunks (never written again), and the new predictors are published with one reference
assignment, atomic in CPython, so a tick sees either the old pair or the new one.

Until a model has been fitted the documented baselines answer, and say so (``source``):

* slippage: walk-the-book of the current snapshot for every quantile (``"walk_book"``);
* fill probability: the Avellaneda–Stoikov form 1 − exp(−A·e^{−k·d}·h) with a *prior* A, k
  (``"distance_prior"``; defaults A = 2 /s, k = 0.8 /tick, the illustrative values of research
  notes §5.1, not a measurement), d clipped at 0.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tradecost.errors import InvalidInputError
from tradecost.feeds.events import BookEvent, TradeEvent
from tradecost.models._inference import FillPredictor, QuantilePredictor
from tradecost.models.datasets import (
    DatasetBuilder,
    fill_dataset_from_rows,
    slippage_dataset_from_rows,
)
from tradecost.models.features import LIMIT_FEATURES, MARKET_FEATURES
from tradecost.models.maker_taker import MakerTakerClassifier
from tradecost.models.slippage import SlippageRegressor

__all__ = ["OnlineModels", "Predictors"]


def _pinball(y: npt.NDArray[np.float64], q_hat: npt.NDArray[np.float64], q: float) -> float:
    """Mean pinball (quantile) loss of ``q_hat`` as the ``q`` quantile of ``y``."""
    diff = y - q_hat
    return float(np.mean(np.maximum(q * diff, (q - 1.0) * diff)))


_WALK = MARKET_FEATURES.index("walk_bps")
_DISTANCE = LIMIT_FEATURES.index("distance_ticks")
HORIZON = LIMIT_FEATURES.index("horizon_s")


@dataclass(frozen=True, slots=True)
class Predictors:
    """One consistent generation of compiled predictors (None: not fitted yet)."""

    slippage: QuantilePredictor | None
    fill: FillPredictor | None
    generation: int
    slippage_samples: int
    fill_samples: int


class OnlineModels:
    """Learned models kept up to date from a live stream of book and trade events.

    Args:
        tick_size: the instrument's tick size.
        refit_every: refit after this many new sealed samples (of either kind).
        min_samples: fit a model only once it has this many samples.
        max_samples: fit on at most the most recent this many samples (a p50+p90 quantile
            refit on 100k samples takes about 2 minutes on a 2-core machine; 30k, seconds).
        fallback_intensity: (A per second, k per tick) of the distance prior.
        builder_options: passed to :class:`DatasetBuilder` (latency, sizes, horizons...).
    """

    def __init__(
        self,
        tick_size: str,
        *,
        refit_every: int = 2048,
        min_samples: int = 2048,
        max_samples: int = 30_000,
        fallback_intensity: tuple[float, float] = (2.0, 0.8),
        quantiles: tuple[float, ...] = (0.5, 0.9),
        **builder_options: Any,
    ) -> None:
        if min(refit_every, min_samples, max_samples) <= 0:
            raise InvalidInputError("refit_every, min_samples and max_samples must be > 0")
        self.builder = DatasetBuilder(tick_size, **builder_options)
        self.refit_every = refit_every
        self.min_samples = min_samples
        self.max_samples = max_samples
        self.fallback_intensity = fallback_intensity
        self.quantiles = quantiles
        self._predictors = Predictors(None, None, 0, 0, 0)
        #: Called with each newly published :class:`Predictors` (``LiveModels`` keeps the
        #: slippage predictor in a C field, so the tick reads no Python attribute to reach it).
        self.publish_listeners: list[Callable[[Predictors], None]] = []
        self._worker: threading.Thread | None = None
        self._sealed_seen = 0
        self.refits = 0
        self.errors: list[str] = []
        #: Out-of-sample scores of the published models (newest 20 % of their samples held
        #: out): pinball loss per quantile for the model and walk-the-book, Brier score for the
        #: fill model and the base rate. Empty until the first refit.
        self.scores: dict[str, float] = {}

    @property
    def predictors(self) -> Predictors:
        """The published generation of predictors."""
        return self._predictors

    @predictors.setter
    def predictors(self, predictors: Predictors) -> None:
        """Publish ``predictors`` (one reference assignment; the listeners are told)."""
        self._predictors = predictors
        for listener in self.publish_listeners:
            listener(predictors)

    # -- tick path ------------------------------------------------------------------------

    def on_event(self, event: BookEvent | TradeEvent, now_ns: int | None = None) -> None:
        """Feed one event of the feed (see :meth:`DatasetBuilder.on_event`); starts a background
        refit when enough new samples are sealed. Never waits for a refit."""
        self.builder.on_event(event, now_ns)
        self._maybe_refit()

    def on_frame(self, raw: str | bytes, ts_ns: int | None = None) -> None:
        """Feed one raw frame (a recording's; see :meth:`DatasetBuilder.feed`); starts a
        background refit when enough new samples are sealed. Never waits for a refit."""
        self.builder.feed(raw, ts_ns)
        self._maybe_refit()

    def _maybe_refit(self) -> None:
        sealed = len(self.builder._slippage.sealed) + len(self.builder._fills.sealed)
        rows = sealed * self.builder._slippage.chunk_rows
        if rows - self._sealed_seen >= self.refit_every and not self.refitting:
            self._sealed_seen = rows
            self._worker = threading.Thread(target=self._refit, name="tradecost-refit", daemon=True)
            self._worker.start()

    @property
    def refitting(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def predict_slippage(
        self, features: npt.NDArray[np.float64], out: npt.NDArray[np.float64]
    ) -> str:
        """Write the slippage quantiles (bps, ascending) for MARKET_FEATURES ``features`` into
        ``out``; return the source: ``"model"`` or ``"walk_book"`` (untrained fallback)."""
        predictor = self.predictors.slippage
        if predictor is None:
            out[: len(self.quantiles)] = features[_WALK]
            return "walk_book"
        predictor.predict_into(features, out)
        return "model"

    def fill_probability(self, features: npt.NDArray[np.float64]) -> tuple[float, str]:
        """P(fill within h) for LIMIT_FEATURES ``features`` and its source: ``"model"`` or
        ``"distance_prior"`` (untrained fallback)."""
        predictor = self.predictors.fill
        if predictor is None:
            intensity, decay = self.fallback_intensity
            distance = max(0.0, float(features[_DISTANCE]))
            horizon = float(features[HORIZON])
            return -math.expm1(-intensity * math.exp(-decay * distance) * horizon), "distance_prior"
        return predictor.predict_one(features), "model"

    # -- background -----------------------------------------------------------------------

    def _refit(self) -> None:
        try:
            slippage_chunks, fill_chunks = self.builder.sealed_rows()
            current = self.predictors
            slippage, fills = current.slippage, current.fill
            n_slippage, n_fills = current.slippage_samples, current.fill_samples
            scores = dict(self.scores)
            if slippage_chunks:
                rows = np.concatenate(slippage_chunks)[-self.max_samples :]
                if rows.shape[0] >= self.min_samples:
                    data = slippage_dataset_from_rows(rows, self.builder.latency_ns, 0)
                    # walk-forward: fit on the older 80 %, score on the newest 20 %, publish
                    # the fitted model with its out-of-sample score
                    cut = int(0.8 * len(data.y))
                    model = SlippageRegressor(quantiles=self.quantiles).fit(
                        data.X[:cut], data.y[:cut]
                    )
                    predicted = model.predict_quantiles(data.X[cut:])
                    truth = data.y[cut:]
                    for i, q in enumerate(self.quantiles):
                        name = f"p{round(q * 100)}"
                        scores[f"{name}_pinball_model"] = _pinball(truth, predicted[:, i], q)
                        scores[f"{name}_pinball_walk_book"] = _pinball(
                            truth, data.walk_bps[cut:], q
                        )
                    slippage, n_slippage = model.compile(), cut
            if fill_chunks:
                rows = np.concatenate(fill_chunks)[-self.max_samples :]
                if rows.shape[0] >= self.min_samples:
                    fill_data = fill_dataset_from_rows(rows, 0)
                    cut = int(0.8 * len(fill_data.y))
                    train_y, test_y = fill_data.y[:cut], fill_data.y[cut:]
                    if 0 < train_y.sum() < train_y.size and test_y.size:
                        classifier = MakerTakerClassifier(
                            horizon_feature=HORIZON, horizon_effect="free", frailty="fit"
                        )
                        classifier.fit(fill_data.X[:cut], train_y)
                        p = classifier.predict_proba(fill_data.X[cut:])[:, 1]
                        scores["fill_brier_model"] = float(np.mean((p - test_y) ** 2))
                        scores["fill_brier_base_rate"] = float(
                            np.mean((train_y.mean() - test_y) ** 2)
                        )
                        fills, n_fills = classifier.compile(), cut
            self.scores = scores
            self.predictors = Predictors(
                slippage, fills, current.generation + 1, n_slippage, n_fills
            )
            self.refits += 1
        except Exception as exc:  # a failed refit keeps the previous models; it is reported
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running refit (if any) ends. For tests and shutdown, not ticks."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
