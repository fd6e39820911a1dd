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
    per_branch=False,
):
    """Attribute each prediction to the network's inputs.

    ``"gradient_x_input"`` multiplies the input by the gradient of the
    output; ``"integrated_gradients"`` (Sundararajan et al., 2017) averages
    the gradient along the straight path from ``baseline`` (zeros: for
    one-hot sequences, "no base") to the input and multiplies by the
    difference, so the attributions of a sample add up to its prediction
    minus the baseline's (a class probability, a regression value in the
    units of ``y``, a log-risk, or with ``horizon`` a survival probability or
    cumulative incidence; for an ensemble, the mean over its members, as it
    predicts). For one-hot sequences, summing over the last axis gives one
    score per position.

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
    per_branch : bool, default=False
        For a multi-modal network (``branches``): return each branch's
        total -- which modality drove each prediction -- instead of one
        score per column.

    Returns
    -------
    attributions : ndarray of shape of the network's input, or dict
        One score per input value: positive pushes the explained output up.
        With ``per_branch``, a dict from branch name to an array of shape
        (n_samples,): the sum of its columns' scores.

    Notes
    -----
    The columns of an :class:`EmbeddingBranch` are integer codes, which have
    no gradient: the score of such a column is the change of the explained
    output when its code is replaced by the baseline's (by default -1, the
    unknown code, whose embedding is the average code's), the other columns
    as they are.

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
    model = estimator.model_

    branches = getattr(estimator, "branch_columns_", None)
    if per_branch and branches is None:
        raise ValueError(
            "per_branch=True sums the attributions of each branch of a "
            "multi-modal network; this estimator was fitted without branches."
        )
    codes = _embedding_columns(estimator)
    explain = _explained_output(estimator, X, target, horizon)
    base = np.zeros_like(X)
    base[:, codes] = -1  # the unknown code
    if baseline is not None:
        base = np.broadcast_to(np.asarray(baseline, dtype=np.float32), X.shape)

    gradient = _gradient_function(model, explain)

    if method == "gradient_x_input":
        scores = gradient(X) * X
    else:
        total = np.zeros_like(X)
        for alpha in (np.arange(steps) + 0.5) / steps:  # midpoint rule
            total += gradient(base + alpha * (X - base))
        scores = (X - base) * total / steps
    if codes.size:  # integer codes have no gradient: replace each by the baseline's
        explained = np.asarray(explain(model(X, training=False)))
        for column in codes:
            replaced = X.copy()
            replaced[:, column] = base[:, column]
            scores[:, column] = explained - np.asarray(
                explain(model(replaced, training=False))
            )
    if per_branch:
        return {name: scores[:, cols].sum(axis=1) for name, cols in branches.items()}
    return scores


def _gradient_function(model, explain):
    """``points -> d explain(model(points)) / d points``, in NumPy, per backend."""
    tf, keras = import_keras()
    if keras.backend.backend() == "jax":
        import jax

        grad = jax.grad(lambda points: explain(model(points, training=False)).sum())
        return lambda points: np.asarray(grad(points))

    def gradient(points):
        points = tf.convert_to_tensor(points)
        with tf.GradientTape() as tape:
            tape.watch(points)
            explained = explain(model(points, training=False))
        grad = tape.gradient(explained, points)
        return np.zeros(points.shape, np.float32) if grad is None else np.asarray(grad)

    return gradient


def _embedding_columns(estimator):
    """Columns of ``X`` read by the estimator's embedding branches."""
    from ._branches import EmbeddingBranch

    columns = getattr(estimator, "branch_columns_", {})
    chosen = [
        columns[name]
        for name, branch in estimator._branch_pairs()
        if isinstance(branch, EmbeddingBranch) and name in columns
    ]
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=int)


def _explained_output(estimator, X, target, horizon):
    """Function from the network's output tensor to the explained value per sample.

    The value is the estimator's prediction: an ensemble's is its members'
    mean output (as ``_forward`` takes it), a regressor's is in the units
    of ``y``.
    """
    _, keras = import_keras()
    ops = keras.ops
    members = getattr(estimator, "_n_members", 1)
    n_outputs = estimator.model_.outputs[0].shape[-1] // members

    def members_mean(out):
        if members == 1:
            return out
        return ops.mean(ops.reshape(out, (-1, members, n_outputs)), axis=1)

    if horizon is None:
        column = _output_column(estimator, X, target, n_outputs)
        # a regressor's network predicts y standardised: its scale, per column
        scale = np.atleast_1d(getattr(estimator, "_y_scale", 1.0))
        scale = np.broadcast_to(scale, (n_outputs,))[column].astype(np.float32)
        column = column[:, None]
        return lambda out: (
            ops.take_along_axis(members_mean(out), column, axis=1)[:, 0] * scale
        )
    if not hasattr(estimator, "_explained_output"):
        raise ValueError(
            "horizon= applies to the discrete-time survival models "
            "(KerasNetDiscreteTimeSurvivalAnalysis, KerasNetCompetingRisks); got "
            f"{type(estimator).__name__}."
        )
    function = estimator._explained_output(horizon, target)
    return lambda out: function(members_mean(out), ops)


def _output_column(estimator, X, target, n_outputs):
    """Index of the explained output unit of one member, per sample."""
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
