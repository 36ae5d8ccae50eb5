"""Build the compiled core.

Every Cython build option lives here. ``TRADECOST_DEBUG=1`` builds with bounds checking,
wraparound checks and C assertions on, for tests that hunt memory errors.
"""

from __future__ import annotations

import hashlib
import os
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
    """Hash of a module's Cython sources, compiled in so the package can detect a stale build."""
    digest = hashlib.sha256()
    for path in sorted(pyx.parent.glob(pyx.stem + ".p*")):
        if path.suffix in (".pyx", ".pxd"):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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
