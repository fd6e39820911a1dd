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
learning rate share a trainer. At most :data:`MAX_TRAINERS` are kept
(least recently used first out). A trainer is removed from the cache while
it trains, so concurrent fits in threads never share one.
"""

import collections
import json
import threading

from ._keras import import_keras

MAX_TRAINERS = 8
_trainers = collections.OrderedDict()
_lock = threading.Lock()

#: attribute of a model built by skprecmed, naming its architecture
ARCHITECTURE = "_skprecmed_architecture"


def _key(model, data):
    architecture = getattr(model, ARCHITECTURE, None)
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
    return json.dumps([architecture, config, data], sort_keys=True, default=repr)


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
        for s, t in zip(sources, targets):
            t.assign(s)


def checkout(model, data):
    """Return the model to train in place of ``model``, holding its state.

    Parameters
    ----------
    model : keras.Model
        A compiled network. Unless it was built by skprecmed (it has the
        ``_skprecmed_architecture`` attribute), it is returned unchanged.
    data : tuple
        What the traced train function depends on besides the network: the
        shapes of a target row, whether there are sample weights and
        validation data. Networks share a trainer only for the same data.

    Returns
    -------
    trainer : keras.Model
        Pass it to :func:`checkin` with ``model`` after training.
    """
    key = _key(model, data)
    if key is None:
        return model
    with _lock:
        trainer = _trainers.pop(key, None)
    if trainer is None:
        _, keras = import_keras()
        trainer = keras.models.clone_model(model)
        trainer.compile_from_config(model.get_compile_config())
    _copy_state(model, trainer)
    return trainer


def checkin(trainer, model, data):
    """Copy the trained state back into ``model`` and keep the trainer."""
    if trainer is model:
        return
    _copy_state(trainer, model)
    key = _key(model, data)
    with _lock:
        _trainers[key] = trainer
        while len(_trainers) > MAX_TRAINERS:
            _trainers.popitem(last=False)


def clear():
    """Forget every cached trainer (frees their memory)."""
    with _lock:
        _trainers.clear()
