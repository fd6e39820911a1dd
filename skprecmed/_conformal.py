"""Split-conformal prediction sets and intervals, overall or per subgroup.

Split conformal prediction holds out a calibration set, scores how wrong the
fitted model is on each calibration patient and takes the finite-sample
corrected quantile of those scores: the ``ceil((n + 1) * coverage)``-th
smallest of the ``n`` scores. A new patient's set (or interval) contains
every label (or value) whose score is at most that quantile, and covers the
truth with probability at least ``coverage`` whenever calibration and new
patients are exchangeable. Mondrian calibration does the same within each
subgroup, so that the guarantee holds *per subgroup* (sex, age band, site)
and not only on average over the population.

The quantiles are computed here (a few lines) rather than by MAPIE, because
MAPIE 1.x's ``SplitConformal*`` classes have no Mondrian (per-group)
calibration and no score normalised by a ``predict(X, return_std=True)``
spread; MAPIE itself accepts skprecmed's estimators unchanged for every other
method (cross-conformal, jackknife+, conformalised quantile regression...).
"""

import math
import numbers
import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_is_fitted

_EPS = 1e-12


def conformal_quantile(scores, coverage):
    """The finite-sample corrected split-conformal quantile of ``scores``.

    The ``ceil((n + 1) * coverage)``-th smallest of the ``n`` scores (the
    empirical quantile at level ``ceil((n + 1) * coverage) / n``); ``inf``
    when that rank exceeds ``n`` (too few scores for this coverage: the only
    honest set is every label, the only honest interval the real line).

    Parameters
    ----------
    scores : array-like of shape (n,)
        Conformity scores of the calibration patients (larger = worse).
    coverage : float in (0, 1)
        Target probability that a new patient's set covers the truth.

    Returns
    -------
    quantile : float

    Examples
    --------
    >>> from skprecmed._conformal import conformal_quantile
    >>> conformal_quantile([0.1, 0.4, 0.2, 0.3], coverage=0.6)
    0.3
    >>> conformal_quantile([0.1, 0.4, 0.2, 0.3], coverage=0.9)
    inf
    """
    scores = np.sort(np.asarray(scores, dtype=float).ravel())
    rank = math.ceil((len(scores) + 1) * coverage - 1e-9)  # 1-based; tolerance
    if rank > len(scores) or len(scores) == 0:
        return float("inf")
    return float(scores[max(rank, 1) - 1])


def _check_coverage(coverage):
    if not isinstance(coverage, numbers.Real) or not 0 < coverage < 1:
        raise ValueError(f"coverage must be a number in (0, 1); got {coverage!r}.")


def _is_column_key(groups):
    return isinstance(groups, str | numbers.Integral) and not isinstance(groups, bool)


def _resolve_groups(X, groups, n_samples):
    """The group of each row: ``groups`` as a column of ``X`` or an array."""
    if groups is None:
        return None
    if _is_column_key(groups):
        if hasattr(X, "columns"):
            if groups in X.columns:
                return np.asarray(X[groups])
            if isinstance(groups, numbers.Integral) and 0 <= groups < X.shape[1]:
                return np.asarray(X.iloc[:, groups])
            raise ValueError(f"groups column {groups!r} is not in X's columns.")
        array = np.asarray(X)
        if (
            not isinstance(groups, numbers.Integral)
            or array.ndim != 2
            or not 0 <= groups < array.shape[1]
        ):
            raise ValueError(
                "groups must be a column index of X, a column name of a DataFrame "
                f"X, or an array with one group per row; got {groups!r}."
            )
        return array[:, groups]
    values = np.asarray(groups)
    if values.ndim != 1 or len(values) != n_samples:
        raise ValueError(
            f"groups must have one value per row of X ({n_samples}); got an array "
            f"of shape {values.shape}."
        )
    return values


def _check_calibration_size(calibration_size):
    ok = (
        isinstance(calibration_size, numbers.Real)
        and not isinstance(calibration_size, bool)
        and (
            0 < calibration_size < 1
            if isinstance(calibration_size, float)
            else calibration_size >= 1
        )
    )
    if not ok:
        raise ValueError(
            "calibration_size must be a fraction in (0, 1) or a number of rows "
            f">= 1; got {calibration_size!r}."
        )


def _split(X, y, groups, calibration_size, stratify, random_state):
    """Training and calibration halves of X, y and groups.

    ``stratify``: False, True (by ``y``) or the labels to stratify by.
    """
    index = np.arange(len(y))
    strata = None
    if stratify is not False:
        strata = np.asarray(y if stratify is True else stratify).astype(str)
        if groups is not None:
            both = np.char.add(np.char.add(strata, "|"), groups.astype(str))
            _, counts = np.unique(both, return_counts=True)
            strata = both if counts.min() >= 2 else strata
    train, calib = train_test_split(
        index, test_size=calibration_size, stratify=strata, random_state=random_state
    )
    take = _safe_indexing
    g_calib = None if groups is None else groups[calib]
    return take(X, train), take(y, train), take(X, calib), take(y, calib), g_calib


class _ConformalBase(MetaEstimatorMixin, BaseEstimator):
    """Calibration split, per-group quantiles and group lookup at prediction."""

    def _check_params(self):
        _check_coverage(self.coverage)
        _check_calibration_size(self.calibration_size)

    def _calibrate(self, scores, groups):
        """Per-group (or overall, key ``None``) quantiles of the scores."""
        if groups is None:
            self.groups_ = None
            self.quantiles_ = {None: conformal_quantile(scores, self.coverage)}
            return
        self.groups_ = np.unique(groups)
        self.quantiles_ = {
            g: conformal_quantile(scores[groups == g], self.coverage)
            for g in self.groups_
        }
        small = [g.item() for g, q in self.quantiles_.items() if np.isinf(q)]
        if small:
            warnings.warn(
                f"Groups {small} have too few calibration patients for coverage "
                f"{self.coverage}; their sets are every class and their intervals "
                "unbounded. Use a larger calibration_size or coarser groups.",
                UserWarning,
                stacklevel=3,
            )

    def _thresholds(self, X, groups, n_samples):
        """The quantile that applies to each row of X."""
        if self.groups_ is None:
            if groups is not None:
                raise ValueError(
                    "groups was given to predict, but the estimator was calibrated "
                    "without groups."
                )
            return np.full(n_samples, self.quantiles_[None])
        if groups is None:
            if not _is_column_key(self.groups):
                raise ValueError(
                    "The estimator was calibrated per group with an array of "
                    "groups: pass the groups of these rows as groups=."
                )
            groups = self.groups
        values = _resolve_groups(X, groups, n_samples)
        unknown = sorted(set(np.unique(values).tolist()) - set(self.groups_.tolist()))
        if unknown:
            raise ValueError(
                f"Groups {unknown} were not seen in calibration; known groups are "
                f"{self.groups_.tolist()}."
            )
        return np.array([self.quantiles_[g] for g in values], dtype=float)

    @property
    def n_features_in_(self):
        return self.estimator_.n_features_in_

    @property
    def feature_names_in_(self):
        return self.estimator_.feature_names_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class ConformalClassifier(ClassifierMixin, _ConformalBase):
    """Prediction sets that contain the true class with a chosen probability.

    Holds out a stratified calibration split, fits (a clone of) ``estimator``
    on the rest and calibrates split-conformal prediction sets on the
    held-out patients. :meth:`predict_set` then returns, for each new
    patient, the set of classes that contains the true one with probability
    at least ``coverage`` (marginally over patients exchangeable with the
    calibration set; per subgroup when ``groups`` is given: Mondrian
    calibration). A set with one class is a confident prediction; a set with
    several says which diagnoses the model cannot tell apart; an empty set
    (possible with ``"lac"``) flags a patient unlike the calibration data.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
        Any scikit-learn classifier or pipeline, e.g. a
        :class:`KerasNetClassifier`. It is cloned, never modified.
    coverage : float, default=0.9
        Target probability that the set contains the true class.
    calibration_size : float or int, default=0.25
        Fraction (float in (0, 1)) or number (int) of the rows held out for
        calibration; the estimator is trained on the others.
    method : {"lac", "aps"}, default="lac"
        Conformity score. ``"lac"`` (least ambiguous set-valued classifier):
        one minus the probability of the true class; the smallest sets on
        average. ``"aps"`` (adaptive prediction sets, non-randomised): the
        total probability of the classes at least as probable as the true
        one; larger sets, but more even coverage across easy and hard
        patients. Without randomisation it is conservative: coverage can
        exceed ``coverage``, most with few classes.
    groups : str, int or array-like of shape (n_samples,), default=None
        Calibrate separately within each group (Mondrian conformal
        prediction), so that the coverage holds in every group: a column
        name (of a DataFrame ``X``) or column index of ``X``, read again at
        prediction, or an array with each training row's group (then pass
        the new rows' groups to :meth:`predict_set`).
    random_state : int, RandomState instance or None, default=None
        Seeds the calibration split (and nothing else: seed the estimator
        itself for a reproducible network).

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    quantiles_ : dict
        Score threshold per group (key ``None`` without groups); ``inf``
        where a group has too few calibration patients for the coverage.
    groups_ : ndarray or None
        The groups seen in calibration.
    n_calibration_ : int
        Number of calibration patients.

    See Also
    --------
    ConformalRegressor : The same for a measurement: prediction intervals.
    mapie.classification.SplitConformalClassifier : MAPIE's version (more
        scores, no per-group calibration); accepts skprecmed estimators too.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprecmed import ConformalClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression())
    >>> conformal = ConformalClassifier(model, coverage=0.9, random_state=0)
    >>> sets = conformal.fit(X[:400], y[:400]).predict_set(X[400:])
    >>> sets.shape
    (169, 2)
    >>> bool(sets[range(169), y[400:]].mean() >= 0.85)
    True
    """

    def __init__(
        self,
        estimator,
        *,
        coverage=0.9,
        calibration_size=0.25,
        method="lac",
        groups=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.coverage = coverage
        self.calibration_size = calibration_size
        self.method = method
        self.groups = groups
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the estimator on part of the data, calibrate on the rest.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, as ``estimator`` takes it.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted and calibrated estimator.
        """
        self._check_params()
        if self.method not in ("lac", "aps"):
            raise ValueError(f"method must be 'lac' or 'aps'; got {self.method!r}.")
        if not hasattr(self.estimator, "predict_proba"):
            raise ValueError(
                f"{type(self.estimator).__name__} has no predict_proba: conformal "
                "sets need a classifier's probabilities."
            )
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D; got an array of shape {y.shape}.")
        groups = _resolve_groups(X, self.groups, len(y))
        X_fit, y_fit, X_cal, y_cal, g_cal = _split(
            X, y, groups, self.calibration_size, True, self.random_state
        )
        self.estimator_ = clone(self.estimator).fit(X_fit, y_fit)
        self.classes_ = self.estimator_.classes_
        unseen = set(np.unique(y_cal).tolist()) - set(self.classes_.tolist())
        if unseen:
            raise ValueError(f"Calibration classes {sorted(unseen)} were not trained.")
        proba = self.estimator_.predict_proba(X_cal)
        column = np.searchsorted(self.classes_, y_cal)
        all_scores = self._scores(proba)
        self.n_calibration_ = len(y_cal)
        self._calibrate(all_scores[np.arange(len(y_cal)), column], g_cal)
        return self

    def _scores(self, proba):
        """Conformity score of every (patient, class) pair: larger = stranger."""
        if self.method == "lac":
            return 1.0 - proba
        # APS: mass of the classes at least as probable as this one
        greater_or_equal = (proba[:, None, :] >= proba[:, :, None]).astype(float)
        return np.einsum("nkj,nj->nk", greater_or_equal, proba)

    def predict_set(self, X, groups=None):
        """The set of plausible classes of each patient.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients.
        groups : array-like of shape (n_samples,), default=None
            Each patient's group; needed only when the estimator was
            calibrated with an array of groups (a column of ``X`` is read
            again by itself).

        Returns
        -------
        sets : ndarray of bool, shape (n_samples, n_classes)
            ``sets[i, k]`` is True when class ``classes_[k]`` is in patient
            ``i``'s set.
        """
        check_is_fitted(self, "quantiles_")
        scores = self._scores(self.estimator_.predict_proba(X))
        thresholds = self._thresholds(X, groups, len(scores))
        return scores <= thresholds[:, None] + _EPS

    def predict(self, X):
        """The estimator's most probable class (unchanged by calibration).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients, with the features seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The fitted estimator's predictions.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    def predict_proba(self, X):
        """The estimator's class probabilities (unchanged by calibration).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients, with the features seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The fitted estimator's class probabilities.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)


class ConformalRegressor(RegressorMixin, _ConformalBase):
    """Prediction intervals that contain the true value with a chosen probability.

    Holds out a calibration split, fits (a clone of) ``estimator`` on the
    rest and calibrates split-conformal intervals on the held-out patients:
    :meth:`predict_interval` returns, in the units of ``y``, an interval
    around each prediction that contains the true value with probability at
    least ``coverage`` (marginally over patients exchangeable with the
    calibration set; per subgroup with ``groups``: Mondrian calibration).

    The score is the absolute residual ``|y - predict(X)|``: every patient
    gets an interval of the same width (per group). When the estimator
    gives a spread with ``predict(X, return_std=True)`` (a deep ensemble, a
    Gaussian process, :class:`~sklearn.linear_model.BayesianRidge`), the
    residual is divided by it, so intervals are wider where the model is
    less sure: ``method="auto"`` uses the spread when ``predict`` accepts
    ``return_std`` (detected by calling it) and the absolute residual
    otherwise; ``method_`` says which was used.

    Parameters
    ----------
    estimator : regressor
        Any scikit-learn regressor or pipeline (single target), e.g. a
        :class:`KerasNetRegressor` in a
        :class:`~sklearn.compose.TransformedTargetRegressor`. It is cloned,
        never modified.
    coverage : float, default=0.9
        Target probability that the interval contains the true value.
    calibration_size : float or int, default=0.25
        Fraction (float in (0, 1)) or number (int) of the rows held out for
        calibration; the estimator is trained on the others.
    method : {"auto", "absolute", "normalized"}, default="auto"
        Conformity score: the absolute residual, or the absolute residual
        over the predicted standard deviation (``"normalized"`` requires
        ``predict(X, return_std=True)``).
    groups : str, int or array-like of shape (n_samples,), default=None
        Calibrate separately within each group (Mondrian conformal
        prediction): a column name or index of ``X``, read again at
        prediction, or an array with each training row's group (then pass
        the new rows' groups to :meth:`predict_interval`).
    random_state : int, RandomState instance or None, default=None
        Seeds the calibration split.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.
    method_ : {"absolute", "normalized"}
        The score used.
    quantiles_ : dict
        Score threshold per group (key ``None`` without groups).
    groups_ : ndarray or None
        The groups seen in calibration.
    n_calibration_ : int
        Number of calibration patients.

    See Also
    --------
    ConformalClassifier : The same for a diagnosis: prediction sets.
    mapie.regression.SplitConformalRegressor : MAPIE's version (no per-group
        calibration); accepts skprecmed estimators too.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import RidgeCV
    >>> from skprecmed import ConformalRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> conformal = ConformalRegressor(RidgeCV(), coverage=0.9, random_state=0)
    >>> intervals = conformal.fit(X[:300], y[:300]).predict_interval(X[300:])
    >>> intervals.shape
    (142, 2)
    >>> covered = (intervals[:, 0] <= y[300:]) & (y[300:] <= intervals[:, 1])
    >>> bool(covered.mean() >= 0.85), conformal.method_
    (True, 'absolute')
    """

    def __init__(
        self,
        estimator,
        *,
        coverage=0.9,
        calibration_size=0.25,
        method="auto",
        groups=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.coverage = coverage
        self.calibration_size = calibration_size
        self.method = method
        self.groups = groups
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the estimator on part of the data, calibrate on the rest.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, as ``estimator`` takes it.
        y : array-like of shape (n_samples,)
            Target values (a single target).

        Returns
        -------
        self : object
            The fitted and calibrated estimator.
        """
        self._check_params()
        if self.method not in ("auto", "absolute", "normalized"):
            raise ValueError(
                "method must be 'auto', 'absolute' or 'normalized'; got "
                f"{self.method!r}."
            )
        y = np.asarray(y, dtype=float)
        if y.ndim != 1:
            raise ValueError(
                f"y must be 1-D (a single target); got an array of shape {y.shape}."
            )
        groups = _resolve_groups(X, self.groups, len(y))
        X_fit, y_fit, X_cal, y_cal, g_cal = _split(
            X, y, groups, self.calibration_size, False, self.random_state
        )
        self.estimator_ = clone(self.estimator).fit(X_fit, y_fit)
        prediction, std = self._predict_with_std(X_cal, self.method)
        self.method_ = "absolute" if std is None else "normalized"
        scores = np.abs(y_cal - prediction)
        if std is not None:
            scores = scores / np.maximum(std, _EPS)
        self.n_calibration_ = len(y_cal)
        self._calibrate(scores, g_cal)
        return self

    def _predict_with_std(self, X, method):
        """Point predictions, and the spread when ``method`` wants it."""
        if method == "absolute" or (
            method == "auto" and _single_network(self.estimator_)
        ):
            return np.asarray(self.estimator_.predict(X), dtype=float), None
        try:
            prediction, std = self.estimator_.predict(X, return_std=True)
        except TypeError:
            if method == "normalized":
                raise ValueError(
                    f"method='normalized' needs predict(X, return_std=True), which "
                    f"{type(self.estimator_).__name__} does not accept."
                ) from None
            return np.asarray(self.estimator_.predict(X), dtype=float), None
        return np.asarray(prediction, dtype=float), np.asarray(std, dtype=float)

    def predict_interval(self, X, groups=None):
        """Prediction interval of each patient, in the units of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients.
        groups : array-like of shape (n_samples,), default=None
            Each patient's group; needed only when the estimator was
            calibrated with an array of groups.

        Returns
        -------
        intervals : ndarray of shape (n_samples, 2)
            Lower and upper bounds (``-inf``/``inf`` for a group with too
            few calibration patients).
        """
        check_is_fitted(self, "quantiles_")
        prediction, std = self._predict_with_std(X, self.method_)
        half = self._thresholds(X, groups, len(prediction))
        if std is not None:
            half = half * np.maximum(std, _EPS)
        return np.column_stack([prediction - half, prediction + half])

    def predict(self, X):
        """The estimator's predictions (unchanged by calibration).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients, with the features seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The fitted estimator's predictions.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)


def _single_network(estimator):
    """Whether ``estimator`` ends in a skprecmed network without ensemble."""
    from ._base import _BaseKerasNet
    from ._utils import final_estimator

    final = final_estimator(estimator)
    return isinstance(final, _BaseKerasNet) and getattr(final, "_n_members", 1) < 2
