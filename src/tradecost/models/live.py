"""Learned models on a live stream, in the shape the CostEstimator asks for.

:class:`LiveModels` hands every event of the feed to
:class:`~tradecost.models.online.OnlineModels` (which builds realised-cost and fill-label
samples and refits in the background) and answers the estimator's two questions from the same
market state the dataset builder keeps:

* ``predict_quantiles(book, side, notional)`` → learned (p50, p90) slippage in bps, or NaN
  while the model is untrained (the estimator then reports walk-the-book alone and flags it);
  untrained it computes nothing, trained it is one compiled call (features on the C stack, then
  the linear quantiles; :class:`~tradecost.models._inference.LiveQuantiles`), so the models add
  little to the tick. On a contract book (OKX swaps and futures) the order is walked in
  contracts and the depth features are in quote units, as in the samples the model learned on;
* ``fill_probability(book, side, distance_ticks, notional, horizon_s)`` → (P(fill), source),
  from the fitted classifier or, untrained, the documented distance prior.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from tradecost._book import OrderBook
from tradecost.feeds.events import BookEvent, TradeEvent
from tradecost.models._inference import LiveQuantiles
from tradecost.models.features import N_LIMIT_FEATURES

if TYPE_CHECKING:
    import asyncio

    from tradecost.models.online import OnlineModels

__all__ = ["LiveModels"]


class LiveModels(LiveQuantiles):
    """``OnlineModels`` plus the feature buffers of one instrument's live predictions.

    ``predict_quantiles`` is inherited from the compiled :class:`LiveQuantiles`: the estimator's
    call on every tick runs no Python code of this class.
    """

    # attributes in slots, not a dict: one object less to reach on the tick path
    __slots__ = ("_drain_scheduled", "_inbox", "_limit", "_loop")
    online: OnlineModels

    def __init__(
        self,
        tick_size: str,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        **online_options: Any,
    ) -> None:
        """``loop``: drain the queued events on this event loop once the callback that queued
        them has returned (see :meth:`on_event`); None: the caller calls :meth:`drain`."""
        from tradecost.models.online import OnlineModels  # scikit-learn: only when training

        super().__init__(OnlineModels(tick_size, **online_options))
        self._inbox: deque[BookEvent | TradeEvent | tuple[str | bytes, int]] = deque()
        self._limit = np.zeros(N_LIMIT_FEATURES)
        self._loop = loop
        self._drain_scheduled = False

    def on_event(self, event: BookEvent | TradeEvent) -> None:
        """Every event of the instrument's feed (books and trades), as delivered. Only queued,
        a book event with a copy of its book as it stands (the feed's book changes on): the
        dataset work happens in :meth:`drain`, off the path between a frame and its estimate.
        With a ``loop``, a drain is scheduled with ``call_soon``: it runs after the socket
        callback that applied the frame and priced it has returned, between ticks."""
        if type(event) is BookEvent and not event.stale:
            event = replace(event, book=event.book.copy())
        self._queue(event)

    def on_frame(self, raw: str | bytes, ts_ns: int) -> None:
        """Every raw frame of the instrument (a recording's, or a stream without a feed of its
        own), queued like :meth:`on_event`; the dataset builder decodes it."""
        self._queue((raw, ts_ns))

    def _queue(self, item: BookEvent | TradeEvent | tuple[str | bytes, int]) -> None:
        self._inbox.append(item)
        if self._loop is not None and not self._drain_scheduled:
            self._drain_scheduled = True
            self._loop.call_soon(self._scheduled_drain)

    def _scheduled_drain(self) -> None:
        self._drain_scheduled = False
        self.drain()

    def drain(self) -> None:
        """Feed the queued events and frames to the dataset builder (call after the tick's
        estimate). The stream features of the next predictions are then as of the last."""
        inbox = self._inbox
        online = self.online
        while inbox:
            item = inbox.popleft()
            if type(item) is tuple:
                online.on_frame(*item)
            else:
                online.on_event(item)  # type: ignore[arg-type]

    def fill_probability(
        self,
        book: OrderBook,
        side: str,
        distance_ticks: float,
        notional: float,
        horizon_s: float,
    ) -> tuple[float, str]:
        builder = self.online.builder
        builder.extractor.extract_limit(
            book,
            side,  # type: ignore[arg-type]
            round(distance_ticks),
            notional / builder.contract_value,  # in the book's units, as the dataset has it
            horizon_s,
            self._limit,
        )
        return self.online.fill_probability(self._limit)

    def status(self, compact: bool = False) -> str:
        """One line for a status display: what answers now, on how many samples (then the
        out-of-sample scores, once fitted, on a second line). ``compact``: short enough for an
        80-column terminal."""
        p = self.online.predictors
        builder = self.online.builder
        if compact:
            return self._compact_status()
        slippage = (
            f"learned p50/p90 (generation {p.generation}, {p.slippage_samples:,} samples)"
            if p.slippage is not None
            else "walk-the-book baseline (untrained)"
        )
        fill = (
            f"learned P(fill) ({p.fill_samples:,} samples)"
            if p.fill is not None
            else "distance prior (untrained)"
        )
        collected = builder.frames
        refit = " refitting" if self.online.refitting else ""
        errors = f", {len(self.online.errors)} failed refits" if self.online.errors else ""
        sc = self.online.scores
        scores = ""
        if "p50_pinball_model" in sc:
            scores += (
                f"\nout of sample: pinball p50 {sc['p50_pinball_model']:.4f} vs walk-the-book "
                f"{sc['p50_pinball_walk_book']:.4f}"
            )
            if "p90_pinball_model" in sc:
                scores += (
                    f", p90 {sc['p90_pinball_model']:.4f} vs {sc['p90_pinball_walk_book']:.4f}"
                )
        if "fill_brier_model" in sc:
            scores += (
                f"; fill Brier {sc['fill_brier_model']:.4f} vs base rate "
                f"{sc['fill_brier_base_rate']:.4f}"
            )
        return (
            f"slippage: {slippage}; fill: {fill}; {collected:,} events seen{refit}{errors}{scores}"
        )

    def _compact_status(self) -> str:
        p = self.online.predictors
        online = self.online
        if p.slippage is None and p.fill is None:
            line = "untrained (walk-the-book, fill prior)"
        else:
            slippage = (
                f"p50/p90 gen {p.generation} ({p.slippage_samples:,})"
                if p.slippage is not None
                else "walk-the-book"
            )
            fill = f"P(fill) ({p.fill_samples:,})" if p.fill is not None else "fill prior"
            line = f"{slippage} · {fill}"
        line += f" · {online.builder.frames:,} events"
        if online.refitting:
            line += " · refitting"
        if online.errors:
            line += f" · {len(online.errors)} failed refits"
        sc = online.scores
        scores = []
        if "p50_pinball_model" in sc:
            model, walk = sc["p50_pinball_model"], sc["p50_pinball_walk_book"]
            scores.append(f"pinball p50 {model:.3f} (walk {walk:.3f})")
        if "p90_pinball_model" in sc:
            scores.append(f"p90 {sc['p90_pinball_model']:.3f} ({sc['p90_pinball_walk_book']:.3f})")
        if "fill_brier_model" in sc:
            scores.append(
                f"Brier {sc['fill_brier_model']:.3f} (base {sc['fill_brier_base_rate']:.3f})"
            )
        return line + ("\n" + " · ".join(scores) if scores else "")
