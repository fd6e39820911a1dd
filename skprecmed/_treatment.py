"""Personal treatment choice from a fitted risk model (DeepSurv's recommender)."""

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted


def recommend_treatment(estimator, X, treatment, options=None, *, outcome=None):
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

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``options`` (n_options,); ``risks`` (n_patients, n_options): the
        predicted risk under each option; ``recommended`` (n_patients,): the
        option of lowest risk; ``current`` (n_patients,): the treatment in
        ``X``; ``risk_difference`` (n_patients,): risk under the
        recommended option minus risk under the current one (zero or
        negative: the predicted gain).

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
    >>> model = make_pipeline(PolynomialFeatures(interaction_only=True), LogisticRegression())
    >>> result = recommend_treatment(model.fit(X, y), X, treatment=1)
    >>> result.risks.shape
    (500, 2)
    >>> bool(np.mean(result.recommended == (marker > 0)) > 0.9)
    True
    """
    check_is_fitted(estimator)
    is_frame = hasattr(X, "columns") and hasattr(X, "copy")
    if is_frame:
        if treatment not in X.columns:
            raise ValueError(f"treatment column {treatment!r} is not in X's columns.")
        current = np.asarray(X[treatment])
    else:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D; got an array of shape {X.shape}.")
        if not isinstance(treatment, int | np.integer) or not -X.shape[1] <= treatment < X.shape[1]:
            raise ValueError(
                f"treatment must be a column index of X (0..{X.shape[1] - 1}) for an "
                f"array; got {treatment!r}."
            )
        current = X[:, treatment]
    options = np.unique(current) if options is None else np.asarray(options)
    if len(options) < 2:
        raise ValueError(f"Need at least 2 treatment options to compare; got {list(options)}.")

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
    current_index = np.array([np.flatnonzero(options == c)[0] if c in options else -1 for c in current])
    current_risk = np.where(
        current_index >= 0, risks[np.arange(len(current)), current_index], np.nan
    )
    return Bunch(
        options=options,
        risks=risks,
        recommended=recommended,
        current=current,
        risk_difference=risks[np.arange(len(current)), best] - current_risk,
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
