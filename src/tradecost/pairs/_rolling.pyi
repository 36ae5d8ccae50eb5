"""Type stub of the compiled pairs kernels (src/tradecost/pairs/_rolling.pyx)."""

import numpy as np
import numpy.typing as npt

SOURCE_HASH: str
REASON_X_CONSTANT: int
REASON_Y_CONSTANT: int
REASON_EXACT_FIT: int
REASON_SINGULAR: int
ACTION_NONE: int
ACTION_ENTER_LONG: int
ACTION_ENTER_SHORT: int
ACTION_EXIT: int
ACTION_STOP: int

_F64 = npt.NDArray[np.float64]
_I8 = npt.NDArray[np.int8]

def rolling_ols(
    x: _F64,
    y: _F64,
    window: int,
    ddof: float,
    exclusive: bool,
    alpha: _F64,
    beta: _F64,
    spread: _F64,
    zscore: _F64,
    correlation: _F64,
    spread_sd: _F64,
) -> tuple[int, int]: ...
def rolling_adf(x: _F64, window: int, lags: int, trend: int, stat: _F64) -> tuple[int, int]: ...
def kalman(
    x: _F64,
    y: _F64,
    start: int,
    beta0: float,
    alpha0: float,
    p00: float,
    p01: float,
    p11: float,
    beta_var: float,
    alpha_var: float,
    obs_var: float,
    alpha: _F64,
    beta: _F64,
    spread: _F64,
    zscore: _F64,
    spread_sd: _F64,
) -> int: ...
def rolling_huber(
    x: _F64,
    y: _F64,
    window: int,
    tuning: float,
    ddof: float,
    max_iter: int,
    tol: float,
    alpha: _F64,
    beta: _F64,
    spread: _F64,
    zscore: _F64,
    spread_sd: _F64,
) -> tuple[int, int]: ...
def signals(
    zscore: _F64, entry: float, exit: float, stop: float, position: _I8, action: _I8
) -> None: ...
