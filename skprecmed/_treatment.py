"""Personal treatment choice from a fitted risk model (DeepSurv's recommender)."""

import numbers

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from ._conformal import _check_coverage
from ._survival_uncertainty import (
    _check_positive_time,
    _final_and_input,
    _model_curve,
    _step_values,
)


def recommend_treatment(
    estimator,
    X,
    treatment,
    options=None,
    *,
    outcome=None,
    horizon=None,
    min_difference=None,
    coverage=None,
):
    """Predict each patient's risk under each treatment option and pick the lowest.

    For every option, the treatment column of ``X`` is set to that option
    for all patients (everything else unchanged) and the risk is predicted.
    The recommended option is the one with the lowest predicted risk.

    This is a counterfactual use of the model and is only as good as its
    assumptions:

    * the treatment was randomised in the training data, or every
      confounder (a covariate that influenced both the treatment given and
      the outcome) is among the features, so that the model's treatment
      effect is causal rather than an association;
    * the options were seen in training, in patients like these (overlap):
      the model cannot know the effect of a treatment in patients who never
      received it;
    * for a survival model compared by its risk score, proportional
      hazards: the recommendation compares hazard ratios and holds at every
      horizon. With ``horizon=``, the risk is the probability of an event
      by that time, which needs no such assumption.

    With ``coverage=``, the model's uncertainty is used: every replicate of
    the model (the members of a skprecmed ensemble, ``ensemble_size >= 2``,
    or a list of fitted models such as :func:`bootstrap_fit` returns) gives
    its risks, and a patient gets a recommendation only where the central
    ``coverage`` interval of the replicates' gain of the best option over
    the runner-up lies above zero (above ``min_difference`` if given):
    "no confident recommendation" otherwise.

    Parameters
    ----------
    estimator : fitted estimator or pipeline, or list of them
        A classifier (risk = probability of ``outcome``) or a survival model
        such as :class:`KerasNetSurvivalAnalysis` (risk = ``predict``, the
        log-hazard ratio, or with ``horizon`` the probability of an event by
        then). Pipelines are fine: ``X`` is given as the pipeline takes it.
        A list of fitted models (replicates) is averaged; its spread gives
        the intervals.
    X : DataFrame or array-like of shape (n_patients, n_features)
        Patients, including their current treatment column.
    treatment : str or int
        The treatment column: a column name of a DataFrame, or an index.
    options : sequence, default=None
        Treatment values to compare; by default the distinct values of the
        treatment column in ``X``.
    outcome : label, default=None
        For a classifier, the class whose probability is the risk (the bad
        outcome); by default the last of ``estimator.classes_``.
    horizon : float, default=None
        For a survival model: compare the probability of an event by this
        time, ``1 - S(horizon)``, instead of the risk score.
    min_difference : float, default=None
        Abstain where the choice is a near tie: a patient whose best option
        beats the runner-up by less than ``min_difference`` (in the units of
        the risk: a probability for a classifier or with ``horizon``, a
        log-hazard ratio for a survival model's score) gets no
        recommendation (``None`` in ``recommended``, NaN in
        ``risk_difference``). Without ``coverage`` this is a threshold on
        the size of the predicted effect, not a confidence level.
    coverage : float in (0, 1), default=None
        Use the replicates' spread: abstain unless the ``coverage``
        interval of the gain over the runner-up lies above
        ``min_difference`` (0 by default).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``options`` (n_options,); ``risks`` (n_patients, n_options): the
        predicted risk under each option; ``recommended`` (n_patients,): the
        option of lowest risk; ``current`` (n_patients,): the treatment in
        ``X``; ``risk_difference`` (n_patients,): risk under the
        recommended option minus risk under the current one (zero or
        negative: the predicted gain); ``margin`` (n_patients,): risk under
        the runner-up option minus risk under the best one (zero or
        positive: how clear the choice is). With ``coverage``, also
        ``risks_lower``, ``risks_upper`` (n_patients, n_options) and
        ``margin_lower``, ``margin_upper`` (n_patients,): the intervals of
        the risks and of the margin over the replicates.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import PolynomialFeatures
    >>> from skprecmed import recommend_treatment
    >>> rng = np.random.RandomState(0)
    >>> marker, treated = rng.normal(size=500), rng.randint(2, size=500)
    >>> X = np.column_stack([marker, treated])
    >>> # treatment 1 lowers the risk of marker-positive patients, raises the others'
    >>> logit = -2 * marker * (2 * treated - 1)
    >>> y = rng.uniform(size=500) < 1 / (1 + np.exp(-logit))
    >>> model = make_pipeline(
    ...     PolynomialFeatures(interaction_only=True), LogisticRegression()
    ... )
    >>> result = recommend_treatment(model.fit(X, y), X, treatment=1)
    >>> result.risks.shape
    (500, 2)
    >>> bool(np.mean(result.recommended == (marker > 0)) > 0.9)
    True

    Abstaining where the two treatments' risks differ by less than 0.1:

    >>> cautious = recommend_treatment(model, X, treatment=1, min_difference=0.1)
    >>> abstained = np.equal(cautious.recommended, None)
    >>> bool(np.all(cautious.margin[abstained] < 0.1))
    True
    >>> bool(np.all(np.abs(marker[abstained]) < 0.5))
    True

    With the model's uncertainty: 20 bootstrap replicates, and a
    recommendation only where the 90% interval of the gain excludes zero:

    >>> from skprecmed import bootstrap_fit
    >>> models = bootstrap_fit(model, X, y, n_bootstraps=20, random_state=0)
    >>> sure = recommend_treatment(models, X, treatment=1, coverage=0.9)
    >>> abstained = np.equal(sure.recommended, None)
    >>> bool(np.all(sure.margin_lower[~abstained] > 0))
    True
    >>> bool(np.abs(marker[abstained]).mean() < np.abs(marker[~abstained]).mean())
    True
    """
    if isinstance(estimator, list | tuple):
        if not estimator:
            raise ValueError("estimator is an empty list of models.")
        for model in estimator:
            check_is_fitted(model)
    else:
        check_is_fitted(estimator)
    if coverage is not None:
        _check_coverage(coverage)
    _check_positive_time("horizon", horizon)
    if min_difference is not None and (
        not isinstance(min_difference, numbers.Real)
        or isinstance(min_difference, bool)
        or not min_difference >= 0
    ):
        raise ValueError(
            f"min_difference must be a number >= 0 or None; got {min_difference!r}."
        )
    is_frame = hasattr(X, "columns") and hasattr(X, "copy")
    if is_frame:
        if treatment not in X.columns:
            raise ValueError(f"treatment column {treatment!r} is not in X's columns.")
        current = np.asarray(X[treatment])
    else:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D; got an array of shape {X.shape}.")
        if (
            not isinstance(treatment, int | np.integer)
            or not -X.shape[1] <= treatment < X.shape[1]
        ):
            raise ValueError(
                f"treatment must be a column index of X (0..{X.shape[1] - 1}) for an "
                f"array; got {treatment!r}."
            )
        current = X[:, treatment]
    options = np.unique(current) if options is None else np.asarray(options)
    if len(options) < 2:
        raise ValueError(
            f"Need at least 2 treatment options to compare; got {list(options)}."
        )

    risk = _replicate_risks(estimator, outcome, horizon, coverage is not None)
    # (n_patients, n_options, n_replicates): one replicate without coverage
    replicates = []
    for option in options:
        counterfactual = X.copy()
        if is_frame:
            counterfactual[treatment] = option
        else:
            counterfactual[:, treatment] = option
        replicates.append(risk(counterfactual))
    replicates = np.stack(replicates, axis=1)
    risks = replicates.mean(axis=2)

    best = np.argmin(risks, axis=1)
    recommended = options[best]
    current_index = np.array(
        [np.flatnonzero(options == c)[0] if c in options else -1 for c in current]
    )
    current_risk = np.where(
        current_index >= 0, risks[np.arange(len(current)), current_index], np.nan
    )
    rows = np.arange(len(current))
    runner_up = np.argsort(risks, axis=1, kind="stable")[:, 1]
    margin = risks[rows, runner_up] - risks[rows, best]
    risk_difference = risks[rows, best] - current_risk
    result = Bunch(options=options, risks=risks, current=current, margin=margin)
    threshold = 0.0 if min_difference is None else min_difference
    abstain = None if min_difference is None else margin < min_difference
    if coverage is not None:
        tail = (1 - coverage) / 2 * 100
        result.risks_lower, result.risks_upper = np.percentile(
            replicates, [tail, 100 - tail], axis=2
        )
        gains = replicates[rows, runner_up] - replicates[rows, best]
        result.margin_lower, result.margin_upper = np.percentile(
            gains, [tail, 100 - tail], axis=1
        )
        abstain = result.margin_lower <= threshold
    if abstain is not None:
        recommended = recommended.astype(object)
        recommended[abstain] = None
        risk_difference = np.where(abstain, np.nan, risk_difference)
    result.recommended = recommended
    result.risk_difference = risk_difference
    return result


def _replicate_risks(estimator, outcome, horizon, spread):
    """A function of X giving each replicate's risk, (n, n_replicates).

    One column (the model's own risk) unless ``spread``; a list of models
    gives one column per model.
    """
    if isinstance(estimator, list | tuple):
        risks = [_risk_function(model, outcome, horizon) for model in estimator]
        if spread and len(risks) < 2:
            raise ValueError("coverage needs at least 2 fitted models as replicates.")
        return lambda Z: np.column_stack([risk(Z) for risk in risks])
    if not spread:
        risk = _risk_function(estimator, outcome, horizon)
        return lambda Z: risk(Z)[:, None]
    column = _outcome_column(estimator, outcome, horizon)

    def member_risks(Z):
        final, Zt = _final_and_input(estimator, Z)
        if getattr(final, "_n_members", 1) < 2:
            raise ValueError(
                "coverage needs replicates of the model: a skprecmed model with "
                "ensemble_size >= 2, or a list of fitted models (bootstrap_fit); "
                f"got a single {type(final).__name__}."
            )
        if column is not None:
            return final._member_proba(Zt)[:, :, column]
        if horizon is not None:
            grid, values = final._member_survival(Zt)
            _check_horizon(horizon, grid)
            return 1.0 - _step_values(grid, values, horizon)
        return final._forward_members(Zt)[:, :, 0]

    return member_risks


def _outcome_column(estimator, outcome, horizon):
    """Index of the outcome class for a classifier; None otherwise."""
    if hasattr(estimator, "predict_proba") and hasattr(estimator, "classes_"):
        if horizon is not None:
            raise ValueError("horizon applies to survival models only.")
        classes = list(estimator.classes_)
        label = classes[-1] if outcome is None else outcome
        if label not in classes:
            raise ValueError(f"outcome {label!r} is not one of the classes {classes}.")
        return classes.index(label)
    if outcome is not None:
        raise ValueError("outcome applies to classifiers only.")
    return None


def _risk_function(estimator, outcome, horizon):
    column = _outcome_column(estimator, outcome, horizon)
    if column is not None:
        return lambda Z: estimator.predict_proba(Z)[:, column]
    if horizon is None:
        return lambda Z: np.asarray(estimator.predict(Z), dtype=float)
    if not hasattr(estimator, "predict_survival_function"):
        raise ValueError(
            f"horizon needs a survival model; {type(estimator).__name__} has no "
            "predict_survival_function."
        )

    def risk_by_horizon(Z):
        grid, values = _model_curve(estimator, Z)
        _check_horizon(horizon, grid)
        return 1.0 - _step_values(grid, values, horizon)

    return risk_by_horizon


def _check_horizon(horizon, grid):
    if horizon > grid[-1]:
        raise ValueError(
            f"horizon={horizon:g} is beyond the last event time the model saw "
            f"({grid[-1]:g})."
        )
