"""Intervals on what a clinician reads from a survival model.

Each patient's survival probability at chosen times and restricted mean
survival time (RMST), with a percentile interval over *replicates* of the
model: the members of a deep ensemble (``ensemble_size >= 2``), or models
refitted on bootstrap resamples of the training patients
(:func:`bootstrap_fit`). The two answer different questions:

* the bootstrap interval estimates how much the prediction would move if
  the cohort were drawn again, the classical sampling uncertainty of the
  estimate (it covers the true survival at close to its nominal rate when
  the model is well specified; ``benchmarks/bench_survival_uncertainty.py``
  measures it on a simulation with known truth);
* an ensemble's spread is how much equally good networks disagree; it is
  free (one fit) but says nothing about sampling, and is usually narrower.
"""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils.validation import check_is_fitted

from ._conformal import _check_coverage
from ._evaluation import _check_n_bootstraps, _rng


def bootstrap_fit(estimator, X, y, *, n_bootstraps=50, random_state=None):
    """Fit clones of ``estimator`` on bootstrap resamples of the patients.

    Each clone is trained on ``n`` patients drawn with replacement from the
    ``n`` given; the fitted clones are the replicates that
    :func:`survival_intervals` and :func:`recommend_treatment` turn into
    intervals. The estimator's own ``random_state`` is kept, so the
    replicates differ by their data only.

    Parameters
    ----------
    estimator : estimator or pipeline
        Unfitted; any scikit-learn compatible estimator.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Training patients.
    y : array-like of shape (n_samples,)
        Their outcomes (a structured (event, time) array for survival).
    n_bootstraps : int, default=50
        Number of replicates. Percentile intervals at 90% rest on the 5%
        tails: 50 replicates give rough ones, 200 stable ones.
    random_state : int, RandomState instance or None, default=None
        Seeds the resampling.

    Returns
    -------
    replicates : list of fitted estimators
        ``n_bootstraps`` fitted clones.

    Examples
    --------
    >>> import numpy as np
    >>> from sksurv.linear_model import CoxPHSurvivalAnalysis
    >>> from sksurv.util import Surv
    >>> from skprecmed import bootstrap_fit
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 1))
    >>> y = Surv.from_arrays(np.ones(200, bool), rng.exponential(np.exp(-X[:, 0])))
    >>> models = bootstrap_fit(CoxPHSurvivalAnalysis(), X, y, n_bootstraps=20,
    ...                        random_state=0)
    >>> coefs = np.array([m.coef_[0] for m in models])
    >>> bool(0.6 < coefs.mean() < 1.4 and 0 < coefs.std() < 0.3)
    True
    """
    _check_n_bootstraps(n_bootstraps)
    n_samples = len(y)
    if n_samples < 2:
        raise ValueError(f"bootstrap_fit needs at least 2 patients; got {n_samples}.")
    rng = _rng(random_state)
    replicates = []
    for _ in range(n_bootstraps):
        rows = rng.integers(0, n_samples, n_samples)
        model = clone(estimator)
        replicates.append(model.fit(_safe_indexing(X, rows), _safe_indexing(y, rows)))
    return replicates


def survival_intervals(estimator, X, times, *, coverage=0.9, rmst_horizon=None):
    """Survival at ``times`` and RMST per patient, with percentile intervals.

    Parameters
    ----------
    estimator : fitted survival model, or list of fitted survival models
        A skprecmed survival model (or a pipeline ending in one) with
        ``ensemble_size >= 2``, whose members are the replicates; or a list
        of fitted models with ``predict_survival_function`` (any
        scikit-survival estimator), e.g. from :func:`bootstrap_fit`.
    X : array-like of shape (n_samples, n_features)
        Patients.
    times : float or array-like of float
        Times at which to give the survival probability, within the
        follow-up of the training data.
    coverage : float in (0, 1), default=0.9
        Probability content of the intervals (the central percentile
        interval of the replicates).
    rmst_horizon : float, default=None
        If given, also the restricted mean survival time up to this horizon:
        the expected event-free time within it (the area under the survival
        curve), in the units of the times.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``times`` (n_times,); ``survival``, ``lower``, ``upper`` of shape
        (n_samples, n_times): the mean of the replicates' survival and the
        interval; ``n_replicates``. With ``rmst_horizon``: ``rmst``,
        ``rmst_lower``, ``rmst_upper`` of shape (n_samples,).

    Examples
    --------
    >>> import numpy as np
    >>> from sksurv.linear_model import CoxPHSurvivalAnalysis
    >>> from sksurv.util import Surv
    >>> from skprecmed import bootstrap_fit, survival_intervals
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 1))
    >>> y = Surv.from_arrays(np.ones(300, bool), rng.exponential(np.exp(-X[:, 0])))
    >>> models = bootstrap_fit(CoxPHSurvivalAnalysis(), X, y, n_bootstraps=30,
    ...                        random_state=0)
    >>> result = survival_intervals(models, [[-1.0], [1.0]], times=[0.5, 1.0],
    ...                             rmst_horizon=2.0)
    >>> result.survival.shape
    (2, 2)
    >>> bool(np.all(result.lower <= result.survival)
    ...      and np.all(result.survival <= result.upper))
    True
    >>> # true survival exp(-t exp(x)) at t = 0.5 for x = -1: 0.83
    >>> bool(result.lower[0, 0] < np.exp(-0.5 * np.exp(-1)) < result.upper[0, 0])
    True
    >>> bool(result.rmst[0] > result.rmst[1])
    True
    """
    _check_coverage(coverage)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.ndim != 1 or len(times) == 0 or not np.all(np.isfinite(times)):
        raise ValueError(
            f"times must be one or more finite numbers; got {times.tolist()}."
        )
    if np.any(times < 0):
        raise ValueError(f"times must be >= 0; got {times.tolist()}.")
    _check_positive_time("rmst_horizon", rmst_horizon)

    curves = replicate_survival(estimator, X)
    last = min(grid[-1] for grid, _ in curves)
    asked = max(times.max(), rmst_horizon or 0.0)
    if asked > last:
        raise ValueError(
            f"Survival is known up to time {last:g} (the last event time the "
            f"models saw); asked for {asked:g}."
        )
    survival = np.stack([_step_values(grid, v, times) for grid, v in curves], axis=-1)
    tail = (1 - coverage) / 2 * 100
    lower, upper = np.percentile(survival, [tail, 100 - tail], axis=-1)
    result = Bunch(
        times=times,
        survival=survival.mean(axis=-1),
        lower=lower,
        upper=upper,
        n_replicates=survival.shape[-1],
    )
    if rmst_horizon is not None:
        rmst = np.column_stack([_rmst(grid, v, rmst_horizon) for grid, v in curves])
        result.rmst = rmst.mean(axis=1)
        result.rmst_lower, result.rmst_upper = np.percentile(
            rmst, [tail, 100 - tail], axis=1
        )
    return result


def _check_positive_time(name, value):
    """``value`` is None or a number > 0 (a horizon), or a ValueError naming it."""
    if value is not None and (
        not isinstance(value, numbers.Real) or isinstance(value, bool) or not value > 0
    ):
        raise ValueError(f"{name} must be a number > 0 or None; got {value!r}.")


def replicate_survival(estimator, X):
    """Replicate survival curves of ``X``: a list of (grid, values (n, g)).

    From an ensemble's members or from a list of fitted models; a curve's
    value at ``grid[k]`` holds until ``grid[k + 1]``.
    """
    if isinstance(estimator, list | tuple):
        if len(estimator) < 2:
            raise ValueError(
                f"Need at least 2 fitted models as replicates; got {len(estimator)}."
            )
        return [_model_curve(model, X) for model in estimator]
    check_is_fitted(estimator)
    final, Xt = _final_and_input(estimator, X)
    if getattr(final, "_n_members", 1) < 2 or not hasattr(final, "_member_survival"):
        raise ValueError(
            f"Intervals need replicates of the model: a skprecmed survival model "
            f"with ensemble_size >= 2, or a list of fitted models (bootstrap_fit); "
            f"got a single {type(final).__name__}."
        )
    grid, values = final._member_survival(Xt)
    return [(grid, values[:, m]) for m in range(values.shape[1])]


def _final_and_input(estimator, X):
    """The last step of a pipeline and ``X`` transformed by the steps before."""
    if hasattr(estimator, "steps"):
        if len(estimator.steps) > 1:
            X = estimator[:-1].transform(X)
        return estimator.steps[-1][1], X
    return estimator, X


def _model_curve(model, X):
    """One fitted model's survival curves on a common grid."""
    if not hasattr(model, "predict_survival_function"):
        raise TypeError(
            f"{type(model).__name__} has no predict_survival_function: intervals "
            "need survival models."
        )
    functions = model.predict_survival_function(X)
    first = functions[0]
    if all(fn.x is first.x or np.array_equal(fn.x, first.x) for fn in functions):
        # the usual case (one baseline for every patient): no evaluation
        return first.x, np.array([fn.a * fn.y + fn.b for fn in functions])
    grid = np.unique(np.concatenate([fn.x for fn in functions]))
    values = np.array(
        [_step_values(fn.x, fn.a * fn.y + fn.b, grid) for fn in functions]
    )
    return grid, values


def _step_values(grid, values, times):
    """Right-continuous step curves at ``times``; 1 before the first step."""
    index = np.searchsorted(grid, times, side="right") - 1
    out = values[..., np.maximum(index, 0)]
    return np.where(index >= 0, out, 1.0)


def _rmst(grid, values, horizon):
    """Area under step survival curves from 0 to ``horizon``, (n,)."""
    knots = np.unique(np.concatenate([[0.0], grid[grid < horizon], [horizon]]))
    heights = _step_values(grid, values, knots[:-1])
    return heights @ np.diff(knots)
