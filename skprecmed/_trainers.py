"""Train many networks of one architecture on one traced Keras model.

Most of the cost of a small ``fit`` is TensorFlow tracing the Keras train
function of a new model (about 0.45 s of a 0.6 s fit on the breast cancer
data), and every traced model leaves memory behind in TensorFlow's runtime.
A grid search or a cross-validation fits the same architecture many times.

So a network built by skprecmed's default builder is not trained itself:
its state (weights, batch-norm statistics, dropout seed state, and the
freshly initialised optimizer state) is copied into a *trainer*, a model of
the same architecture and compile configuration whose train function has
already been traced; the trainer is trained and its state is copied back.
Every variable is overwritten in both directions, so the result is the
same, to the bit, as training the network directly.

The learning rate is an optimizer variable, so networks that differ only in
learning rate share a trainer. At most 8 are kept (least recently used first
out; :func:`set_trainer_cache_size` changes that, 0 disables the cache,
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

from ._keras import import_keras

_max_trainers = 8
_trainers = collections.OrderedDict()
_lock = threading.Lock()


def architecture_key(architecture, model):
    """The cache key of a network built by skprecmed, or None for no caching.

    Parameters
    ----------
    architecture : object with a stable ``repr``
        Everything the builder used to build the network except its seed
        (input shape, outputs, hyperparameters).
    model : keras.Model
        The compiled network.

    Returns
    -------
    key : str or None
    """
    if architecture is None or not model.compiled:
        return None
    config = model.get_compile_config()
    # "adam_3": Keras numbers the instances; a float learning rate lives in
    # a variable, copied at each fit
    skip = {"name"}
    if isinstance(config["optimizer"]["config"].get("learning_rate"), float):
        skip.add("learning_rate")
    optimizer = {
        k: v for k, v in config["optimizer"]["config"].items() if k not in skip
    }
    config = {**config, "optimizer": {**config["optimizer"], "config": optimizer}}
    return json.dumps([repr(architecture), config], sort_keys=True, default=repr)


class Trainer:
    """A model to train in a network's place, and the functions traced for it.

    Parameters
    ----------
    model : keras.Model
        The compiled model that is trained.

    Attributes
    ----------
    model : keras.Model
    traced : dict
        Functions traced for ``model``, filled by their users.
    """

    def __init__(self, model):
        self.model = model
        self.traced = {}


def _built_optimizer_variables(model):
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    return model.optimizer.variables


def _copy_state(source, target):
    pairs = [
        (source.variables, target.variables),
        (_built_optimizer_variables(source), _built_optimizer_variables(target)),
    ]
    for sources, targets in pairs:
        if len(sources) != len(targets):
            raise RuntimeError("trainer and network have different variables")
        for s, t in zip(sources, targets, strict=True):
            t.assign(s)


def checkout(model, key):
    """Return the trainer to train in place of ``model``, holding its state.

    Parameters
    ----------
    model : keras.Model
        A compiled network.
    key : str or None
        :func:`architecture_key` of the network joined with what the traced
        train function depends on besides it (the shape of a target row,
        whether there are sample weights and validation data). ``None``, a
        disabled cache, or a compile configuration Keras cannot make again
        (an unregistered metric class) trains ``model`` itself.

    Returns
    -------
    trainer : Trainer
        Pass it to :func:`checkin` with ``model`` after training.
    """
    if key is None or _max_trainers == 0:
        return Trainer(model)
    with _lock:
        trainer = _trainers.pop(key, None)
    if trainer is None:
        _, keras = import_keras()
        try:
            clone = keras.models.clone_model(model)
            clone.compile_from_config(model.get_compile_config())
        except TypeError:
            # an object Keras cannot make again from its config (a user's
            # metric class not registered with keras.saving): the network
            # is trained itself, uncached
            return Trainer(model)
        trainer = Trainer(clone)
    _copy_state(model, trainer.model)
    return trainer


def checkin(trainer, model, key):
    """Copy the trained state back into ``model`` and keep the trainer."""
    if trainer.model is model:
        return
    _copy_state(trainer.model, model)
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

    Each trainer holds one network's variables and a traced train function
    (about 0.3 MB for a small dense network). With the cache disabled every
    ``fit`` traces a new train function: slower, the same results.

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
