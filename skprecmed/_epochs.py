"""Keras training on TensorFlow with one graph call per epoch.

Keras' ``fit`` feeds a TensorFlow model through an iterator and runs a few
steps per graph call (``steps_per_execution``). For the small networks of
clinical tables, that feed costs more than the arithmetic: a 10-epoch fit
of 10,000 rows in batches of 32 took 1.1 s through ``fit`` and 0.4 s here.

Here the rows stay in one tensor per array, and an epoch is one traced
function: it gathers each minibatch by index, in the epoch's order, and
calls the training step of :mod:`._steps` (the model's own ``train_step``,
or the same step with Adam's update written out). A validation pass is
another traced function, which calls ``test_step``. Each step is Keras' own
arithmetic. On a CPU the passes are traced and run with TensorFlow's
single-threaded executor and Grappler's remapper off (:func:`_call_options`).
The epoch protocol of ``fit`` is kept:

* metrics are reset at each epoch (inside the traced pass);
* the callbacks' train and epoch hooks run (``EarlyStopping`` among them);
* the logs are the history's, with validation logs prefixed by ``val_``.

Callbacks with batch or test hooks, progress output, a model compiled to
run eagerly and distribution strategies need ``fit`` itself:
:func:`supports` tells when this loop can be used. Each epoch's
row order is :func:`epoch_order`, which Keras' ``fit`` is fed in too
(:mod:`._training`), so both ways train on the same minibatches.
"""

import contextlib
import math

import numpy as np

from . import _steps
from ._keras import import_keras

#: hooks this loop never calls; a callback that defines one needs ``fit``
_UNCALLED_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
)


def supports(model, callbacks, verbose):
    """Whether :func:`fit` can train ``model`` in place of Keras' ``fit``.

    Parameters
    ----------
    model : keras.Model
        The compiled model to train.
    callbacks : list of keras callbacks
    verbose : int
        Keras' verbosity; progress output needs ``fit``.

    Returns
    -------
    supported : bool
        True on the TensorFlow backend, without output, when no callback
        defines a batch or test hook, the model was not compiled to run
        eagerly (for debugging) and no distribution strategy is in use.
    """
    tf, keras = import_keras()
    if verbose or keras.backend.backend() != "tensorflow" or model.run_eagerly:
        return False
    if tf.distribute.has_strategy() or (
        model.distribute_strategy is not tf.distribute.get_strategy()
    ):
        return False  # Keras' fit distributes the data and the steps
    base = keras.callbacks.Callback
    # a method of the class, or a function set on the instance (LambdaCallback)
    return not any(
        getattr(getattr(callback, hook), "__func__", None) is not getattr(base, hook)
        for callback in callbacks
        for hook in _UNCALLED_HOOKS
    )


def epoch_order(seed, epoch, n_rows, shuffle):
    """The order of the rows in one epoch.

    Parameters
    ----------
    seed : int
        Seed of the fit's shuffling.
    epoch : int
        The epoch, from 0: each has its own order, drawn from
        ``(seed, epoch)`` alone.
    n_rows : int
    shuffle : bool
        False keeps the rows in their order.

    Returns
    -------
    order : ndarray of int32, shape (n_rows,)

    Examples
    --------
    >>> from skprecmed._epochs import epoch_order
    >>> epoch_order(0, 0, 4, shuffle=False)
    array([0, 1, 2, 3], dtype=int32)
    >>> sorted(epoch_order(0, 1, 4, shuffle=True).tolist())
    [0, 1, 2, 3]
    """
    if not shuffle:
        return np.arange(n_rows, dtype=np.int32)
    return np.random.default_rng((seed, epoch)).permutation(n_rows).astype(np.int32)


def fit(
    trainer, data, *, epochs, batch_size, shuffle, seed, validation_data, callbacks
):
    """Train ``trainer.model`` in place and return its history.

    Parameters
    ----------
    trainer : skprecmed._trainers.Trainer
        The compiled model, and where its traced functions are kept.
    data : tuple of ndarray
        ``(X, y)`` or ``(X, y, sample_weight)``.
    epochs, batch_size : int
        Passes over the rows; rows per step (at most the rows).
    shuffle, seed
        The rows' order at each epoch (:func:`epoch_order`).
    validation_data : tuple of ndarray or None
        Rows scored after each epoch, in the layout of ``data``.
    callbacks : list of keras callbacks
        Only train and epoch hooks are called (see :func:`supports`).

    Returns
    -------
    history : dict of str to list of float
        The logs of each epoch.
    """
    tf, keras = import_keras()
    model = trainer.model
    data = tuple(tf.convert_to_tensor(array) for array in data)
    train_epoch = _traced(trainer, "train", data, batch_size)
    if validation_data is not None:
        validation_data = tuple(tf.convert_to_tensor(a) for a in validation_data)
        validate = _traced(trainer, "validate", validation_data, batch_size)
        rows_in_order = np.arange(len(validation_data[0]), dtype=np.int32)
    n_rows = int(data[0].shape[0])
    rows_per_step = tf.constant(batch_size, tf.int32)

    callbacks = keras.callbacks.CallbackList(
        callbacks, model=model, verbose=0, epochs=epochs, steps=-(-n_rows // batch_size)
    )
    history = {}
    logs = None
    model.stop_training = False
    callbacks.on_train_begin()
    for epoch in range(epochs):
        if not train_epoch.resets_metrics:
            model.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        logs = _floats(
            train_epoch(data, epoch_order(seed, epoch, n_rows, shuffle), rows_per_step)
        )
        if validation_data is not None:
            if not validate.resets_metrics:
                model.reset_metrics()
            scores = _floats(validate(validation_data, rows_in_order, rows_per_step))
            logs.update({f"val_{k}": v for k, v in scores.items()})
        callbacks.on_epoch_end(epoch, logs)
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        if model.stop_training:
            break
    if epochs > 0:
        model.optimizer.finalize_variable_values(model.trainable_weights)
    callbacks.on_train_end(logs)
    return history


def _floats(metrics):
    return {name: float(value) for name, value in metrics.items()}


class _Pass:
    """A traced pass, and whether it resets the metrics itself.

    It runs under the function-call options it was traced with
    (:func:`_call_options`, in :func:`_options`).
    """

    __slots__ = ("function", "resets_metrics", "_options")

    def __init__(self, function, resets_metrics, options):
        self.function = function
        self.resets_metrics = resets_metrics
        self._options = options

    def __call__(self, *args):
        with _options(self._options):
            return self.function(*args)


@contextlib.contextmanager
def _options(options):
    """Make ``options`` this thread's function-call options in the block.

    The thread's own are restored after it; ``None`` changes nothing.
    """
    if options is None:
        yield
        return
    context = _eager().context()
    previous = context.function_call_options
    context.function_call_options = options
    try:
        yield
    finally:
        context.function_call_options = previous


def _eager():
    from tensorflow.python.eager import context

    return context


#: the largest minibatch and weight (elements) of a network whose passes run
#: single-threaded: beyond either, a step's operations are large enough that
#: the default executor's threads and oneDNN's kernels pay (see
#: :func:`_call_options`)
_SMALL_BATCH = 64
_SMALL_WEIGHT = 2**15


def _small_steps(model, batch_size):
    """Whether each step of ``model`` is many small operations, in a row.

    True for minibatches of at most :data:`_SMALL_BATCH` rows and networks
    without convolutions (no weight of more than two dimensions) whose
    weights have at most :data:`_SMALL_WEIGHT` elements each, and without
    a bidirectional recurrent layer (whose two directions the default
    executor runs at once): the dense networks of clinical tables and
    small recurrent ones.
    """
    _, keras = import_keras()
    return (
        batch_size <= _SMALL_BATCH
        and all(
            len(weight.shape) <= 2 and math.prod(weight.shape) <= _SMALL_WEIGHT
            for weight in model.trainable_weights
        )
        and not any(
            isinstance(layer, keras.layers.Bidirectional) for layer in _layers(model)
        )
    )


def _layers(layer):
    """``layer`` and the layers of the models nested in it."""
    yield layer
    for inner in getattr(layer, "layers", ()):
        yield from _layers(inner)


def _call_options(model, batch_size):
    """The function-call options of the passes on a CPU; None with a GPU.

    The passes are traced and run under these options, set as this thread's
    for those calls only: nothing global changes.

    * **Grappler's remapper off.** TensorFlow optimises a traced function
      at its first call; the remapper fuses each matrix product with its
      bias and activation into one oneDNN kernel, which cost the small
      layers of clinical tables more than the three plain kernels (an
      epoch of ``bench_speed.py``'s classic net took 30 ms instead of 24),
      and optimising takes ~15 ms less. The convolutional and recurrent
      networks were no slower and predicted the same to the bit.
    * **The single-threaded executor, for small steps**
      (:func:`_small_steps`). TensorFlow's default executor hands each
      operation to a pool of threads; for a step of small operations that
      hand-over costs more than the operations (about 30% of an epoch of
      the classic net was the pool's threads looking for work). The
      single-threaded executor runs them in turn in the calling thread. It
      cannot run the switch/merge operations a loop is usually rewritten
      to, so TensorFlow keeps a loop traced under it as a loop operation,
      whose body runs as a function at each step, without oneDNN's
      rewrites (and results differ from the rewritten loop's in the last
      bits of float32). The classic net's warm 10-epoch fit took 0.20 s
      instead of 0.23, its first fit in a process 0.44 s instead of
      0.57 (``bench_speed.py``); larger steps, the CNNs and a
      bidirectional LSTM were slower on one thread, hence the limits of
      :func:`_small_steps` (measured in ``docs/performance.rst``, "Small
      steps on one thread").

    With a GPU, where neither was measured and fused kernels are cuDNN's,
    the options are left as they are.

    Parameters
    ----------
    model : keras.Model
    batch_size : int
        Rows per step.

    Returns
    -------
    options : FunctionCallOptions or None
    """
    tf, _ = import_keras()
    if tf.config.list_logical_devices("GPU"):
        return None
    eager = _eager()
    options = eager.context().function_call_options
    config = tf.compat.v1.ConfigProto()
    config.ParseFromString(options.config_proto_serialized)
    rewrites = config.graph_options.rewrite_options
    rewrites.remapping = type(rewrites).OFF
    executor = options.executor_type
    if _small_steps(model, batch_size):
        executor = "SINGLE_THREADED_EXECUTOR"
    return eager.FunctionCallOptions(executor_type=executor, config_proto=config)


def _resettable_in_graph(model):
    """Whether Keras' ``reset_metrics`` of ``model`` can run inside the pass.

    True when neither the model's ``reset_metrics`` nor any metric's
    ``reset_state`` (the compiled metrics' included) is a user's: Keras' own
    only assign their variables, which a traced function does as well. A
    user's could do more in Python, so it keeps being called at each epoch.
    """
    _, keras = import_keras()
    if type(model).reset_metrics is not keras.Model.reset_metrics:
        return False
    metrics = []
    for metric in model.metrics:
        metrics.extend([metric, *getattr(metric, "metrics", ())])
    return all(
        type(metric).reset_state.__module__.startswith("keras.") for metric in metrics
    )


def _traced(trainer, kind, data, batch_size):
    """The ``"train"`` or ``"validate"`` pass of ``trainer`` over ``data``.

    Traced on first use, once per layout of the arrays (their dtypes and the
    shape of one row) and executor (:func:`_call_options`, which depends on
    ``batch_size``) whatever the number of rows: a cached trainer serves
    every fit of its architecture without tracing again. Each is called as
    a concrete function (no signature matching at each call) and returns
    the metrics' values, read after its loop. It resets the metrics first,
    as Keras' ``fit`` and ``evaluate`` do, inside the graph (an eager reset
    cost about 0.26 ms a pass, a tenth of a small network's epoch), unless
    :func:`_resettable_in_graph` says no. Compiled metrics, which Keras
    builds at their first update, are built by one eager update before
    tracing; a metric built while tracing all the same gets a second trace,
    so that the pass resets it too.
    """
    tf, _ = import_keras()
    model = trainer.model
    options = _call_options(model, batch_size)
    layout = tuple((a.dtype.name, tuple(a.shape[1:])) for a in data)
    key = kind, layout, options and options.executor_type
    if key in trainer.traced:
        return trainer.traced[key]
    if not model.optimizer.built:  # its variables, before any tracing
        model.optimizer.build(model.trainable_variables)
    arrays = tuple(tf.TensorSpec((None, *a.shape[1:]), a.dtype) for a in data)
    signature = arrays, tf.TensorSpec((None,), tf.int32), tf.TensorSpec((), tf.int32)
    step = _steps.train_step(model) if kind == "train" else model.test_step

    def trace(resets):
        # no autograph: Keras' steps are left as they are written
        @tf.function(input_signature=signature, autograph=False)
        def skprecmed_pass(data, order, batch_size):
            if resets:
                model.reset_metrics()

            def one_step(start):
                batch = order[start : start + batch_size]
                step(tuple(tf.gather(a, batch) for a in data))
                return (start + batch_size,)

            n_rows = tf.shape(order)[0]
            tf.while_loop(lambda start: start < n_rows, one_step, (tf.constant(0),))
            return model.get_metrics_result()

        return skprecmed_pass.get_concrete_function()

    if not all(getattr(metric, "built", True) for metric in model.metrics):
        # compiled metrics are built at their first update: one eager update
        # on a row builds them now, so one trace resets them (its values are
        # reset by the pass)
        x, y, *weight = (a[:1] for a in data)
        model.compute_metrics(x, y, model(x, training=False), *weight)
    built = len(model.metrics_variables)
    with _options(options):  # traced as it will run (see _call_options)
        function = trace(resets=True)
        resets = _resettable_in_graph(model)
        if not resets or len(model.metrics_variables) != built:
            function = trace(resets)
    trainer.traced[key] = _Pass(function, resets, options)
    return trainer.traced[key]
