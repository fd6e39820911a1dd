"""Train many networks of one architecture on one traced Keras model.

Most of the cost of a small ``fit`` is TensorFlow tracing the training
function of a new model, and every traced model leaves memory behind in
TensorFlow's runtime. A grid search or a cross-validation fits the same
architecture many times.

So a network of skprecmed's own is not trained itself. Each architecture
and compile configuration has a *trainer*: a model whose training function
has been traced. Its first fit builds the network, which becomes the
trainer. A later fit sets the trainer's state to that fit's start and
trains it:

* the starting weights (and batch-norm statistics, dropout seed state) of
  a :class:`._build.Recipe` depend only on its seed: the trainer keeps
  those of the last few seeds, so a fit with a seed seen before (a grid
  search with a fixed ``random_state``) builds no Keras model at all; a
  new seed's network is built once to read them;
* the optimizer starts from the state it had before any step, with the
  fit's learning rate (a variable, so networks that differ only in
  learning rate share a trainer);
* then the fit's output bias and smoothing strength are set.

The trained state is read back as arrays, and the fitted estimator builds
its Keras model from them only when ``model_`` is first used
(:class:`._persistence.NetworkPicklingMixin`). A fitted network that
``partial_fit`` continues has its state copied into a trainer (cloned from
it the first time) and back; a user's network is trained itself. Every
variable is set, so the result is the same, to the bit, as training the
network directly.

At most 8 trainers are kept (least recently used first out;
:func:`set_trainer_cache_size` changes that, 0 disables the cache,
:func:`clear_trainer_cache` empties it). A trainer is removed from the cache
while it trains, so concurrent fits in threads never share one. Keys are
computed by the builder and passed explicitly: nothing is stored on Keras
models.

A trainer also keeps the functions traced to train it outside Keras' ``fit``
(:mod:`._epochs`): they belong to its model, so they are cached and
evicted with it.
"""

import collections
import json
import threading

import numpy as np

from ._build import Recipe
from ._keras import import_keras

_max_trainers = 8
_trainers = collections.OrderedDict()
_lock = threading.Lock()


def architecture_key(architecture, network):
    """The cache key of a network built by skprecmed, or None for no caching.

    Parameters
    ----------
    architecture : object with a stable ``repr``
        Everything the builder used to build the network except its seed
        (input shape, outputs, hyperparameters).
    network : keras.Model or ._build.Recipe
        The network, whose compile configuration the key holds (a recipe
        gives it without building; an uncompiled model has no key).

    Returns
    -------
    key : str or None
    """
    if architecture is None:
        return None
    if isinstance(network, Recipe):
        config = network.compile_config()
    elif network.compiled:
        config = network.get_compile_config()
    else:
        return None
    # "adam_3": Keras numbers the instances; a float learning rate lives in
    # a variable, set at each fit
    skip = {"name"}
    if isinstance(config["optimizer"]["config"].get("learning_rate"), float):
        skip.add("learning_rate")
    optimizer = {
        k: v for k, v in config["optimizer"]["config"].items() if k not in skip
    }
    config = {**config, "optimizer": {**config["optimizer"], "config": optimizer}}
    return json.dumps([repr(architecture), config], sort_keys=True, default=repr)


class Trainer:
    """A model to train in a network's place, and what is kept with it.

    Parameters
    ----------
    model : keras.Model
        The compiled model that is trained.

    Attributes
    ----------
    model : keras.Model
    traced : dict
        Functions traced for ``model``, filled by their users.
    starts : OrderedDict
        The starting weights of the networks of this architecture, by the
        seed they were built with (:class:`._build.Recipe`), so that a fit
        whose seed was seen before builds nothing.
    fresh_optimizer : tuple of ndarray or None
        The optimizer's state before any step.
    checked : set of str
        Checks that ``model``'s architecture passed, filled by their users
        (the NumPy inference plan's: its translation of the layers, which
        the weights of a later fit do not change).
    """

    def __init__(self, model):
        self.model = model
        self.traced = {}
        self.starts = collections.OrderedDict()
        self.fresh_optimizer = None
        self.checked = set()


#: starting weights kept per trainer, one per seed (a grid search with a
#: fixed ``random_state`` needs one), and at most this many bytes of them
#: (the last one is always kept: a large network keeps only it)
_MAX_STARTS = 4
_MAX_START_BYTES = 16 * 2**20


def _built_optimizer_variables(model):
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    return model.optimizer.variables


def _resources(variables):
    """The TensorFlow variables behind Keras ones, or None on other backends."""
    _, keras = import_keras()
    if keras.backend.backend() != "tensorflow":
        return None
    return [getattr(v, "value", v) for v in variables]


def _assign(targets, values):
    """Set each variable of ``targets`` to its array of ``values``.

    On TensorFlow one raw assignment each, with its shape checked: Keras'
    ``assign`` costs about five times as much in Python, which a grid
    search pays at every fit for every variable.
    """
    if len(values) != len(targets):
        raise RuntimeError("trainer and network have different variables")
    resources = _resources(targets)
    if resources is None:
        for target, value in zip(targets, values, strict=True):
            target.assign(value)
        return
    tf, _ = import_keras()
    for resource, value in zip(resources, values, strict=True):
        tf.raw_ops.AssignVariableOp(
            resource=resource.handle,
            value=tf.convert_to_tensor(value, resource.dtype),
            validate_shape=True,
        )


def variable_values(variables):
    """The values of Keras variables, as a tuple of arrays.

    On TensorFlow one raw read each (a quarter of ``np.array(variable)``'s
    cost). Writing a variable later leaves the arrays as they were:
    TensorFlow copies a buffer that is still read before writing it, as for
    ``Variable.numpy``.
    """
    resources = _resources(variables)
    if resources is None:
        return tuple(np.array(v) for v in variables)
    tf, _ = import_keras()
    return tuple(
        tf.raw_ops.ReadVariableOp(resource=r.handle, dtype=r.dtype).numpy()
        for r in resources
    )


def _copy_state(source, target):
    _assign(target.variables, source.variables)
    _assign(_built_optimizer_variables(target), _built_optimizer_variables(source))


def state(model):
    """The state of ``model``: its variables' and its optimizer's, as arrays."""
    return variable_values(model.variables), _optimizer_values(model)


def _optimizer_values(model):
    return variable_values(_built_optimizer_variables(model))


def build_trained(recipe, trained):
    """The Keras model of ``recipe`` holding the :func:`state` ``trained``."""
    model = recipe.build()
    variables, optimizer = trained
    _assign(model.variables, variables)
    _assign(_built_optimizer_variables(model), optimizer)
    return model


def checkout(network, key):
    """Return the trainer to train in place of ``network``, holding its state.

    Parameters
    ----------
    network : keras.Model or ._build.Recipe
        A compiled network, or the recipe of skprecmed's own network of a
        new fit (built only when no cached trainer has its start).
    key : str or None
        :func:`architecture_key` of the network joined with what the traced
        train function depends on besides it (the shape of a target row,
        whether there are sample weights and validation data). ``None``, a
        disabled cache, or, for a model, a compile configuration Keras
        cannot make again (an unregistered metric class) trains the network
        itself.

    Returns
    -------
    trainer : Trainer
        Pass it to :func:`checkin` with ``network`` after training.
    """
    recipe = network if isinstance(network, Recipe) else None
    if key is None or _max_trainers == 0:
        return Trainer(network if recipe is None else recipe.build())
    with _lock:
        trainer = _trainers.pop(key, None)
    if recipe is not None:
        return _start(trainer, recipe)
    if trainer is None:
        _, keras = import_keras()
        try:
            clone = keras.models.clone_model(network)
            clone.compile_from_config(network.get_compile_config())
        except TypeError:
            # an object Keras cannot make again from its config (a user's
            # metric class not registered with keras.saving): the network
            # is trained itself, uncached
            return Trainer(network)
        trainer = Trainer(clone)
    _copy_state(network, trainer.model)
    return trainer


def _start(trainer, recipe):
    """``trainer`` (a new one if None) set to the start of ``recipe``'s fit.

    The starts kept are the seed's alone (read before the fit's own values
    are set), so fits that set different ones share them.
    """
    if trainer is None:  # the first of its architecture: the network itself
        trainer = Trainer(recipe.build(start=False))
        _remember(trainer, recipe.seed, variable_values(trainer.model.variables))
        trainer.fresh_optimizer = _optimizer_values(trainer.model)
        recipe.set_start(trainer.model)
        return trainer
    start = trainer.starts.get(recipe.seed)
    if start is None:  # built as any first fit of this seed, then dropped
        network = recipe.build(start=False)
        start = variable_values(network.variables)
        if trainer.fresh_optimizer is None:  # a trainer cloned from a model
            trainer.fresh_optimizer = _optimizer_values(network)
    _remember(trainer, recipe.seed, start)
    _assign(trainer.model.variables, start)
    _assign(trainer.model.optimizer.variables, trainer.fresh_optimizer)
    recipe.set_start(trainer.model)
    return trainer


def _remember(trainer, seed, start):
    starts = trainer.starts
    starts[seed] = start
    starts.move_to_end(seed)
    while len(starts) > 1 and (
        len(starts) > _MAX_STARTS
        or sum(a.nbytes for values in starts.values() for a in values)
        > _MAX_START_BYTES
    ):
        starts.popitem(last=False)


def checkin(trainer, network, key):
    """Keep the trainer; a model (not a recipe) gets the trained state back."""
    if trainer.model is network:
        return
    if not isinstance(network, Recipe):
        _copy_state(trainer.model, network)
    if key is None or _max_trainers == 0:
        return
    with _lock:
        _trainers[key] = trainer
        while len(_trainers) > _max_trainers:
            _trainers.popitem(last=False)


def clear_trainer_cache():
    """Forget every cached trainer, freeing their memory.

    Examples
    --------
    >>> from skprecmed import clear_trainer_cache
    >>> clear_trainer_cache()
    """
    with _lock:
        _trainers.clear()


def set_trainer_cache_size(max_trainers):
    """Set how many traced trainers are kept; 0 disables the cache.

    Each trainer holds one network's variables, its optimizer's starting
    state, the starting weights of up to four seeds and a traced train
    function (about 0.3 MB for a small dense network). With the cache
    disabled every ``fit`` builds and traces a new network: slower, the same
    results.

    Parameters
    ----------
    max_trainers : int
        At most this many architectures are kept, least recently used first
        out. The default is 8.

    Returns
    -------
    previous : int
        The size before the call, to restore it.

    Examples
    --------
    >>> from skprecmed import set_trainer_cache_size
    >>> previous = set_trainer_cache_size(0)  # no caching
    >>> set_trainer_cache_size(previous)
    0
    """
    global _max_trainers
    if (
        not isinstance(max_trainers, int)
        or isinstance(max_trainers, bool)
        or max_trainers < 0
    ):
        raise ValueError(
            f"max_trainers must be a non-negative int; got {max_trainers!r}."
        )
    with _lock:
        previous, _max_trainers = _max_trainers, max_trainers
        while len(_trainers) > _max_trainers:
            _trainers.popitem(last=False)
    return previous
