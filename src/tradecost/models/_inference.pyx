# cython: language_level=3
"""Fitted linear models evaluated without scikit-learn's per-call validation.

Each predictor holds a copy of a fitted estimator's raw-feature coefficients and evaluates one
feature vector in a tight C loop. ``SlippageRegressor.compile()`` and
``MakerTakerClassifier.compile()`` build them; the result equals the estimator's ``predict`` /
``predict_proba`` within 1e-12.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.math cimport NAN, exp, expm1, isfinite, log, log1p

from tradecost._book cimport OrderBook
from tradecost.models._features cimport _N_MARKET, FeatureExtractor

import numpy as np

from tradecost.errors import InvalidInputError

cdef extern from *:
    """
    #ifndef TRADECOST_SOURCE_HASH
    #define TRADECOST_SOURCE_HASH "unknown"
    #endif
    """
    const char* TRADECOST_SOURCE_HASH

SOURCE_HASH = (<bytes>TRADECOST_SOURCE_HASH).decode("ascii")

LINK_IDENTITY = 0
LINK_LOGIT = 1
LINK_CLOGLOG = 2

# slots of tradecost.models.MARKET_FEATURES holding a log of quote-unit depth
cdef enum:
    _LOG_DEPTH_WALKED = 6
    _LOG_DEPTH_OWN = 7

cdef tuple _UNTRAINED = (NAN, NAN)


cdef inline double dot(const double* coef, const double* x, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    cdef double total = 0.0
    for j in range(n):
        total += coef[j] * x[j]
    return total


cdef class QuantilePredictor:
    """One or more linear predictions of slippage in bps, sorted so quantiles never cross.

    ``coef`` is (k, n) for the quantiles ``quantiles`` (ascending), ``intercept`` (k,).
    A single row with quantile NaN is the linear (mean) model.
    """

    # one C block: coef (k × n, row-major), then intercept (k), then the sorted outputs (k), so
    # a prediction on a cold cache touches one allocation, not three
    cdef double* _block
    cdef double* _coef
    cdef double* _intercept
    cdef double* _values
    cdef readonly Py_ssize_t n_features
    cdef readonly Py_ssize_t n_outputs
    cdef readonly Py_ssize_t central
    cdef readonly object quantiles

    def __init__(self, coef, intercept, quantiles, Py_ssize_t central=0):
        coef_array = np.array(coef, dtype=np.float64, order="C", ndmin=2)
        intercept_array = np.array(intercept, dtype=np.float64).reshape(-1)
        if coef_array.shape[0] != intercept_array.shape[0] or coef_array.shape[0] < 1:
            raise InvalidInputError("coef and intercept must have one row per output")
        if not (np.isfinite(coef_array).all() and np.isfinite(intercept_array).all()):
            raise InvalidInputError("coefficients must be finite")
        if not 0 <= central < coef_array.shape[0]:
            raise InvalidInputError(f"central={central} is not an output index")
        cdef Py_ssize_t k = coef_array.shape[0], n = coef_array.shape[1], i, j
        cdef double* block = <double*>PyMem_Malloc((k * n + 2 * k + 1) * sizeof(double))
        if block == NULL:
            raise MemoryError()
        PyMem_Free(self._block)
        self._block = block
        self._coef = block
        self._intercept = block + k * n
        self._values = block + k * n + k
        for i in range(k):
            for j in range(n):
                self._coef[i * n + j] = coef_array[i, j]
            self._intercept[i] = intercept_array[i]
            self._values[i] = 0.0
        self.n_outputs = k
        self.n_features = n
        self.central = central
        self.quantiles = tuple(np.asarray(quantiles, dtype=np.float64).ravel().tolist())

    def __dealloc__(self):
        PyMem_Free(self._block)

    cdef void _predict(self, const double* x) noexcept nogil:
        cdef Py_ssize_t i, j
        cdef double value
        for i in range(self.n_outputs):
            value = self._intercept[i] + dot(&self._coef[i * self.n_features], x,
                                             self.n_features)
            # insertion sort: monotone rearrangement of the quantile curve
            j = i
            while j > 0 and self._values[j - 1] > value:
                self._values[j] = self._values[j - 1]
                j -= 1
            self._values[j] = value

    cdef int _check(self, const double[::1] x) except -1:
        if x.shape[0] != self.n_features:
            raise InvalidInputError(
                f"features have {x.shape[0]} values, the model was fitted on {self.n_features}")
        return 0

    cpdef double predict_one(self, const double[::1] x) except? -1.0:
        """The central prediction (the median of a quantile model, the mean of a linear one)."""
        self._check(x)
        self._predict(&x[0])
        return self._values[self.central]

    cpdef double predict_quantile(self, const double[::1] x, Py_ssize_t index) except? -1.0:
        """Prediction ``index`` of the sorted outputs (0 = lowest quantile)."""
        self._check(x)
        if not 0 <= index < self.n_outputs:
            raise InvalidInputError(f"index {index} is not an output of this model")
        self._predict(&x[0])
        return self._values[index]

    def predict_into(self, const double[::1] x, double[::1] out):
        """Write all sorted outputs into ``out`` (length ≥ n_outputs)."""
        self._check(x)
        if out.shape[0] < self.n_outputs:
            raise InvalidInputError(f"out needs {self.n_outputs} slots")
        self._predict(&x[0])
        cdef Py_ssize_t i
        for i in range(self.n_outputs):
            out[i] = self._values[i]

    def predict_book(self, FeatureExtractor extractor not None, OrderBook book not None, side,
                     double quantity_usd, double contract_value=1.0):
        """All sorted outputs for a market order of ``quantity_usd`` quote units on ``side`` of
        ``book``, on ``extractor``'s market features: the same numbers as
        ``extractor.extract(book, side, quantity_usd, x)`` then ``predict_into(x, out)``, in
        one call with the features on the C stack (this is the live tick's path). Returns a
        tuple of ``n_outputs`` floats, ascending.

        ``contract_value``: base units per book size unit (``ctVal × ctMult`` on an OKX swap or
        futures book, 1 on spot). The order is walked in the book's units and the depth
        features are put back in quote units, as ``DatasetBuilder.extract_market`` does for
        the samples the model was fitted on."""
        if not (isfinite(contract_value) and contract_value > 0.0):
            raise InvalidInputError(f"contract_value must be a finite number > 0, got "
                                    f"{contract_value}")
        return self._predict_book(extractor, book, side, quantity_usd, contract_value,
                                  log(contract_value) if contract_value != 1.0 else 0.0)

    cdef tuple _predict_book(self, FeatureExtractor extractor, OrderBook book, object side,
                             double quantity_usd, double contract_value, double log_contract):
        cdef double features[_N_MARKET]
        if self.n_features != _N_MARKET:
            raise InvalidInputError(
                f"the model was fitted on {self.n_features} features, not the {_N_MARKET} "
                "market-order features")
        if contract_value == 1.0:
            extractor.market_features(book, side, quantity_usd, features)
        else:
            if not (isfinite(quantity_usd) and quantity_usd > 0.0):
                raise InvalidInputError(
                    f"quantity_usd must be a finite number > 0, got {quantity_usd}")
            extractor.market_features(book, side, quantity_usd / contract_value, features)
            # depth in quote units: price × contracts × contract value
            features[_LOG_DEPTH_WALKED] += log_contract
            features[_LOG_DEPTH_OWN] += log_contract
        self._predict(features)
        if self.n_outputs == 2:
            return (self._values[0], self._values[1])
        return tuple([self._values[i] for i in range(self.n_outputs)])


cdef class LiveQuantiles:
    """The live tick's learned (lowest, highest) slippage quantiles in one compiled call.

    Base of :class:`tradecost.models.live.LiveModels`. It listens to ``online`` (an
    ``OnlineModels``) for published predictors and keeps the slippage one in a C field, so
    ``predict_quantiles`` reaches it, the feature extractor (``online.builder.extractor``) and
    the book with no Python attribute lookup, frame or intermediate tuple. Untrained, it
    returns (NaN, NaN) and computes nothing.
    """

    cdef public object online
    cdef FeatureExtractor _extractor
    cdef QuantilePredictor _predictor
    cdef readonly double contract_value
    cdef double _log_contract

    def __init__(self, online):
        builder = online.builder
        contract_value = float(builder.contract_value)
        if not (isfinite(contract_value) and contract_value > 0.0):
            raise InvalidInputError(f"contract_value must be a finite number > 0, got "
                                    f"{contract_value}")
        self.online = online
        self._extractor = builder.extractor
        self.contract_value = contract_value
        self._log_contract = log(contract_value) if contract_value != 1.0 else 0.0
        self._predictor = online.predictors.slippage
        online.publish_listeners.append(self._publish)

    def _publish(self, predictors):
        """``OnlineModels`` published ``predictors``: the next tick uses their slippage model."""
        self._predictor = predictors.slippage

    def predict_quantiles(self, OrderBook book not None, side, double notional):
        """(p50, p90) in bps for a market order of ``notional`` quote units on ``side`` — the
        lowest and highest of the model's sorted quantiles — or (NaN, NaN) while untrained."""
        # a local reference: a refit publishing meanwhile cannot free the predictor in use
        cdef QuantilePredictor predictor = self._predictor
        if predictor is None:
            return _UNTRAINED
        values = predictor._predict_book(
            self._extractor, book, side, notional, self.contract_value, self._log_contract)
        if len(values) == 2:
            return values
        return (values[0], values[len(values) - 1])


cdef class FillPredictor:
    """P(fill) of a binary GLM: logit or complementary log-log, horizon entered as log h.

    ``coef`` holds raw-feature coefficients (0 at the horizon column); the horizon column, if
    any, contributes ``horizon_coef · log h`` (1 for the cloglog offset of Avellaneda–Stoikov).
    With ``frailty`` θ > 0 (cloglog only) P = 1 − (1 + θ e^η)^(−1/θ), the gamma-frailty model.
    """

    cdef double[::1] _coef
    cdef readonly double intercept
    cdef readonly Py_ssize_t n_features
    cdef readonly Py_ssize_t horizon_index
    cdef readonly double horizon_coef
    cdef readonly int link
    cdef readonly double frailty

    def __init__(self, coef, double intercept, int link, Py_ssize_t horizon_index=-1,
                 double horizon_coef=0.0, double frailty=0.0):
        coef_array = np.array(coef, dtype=np.float64).reshape(-1)
        if not (np.isfinite(coef_array).all() and isfinite(intercept) and isfinite(horizon_coef)):
            raise InvalidInputError("coefficients must be finite")
        if link not in (LINK_LOGIT, LINK_CLOGLOG):
            raise InvalidInputError(f"link must be LINK_LOGIT or LINK_CLOGLOG, got {link}")
        if not -1 <= horizon_index < coef_array.shape[0]:
            raise InvalidInputError(f"horizon_index={horizon_index} is not a feature index")
        if not (isfinite(frailty) and frailty >= 0.0) or (frailty > 0.0 and link != LINK_CLOGLOG):
            raise InvalidInputError(f"frailty must be >= 0 and needs LINK_CLOGLOG, got {frailty}")
        self.frailty = frailty
        self._coef = coef_array.copy()
        self.intercept = intercept
        self.n_features = coef_array.shape[0]
        self.horizon_index = horizon_index
        self.horizon_coef = horizon_coef
        self.link = link

    cpdef double predict_one(self, const double[::1] x) except? -1.0:
        """P(the limit order described by ``x`` fills within its horizon)."""
        if x.shape[0] != self.n_features:
            raise InvalidInputError(
                f"features have {x.shape[0]} values, the model was fitted on {self.n_features}")
        cdef double eta = self.intercept + dot(&self._coef[0], &x[0], self.n_features)
        cdef double horizon
        if self.horizon_index >= 0:
            horizon = x[self.horizon_index]
            if not horizon > 0.0:
                raise InvalidInputError(f"horizon must be > 0 seconds, got {horizon}")
            eta += self.horizon_coef * log(horizon)
        if self.link == LINK_LOGIT:
            return 1.0 / (1.0 + exp(-eta))
        if eta > 700.0:
            eta = 700.0
        if self.frailty > 0.0:
            return -expm1(-log1p(self.frailty * exp(eta)) / self.frailty)
        return -expm1(-exp(eta))
