"""Small helpers shared by several modules."""


def final_estimator(model):
    """The estimator at the end of ``model``: a pipeline's last step, unwrapped.

    A :class:`~sklearn.compose.TransformedTargetRegressor` is looked through
    to its regressor (the fitted one when fitted).

    Parameters
    ----------
    model : estimator or pipeline

    Returns
    -------
    estimator : estimator

    Examples
    --------
    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprecmed import KerasNetRegressor
    >>> from skprecmed._utils import final_estimator
    >>> model = make_pipeline(
    ...     StandardScaler(), TransformedTargetRegressor(KerasNetRegressor())
    ... )
    >>> type(final_estimator(model)).__name__
    'KerasNetRegressor'
    >>> nested = TransformedTargetRegressor(make_pipeline(StandardScaler(), model))
    >>> type(final_estimator(nested)).__name__
    'KerasNetRegressor'
    """
    while True:  # nested: a pipeline inside a TransformedTargetRegressor...
        if hasattr(model, "steps"):
            inner = model.steps[-1][1]
        else:
            inner = getattr(model, "regressor_", getattr(model, "regressor", model))
        if inner is model:
            return model
        model = inner
