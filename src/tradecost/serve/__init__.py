"""``tradecost serve``: an HTTP API and a live web dashboard over the feeds, the cost estimator
and the pairs analytics (the optional extra ``tradecost[web]``: FastAPI and uvicorn).

``create_app(hub)`` builds the application around a :class:`Hub` (the live state the feeds
update); ``tradecost serve --demo`` runs it all in one process on 127.0.0.1.
"""

from __future__ import annotations

from typing import Any

from tradecost.serve.hub import Hub, OrderSpec


def create_app(hub: Hub, **options: Any) -> Any:
    """The FastAPI application over ``hub`` (see :func:`tradecost.serve.app.create_app`)."""
    from tradecost.serve.app import create_app as build

    return build(hub, **options)


__all__ = ["Hub", "OrderSpec", "create_app"]
