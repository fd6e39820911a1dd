"""Build and compile the network of one ``fit``.

Two kinds of network:

* skprecmed's own (``model=None``): :func:`skprecmed._network.build_network`
  from the estimator's hyperparameters, every random layer seeded
  explicitly, compiled here;
* the user's, in the convention scikeras defined and our users bring
  (``model=`` a Keras model, or a function that may take ``meta``,
  ``compile_kwargs`` and ``params`` plus ``model_kwargs`` and returns a
  Keras model, compiled or not).

Keras 3 draws the seed of every layer created without one from Python's
``random`` module, so a user's function runs with ``random`` seeded and
restored afterwards, under a lock: concurrent fits in threads never see
each other's seeds, and the process's generator ends as it started.
"""

import contextlib
import functools
import inspect
import random
import re
import threading

from ._keras import import_keras
from ._network import build_network

_python_random_lock = threading.RLock()

#: metric names Keras resolves itself from the loss and output shape
_KERAS_RESOLVED_METRICS = ("acc", "accuracy", "ce", "crossentropy")


@contextlib.contextmanager
def seeded_python_random(seed):
    """Seed Python's ``random`` inside the block and restore it afterwards.

    Held under a process-wide lock, so that two fits in threads never
    interleave their seeding and restoring.

    Parameters
    ----------
    seed : int
        Seed for the block.

    Examples
    --------
    >>> import random
    >>> from skprecmed._build import seeded_python_random
    >>> state = random.getstate()
    >>> with seeded_python_random(0):
    ...     first = random.random()
    >>> with seeded_python_random(0):
    ...     assert random.random() == first
    >>> random.getstate() == state
    True
    """
    with _python_random_lock:
        state = random.getstate()
        random.seed(int(seed))
        try:
            yield
        finally:
            random.setstate(state)


def make_optimizer(optimizer, learning_rate):
    """A fresh Keras optimizer: never reuse (and mutate) the user's instance.

    Parameters
    ----------
    optimizer : str, optimizer class or optimizer instance
        As the estimator's ``optimizer`` parameter.
    learning_rate : float or None
        Overrides the optimizer's own learning rate when not None.

    Returns
    -------
    optimizer : keras.optimizers.Optimizer
    """
    _, keras = import_keras()
    if isinstance(optimizer, keras.optimizers.Optimizer):
        config = optimizer.get_config()
        if learning_rate is not None:
            config["learning_rate"] = learning_rate
        return type(optimizer).from_config(config)
    kwargs = {} if learning_rate is None else {"learning_rate": learning_rate}
    if isinstance(optimizer, str):
        # A fixed name: TensorFlow keeps about 30 kB for every variable name
        # it has seen, for the life of the process, and Keras numbers each
        # new optimizer ("adam_12") and so each of its slot variables.
        optimizer = _optimizer_class(optimizer)
        kwargs["name"] = optimizer.__name__.lower()
    return optimizer(**kwargs)


@functools.cache
def _optimizer_class(name):
    """The Keras optimizer class of a name like "adam" (one instance, ever)."""
    _, keras = import_keras()
    return type(keras.optimizers.get(name))


def _loss(loss):
    _, keras = import_keras()
    if isinstance(loss, str):
        return keras.losses.get(loss)
    if inspect.isclass(loss):
        return loss()
    return loss


def _metrics(metrics):
    _, keras = import_keras()
    resolved = []
    for metric in metrics or ():
        if isinstance(metric, str) and metric in _KERAS_RESOLVED_METRICS:
            resolved.append(metric)
        elif isinstance(metric, keras.metrics.Metric):
            # a metric holds state: each fit gets its own
            resolved.append(type(metric).from_config(metric.get_config()))
        else:
            made = metric() if inspect.isclass(metric) else keras.metrics.get(metric)
            resolved.append(_unnumbered(keras, made))
    return resolved


def _unnumbered(keras, metric):
    """A Keras metric named as the first of its class in the process would be.

    Keras numbers each new metric it names ("auc_7"): the history's keys
    would depend on the process's past fits, and TensorFlow keeps about
    30 kB for every variable name it has seen. A metric class of the user's
    is left as made (its constructor may take no name).
    """
    if not isinstance(metric, keras.metrics.Metric) or not type(
        metric
    ).__module__.startswith("keras."):
        return metric  # a function (named after it), or a class of the user's
    name = re.sub(r"_\d+$", "", metric.name)
    if name == metric.name:
        return metric
    return type(metric).from_config({**metric.get_config(), "name": name})


def compile_kwargs(estimator, loss):
    """The arguments of ``Model.compile`` for one fit of ``estimator``.

    Parameters
    ----------
    estimator : skprecmed estimator
        Its ``optimizer``, ``learning_rate_init`` and ``metrics``.
    loss : str, keras loss or callable
        The loss of this fit (the estimator's, or its default).

    Returns
    -------
    compile_kwargs : dict
        ``optimizer`` (a fresh instance), ``loss`` and ``metrics``, as
        scikeras passes them to a model-building function.
    """
    return {
        "optimizer": make_optimizer(estimator.optimizer, estimator.learning_rate_init),
        "loss": _loss(loss),
        "metrics": _metrics(estimator.metrics),
    }


def build_default(input_shape, n_outputs, output_activation, network, kwargs, seed):
    """skprecmed's own network for one fit, compiled, and its cache key.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample.
    n_outputs : int
        Units of the output layer.
    output_activation : str
        Activation of the output layer.
    network : dict
        The architecture hyperparameters of :func:`build_network`.
    kwargs : dict
        :func:`compile_kwargs` of this fit.
    seed : int
        Seed of the network's initialisers and dropout layers.

    Returns
    -------
    model : keras.Model
        The compiled network.
    architecture : tuple
        Everything the network depends on except its seed: networks with
        the same one can share a traced trainer.
    """
    with seeded_python_random(seed):  # any layer Keras seeds by itself
        model = build_network(
            input_shape, n_outputs, output_activation, seed=seed, **network
        )
    if network.get("ensemble_size", 1) > 1:
        from ._losses import MemberMeanLoss

        kwargs = {
            **kwargs,
            "loss": MemberMeanLoss(kwargs["loss"], network["ensemble_size"]),
        }
    # several steps per call: a large speed-up for small networks, the same
    # arithmetic; XLA only on JAX, whose unjitted step runs eagerly (on
    # TensorFlow compiling costs more than it saves here)
    _, keras = import_keras()
    jit = keras.backend.backend() == "jax"
    model.compile(**kwargs, jit_compile=jit, steps_per_execution=32)
    # plain values only: the key is kept on the estimator (partial_fit) and
    # saved with it, and model files trust no skprecmed-internal types
    plain = {
        name: [tuple(branch) for branch in value]
        if name == "branches" and value
        else value
        for name, value in network.items()
    }
    architecture = (
        tuple(input_shape),
        n_outputs,
        output_activation,
        sorted(plain.items()),
    )
    return model, architecture


def build_custom(model, model_kwargs, meta, kwargs, params, seed):
    """The user's network for one fit, compiled, in scikeras' convention.

    Parameters
    ----------
    model : keras.Model or callable
        A Keras model (copied with fresh weights, never trained in place) or
        a function returning one. The function is given, among ``meta``,
        ``compile_kwargs`` and ``params``, those it names (all of them if it
        takes ``**kwargs``), plus ``model_kwargs``.
    model_kwargs : dict or None
        Further keyword arguments of the function.
    meta : dict
        What ``fit`` learnt of the data (``n_features_in_``, ``X_shape_``,
        ``n_classes_``, ``classes_``, ``n_outputs_expected_``, ...), with
        scikeras' keys.
    kwargs : dict
        :func:`compile_kwargs` of this fit; also used to compile a model
        returned uncompiled.
    params : dict
        The estimator's ``get_params()``.
    seed : int
        Seed of Python's ``random`` while the function runs.

    Returns
    -------
    model : keras.Model
        The compiled network.
    """
    _, keras = import_keras()
    with seeded_python_random(seed):
        if isinstance(model, keras.Model):
            network = keras.models.clone_model(model)
            if model.compiled:
                network.compile_from_config(model.get_compile_config())
        else:
            available = {"meta": meta, "compile_kwargs": kwargs, "params": params}
            signature = inspect.signature(model).parameters.values()
            takes_all = any(p.kind is p.VAR_KEYWORD for p in signature)
            names = {p.name for p in signature}
            chosen = {k: v for k, v in available.items() if takes_all or k in names}
            network = model(**chosen, **(model_kwargs or {}))
    if not isinstance(network, keras.Model):
        raise TypeError(
            "model must be a Keras model or a function returning one; it returned "
            f"{type(network).__name__}."
        )
    if not network.compiled:
        network.compile(**kwargs)
    if len(network.outputs) != 1:
        raise ValueError(
            f"model has {len(network.outputs)} outputs; skprecmed estimators "
            "train networks with one output tensor."
        )
    return network
