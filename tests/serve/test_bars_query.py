"""The query of ``/api/bars`` and ``/api/bars.csv`` (one shared dependency): every parameter is
documented with its default, and each endpoint keeps its own ``limit`` default."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi, uvicorn) is not installed")

from fastapi import FastAPI

from tradecost.serve.data import data


@pytest.mark.parametrize(("path", "limit"), [("/api/bars", 1_000), ("/api/bars.csv", 100_000)])
def test_bars_endpoints_document_their_query(path: str, limit: int) -> None:
    app = FastAPI()
    app.include_router(data)
    parameters = {
        p["name"]: (p["in"], p["required"], p["schema"].get("default"))
        for p in app.openapi()["paths"][path]["get"]["parameters"]
    }
    assert parameters == {
        "exchange": ("query", True, None),
        "symbol": ("query", True, None),
        "interval": ("query", False, "1m"),
        "start_ms": ("query", False, None),
        "end_ms": ("query", False, None),
        "limit": ("query", False, limit),
    }
