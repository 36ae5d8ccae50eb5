"""Build the compiled core.

Every Cython build option lives here. ``TRADECOST_DEBUG=1`` builds with bounds checking,
wraparound checks and C assertions on, for tests that hunt memory errors.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
SRC = HERE / "src"
DEBUG = os.environ.get("TRADECOST_DEBUG", "") not in ("", "0")

directives = {
    "language_level": "3",
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "embedsignature": True,
    "warn.unused": True,
    "warn.unused_arg": False,
    "warn.maybe_uninitialized": True,
}

compile_args = ["-O0", "-g", "-UNDEBUG"] if DEBUG else ["-O3"]
compile_args += ["-Wno-unreachable-code"]


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


def extensions() -> list[Extension]:
    exts = []
    for pyx in sorted(SRC.rglob("*.pyx")):
        module = ".".join(pyx.relative_to(SRC).with_suffix("").parts)
        exts.append(
            Extension(
                module,
                [str(pyx.relative_to(HERE))],
                extra_compile_args=compile_args,
                define_macros=[("TRADECOST_SOURCE_HASH", '"%s"' % source_hash(pyx))],
            )
        )
    return exts


setup(
    ext_modules=cythonize(
        extensions(),
        compiler_directives=directives,
        annotate=os.environ.get("TRADECOST_ANNOTATE", "") == "1",
        force=DEBUG,
    ),
)
