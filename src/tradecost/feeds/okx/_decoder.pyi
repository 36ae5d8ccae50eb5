from typing_extensions import deprecated, disjoint_base

from tradecost._book import BookLevels, OrderBook

SOURCE_HASH: str

@disjoint_base
class BookMessage(BookLevels):
    """A reusable decoder for OKX v5 order-book pushes."""

    kind: str
    channel: str
    inst_id: str
    action: str
    ts_ms: int
    checksum: int
    def __init__(self) -> None: ...
    @property
    @deprecated("BookMessage.ts is deprecated: read ts_ms (milliseconds)")
    def ts(self) -> int: ...
    @property
    def seq_id(self) -> int | None: ...
    @property
    def prev_seq_id(self) -> int | None: ...
    def decode(self, raw: bytes | str | bytearray | memoryview) -> BookMessage: ...

def book_checksum(book: OrderBook) -> int: ...
