"""Which inputs drove a prediction: gradient-based attributions."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._keras import import_keras


def feature_attributions(
    estimator,
    X,
    *,
    method="integrated_gradients",
    target=None,
    steps=32,
    baseline=None,
    horizon=None,
):
    """Attribute each prediction to the network's inputs.

    ``"gradient_x_input"`` multiplies the input by the gradient of the
    output; ``"integrated_gradients"`` (Sundararajan et al., 2017) averages
    the gradient along the straight path from ``baseline`` (zeros: for
    one-hot sequences, "no base") to the input and multiplies by the
    difference, so the attributions of a sample add up to its output minus
    the baseline's output. For one-hot sequences, summing over the last axis
    gives one score per position.

    Parameters
    ----------
    estimator : fitted skprecmed estimator, or a pipeline ending in one
        For a pipeline, ``X`` goes through the earlier steps first and the
        attributions are for the network's input (e.g. the one-hot array).
    X : array-like
        Samples, as the estimator (or pipeline) takes them.
    method : {"integrated_gradients", "gradient_x_input"}, \
            default="integrated_gradients"
    target : label or int, default=None
        The output to explain. Classifiers: a class label (default: the
        positive class for two classes, the predicted class otherwise).
        Other estimators: the output index (default 0); for a survival
        model, the log-risk. With ``horizon``: None for
        :class:`KerasNetDiscreteTimeSurvivalAnalysis`, the cause (default 1)
        for :class:`KerasNetCompetingRisks`.
    steps : int, default=32
        Points on the path, for integrated gradients.
    baseline : array-like, default=None
        Reference input of the network's input shape; zeros by default.
    horizon : float, default=None
        For the discrete-time survival models only: explain a prediction at
        this time (from 0 to the last point of ``time_grid_``) instead of
        one output unit -- the probability of being event-free at
        ``horizon`` (:class:`KerasNetDiscreteTimeSurvivalAnalysis`), or the
        cumulative incidence of cause ``target`` by ``horizon``
        (:class:`KerasNetCompetingRisks`). A feature's attribution may
        change sign from one horizon to another when hazards cross.

    Returns
    -------
    attributions : ndarray of shape of the network's input
        One score per input value: positive pushes the explained output up.

    Examples
    --------
    >>> import numpy as np
    >>> from skprecmed import KerasNetRegressor, feature_attributions
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> reg = KerasNetRegressor(epochs=30, learning_rate_init=0.01, random_state=0)
    >>> reg = reg.fit(X, 3 * X[:, 1])
    >>> scores = feature_attributions(reg, X[:50])
    >>> int(np.abs(scores).mean(axis=0).argmax())  # the feature that matters
    1
    """
    if method not in ("integrated_gradients", "gradient_x_input"):
        raise ValueError(
            "method must be 'integrated_gradients' or 'gradient_x_input'; "
            f"got {method!r}."
        )
    if hasattr(estimator, "steps"):
        X = estimator[:-1].transform(X)
        estimator = estimator[-1]
    check_is_fitted(estimator)
    X = estimator._validate_X(X, reset=False).astype(np.float32)
    tf, _ = import_keras()
    model = estimator.model_

    explain = _explained_output(estimator, X, target, horizon)
    base = (
        np.zeros_like(X)
        if baseline is None
        else np.broadcast_to(np.asarray(baseline, dtype=np.float32), X.shape)
    )

    def gradient(points):
        points = tf.convert_to_tensor(points)
        with tf.GradientTape() as tape:
            tape.watch(points)
            explained = explain(model(points, training=False))
        return tape.gradient(explained, points).numpy()

    if method == "gradient_x_input":
        return gradient(X) * X
    total = np.zeros_like(X)
    for alpha in (np.arange(steps) + 0.5) / steps:  # midpoint rule
        total += gradient(base + alpha * (X - base))
    return (X - base) * total / steps


def _explained_output(estimator, X, target, horizon):
    """Function from the network's output tensor to the explained value per sample."""
    if horizon is None:
        tf, _ = import_keras()
        column = _output_column(estimator, X, target)
        return lambda out: tf.gather(out, column, axis=1, batch_dims=1)
    if not hasattr(estimator, "_explained_output"):
        raise ValueError(
            "horizon= applies to the discrete-time survival models "
            "(KerasNetDiscreteTimeSurvivalAnalysis, KerasNetCompetingRisks); got "
            f"{type(estimator).__name__}."
        )
    _, keras = import_keras()
    function = estimator._explained_output(horizon, target)
    return lambda out: function(out, keras.ops)


def _output_column(estimator, X, target):
    """Index of the explained output unit, per sample."""
    n_outputs = estimator.model_.outputs[0].shape[-1]
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        index = 0 if target is None else int(target)
        if not 0 <= index < n_outputs:
            raise ValueError(
                f"target must be an output index below {n_outputs}; got {target!r}."
            )
        return np.full(len(X), index)
    if n_outputs == 1:  # one sigmoid unit: the positive (second) class
        if target is not None and target != classes[1]:
            raise ValueError(
                "a binary network explains its positive class "
                f"{classes[1]!r}; got {target!r}."
            )
        return np.zeros(len(X), dtype=int)
    if target is None:
        return np.argmax(estimator.predict_proba(X), axis=1)
    matches = np.flatnonzero(classes == target)
    if matches.size == 0:
        raise ValueError(
            f"target {target!r} is not one of the classes {list(classes)}."
        )
    return np.full(len(X), matches[0])
