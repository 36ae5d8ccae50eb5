"""Save and load fitted linear models as JSON: parameters, coefficients, metadata. No pickle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from tradecost.errors import InvalidInputError

FORMAT = "tradecost.models/1"


def to_document(kind: str, params: dict[str, Any], fitted: dict[str, Any]) -> dict[str, Any]:
    """A JSON-able dict: numpy arrays become lists of floats."""

    def plain(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        return value

    return {
        "format": FORMAT,
        "model": kind,
        "params": {k: plain(v) for k, v in params.items()},
        "fitted": {k: plain(v) for k, v in fitted.items()},
    }


def dump_estimator(kind: str, estimator: Any, fitted: dict[str, Any]) -> str:
    """``estimator``'s parameters and ``fitted`` attributes (plus ``feature_names_in_`` when it
    was fitted on named columns) as the JSON text :func:`read_document` reads back."""
    if hasattr(estimator, "feature_names_in_"):
        fitted = {**fitted, "feature_names_in_": [str(n) for n in estimator.feature_names_in_]}
    return json.dumps(to_document(kind, estimator.get_params(), fitted))


class SavesJson:
    """``save(path)`` for a model whose ``to_json()`` writes its document."""

    def to_json(self) -> str:
        raise NotImplementedError

    def save(self, path: str | Path) -> None:
        """Write :meth:`to_json` to ``path``."""
        Path(path).write_text(self.to_json(), encoding="utf-8")


def read_document(source: str | Path | dict[str, Any], kind: str) -> dict[str, Any]:
    """The document of a saved ``kind`` model from a path, a JSON string or a dict."""
    if isinstance(source, dict):
        document = source
    else:
        text = str(source)
        if not text.lstrip().startswith("{"):
            text = Path(source).read_text(encoding="utf-8")
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise InvalidInputError(f"not a saved tradecost model: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidInputError(f"not a saved tradecost model (format {FORMAT!r} expected)")
    if document.get("model") != kind:
        raise InvalidInputError(f"the file holds a {document.get('model')!r}, not a {kind!r}")
    return document
