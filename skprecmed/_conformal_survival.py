"""A distribution-free lower bound on each patient's survival time.

Conformalized survival analysis (Candes, Lei & Ren, 2023) calibrates a
model's predicted survival-time quantile on held-out patients so that a new
patient's lower prediction bound (LPB) satisfies ``P(T >= LPB) >= coverage``
whatever the model and the distribution, for patients exchangeable with the
calibration set.

Censoring is handled by calibrating on the *observed* time ``min(T, C)``,
which is never later than the event time ``T``: a bound that the observed
time exceeds with probability ``coverage`` is exceeded by ``T`` at least as
often. This is the paper's conservative bound, the one that right-censored
cohorts allow. Its sharper, censoring-weighted bound needs the censoring
time of *every* patient, including those who had the event (e.g. the
administrative end of follow-up), which cohorts such as WHAS500 or GBSG2 do
not record; it is not implemented here.
"""

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from ._conformal import _ConformalBase, _resolve_groups, _split
from ._evaluation import _survival_target
from ._survival_uncertainty import _model_curve

try:
    from sksurv.base import SurvivalAnalysisMixin
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        'ConformalSurvival needs scikit-survival: pip install "skprecmed[survival]"'
    ) from exc


class ConformalSurvival(SurvivalAnalysisMixin, _ConformalBase):
    """Lower bound on each patient's survival time, kept with a chosen probability.

    Holds out a calibration split (stratified by event), fits (a clone of)
    ``estimator`` on the rest and calibrates the model's predicted
    ``1 - coverage`` quantile of the survival time ``q(x)`` (the first time
    its survival curve falls to ``coverage``) on the held-out patients: the
    score of a calibration patient is ``log q(x) - log(observed time)``, and
    the bound of a new patient is ``q(x) * exp(-s)`` with ``s`` the split-
    conformal quantile of the scores. Then ``P(T >= bound) >= coverage`` for
    a new patient exchangeable with the calibration set (per group with
    ``groups``), whatever the model; censored calibration patients make the
    bound conservative (it is calibrated on the observed time, which is at
    most the event time).

    Parameters
    ----------
    estimator : survival model with ``predict_survival_function``
        Any scikit-survival estimator or pipeline, e.g. a
        :class:`KerasNetSurvivalAnalysis`. It is cloned, never modified.
    coverage : float, default=0.9
        Target probability that the event happens no earlier than the bound.
    calibration_size : float or int, default=0.25
        Fraction (float in (0, 1)) or number (int) of the rows held out for
        calibration; the estimator is trained on the others.
    groups : str, int or array-like of shape (n_samples,), default=None
        Calibrate separately within each group (Mondrian), so that the
        coverage holds in every group: a column name or index of ``X``, or
        an array with each training row's group (then pass the new rows'
        groups to :meth:`predict_lower_bound`).
    random_state : int, RandomState instance or None, default=None
        Seeds the calibration split.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.
    quantiles_ : dict
        Score threshold per group (key ``None`` without groups); ``inf``
        where a group has too few calibration patients (bound 0).
    groups_ : ndarray or None
        The groups seen in calibration.
    n_calibration_ : int
        Number of calibration patients.

    See Also
    --------
    survival_intervals : Intervals on survival probabilities and RMST.

    References
    ----------
    E. J. Candes, L. Lei and Z. Ren, "Conformalized survival analysis",
    Journal of the Royal Statistical Society Series B 85(1), 24-45, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sksurv.linear_model import CoxPHSurvivalAnalysis
    >>> from sksurv.util import Surv
    >>> from skprecmed import ConformalSurvival
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(1000, 1))
    >>> time = rng.exponential(np.exp(-X[:, 0]))
    >>> y = Surv.from_arrays(np.ones(1000, bool), time)
    >>> model = ConformalSurvival(CoxPHSurvivalAnalysis(), random_state=0)
    >>> bound = model.fit(X[:600], y[:600]).predict_lower_bound(X[600:])
    >>> bool(0.85 <= np.mean(time[600:] >= bound) <= 0.95)
    True
    """

    def __init__(
        self,
        estimator,
        *,
        coverage=0.9,
        calibration_size=0.25,
        groups=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.coverage = coverage
        self.calibration_size = calibration_size
        self.groups = groups
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the estimator on part of the data, calibrate on the rest.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training patients, as ``estimator`` takes them.
        y : structured array of shape (n_samples,)
            Their (event, time) outcomes, as made by ``sksurv.util.Surv``.

        Returns
        -------
        self : object
            The fitted and calibrated estimator.
        """
        self._check_params()
        event, _ = _survival_target(y)
        groups = _resolve_groups(X, self.groups, len(y))
        X_fit, y_fit, X_cal, y_cal, g_cal = _split(
            X, y, groups, self.calibration_size, event, self.random_state
        )
        self.estimator_ = clone(self.estimator).fit(X_fit, y_fit)
        _, observed = _survival_target(y_cal)
        with np.errstate(divide="ignore"):
            scores = np.log(self._predicted_quantile(X_cal)) - np.log(observed)
        self.n_calibration_ = len(observed)
        self._calibrate(scores, g_cal)
        return self

    def _predicted_quantile(self, X):
        """The model's ``1 - coverage`` quantile of the survival time."""
        grid, survival = _model_curve(self.estimator_, X)
        below = survival <= self.coverage
        # a curve that never falls to `coverage` within follow-up: its end
        first = np.where(below.any(axis=1), below.argmax(axis=1), len(grid) - 1)
        return np.maximum(grid[first], np.finfo(float).tiny)

    def predict_lower_bound(self, X, groups=None):
        """Lower bound on each patient's survival time.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients.
        groups : array-like of shape (n_samples,), default=None
            Each patient's group; needed only when the estimator was
            calibrated with an array of groups.

        Returns
        -------
        bound : ndarray of shape (n_samples,)
            The event happens no earlier than this time with probability at
            least ``coverage`` (0 for a group with too few calibration
            patients), in the units of the training times.
        """
        check_is_fitted(self, "quantiles_")
        quantile = self._predicted_quantile(X)
        threshold = self._thresholds(X, groups, len(quantile))
        return quantile * np.exp(-threshold)

    def predict(self, X):
        """The estimator's risk scores (unchanged by calibration).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients, with the features seen in ``fit``.

        Returns
        -------
        risk : ndarray of shape (n_samples,)
            The fitted estimator's predictions (higher: earlier event).
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)
