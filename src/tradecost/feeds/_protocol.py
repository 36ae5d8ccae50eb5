"""What every venue's sans-I/O protocol shares: its queues towards the client, its books and
their events, and the default book.

A venue protocol (:class:`~tradecost.feeds.okx.protocol.OKXProtocol`,
:class:`~tradecost.feeds.binance.protocol.BinanceProtocol`) subclasses :class:`VenueProtocol`.
It never sends or fetches anything itself: it queues frames to send and the books whose REST
snapshot it needs, and the client drains both (``data_to_send``, ``rest_requests``). Shared here:
those two queues, the request ids and the requests whose reply is still awaited, the ``books``
view and the one :class:`~tradecost.feeds.events.BookEvent` of each in-sync update. The venue
keeps its state machine, its per-book record and the shape of its requests.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Hashable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from tradecost.feeds.events import BookEvent, Event
from tradecost.instruments import Instrument

__all__ = ["VenueProtocol", "default_book_factory"]

R = TypeVar("R")


class BookRecord(Protocol):
    """What the shared part needs of a venue's per-book record."""

    book: Any
    rest_pending: bool


def default_book_factory(instrument: Instrument) -> Any:
    """A :class:`~tradecost.OrderBook` on ``instrument``'s tick grid (loaded on first use)."""
    from tradecost._book import OrderBook

    return OrderBook(tick_size=str(instrument.tick_size), inst_id=instrument.inst_id)


class VenueProtocol(Generic[R]):
    """The frames a protocol wants sent, the REST snapshots it wants fetched, the requests it
    sent whose reply has not come yet (``R`` is what the venue remembers of one request), and
    its books.

    Both queues are drained by the client (:meth:`data_to_send`, :meth:`rest_requests`); a new
    connection (:meth:`_reset_queues`) forgets the REST asks and the awaited replies, which
    belonged to the old socket. The venue keeps one record per book in ``_records`` (keyed by
    inst_id or symbol; the same dict as its public ``streams``/``depths``).
    """

    reconnect_requested: bool
    channel: str
    stats: Any
    _records: Mapping[str, BookRecord]

    def _init_queues(self) -> None:
        self.reconnect_requested = False
        self._outgoing: list[str] = []
        self._rest_requests: list[str] = []
        self._requests: dict[Hashable, R] = {}
        self._ids = itertools.count(1)

    def _reset_queues(self) -> None:
        self._requests.clear()
        self._rest_requests.clear()
        self.reconnect_requested = False

    @property
    def books(self) -> dict[str, Any]:
        """``{inst_id or symbol: book}``: the book objects (kept across resyncs and reconnects)."""
        return {key: record.book for key, record in self._records.items()}

    def data_to_send(self) -> list[str]:
        """Frames to send, in order (drains the queue)."""
        out, self._outgoing = self._outgoing, []
        return out

    @property
    def wants_to_send(self) -> bool:
        """True when :meth:`data_to_send` has frames."""
        return bool(self._outgoing)

    @property
    def wants_rest(self) -> bool:
        """True when :meth:`rest_requests` has books."""
        return bool(self._rest_requests)

    def rest_requests(self) -> list[str]:
        """The books (inst_ids, symbols) whose REST snapshot is needed now (drains the queue)."""
        out, self._rest_requests = self._rest_requests, []
        return out

    def _ask_rest(self, key: str, record: BookRecord) -> None:
        """Queue a REST snapshot for ``key`` unless one is already on its way."""
        if not record.rest_pending:
            record.rest_pending = True
            self._rest_requests.append(key)

    def _book_event(
        self, key: str, exch_ts: int, local_ts: int, seq_id: int | None, action: str
    ) -> list[Event]:
        """The one event of an update applied to an in-sync book (counted in
        ``stats.book_updates``); ``exch_ts`` and ``local_ts`` in ns."""
        self.stats.book_updates += 1
        book = self._records[key].book
        return [BookEvent(key, self.channel, book, exch_ts, local_ts, seq_id, action)]

    def _send(self, body: Mapping[str, Any]) -> None:
        """Queue one JSON request, compactly encoded."""
        self._outgoing.append(json.dumps(body, separators=(",", ":")))
