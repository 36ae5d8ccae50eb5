"""``with obj:`` for the objects that hold a file or a connection until :meth:`close`."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """A context manager that returns itself and calls :meth:`close` on the way out."""

    __slots__ = ()

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
