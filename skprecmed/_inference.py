"""Prediction without TensorFlow for dense networks.

A Keras call costs milliseconds of framework overhead; the forward pass of a
small dense network costs microseconds in NumPy. After ``fit``, a network
made of ``Dense``, ``BatchNormalization``, ``Dropout`` and ``Activation``
layers with known activations, in a chain, with a skip connection from the
inputs to the output layer, or several such chains side by side (an
ensemble, or the dense and embedding branches of a multi-modal network:
``SelectColumns``, ``CategoryIds``, ``Embedding`` and ``Flatten`` layers,
fused by concatenation), is turned into an
:class:`InferencePlan`: its weights as NumPy arrays and the operations to
apply. The plan is checked against the Keras model on probe inputs and
rejected (Keras is then used) if they differ by more than ``ATOL``; a
cached trainer's model (:mod:`._trainers`) is checked at its first fit,
since later fits change its weights only. Plans
pickle as plain arrays, so a reloaded estimator predicts without importing
TensorFlow.
"""

import numpy as np
from scipy import special

#: tolerance of the check between a plan and its Keras model
ATOL = 1e-5


def _relu(x, out=None):
    return np.maximum(x, 0, out=out)


def _leaky_relu(x):
    return np.where(x >= 0, x, np.float32(0.2) * x)


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return np.float32(scale) * np.where(
        x > 0, x, np.float32(alpha) * np.expm1(np.minimum(x, 0))
    )


def _gelu(x):
    return np.float32(0.5) * x * (1 + special.erf(x / np.float32(np.sqrt(2))))


_ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": _relu,
    "sigmoid": special.expit,
    "tanh": np.tanh,
    "softmax": lambda x: special.softmax(x, axis=-1),
    "elu": _elu,
    "selu": _selu,
    "gelu": _gelu,
    "softplus": lambda x: np.logaddexp(x, np.float32(0)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "swish": lambda x: x * special.expit(x),
    "silu": lambda x: x * special.expit(x),
    "leaky_relu": _leaky_relu,
}


class InferencePlan:
    """The forward pass of a chain of dense layers, in NumPy.

    Parameters
    ----------
    steps : list of tuple
        ``("dense", kernel, bias)``, ``("affine", scale, shift)`` (batch
        normalisation at inference), ``("activation", name)``,
        ``("concat_input",)`` (the inputs appended to the current values: a
        skip connection), ``("parallel", [steps, ...])`` (several chains
        computed from the inputs, outputs side by side: an ensemble, or the
        branches of a multi-modal network), ``("select", columns)`` (some
        columns), ``("category_ids", sizes, offsets)`` (codes to rows of an
        embedding table), ``("embedding", table)`` (the rows),
        ``("flatten",)`` or ``("members_softmax", members)`` (a softmax
        within each of ``members`` equal blocks of columns: an ensemble's
        class probabilities).

    Examples
    --------
    >>> import numpy as np
    >>> from skprecmed._inference import InferencePlan
    >>> plan = InferencePlan([("dense", np.eye(2, dtype="float32"), None),
    ...                       ("activation", "relu")])
    >>> plan(np.array([[1.0, -1.0]], dtype="float32"))
    array([[1., 0.]], dtype=float32)
    """

    def __init__(self, steps):
        self.steps = steps

    @property
    def checks_finite_inputs(self):
        """Whether the first layer's outputs can stand in for ``X``'s check.

        True when the first step is a dense layer: a NaN or infinite
        feature makes every output of that layer NaN or infinite (``inf *
        0`` is NaN), so when they are all finite, so is ``X``.
        """
        return bool(self.steps) and self.steps[0][0] == "dense"

    def __call__(self, X, check_finite=None):
        """Outputs of the network for ``X`` of shape (n, n_features).

        Computed in ``X``'s precision (float32 or float64), with NumPy's
        overflow and invalid-value warnings off: the caller checks the
        outputs' finiteness and says what it means. ``check_finite`` (only
        where :attr:`checks_finite_inputs`) is a function that raises if
        ``X`` holds NaN or infinity; it is called on ``X`` only when the
        first layer's outputs are not all finite (a bad ``X``, or finite
        values so large the layer overflows).
        """
        with np.errstate(over="ignore", invalid="ignore"):
            if check_finite is None:
                return _run(self.steps, X)
            first = _run(self.steps[:1], X)
            if not all_finite(first):
                check_finite(X)
            return _run(self.steps[1:], X, first)


def all_finite(array):
    """Whether every value of ``array`` is finite.

    The sum is finite when every term is: the common case, answered at once
    and in O(1) memory; the element-wise check runs only when the sum is not
    (a non-finite value, or finite values whose sum overflows).
    """
    return bool(np.isfinite(array.sum()) or np.isfinite(array).all())


#: activations whose function takes ``out=``: applied in place to an array
#: the plan made itself (never to ``X``), so that a batch of 100k rows
#: allocates no second array of the layer's size
_IN_PLACE = frozenset({"relu", "sigmoid", "tanh"})


def _run(steps, X, out=None):
    """Apply ``steps`` to ``out`` (``X`` if None); skip connections append ``X``.

    ``out``, when given, is an array the plan made (it may be overwritten).
    """
    own = out is not None
    out = X if out is None else out
    for step in steps:
        kind = step[0]
        if kind == "activation" and own and step[1] in _IN_PLACE:
            out = _ACTIVATIONS[step[1]](out, out=out)
            continue
        own = kind in ("dense", "affine", "concat_input", "parallel")
        if kind == "dense":
            out = out @ step[1].astype(out.dtype, copy=False)
            if step[2] is not None:
                out += step[2]
        elif kind == "affine":
            out = out * step[1] + step[2]
        elif kind == "concat_input":  # a skip connection
            out = np.concatenate((out, X.astype(out.dtype, copy=False)), axis=1)
        elif kind == "parallel":  # ensemble members or branches, side by side
            out = np.concatenate([_run(member, X) for member in step[1]], axis=1)
        elif kind == "select":
            out = out[:, step[1]]
        elif kind == "category_ids":
            sizes, offsets = step[1], step[2]
            with np.errstate(invalid="ignore"):
                valid = (out >= 0) & (out < sizes) & (out == np.floor(out))
            out = np.where(valid, out + 1, 0).astype(np.int64) + offsets
        elif kind == "embedding":
            out = step[1][out]
        elif kind == "flatten":
            out = out.reshape(len(out), -1)
        elif kind == "members_softmax":
            grouped = out.reshape(len(out), step[1], -1)
            out = _ACTIVATIONS["softmax"](grouped).reshape(len(out), -1)
        else:
            out = _ACTIVATIONS[step[1]](out)
    return out


def _activation_name(activation):
    name = getattr(activation, "__name__", None)
    return name if name in _ACTIVATIONS else None


def _layer_steps(layer):
    """Steps of one layer, or None if the layer is not supported."""
    kind = type(layer).__name__
    if kind in ("InputLayer", "Dropout"):
        return []
    if kind == "SelectColumns":
        return [("select", np.asarray(layer.columns, dtype=np.int64))]
    if kind == "CategoryIds":
        from ._layers import category_offsets

        sizes = np.asarray(layer.sizes, dtype=np.float64)
        return [("category_ids", sizes, category_offsets(layer.sizes))]
    if kind == "Embedding":
        if layer.lora_enabled:
            return None
        return [("embedding", np.asarray(layer.embeddings, dtype=np.float32))]
    if kind == "Flatten":
        return [("flatten",)]
    if kind == "Activation":
        name = _activation_name(layer.activation)
        return None if name is None else [("activation", name)]
    if kind == "Dense":
        name = _activation_name(layer.activation)
        if name is None or layer.lora_enabled:
            return None
        bias = np.asarray(layer.bias, dtype=np.float32) if layer.use_bias else None
        steps = [("dense", np.asarray(layer.kernel, dtype=np.float32), bias)]
        return steps + ([] if name == "linear" else [("activation", name)])
    if kind == "MembersDense":  # an ensemble's layers: one masked dense layer
        name = _activation_name(layer.activation)
        if name is None:
            return None
        kernel = np.asarray(layer.effective_kernel, dtype=np.float32)
        steps = [("dense", kernel, np.asarray(layer.bias, dtype=np.float32))]
        if name == "softmax":  # within each member's block
            return steps + [("members_softmax", layer.members)]
        return steps + ([] if name == "linear" else [("activation", name)])
    if kind == "TimeVaryingDense":  # one dense layer, differently parameterised
        kernel = np.asarray(layer.kernel, dtype=np.float32)
        return [("dense", kernel, np.asarray(layer.bias, dtype=np.float32))]
    if kind == "BatchNormalization":
        if layer.axis not in (-1, 1):
            return None
        var = np.asarray(layer.moving_variance, dtype=np.float32)
        mean = np.asarray(layer.moving_mean, dtype=np.float32)
        gamma = np.asarray(layer.gamma, dtype=np.float32) if layer.scale else 1.0
        beta = np.asarray(layer.beta, dtype=np.float32) if layer.center else 0.0
        scale = (gamma / np.sqrt(var + np.float32(layer.epsilon))).astype(np.float32)
        shift = (beta - mean * scale).astype(np.float32)
        return [("affine", scale, shift)]
    return None


class _Unsupported(Exception):
    """A layer or a connection the plan cannot compute."""


def _steps_to(tensor, inputs, producers):
    """Steps computing ``tensor`` from the model's ``inputs``, walking back."""
    if tensor is inputs:
        return []
    layer = producers[id(tensor)]
    if type(layer).__name__ == "Concatenate":
        parts = layer.input
        if layer.axis not in (-1, 1):
            raise _Unsupported
        if len(parts) == 2 and parts[1] is inputs:
            return _steps_to(parts[0], inputs, producers) + [("concat_input",)]
        return [("parallel", [_steps_to(part, inputs, producers) for part in parts])]
    steps = _layer_steps(layer)
    if steps is None:
        raise _Unsupported
    return _steps_to(layer.input, inputs, producers) + steps


def make_plan(model, n_features, probe=None, check=True):
    """Build and check the :class:`InferencePlan` of ``model``, or return None.

    Parameters
    ----------
    model : keras.Model
        A trained model.
    n_features : int
        Number of input columns.
    probe : ndarray of shape (n, n_features), default=None
        Inputs on which the plan must match the model (training rows are a
        good choice); random normal rows are added to them.
    check : bool, default=True
        Compare the plan's outputs with the model's. False only for a model
        whose plan passed the check already, with other weights: the check
        tests how the layers were translated, which the weights leave alone
        (an eager Keras call costs a few milliseconds, at every fit of a
        grid search).

    Returns
    -------
    plan : InferencePlan or None
        None when the model is not a float32 chain of supported layers, or
        when the plan's outputs differ from the model's by more than
        ``ATOL``.
    """
    try:
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            return None
        if any(layer.dtype_policy.name != "float32" for layer in model.layers):
            return None
        producers = {
            id(layer.output): layer
            for layer in model.layers
            if type(layer).__name__ != "InputLayer"
        }
        steps = _steps_to(model.outputs[0], model.inputs[0], producers)
    except (AttributeError, ValueError, TypeError, KeyError, _Unsupported):
        return None

    plan = InferencePlan(steps)
    if not check:
        return plan
    rng = np.random.RandomState(0)
    rows = rng.normal(size=(16, n_features)).astype(np.float32)
    if probe is not None:
        rows = np.vstack([rows, np.asarray(probe[:64], dtype=np.float32)])
    expected = np.asarray(model(rows, training=False))
    if not np.allclose(plan(rows), expected, rtol=0, atol=ATOL):
        return None
    return plan
