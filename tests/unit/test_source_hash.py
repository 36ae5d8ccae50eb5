"""The stale-build check covers the shared .pxd kernels a compiled module cimports."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import tradecost
from tradecost import _core

PACKAGE = Path(tradecost.__file__).resolve().parent
REPO = PACKAGE.parent.parent


def copy_package(tmp_path: Path) -> Path:
    target = tmp_path / "tradecost"
    (target / "models").mkdir(parents=True)
    for name in ("_book.pyx", "_book.pxd", "_decimal.pxd", "_jsonscan.pxd"):
        shutil.copy(PACKAGE / name, target / name)
    shutil.copy(PACKAGE / "models" / "_features.pyx", target / "models" / "_features.pyx")
    return target


def test_sources_include_cimported_pxd_transitively():
    names = [p.name for p in _core.cython_sources(PACKAGE / "_book.pyx")]
    assert names == ["_book.pxd", "_book.pyx", "_decimal.pxd", "_jsonscan.pxd"]
    # _features cimports _book, which cimports the scanner, which cimports the decimals.
    names = [p.name for p in _core.cython_sources(PACKAGE / "models" / "_features.pyx")]
    assert {"_book.pxd", "_jsonscan.pxd", "_decimal.pxd", "_features.pyx"} <= set(names)


def test_editing_a_shared_pxd_changes_every_dependent_hash(tmp_path: Path):
    package = copy_package(tmp_path)
    book, features = package / "_book.pyx", package / "models" / "_features.pyx"
    before = _core.source_hash(book), _core.source_hash(features)
    decimal = package / "_decimal.pxd"
    decimal.write_text(decimal.read_text() + "\n# edited\n")
    after = _core.source_hash(book), _core.source_hash(features)
    assert before[0] != after[0]
    assert before[1] != after[1]


def test_setup_py_hashes_the_same_way():
    """setup.py cannot import the package, so it carries its own copy: keep the two equal."""
    setup = ast.parse((REPO / "setup.py").read_text())
    core = ast.parse(Path(_core.__file__).read_text())

    def functions(tree: ast.Module) -> dict[str, str]:
        return {
            node.name: ast.unparse(node)
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name in ("source_hash", "cython_sources")
        }

    assert functions(setup) == functions(core)
    assert len(functions(core)) == 2
