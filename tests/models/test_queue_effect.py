"""queue_effect_by_distance: P(fill) against queue ahead with the distance held fixed."""

from __future__ import annotations

import numpy as np

from tradecost.models import MakerTakerClassifier
from tradecost.models.evaluate import DISTANCE, HORIZON, QUEUE, queue_effect_by_distance
from tradecost.models.features import N_LIMIT_FEATURES


def _orders(rng, n, queue_slope):
    """Orders whose fill log-odds fall 0.12 per tick and ``queue_slope`` per unit of
    ln(1 + Q0/q); deeper levels hold more volume (queue rises with distance), so the marginal
    relation of fills to queue is confounded with distance."""
    X = np.zeros((n, N_LIMIT_FEATURES))
    X[:, DISTANCE] = rng.integers(1, 41, n)
    X[:, QUEUE] = rng.exponential(1.0, n) + 0.05 * X[:, DISTANCE]
    X[:, HORIZON] = rng.choice([1.0, 5.0], n)
    eta = 1.0 - 0.12 * X[:, DISTANCE] + queue_slope * X[:, QUEUE] + 0.5 * np.log(X[:, HORIZON])
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.int64)
    return X, y


def test_a_queue_effect_shows_at_every_fixed_distance():
    rng = np.random.default_rng(11)
    X, y = _orders(rng, 20_000, queue_slope=-0.6)
    model = MakerTakerClassifier(link="logit", horizon_feature=HORIZON).fit(X, y)
    table = queue_effect_by_distance(model, X, y)
    assert [row["distance_ticks"] for row in table] == [[1, 3], [4, 10], [11, 20], [21, 40]]
    for row in table:
        low, high = row["model"]
        assert high < low
        assert row["observed"][1] < row["observed"][0]


def test_no_queue_effect_gives_flat_thirds():
    rng = np.random.default_rng(12)
    X, y = _orders(rng, 20_000, queue_slope=0.0)
    model = MakerTakerClassifier(link="logit", horizon_feature=HORIZON).fit(X, y)
    for row in queue_effect_by_distance(model, X, y):
        low, high = row["model"]
        assert abs(high - low) < 0.03
