"""Load the compiled core, with an error that says what to do when it is missing or stale."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType

from tradecost.errors import CompiledCoreError

_REBUILD = (
    "build it with `pip install -e .` (or `python setup.py build_ext --inplace`) in the "
    "tradecost checkout"
)


def source_hash(pyx: Path) -> str:
    """The hash setup.py compiles into a module: its .pyx and .pxd sources, in name order."""
    digest = hashlib.sha256()
    for path in sorted(pyx.parent.glob(pyx.stem + ".p*")):
        if path.suffix in (".pyx", ".pxd"):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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


def load_book() -> ModuleType:
    try:
        from tradecost import _book
    except ImportError as exc:
        raise CompiledCoreError(
            f"tradecost's compiled core (tradecost._book) is missing: {exc}; {_REBUILD}"
        ) from exc
    check_fresh(_book)
    return _book
