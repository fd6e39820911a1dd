"""Which inputs drove a prediction: gradient-based attributions."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._keras import import_keras


def feature_attributions(estimator, X, *, method="integrated_gradients", target=None,
                         steps=32, baseline=None):
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
    method : {"integrated_gradients", "gradient_x_input"}, default="integrated_gradients"
    target : label or int, default=None
        The output to explain. Classifiers: a class label (default: the
        positive class for two classes, the predicted class otherwise).
        Other estimators: the output index (default 0); for a survival
        model, the log-risk.
    steps : int, default=32
        Points on the path, for integrated gradients.
    baseline : array-like, default=None
        Reference input of the network's input shape; zeros by default.

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
            f"method must be 'integrated_gradients' or 'gradient_x_input'; got {method!r}."
        )
    if hasattr(estimator, "steps"):
        X = estimator[:-1].transform(X)
        estimator = estimator[-1]
    check_is_fitted(estimator)
    X = estimator._validate_X(X, reset=False).astype(np.float32)
    tf, _ = import_keras()
    model = estimator.model_

    column = _output_column(estimator, X, target)
    base = np.zeros_like(X) if baseline is None else np.broadcast_to(
        np.asarray(baseline, dtype=np.float32), X.shape
    )

    def gradient(points):
        points = tf.convert_to_tensor(points)
        with tf.GradientTape() as tape:
            tape.watch(points)
            out = model(points, training=False)
            explained = tf.gather(out, column, axis=1, batch_dims=1)
        return tape.gradient(explained, points).numpy()

    if method == "gradient_x_input":
        return gradient(X) * X
    total = np.zeros_like(X)
    for alpha in (np.arange(steps) + 0.5) / steps:  # midpoint rule
        total += gradient(base + alpha * (X - base))
    return (X - base) * total / steps


def _output_column(estimator, X, target):
    """Index of the explained output unit, per sample."""
    n_outputs = estimator.model_.outputs[0].shape[-1]
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        index = 0 if target is None else int(target)
        if not 0 <= index < n_outputs:
            raise ValueError(f"target must be an output index below {n_outputs}; got {target!r}.")
        return np.full(len(X), index)
    if n_outputs == 1:  # one sigmoid unit: the positive (second) class
        if target is not None and target != classes[1]:
            raise ValueError(
                f"a binary network explains its positive class {classes[1]!r}; got {target!r}."
            )
        return np.zeros(len(X), dtype=int)
    if target is None:
        return np.argmax(estimator.predict_proba(X), axis=1)
    matches = np.flatnonzero(classes == target)
    if matches.size == 0:
        raise ValueError(f"target {target!r} is not one of the classes {list(classes)}.")
    return np.full(len(X), matches[0])
