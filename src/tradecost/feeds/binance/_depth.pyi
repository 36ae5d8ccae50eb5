import numpy as np
import numpy.typing as npt
from typing_extensions import disjoint_base

from tradecost._book import OrderBook

SOURCE_HASH: str

@disjoint_base
class DepthMessage:
    """A reusable decoder for Binance diff-depth events and REST depth snapshots."""

    kind: str
    symbol: str
    first_update_id: int
    final_update_id: int
    event_time_ms: int
    transaction_time_ms: int
    def __init__(self) -> None: ...
    @property
    def prev_final_update_id(self) -> int | None: ...
    @property
    def n_bids(self) -> int: ...
    @property
    def n_asks(self) -> int: ...
    def bids(self) -> npt.NDArray[np.float64]: ...
    def asks(self) -> npt.NDArray[np.float64]: ...
    def decode(self, raw: bytes | str | bytearray | memoryview) -> DepthMessage: ...
    def apply(self, book: OrderBook) -> DepthMessage: ...
    def apply_message(
        self, book: OrderBook, raw: bytes | str | bytearray | memoryview
    ) -> DepthMessage: ...
