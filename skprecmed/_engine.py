"""The only module that touches scikeras.

The public estimators are plain scikit-learn estimators whose ``fit`` hands
validated arrays to a short-lived scikeras wrapper (the *engine*) built from
their hyperparameters. scikeras supplies what it does well: building the
network from ``model`` (a function receiving ``meta`` and ``compile_kwargs``,
or a Keras model), turning optimizer/loss names into Keras objects,
encoding targets, ``class_weight`` and ``sample_weight``, and the checks
between the target and the network's outputs.

Three scikeras behaviours are replaced here because they are wrong for a
scikit-learn estimator:

* ``random_state`` is never given to scikeras, so its
  ``tensorflow_random_state`` (which reseeds TensorFlow, NumPy and Python
  globally and switches on TensorFlow's global op determinism) never runs.
  Instead the builder gets explicit seeds, a user's builder runs with
  Python's ``random`` seeded and restored exactly afterwards (Keras draws
  the seeds of unseeded layers from it), and the data are shuffled by a
  ``tf.data`` pipeline with its own op seed.
* ``validation_split`` (last rows, unshuffled) is replaced by a stratified
  split of the training rows for early stopping, as sklearn's MLP does.
* Fitted state (the model, history, classes) is copied onto the public
  estimator; the engine itself is thrown away after ``fit``.
"""

import contextlib
import functools
import random

import numpy as np
from sklearn.model_selection import train_test_split

from . import _trainers
from ._base import _INT32_MAX
from ._keras import import_keras, trainer_retracing_silenced

import_keras()  # before scikeras imports Keras, so TensorFlow starts quietly
from scikeras.wrappers import KerasClassifier, KerasRegressor  # noqa: E402


@contextlib.contextmanager
def seeded_python_random(seed):
    """Seed Python's ``random`` inside the block and restore it afterwards.

    Keras 3 draws the seed of every layer created without one from Python's
    ``random`` module, so this makes user-supplied builders reproducible.
    The previous state is restored exactly (unlike TensorFlow's global seed,
    Python's generator state can be saved and restored).
    """
    state = random.getstate()
    random.seed(int(seed))
    try:
        yield
    finally:
        random.setstate(state)


def _fresh_copy(model):
    """Copy a user's Keras model with fresh weights, never training theirs."""
    _, keras = import_keras()
    copy = keras.models.clone_model(model)
    if model.compiled:
        copy.compile_from_config(model.get_compile_config())
    return copy


class _EngineMixin:
    """Overrides shared by every engine; see the module docstring."""

    #: set by :func:`make_engine` before ``fit``
    _options = None

    def _build_keras_model(self):
        with seeded_python_random(self._options["build_seed"]):
            return super()._build_keras_model()

    def _fit_keras_model(
        self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
    ):
        tf, keras = import_keras()
        opts = self._options
        floatx = keras.backend.floatx()
        X = np.asarray(X, dtype=floatx)
        y = np.asarray(y, dtype=floatx)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=floatx)

        validation_data = None
        callbacks = list(self._fit_callbacks)
        if opts["early_stopping"]:
            X, y, sample_weight, validation_data = _split_validation(
                X, y, sample_weight, opts
            )
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss",
                    patience=opts["n_iter_no_change"],
                    restore_best_weights=True,
                )
            )

        tensors = (X, y) if sample_weight is None else (X, y, sample_weight)
        data = tf.data.Dataset.from_tensor_slices(tensors)
        if opts["shuffle"]:
            data = data.shuffle(
                len(X), seed=opts["shuffle_seed"], reshuffle_each_iteration=True
            )
        data = data.batch(min(self.batch_size, len(X)))

        spec = (y.shape[1:], sample_weight is None, validation_data is None)
        trainer = _trainers.checkout(self.model_, spec)
        with trainer_retracing_silenced():
            hist = trainer.fit(
                data,
                epochs=epochs,
                verbose=self.verbose,
                callbacks=callbacks,
                validation_data=validation_data,
                shuffle=False,
            )
        _trainers.checkin(trainer, self.model_, spec)
        self.history_ = {key: [float(v) for v in val] for key, val in hist.history.items()}


def _split_validation(X, y, sample_weight, opts):
    """Hold out ``validation_fraction`` of the rows, stratified if possible."""
    stratify = None
    if opts["stratify"]:
        labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.ravel()
        _, counts = np.unique(labels, return_counts=True)
        if counts.min() >= 2:
            stratify = labels
    arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
    parts = train_test_split(
        *arrays,
        test_size=opts["validation_fraction"],
        random_state=opts["split_seed"],
        stratify=stratify,
    )
    train, val = parts[0::2], parts[1::2]
    if sample_weight is None:
        return train[0], train[1], None, (val[0], val[1])
    return train[0], train[1], train[2], (val[0], val[1], val[2])


class ClassifierEngine(_EngineMixin, KerasClassifier):
    """scikeras' classifier with the overrides of :class:`_EngineMixin`."""


class RegressorEngine(_EngineMixin, KerasRegressor):
    """scikeras' regressor with the overrides of :class:`_EngineMixin`."""


def default_builder(meta, compile_kwargs, *, output, network, seed):
    """Build and compile :func:`skprecmed._network.build_network` for ``meta``.

    ``output`` maps scikeras' ``meta`` to ``(n_outputs, activation)``;
    ``network`` holds the architecture's hyperparameters. The signature is
    explicit (no ``**kwargs``) so scikeras passes exactly ``meta`` and
    ``compile_kwargs``.
    """
    from ._network import build_network

    n_outputs, output_activation = output(meta)
    input_shape = tuple(meta["X_shape_"][1:])
    model = build_network(input_shape, n_outputs, output_activation, seed=seed, **network)
    # several steps per TensorFlow call: a large speed-up for small networks,
    # the same arithmetic; no XLA (compiling costs more than it saves here)
    model.compile(**compile_kwargs, jit_compile=False, steps_per_execution=32)
    # architecture without the seed: networks that share it share a trainer
    setattr(
        model,
        _trainers.ARCHITECTURE,
        repr((input_shape, n_outputs, output_activation, sorted(network.items()))),
    )
    return model


def _optimizer(optimizer, learning_rate):
    """A fresh optimizer: never reuse (and mutate) the user's instance."""
    _, keras = import_keras()
    if isinstance(optimizer, keras.optimizers.Optimizer):
        config = optimizer.get_config()
        if learning_rate is not None:
            config["learning_rate"] = learning_rate
        return type(optimizer).from_config(config), {}
    routed = {} if learning_rate is None else {"optimizer__learning_rate": learning_rate}
    return optimizer, routed


def make_engine(engine_cls, estimator, *, loss, seed, builder_kwargs, **extra):
    """Build the scikeras engine for one ``fit`` of ``estimator``.

    Parameters
    ----------
    engine_cls : type
        :class:`ClassifierEngine` (or the regressor's engine).
    estimator : skprecmed estimator
        Its hyperparameters configure the engine.
    loss : str or keras loss
        The resolved loss.
    seed : int
        Root seed of this fit, drawn from the estimator's ``random_state``.
    builder_kwargs : dict
        Keyword arguments for :func:`default_builder` (network hyperparameters
        and ``output``); ignored when the user supplied ``model``.
    **extra
        Further scikeras parameters (``class_weight``).
    """
    rng = np.random.RandomState(seed)
    build_seed, split_seed, shuffle_seed = rng.randint(_INT32_MAX, size=3)
    optimizer, routed = _optimizer(estimator.optimizer, estimator.learning_rate_init)
    model = estimator.model
    if model is None:
        model = functools.partial(
            default_builder, seed=int(build_seed), **builder_kwargs
        )
    else:
        _, keras = import_keras()
        if isinstance(model, keras.Model):
            model = functools.partial(_fresh_copy, model)
        else:
            model = functools.partial(model, **(estimator.model_kwargs or {}))
    engine = engine_cls(
        model=model,
        optimizer=optimizer,
        loss=loss,
        metrics=estimator.metrics,
        batch_size=estimator.batch_size,
        epochs=estimator.epochs,
        verbose=estimator.verbose,
        callbacks=estimator.callbacks,
        random_state=None,
        warm_start=False,
        **routed,
        **extra,
    )
    engine._options = {
        "build_seed": int(build_seed),
        "split_seed": int(split_seed),
        "shuffle_seed": int(shuffle_seed),
        "shuffle": estimator.shuffle,
        "early_stopping": estimator.early_stopping,
        "validation_fraction": estimator.validation_fraction,
        "n_iter_no_change": estimator.n_iter_no_change,
        "stratify": engine_cls is ClassifierEngine,
    }
    return engine
