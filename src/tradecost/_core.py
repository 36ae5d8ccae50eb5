"""Load the compiled core, with an error that says what to do when it is missing or stale."""

from __future__ import annotations

import hashlib
import importlib
import re
from pathlib import Path
from types import ModuleType

from tradecost.errors import CompiledCoreError

_REBUILD = (
    "build it with `pip install -e .` (or `python setup.py build_ext --inplace`) in the "
    "tradecost checkout"
)


def source_hash(pyx: Path) -> str:
    """Hash of a module's Cython sources, compiled in so the package can detect a stale build:
    its .pyx and .pxd, and every tradecost .pxd they cimport (transitively), in name order."""
    digest = hashlib.sha256()
    for path in cython_sources(pyx):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_CIMPORT = re.compile(
    r"^\s*(?:from\s+(tradecost(?:\.\w+)+)\s+cimport|cimport\s+(tradecost(?:\.\w+)+))", re.M
)


def cython_sources(pyx: Path) -> list[Path]:
    """``pyx``'s own .pyx/.pxd files plus the tradecost .pxd files they cimport, transitively."""
    package = [d for d in (pyx.parent, *pyx.parents) if d.name == "tradecost"]
    root = package[0] if package else pyx.parent
    found = {p for p in pyx.parent.glob(pyx.stem + ".p*") if p.suffix in (".pyx", ".pxd")}
    todo = list(found)
    while todo:
        text = todo.pop().read_text(encoding="utf-8")
        for match in _CIMPORT.finditer(text):
            dotted = (match.group(1) or match.group(2)).split(".")
            pxd = root.joinpath(*dotted[1:]).with_suffix(".pxd")
            if pxd.exists() and pxd not in found:
                found.add(pxd)
                todo.append(pxd)
    return sorted(found, key=lambda p: p.as_posix())


def check_fresh(module: ModuleType) -> None:
    """Raise CompiledCoreError if the module's Cython sources sit beside it and have changed
    since it was compiled (a source checkout edited without rebuilding)."""
    file = getattr(module, "__file__", None)
    if file is None:
        return
    pyx = Path(file).with_name(module.__name__.rsplit(".", 1)[-1] + ".pyx")
    if not pyx.exists():
        return  # an installed wheel ships no sources to compare with
    compiled = getattr(module, "SOURCE_HASH", "unknown")
    if compiled != source_hash(pyx):
        raise CompiledCoreError(
            f"tradecost's compiled module {module.__name__} is stale: {pyx.name} changed "
            f"after it was built; {_REBUILD}"
        )


#: The push format ``OrderBook.apply_message(raw)`` and ``OrderBook.checksum()`` speak by default.
DEFAULT_PUSH_DECODER = "tradecost.feeds.okx._decoder"


def load_book() -> ModuleType:
    """Import the compiled core and the default push decoder, check both are fresh, and
    register the decoder with the core (which names no venue itself)."""
    try:
        from tradecost import _book

        decoder = importlib.import_module(DEFAULT_PUSH_DECODER)
    except ImportError as exc:
        raise CompiledCoreError(
            f"tradecost's compiled core (tradecost._book) is missing: {exc}; {_REBUILD}"
        ) from exc
    check_fresh(_book)
    check_fresh(decoder)
    _book.register_push_format(decoder.BookMessage, decoder.book_checksum)
    return _book
