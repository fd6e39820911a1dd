"""Held-out performance with bootstrap confidence intervals, overall and by group.

Predictions are computed once; the bootstrap resamples patients (row
indices) with replacement and recomputes each metric on the resample, so a
thousand replicates cost a thousand metric evaluations and no model call.
The interval is the percentile interval of the replicates. Asked per
subgroup, the same table is the subgroup (fairness) report: does the model
discriminate, is it calibrated, do its conformal sets cover as promised, in
every group of patients?
"""

import numbers

import numpy as np

from ._conformal import ConformalClassifier, ConformalRegressor, _resolve_groups

_CLASSIFIER_METRICS = ("roc_auc", "log_loss", "brier", "accuracy")
_REGRESSOR_METRICS = ("r2", "mae", "rmse")
_SURVIVAL_METRICS = ("c_index",)
_DEFAULTS = {
    "classifier": ("roc_auc", "log_loss", "brier"),
    "regressor": ("r2", "mae"),
    "survival": ("c_index",),
}
_AVAILABLE = {
    "classifier": _CLASSIFIER_METRICS,
    "regressor": _REGRESSOR_METRICS,
    "survival": _SURVIVAL_METRICS,
}


def _check_fraction(name, value):
    if not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number in (0, 1); got {value!r}.")


def _check_n_bootstraps(n_bootstraps):
    if not isinstance(n_bootstraps, numbers.Integral) or n_bootstraps < 1:
        raise ValueError(f"n_bootstraps must be an integer >= 1; got {n_bootstraps!r}.")


def _rng(random_state):
    """A NumPy Generator from scikit-learn's random_state conventions."""
    if isinstance(random_state, np.random.RandomState):
        random_state = random_state.randint(2**31)
    return np.random.default_rng(random_state)


def _survival_target(y):
    try:
        from sksurv.util import check_y_survival
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Survival metrics need scikit-survival: pip install 'skprecmed[survival]'."
        ) from exc
    event, time = check_y_survival(y)
    return np.asarray(event, bool), np.asarray(time, float)


def _kind(estimator, y):
    if getattr(getattr(y, "dtype", None), "names", None):
        return "survival"
    if hasattr(estimator, "predict_proba") and hasattr(estimator, "classes_"):
        return "classifier"
    return "regressor"


# ---------------------------------------------------------------- metrics
# Each takes a (n_replicates, m) matrix of row indices and returns one value
# per replicate (vectorised where the metric allows it).


def _auc(scores, positive, idx):
    """Mann-Whitney ROC AUC per row of ``idx`` (ties averaged, as sklearn)."""
    from scipy.stats import rankdata

    ranks = rankdata(scores[idx], axis=1)
    pos = positive[idx]
    n_pos = pos.sum(axis=1)
    n_neg = pos.shape[1] - n_pos
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((ranks * pos).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def _classifier_metrics(proba, y, classes):
    proba = np.asarray(proba, dtype=float)
    column = np.searchsorted(classes, y)
    if np.any(classes[np.minimum(column, len(classes) - 1)] != y):
        raise ValueError("y has classes the estimator was not trained on.")
    onehot = np.zeros_like(proba)
    onehot[np.arange(len(y)), column] = 1.0
    eps = np.finfo(proba.dtype).eps
    per_row = {
        "log_loss": -np.log(np.clip(proba[np.arange(len(y)), column], eps, 1)),
        "accuracy": (np.argmax(proba, axis=1) == column).astype(float),
    }
    if len(classes) == 2:
        per_row["brier"] = (onehot[:, 1] - proba[:, 1]) ** 2
    else:
        per_row["brier"] = ((onehot - proba) ** 2).sum(axis=1)

    def roc_auc(idx):
        if len(classes) == 2:
            return _auc(proba[:, 1], onehot[:, 1], idx)
        per_class = [_auc(proba[:, k], onehot[:, k], idx) for k in range(len(classes))]
        return np.mean(per_class, axis=0)  # one-vs-rest, macro (as sklearn)

    metrics = {name: _mean_of(values) for name, values in per_row.items()}
    metrics["roc_auc"] = roc_auc
    return metrics


def _mean_of(values):
    return lambda idx: values[idx].mean(axis=1)


def _regressor_metrics(prediction, y):
    prediction = np.asarray(prediction, dtype=float).ravel()
    residual = y - prediction

    def r2(idx):
        y_boot = y[idx]
        total = ((y_boot - y_boot.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = 1 - (residual[idx] ** 2).sum(axis=1) / total
        return np.where(total > 0, value, np.nan)

    return {
        "r2": r2,
        "mae": _mean_of(np.abs(residual)),
        "rmse": lambda idx: np.sqrt((residual[idx] ** 2).mean(axis=1)),
    }


def _survival_metrics(risk, event, time):
    from sksurv.metrics import concordance_index_censored

    risk = np.asarray(risk, dtype=float).ravel()

    def c_index(idx):
        out = np.full(len(idx), np.nan)
        for b, rows in enumerate(idx):
            try:
                out[b] = concordance_index_censored(
                    event[rows], time[rows], risk[rows]
                )[0]
            except ValueError:  # no comparable pair in this resample
                pass
        return out

    return {"c_index": c_index}


def _custom_metric(function, y, prediction):
    def metric(idx):
        out = np.full(len(idx), np.nan)
        for b, rows in enumerate(idx):
            try:
                out[b] = function(y[rows], prediction[rows])
            except ValueError:  # e.g. one class only in this resample
                pass
        return out

    return metric


def _conformal_metrics(estimator, X, y, groups):
    """Coverage and set size (or interval width) of a Conformal* estimator."""
    given = estimator.groups
    use_groups = None
    if given is not None and not isinstance(given, str | numbers.Integral):
        use_groups = groups  # calibrated with an array: the same grouping is needed
    if isinstance(estimator, ConformalClassifier):
        sets = estimator.predict_set(X, groups=use_groups)
        column = np.searchsorted(estimator.classes_, y)
        covered = sets[np.arange(len(y)), column].astype(float)
        return {
            "coverage": _mean_of(covered),
            "mean_set_size": _mean_of(sets.sum(axis=1).astype(float)),
        }
    intervals = estimator.predict_interval(X, groups=use_groups)
    covered = ((intervals[:, 0] <= y) & (y <= intervals[:, 1])).astype(float)
    return {
        "coverage": _mean_of(covered),
        "mean_interval_width": _mean_of(intervals[:, 1] - intervals[:, 0]),
    }


def performance_intervals(
    estimator,
    X,
    y,
    *,
    metrics=None,
    n_bootstraps=1000,
    confidence=0.95,
    random_state=None,
    groups=None,
):
    """Held-out performance with bootstrap confidence intervals, optionally by group.

    The estimator predicts ``X`` once; each metric is computed on the data
    (the estimate) and on ``n_bootstraps`` resamples of the patients drawn
    with replacement; the interval is the percentile interval of the
    resampled values. With ``groups``, the same is done within each group
    (resampling within the group), which makes the table a subgroup report.

    For a :class:`ConformalClassifier` or :class:`ConformalRegressor`, the
    table also has the coverage of its sets (intervals) and their mean size
    (width).

    Parameters
    ----------
    estimator : fitted classifier, regressor or survival model, or pipeline
        Classifiers are scored on ``predict_proba``, regressors on
        ``predict``, survival models on the risk score of ``predict``.
    X : array-like of shape (n_samples, n_features)
        Held-out patients (not used in training).
    y : array-like of shape (n_samples,)
        Their outcomes: labels, values, or a scikit-survival structured
        (event, time) array.
    metrics : list of str or dict, default=None
        Names among ``"roc_auc"`` (one-vs-rest, macro, for several classes),
        ``"log_loss"``, ``"brier"`` (summed over classes for several),
        ``"accuracy"`` (classifiers); ``"r2"``, ``"mae"``, ``"rmse"``
        (regressors); ``"c_index"`` (Harrell's, survival); or a dict of
        names to functions ``f(y_true, y_pred)`` where ``y_pred`` is the
        probabilities, predictions or risk scores. By default ROC AUC, log
        loss and Brier; R² and MAE; Harrell's C.
    n_bootstraps : int, default=1000
        Number of bootstrap resamples.
    confidence : float, default=0.95
        Confidence level of the intervals.
    random_state : int, RandomState instance or None, default=None
        Seeds the resampling.
    groups : str, int or array-like of shape (n_samples,), default=None
        Also report each group: a column name or index of ``X``, or an
        array with each patient's group.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``metric``, ``estimate``, ``lower``, ``upper``, ``n`` (number
        of patients), preceded by ``group`` (``"all"``, then each group) when
        ``groups`` is given. A replicate where a metric is undefined (one
        class only) is left out of its interval.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import RidgeCV
    >>> from skprecmed import performance_intervals
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = RidgeCV().fit(X[:300], y[:300])
    >>> table = performance_intervals(
    ...     model, X[300:], y[300:], n_bootstraps=200, random_state=0
    ... )
    >>> table["metric"].tolist()
    ['r2', 'mae']
    >>> bool((table["lower"] < table["estimate"]).all())
    True
    """
    import pandas as pd

    _check_n_bootstraps(n_bootstraps)
    _check_fraction("confidence", confidence)
    kind = _kind(estimator, y)
    metrics = _DEFAULTS[kind] if metrics is None else metrics
    if isinstance(metrics, str):
        metrics = [metrics]
    custom = metrics if isinstance(metrics, dict) else {}
    unknown = [] if custom else [m for m in metrics if m not in _AVAILABLE[kind]]
    if unknown or not len(metrics):
        raise ValueError(
            f"Unknown metrics {unknown} for a {kind}; choose among "
            f"{list(_AVAILABLE[kind])} or give a dict of functions."
        )

    if kind == "survival":
        event, time = _survival_target(y)
        n_samples = len(time)
        prediction = np.asarray(estimator.predict(X), dtype=float)
        available = _survival_metrics(prediction, event, time)
        y_values = y
    elif kind == "classifier":
        y_values = np.asarray(y)
        n_samples = len(y_values)
        prediction = estimator.predict_proba(X)
        available = _classifier_metrics(
            prediction, y_values, np.asarray(estimator.classes_)
        )
    else:
        y_values = np.asarray(y, dtype=float)
        if y_values.ndim != 1:
            raise ValueError(f"y must be 1-D; got an array of shape {y_values.shape}.")
        n_samples = len(y_values)
        prediction = estimator.predict(X)
        available = _regressor_metrics(prediction, y_values)
    if custom:
        chosen = {
            name: _custom_metric(f, y_values, np.asarray(prediction))
            for name, f in custom.items()
        }
    else:
        chosen = {name: available[name] for name in metrics}

    group_values = _resolve_groups(X, groups, n_samples)
    if isinstance(estimator, ConformalClassifier | ConformalRegressor):
        chosen.update(_conformal_metrics(estimator, X, y_values, group_values))

    rng = _rng(random_state)
    subsets = [("all", np.arange(n_samples))]
    if group_values is not None:
        subsets += [
            (g, np.flatnonzero(group_values == g)) for g in np.unique(group_values)
        ]
    tail = (1 - confidence) / 2 * 100
    rows = []
    for group, members in subsets:
        full = members[None, :]
        boot = members[rng.integers(0, len(members), size=(n_bootstraps, len(members)))]
        for name, metric in chosen.items():
            replicates = metric(boot)
            valid = replicates[~np.isnan(replicates)]
            lower, upper = (np.nan, np.nan)
            if len(valid):
                lower, upper = np.percentile(valid, [tail, 100 - tail])
            rows.append(
                {
                    "group": group,
                    "metric": name,
                    "estimate": float(metric(full)[0]),
                    "lower": float(lower),
                    "upper": float(upper),
                    "n": len(members),
                }
            )
    table = pd.DataFrame(rows)
    return table if group_values is not None else table.drop(columns="group")


def survival_calibration(
    estimator,
    X,
    y,
    times,
    *,
    n_risk_groups=4,
    n_bootstraps=200,
    confidence=0.95,
    random_state=None,
):
    """Predicted against observed (Kaplan-Meier) survival per risk group.

    Patients are ranked by predicted risk and cut into ``n_risk_groups``
    groups of (nearly) equal size. At each time ``t``, a calibrated model's
    mean predicted survival in a group matches the group's Kaplan-Meier
    estimate. The observed value's interval is the bootstrap percentile
    interval of the Kaplan-Meier estimate (patients resampled within the
    group).

    Parameters
    ----------
    estimator : fitted survival model or pipeline
        With ``predict`` (risk score) and ``predict_survival_function``,
        e.g. :class:`KerasNetSurvivalAnalysis`.
    X : array-like of shape (n_samples, n_features)
        Held-out patients.
    y : structured array of shape (n_samples,)
        Their (event, time) outcomes, as made by ``sksurv.util.Surv``.
    times : float or array-like of float
        Times at which to compare, in (0, the largest time in ``y``] and
        within the times the model was trained on.
    n_risk_groups : int, default=4
        Number of risk groups (group 1 has the lowest predicted risk).
    n_bootstraps : int, default=200
        Number of bootstrap resamples of each group.
    confidence : float, default=0.95
        Confidence level of the observed survival's interval.
    random_state : int, RandomState instance or None, default=None
        Seeds the resampling.

    Returns
    -------
    table : pandas.DataFrame
        One row per time and risk group: ``time``, ``risk_group``, ``n``,
        ``predicted`` (mean predicted survival), ``observed`` (Kaplan-Meier),
        ``lower``, ``upper`` (the observed value's interval).

    Examples
    --------
    >>> import numpy as np
    >>> from sksurv.linear_model import CoxPHSurvivalAnalysis
    >>> from sksurv.util import Surv
    >>> from skprecmed import survival_calibration
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(400, 1))
    >>> time = rng.exponential(np.exp(-X[:, 0]))
    >>> y = Surv.from_arrays(np.ones(400, bool), time)
    >>> model = CoxPHSurvivalAnalysis().fit(X, y)
    >>> table = survival_calibration(model, X, y, times=0.5, random_state=0)
    >>> table[["risk_group", "n"]].values.tolist()
    [[1, 100], [2, 100], [3, 100], [4, 100]]
    >>> bool(np.abs(table["predicted"] - table["observed"]).max() < 0.1)
    True
    """
    import pandas as pd
    from sksurv.nonparametric import kaplan_meier_estimator

    _check_n_bootstraps(n_bootstraps)
    _check_fraction("confidence", confidence)
    if not isinstance(n_risk_groups, numbers.Integral) or n_risk_groups < 1:
        raise ValueError(
            f"n_risk_groups must be an integer >= 1; got {n_risk_groups!r}."
        )
    event, time = _survival_target(y)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.ndim != 1 or np.any(times <= 0) or np.any(times > time.max()):
        raise ValueError(
            f"times must lie in (0, {time.max():g}] (the largest time in y); got "
            f"{times.tolist()}."
        )
    if n_risk_groups > len(time):
        raise ValueError(
            f"n_risk_groups={n_risk_groups} is more than the {len(time)} patients."
        )

    risk = np.asarray(estimator.predict(X), dtype=float)
    try:
        functions = estimator.predict_survival_function(X)
        predicted = np.array([np.atleast_1d(fn(times)) for fn in functions], float)
    except ValueError as exc:
        raise ValueError(
            f"Cannot evaluate the predicted survival at times {times.tolist()}: {exc}"
        ) from exc
    order = np.argsort(risk, kind="stable")
    risk_group = np.empty(len(risk), int)
    risk_group[order] = np.arange(len(risk)) * n_risk_groups // len(risk) + 1

    def km_at(rows):
        grid, survival = kaplan_meier_estimator(event[rows], time[rows])
        position = np.searchsorted(grid, times, side="right") - 1
        return np.where(position >= 0, survival[np.maximum(position, 0)], 1.0)

    rng = _rng(random_state)
    tail = (1 - confidence) / 2 * 100
    rows = []
    for g in range(1, n_risk_groups + 1):
        members = np.flatnonzero(risk_group == g)
        boot = np.array(
            [km_at(rng.choice(members, len(members))) for _ in range(n_bootstraps)]
        )
        lower, upper = np.percentile(boot, [tail, 100 - tail], axis=0)
        observed = km_at(members)
        for k, t in enumerate(times):
            rows.append(
                {
                    "time": t,
                    "risk_group": g,
                    "n": len(members),
                    "predicted": predicted[members, k].mean(),
                    "observed": observed[k],
                    "lower": lower[k],
                    "upper": upper[k],
                }
            )
    return pd.DataFrame(rows)


def classification_calibration(
    estimator,
    X,
    y,
    *,
    n_bins=10,
    strategy="quantile",
    confidence=0.95,
    pos_label=None,
):
    """Predicted risk against observed frequency per bin, with Wilson intervals.

    Patients are binned on their predicted probability of the positive class
    exactly as :func:`sklearn.calibration.calibration_curve` bins them (the
    same ``n_bins`` and ``strategy``; empty bins are left out). In each bin, a
    calibrated model's mean predicted probability matches the observed
    fraction of positive patients; the observed fraction's interval is the
    Wilson score interval (:func:`scipy.stats.binomtest`), so a bin whose
    mean prediction lies outside its interval flags miscalibration.

    Parameters
    ----------
    estimator : fitted binary classifier or pipeline
        Any with ``predict_proba`` and ``classes_`` (skprecmed's or
        scikit-learn's).
    X : array-like of shape (n_samples, n_features)
        Held-out patients.
    y : array-like of shape (n_samples,)
        Their labels, among the estimator's two classes.
    n_bins : int, default=10
        Number of bins.
    strategy : {"quantile", "uniform"}, default="quantile"
        ``"quantile"``: bins with (nearly) the same number of patients;
        ``"uniform"``: bins of equal width in [0, 1].
    confidence : float, default=0.95
        Confidence level of the observed fraction's interval.
    pos_label : int, str or None, default=None
        The class whose probability is the risk; by default the second of
        the estimator's ``classes_`` (as scikit-learn's).

    Returns
    -------
    table : pandas.DataFrame
        One row per non-empty bin: ``bin`` (1 to ``n_bins``, lowest risk
        first), ``n``, ``predicted`` (mean predicted probability of
        ``pos_label``), ``observed`` (fraction of ``pos_label``), ``lower``,
        ``upper`` (the observed fraction's Wilson interval).

    See Also
    --------
    plot_calibration : Draw the table.
    survival_calibration : The same question for survival models.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprecmed import classification_calibration
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05))
    >>> model = model.fit(X[::2], y[::2])
    >>> table = classification_calibration(
    ...     model, X[1::2], y[1::2], n_bins=4, pos_label=0
    ... )  # risk of malignancy (class 0)
    >>> table[["bin", "n"]].values.tolist()
    [[1, 71], [2, 71], [3, 71], [4, 71]]
    >>> bool(((table["lower"] <= table["observed"])
    ...       & (table["observed"] <= table["upper"])).all())
    True
    """
    import pandas as pd
    from scipy.stats import binomtest

    _check_fraction("confidence", confidence)
    if not isinstance(n_bins, numbers.Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1; got {n_bins!r}.")
    if strategy not in ("quantile", "uniform"):
        raise ValueError(f"strategy must be 'quantile' or 'uniform'; got {strategy!r}.")
    if not hasattr(estimator, "predict_proba"):
        raise ValueError(
            f"{type(estimator).__name__} has no predict_proba: calibration needs "
            "predicted probabilities."
        )
    classes = np.asarray(getattr(estimator, "classes_", []))
    y = np.asarray(y)
    labels = np.unique(y)
    if len(classes) != 2 or len(labels) > 2:
        raise ValueError(
            "Calibration needs a binary classifier and binary y; got the classes "
            f"{classes.tolist()} and the labels {labels.tolist()} in y."
        )
    unknown = np.setdiff1d(labels, classes)
    if len(unknown):
        raise ValueError(
            f"y has labels {unknown.tolist()} that are not among the classes "
            f"{classes.tolist()}."
        )
    if pos_label is None:
        pos_label = classes[1]
    if pos_label not in classes.tolist():
        raise ValueError(
            f"pos_label={pos_label!r} is not among the classes {classes.tolist()}."
        )
    column = classes.tolist().index(pos_label)
    prob = np.asarray(estimator.predict_proba(X), dtype=float)[:, column]
    if len(prob) != len(y):
        raise ValueError(f"X has {len(prob)} samples but y has {len(y)}.")
    positive = y == pos_label

    # the bins of sklearn.calibration.calibration_curve
    if strategy == "quantile":
        edges = np.percentile(prob, np.linspace(0, 1, n_bins + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_ids = np.searchsorted(edges[1:-1], prob)

    rows = []
    for b in range(n_bins):
        members = bin_ids == b
        n = int(members.sum())
        if n == 0:
            continue
        k = int(positive[members].sum())
        interval = binomtest(k, n).proportion_ci(
            confidence_level=confidence, method="wilson"
        )
        rows.append(
            {
                "bin": b + 1,
                "n": n,
                "predicted": prob[members].mean(),
                "observed": k / n,
                "lower": interval.low,
                "upper": interval.high,
            }
        )
    return pd.DataFrame(rows)
