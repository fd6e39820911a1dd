"""Personal treatment choice from a fitted risk model (DeepSurv's recommender)."""

import numbers

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted


def recommend_treatment(
    estimator, X, treatment, options=None, *, outcome=None, min_difference=None
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
    * for a survival model, proportional hazards: the recommendation
      compares hazard ratios and holds at every horizon.

    Parameters
    ----------
    estimator : fitted estimator or pipeline
        A classifier (risk = probability of ``outcome``) or a survival model
        such as :class:`KerasNetSurvivalAnalysis` (risk = ``predict``, the
        log-hazard ratio). Pipelines are fine: ``X`` is given as the
        pipeline takes it.
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
    min_difference : float, default=None
        Abstain where the choice is a near tie: a patient whose best option
        beats the runner-up by less than ``min_difference`` (in the units of
        the risk: a probability for a classifier, a log-hazard ratio for a
        survival model) gets no recommendation (``None`` in
        ``recommended``, NaN in ``risk_difference``). This is a threshold
        on the size of the predicted effect, not a statistical confidence
        level: the model's own uncertainty about the risks is not used.

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
        positive: how clear the choice is).

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
    """
    check_is_fitted(estimator)
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

    risk = _risk_function(estimator, outcome)
    risks = np.empty((len(current), len(options)))
    for j, option in enumerate(options):
        if is_frame:
            counterfactual = X.copy()
            counterfactual[treatment] = option
        else:
            counterfactual = X.copy()
            counterfactual[:, treatment] = option
        risks[:, j] = risk(counterfactual)

    best = np.argmin(risks, axis=1)
    recommended = options[best]
    current_index = np.array(
        [np.flatnonzero(options == c)[0] if c in options else -1 for c in current]
    )
    current_risk = np.where(
        current_index >= 0, risks[np.arange(len(current)), current_index], np.nan
    )
    ordered = np.sort(risks, axis=1)
    margin = ordered[:, 1] - ordered[:, 0]
    risk_difference = risks[np.arange(len(current)), best] - current_risk
    if min_difference is not None:
        abstain = margin < min_difference
        recommended = recommended.astype(object)
        recommended[abstain] = None
        risk_difference = np.where(abstain, np.nan, risk_difference)
    return Bunch(
        options=options,
        risks=risks,
        recommended=recommended,
        current=current,
        risk_difference=risk_difference,
        margin=margin,
    )


def _risk_function(estimator, outcome):
    if hasattr(estimator, "predict_proba") and hasattr(estimator, "classes_"):
        classes = list(estimator.classes_)
        label = classes[-1] if outcome is None else outcome
        if label not in classes:
            raise ValueError(f"outcome {label!r} is not one of the classes {classes}.")
        column = classes.index(label)
        return lambda Z: estimator.predict_proba(Z)[:, column]
    if outcome is not None:
        raise ValueError("outcome applies to classifiers only.")
    return lambda Z: np.asarray(estimator.predict(Z), dtype=float)
