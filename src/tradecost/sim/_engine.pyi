"""Type stub of the compiled event loop (src/tradecost/sim/_engine.pyx)."""

from collections.abc import Collection

import numpy as np
import numpy.typing as npt
from typing_extensions import disjoint_base

CH_BOOKS: int
CH_BOOKS_L2_TBT: int
CH_BOOKS50_L2_TBT: int
CH_BOOKS5: int
CH_BBO_TBT: int
CH_TRADES: int

@disjoint_base
class Engine:
    def __init__(
        self,
        seed: int,
        model: dict[str, float],
        alias_prob: npt.NDArray[np.float64],
        alias_idx: npt.NDArray[np.int32],
        reg_activity: npt.NDArray[np.float64],
        reg_aggression: npt.NDArray[np.float64],
        reg_duration: npt.NDArray[np.float64],
        reg_volatility: npt.NDArray[np.float64],
        initial_tick: int,
        price_places: int,
        price_mult: int,
        size_places: int,
        size_mult: int,
        inst_id: bytes,
        epoch_ns: int,
    ) -> None: ...
    def configure(
        self,
        channels: Collection[int],
        checksum: bool,
        prefixes: list[bytes],
        books_interval_ns: int,
        bbo_interval_ns: int,
    ) -> None: ...
    def generate(
        self, max_frames: int, until_ns: int = -1
    ) -> tuple[list[int], list[int], list[str]]: ...
    def run(self, n_events: int) -> None: ...
    def run_for(self, duration_ns: int) -> None: ...
    def levels(self, side: int, depth: int) -> tuple[list[int], list[int], list[int]]: ...
    def format_levels(self, side: int, depth: int) -> list[list[str]]: ...
    def checksum(self) -> int: ...
    @property
    def time_ns(self) -> int: ...
    @property
    def seq_id(self) -> int: ...
    @property
    def event_count(self) -> int: ...
    @property
    def trade_count(self) -> int: ...
    @property
    def regime_index(self) -> int: ...
    @property
    def activity_level(self) -> float: ...
    @property
    def order_counts(self) -> tuple[int, int]: ...
    @property
    def level_counts(self) -> tuple[int, int]: ...
    @property
    def fair_ticks(self) -> float: ...
    def set_fair(self, ticks: float) -> None: ...
    @property
    def best_ticks(self) -> tuple[int, int]: ...
