"""The training loop of one ``fit``: split, minibatches, training.

On TensorFlow the network trains one graph call per epoch (:mod:`._epochs`)
unless :func:`._epochs.supports` says Keras' ``fit`` is needed (a callback
with batch hooks, progress output...); then ``fit`` trains it on ``tf.data``
minibatches in the same order. On other
backends (JAX) Keras' ``fit`` trains it on a seeded NumPy
``keras.utils.PyDataset``.

Everything :func:`train` needs arrives as an explicit keyword argument; it
returns the history and leaves the trained weights in the model (or, for a
network still to be built, hands the trained trainer to a ``finish``
function).
"""

import json

import numpy as np
from sklearn.model_selection import train_test_split

from . import _epochs, _trainers
from ._keras import import_keras, trainer_retracing_silenced


class TrainingDivergedError(ValueError):
    """Training produced a non-finite loss or non-finite weights."""


def split_validation(X, y, sample_weight, *, fraction, stratify, seed):
    """Hold out ``fraction`` of the rows, stratified when every class can be.

    The classes are read from ``y``: its argmax for one-hot rows, its value
    otherwise.

    Parameters
    ----------
    X, y : ndarray
        Training rows and targets.
    sample_weight : ndarray or None
        Weights, split with the rows.
    fraction : float
        Share of the rows held out.
    stratify : bool
        Whether to stratify on the classes of ``y`` (not done when a class
        has fewer than 2 rows, or a side has fewer rows than classes).
    seed : int
        Seed of the split.

    Returns
    -------
    train : tuple
        ``(X, y, sample_weight)`` of the rows trained on.
    validation : tuple
        ``(X, y)`` or ``(X, y, sample_weight)`` of the held-out rows, as
        Keras' ``validation_data``.
    """
    labels = None
    if stratify:
        labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.ravel()
        counts = np.unique(labels, return_counts=True)[1]
        n_validation = int(np.ceil(fraction * len(labels)))
        if counts.min() < 2 or min(n_validation, len(labels) - n_validation) < len(
            counts
        ):
            labels = None  # too few rows to have every class on both sides
    arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
    parts = train_test_split(
        *arrays, test_size=fraction, random_state=seed, stratify=labels
    )
    train, validation = parts[0::2], parts[1::2]
    if sample_weight is None:
        return (train[0], train[1], None), tuple(validation)
    return tuple(train), tuple(validation)


def train(
    network,
    X,
    y,
    *,
    sample_weight,
    architecture,
    epochs,
    batch_size,
    shuffle,
    shuffle_seed,
    early_stopping,
    validation_fraction,
    n_iter_no_change,
    stratify,
    split_seed,
    callbacks,
    verbose,
    finish=None,
):
    """Train ``network`` and return its history.

    Parameters
    ----------
    network : keras.Model or ._build.Recipe
        A compiled network, trained in place, or the recipe of skprecmed's
        own network of a new fit, trained in a cached trainer (built only
        if there is none; see :mod:`skprecmed._trainers`).
    X, y : ndarray
        Training data and the target as the network's loss takes it.
    sample_weight : ndarray or None
        Per-row weights in the loss; rows of weight zero are left out, as
        scikit-learn's estimators never see them.
    architecture : tuple or None
        The network's architecture key (see :mod:`skprecmed._trainers`);
        None trains ``model`` itself rather than a cached traced copy.
    epochs, batch_size : int
        Passes over the data; rows per gradient step (capped at the rows).
    shuffle : bool
        Reshuffle the rows at each epoch, seeded by ``shuffle_seed``.
    shuffle_seed : int
    early_stopping : bool
        Hold out ``validation_fraction`` of the rows (stratified on
        ``stratify``, seeded by ``split_seed``), stop after
        ``n_iter_no_change`` epochs without a better validation loss and
        restore the best weights.
    validation_fraction : float
    n_iter_no_change : int
    stratify : bool
        Stratify the early-stopping split on the classes of ``y``.
    split_seed : int
    callbacks : list of keras callbacks or None
        The user's callbacks.
    verbose : int
        Keras' verbosity.
    finish : callable, default=None
        Called with the :class:`._trainers.Trainer` whose model is trained
        (the network itself, or the cached model holding its state) before
        it goes back to the cache.

    Returns
    -------
    history : dict of str to list of float
        Loss (and metrics) per epoch.
    finished : object
        What ``finish`` returned (None without it).

    Raises
    ------
    TrainingDivergedError
        If the loss or the weights stop being finite.
    """
    _, keras = import_keras()
    floatx = keras.backend.floatx()
    X = np.asarray(X, dtype=floatx)
    y = np.asarray(y, dtype=floatx)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=floatx)
        kept = sample_weight != 0
        X, y, sample_weight = X[kept], y[kept], sample_weight[kept]

    validation_data = None
    callbacks = list(callbacks or ())
    if early_stopping:
        (X, y, sample_weight), validation_data = split_validation(
            X,
            y,
            sample_weight,
            fraction=validation_fraction,
            stratify=stratify,
            seed=split_seed,
        )
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=n_iter_no_change, restore_best_weights=True
            )
        )

    tensors = (X, y) if sample_weight is None else (X, y, sample_weight)
    batch_size = min(batch_size, len(X))
    key = None
    if architecture is not None:
        architecture = _trainers.architecture_key(architecture, network)
        depends_on = (y.shape[1:], sample_weight is None, validation_data is None)
        key = json.dumps([architecture, depends_on], default=repr)
    trainer = _trainers.checkout(network, key)
    with trainer_retracing_silenced():
        if _epochs.supports(trainer.model, callbacks, verbose):
            history = _epochs.fit(
                trainer,
                tensors,
                epochs=epochs,
                batch_size=batch_size,
                shuffle=shuffle,
                seed=shuffle_seed,
                validation_data=validation_data,
                callbacks=callbacks,
            )
        else:  # batch hooks, progress output, JAX...: Keras' own loop
            history = _keras_fit(
                keras,
                trainer.model,
                tensors,
                epochs=epochs,
                batch_size=batch_size,
                shuffle=shuffle,
                shuffle_seed=shuffle_seed,
                validation_data=validation_data,
                callbacks=callbacks,
                verbose=verbose,
            )
    history = {k: [float(v) for v in values] for k, values in history.items()}
    _check_finite(history, trainer.model)
    finished = None if finish is None else finish(trainer)
    _trainers.checkin(trainer, network, key)
    return history, finished


def _keras_fit(
    keras,
    model,
    tensors,
    *,
    epochs,
    batch_size,
    shuffle,
    shuffle_seed,
    validation_data,
    callbacks,
    verbose,
):
    """Train with Keras' ``fit`` on seeded minibatches; the history."""
    if keras.backend.backend() == "tensorflow":
        data, follow = _tf_batches(tensors, batch_size, shuffle, shuffle_seed)
        callbacks = [follow, *callbacks]
    else:  # tf.data costs JAX more per batch than the step itself
        data = _batches(keras, tensors, batch_size, shuffle, shuffle_seed)
    return model.fit(
        data,
        epochs=epochs,
        verbose=verbose,
        callbacks=callbacks,
        validation_data=validation_data,
        validation_batch_size=batch_size,
        shuffle=False,
    ).history


def _tf_batches(tensors, batch_size, shuffle, seed):
    """Each epoch's minibatches in :func:`._epochs.epoch_order`, as tf.data.

    Keras makes a new iterator at each epoch (and may draw batches before
    training, to build the model): each iterator takes the order of the
    epoch that the returned callback last saw begin.

    Returns
    -------
    data : tf.data.Dataset
    follow : keras callback
        Pass it to ``fit`` with ``data``.
    """
    tf, keras = import_keras()
    n_rows = len(tensors[0])
    current = {"epoch": 0}

    class FollowEpochs(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            current["epoch"] = epoch

    def minibatches():
        order = _epochs.epoch_order(seed, current["epoch"], n_rows, shuffle)
        for start in range(0, n_rows, batch_size):
            rows = order[start : start + batch_size]
            yield tuple(t[rows] for t in tensors)

    signature = tuple(
        tf.TensorSpec((None, *t.shape[1:]), tf.as_dtype(t.dtype)) for t in tensors
    )
    data = tf.data.Dataset.from_generator(minibatches, output_signature=signature)
    steps = -(-n_rows // batch_size)  # known, so Keras never runs out of data
    return data.apply(tf.data.experimental.assert_cardinality(steps)), FollowEpochs()


def _batches(keras, tensors, batch_size, shuffle, seed):
    """Minibatches of NumPy ``tensors`` as a ``keras.utils.PyDataset``.

    Rows are put in a new order at each epoch by a generator seeded with
    ``seed`` (no global random state), for backends other than TensorFlow.
    """

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self._rng = np.random.default_rng(seed)
            self._order = None
            self.on_epoch_end()

        def __len__(self):
            return -(-len(tensors[0]) // batch_size)

        def __getitem__(self, index):
            rows = slice(index * batch_size, (index + 1) * batch_size)
            if self._order is None:
                return tuple(t[rows] for t in tensors)
            return tuple(t[self._order[rows]] for t in tensors)

        def on_epoch_end(self):
            if shuffle:
                self._order = self._rng.permutation(len(tensors[0]))

    return Batches()


def _check_finite(history, model):
    losses = np.asarray(history.get("loss", ()), dtype=float)
    bad_epochs = np.flatnonzero(~np.isfinite(losses))
    weights_finite = all(
        np.isfinite(w).all() for w in _trainers.variable_values(model.weights)
    )
    if bad_epochs.size or not weights_finite:
        where = (
            f"the loss became {losses[bad_epochs[0]]} at epoch {bad_epochs[0] + 1}"
            if bad_epochs.size
            else "the weights became non-finite"
        )
        raise TrainingDivergedError(
            f"Training diverged: {where}. The usual cause is features on very "
            "different scales: put a StandardScaler (or another scaler) before "
            "the estimator; a lower learning_rate_init also helps."
        )
