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
from ._network import build_network, set_output_bias, set_output_smoothing

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
    return make_compile_kwargs(*compile_spec(estimator, loss))


def compile_spec(estimator, loss):
    """What :func:`make_compile_kwargs` needs, read from ``estimator`` now."""
    return estimator.optimizer, estimator.learning_rate_init, estimator.metrics, loss


def make_compile_kwargs(optimizer, learning_rate, metrics, loss):
    """Fresh arguments of ``Model.compile`` (see :func:`compile_kwargs`)."""
    return {
        "optimizer": make_optimizer(optimizer, learning_rate),
        "loss": _loss(loss),
        "metrics": _metrics(metrics),
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
    model.compile(**_compile_arguments(kwargs, network))
    return model, _architecture(input_shape, n_outputs, output_activation, network)


def _compile_arguments(kwargs, network):
    """Every argument of ``compile`` for skprecmed's own network."""
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
    # no metrics: None, not [], so Keras makes no empty metrics container
    # (built by an eager forward pass before the training step is traced)
    metrics = kwargs["metrics"] or None
    return {**kwargs, "metrics": metrics, "jit_compile": jit, "steps_per_execution": 32}


def _architecture(input_shape, n_outputs, output_activation, network):
    """Everything a network depends on except its seed, as plain values."""
    # plain values only: the key is kept on the estimator (partial_fit) and
    # saved with it, and model files trust no skprecmed-internal types
    plain = {
        name: [tuple(branch) for branch in value]
        if name == "branches" and value
        else value
        for name, value in network.items()
    }
    return (
        tuple(input_shape),
        n_outputs,
        output_activation,
        sorted(plain.items()),
    )


#: compile configurations of specs made of names and numbers only: making
#: an optimizer and serialising it costs about 2 ms, at every fit
_compile_configs = {}
_MAX_COMPILE_CONFIGS = 64


def _is_plain(value):
    if isinstance(value, list | tuple):
        return all(isinstance(item, str) for item in value)
    return value is None or isinstance(value, str | int | float)


def _compile_config(spec, ensemble_size):
    """The compile configuration of ``spec`` (:func:`compile_spec`)."""
    _, keras = import_keras()
    key = None
    if all(_is_plain(value) for value in spec):
        key = repr((keras.backend.backend(), spec, ensemble_size))
        config = _compile_configs.get(key)
        if config is not None:
            return config
    kwargs = _compile_arguments(
        make_compile_kwargs(*spec), {"ensemble_size": ensemble_size}
    )
    arguments = {
        "optimizer": kwargs["optimizer"],
        "loss": kwargs["loss"],
        "metrics": kwargs["metrics"],
        "loss_weights": None,
        "weighted_metrics": None,
        "run_eagerly": False,
        "steps_per_execution": kwargs["steps_per_execution"],
        "jit_compile": kwargs["jit_compile"],
    }
    config = keras.saving.serialize_keras_object(arguments)
    if key is not None:
        if len(_compile_configs) >= _MAX_COMPILE_CONFIGS:
            _compile_configs.clear()
        _compile_configs[key] = config
    return config


class Recipe:
    """How to build one fit's network of skprecmed's own, again and again.

    Everything :func:`build_default` takes, captured when ``fit`` starts,
    and the starting values set after building (the output layer's bias,
    the smoothing strength, the learning rate): the values that differ
    between fits sharing a trainer (:mod:`._trainers`). Building it twice
    gives two networks with the same starting state, since every random
    layer is seeded from ``seed``; so a fit can train a cached trainer set
    to that state, and the Keras model of the fitted estimator is built
    only when it is used.

    Parameters
    ----------
    input_shape, n_outputs, output_activation, network
        As :func:`build_default` takes them.
    compile_spec : tuple
        :func:`compile_spec` of the fit.
    seed : int
        Seed of the network's initialisers and dropout layers.
    output_bias : array-like or None, default=None
        Starting bias of every output layer (see
        :func:`._network.set_output_bias`).
    output_smoothing : float or None, default=None
        Smoothing strength of time-varying output layers.

    Attributes
    ----------
    architecture : tuple
        The trainer-cache architecture, as :func:`build_default` returns it.
    seed : int

    Examples
    --------
    >>> from skprecmed._build import Recipe
    >>> spec = ("adam", 1e-3, None, "binary_crossentropy")
    >>> recipe = Recipe((3,), 1, "sigmoid", {"hidden_layer_sizes": (4,)}, spec, 0)
    >>> first, second = recipe.build(), recipe.build()
    >>> all((a == b).all() for a, b in zip(first.get_weights(), second.get_weights()))
    True
    """

    def __init__(
        self,
        input_shape,
        n_outputs,
        output_activation,
        network,
        compile_spec,
        seed,
        output_bias=None,
        output_smoothing=None,
    ):
        self._arguments = (tuple(input_shape), n_outputs, output_activation, network)
        self._compile_spec = compile_spec
        self.seed = seed
        self._output_bias = output_bias
        self._output_smoothing = output_smoothing
        self.architecture = _architecture(*self._arguments)
        self._compile_config = None

    def build(self, start=True):
        """A new compiled network in its starting state.

        With ``start=False``, the values :meth:`set_start` sets are left as
        the seed and the builder give them.
        """
        kwargs = make_compile_kwargs(*self._compile_spec)
        model, _ = build_default(*self._arguments, kwargs, self.seed)
        if start:
            self.set_start(model)
        return model

    def compile_config(self):
        """What ``build().get_compile_config()`` returns, without building."""
        if self._compile_config is None:
            self._compile_config = _compile_config(
                self._compile_spec, self._arguments[3].get("ensemble_size", 1)
            )
        return self._compile_config

    def set_start(self, model):
        """Set the values of this fit that are not the seed's in ``model``."""
        if self._output_bias is not None:
            set_output_bias(model, self._output_bias)
        if self._output_smoothing is not None:
            set_output_smoothing(model, self._output_smoothing)
        learning_rate = self.compile_config()["optimizer"]["config"].get(
            "learning_rate"
        )
        if isinstance(learning_rate, float):  # a variable, not in the cache key
            model.optimizer.learning_rate = learning_rate


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
