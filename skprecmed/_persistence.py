"""Persistence of the estimators' networks.

Keras model <-> bytes through the public ``keras.saving`` API, and
:class:`NetworkPicklingMixin`, which makes estimators pickle their fitted
network as the bytes of a ``.keras`` archive, so ``pickle``/``joblib`` (and
the safe format of :mod:`._model_file`) work without any patch of Keras
classes.
"""

import os
import tempfile
import threading

from ._keras import import_keras


def model_to_bytes(model):
    """Serialise a Keras model to the bytes of a ``.keras`` archive.

    Parameters
    ----------
    model : keras.Model
        The model, with its weights and optimizer state.

    Returns
    -------
    data : bytes
        The archive.

    Examples
    --------
    >>> from skprecmed._network import build_network
    >>> from skprecmed._persistence import model_from_bytes, model_to_bytes
    >>> model = build_network((3,), 1, "sigmoid", seed=0)
    >>> model_from_bytes(model_to_bytes(model)).count_params() == model.count_params()
    True
    """
    _, keras = import_keras()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as f:
            return f.read()


def model_from_bytes(data):
    """Load a Keras model from the bytes written by :func:`model_to_bytes`.

    Parameters
    ----------
    data : bytes
        A ``.keras`` archive.

    Returns
    -------
    model : keras.Model
    """
    _, keras = import_keras()
    from . import _layers, _losses  # noqa: F401 - registers skprecmed's objects

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        # never run a Lambda layer's bytecode, whatever Keras' default
        return keras.saving.load_model(path, safe_mode=True)


_load_lock = threading.Lock()


class NetworkPicklingMixin:
    """Pickle an estimator's fitted network as ``.keras`` bytes, load it lazily.

    ``pickle``/``joblib`` (and skops) store ``model_`` as a
    :class:`_SavedModel`; after unpickling, the network is loaded back
    (importing TensorFlow) only when ``model_`` is first used, so that a
    reloaded dense network predicts through its NumPy inference plan without
    TensorFlow. The first use is guarded by a lock: threads that predict at
    once on a freshly loaded estimator load the network once.
    """

    def __getstate__(self):
        state = dict(super().__getstate__())
        if "model_" in state:
            state["model_"] = _SavedModel(model_to_bytes(state["model_"]))
        elif "_model_archive" in state:
            state["model_"] = state.pop("_model_archive")
        return state

    def __setstate__(self, state):
        state = dict(state)
        if isinstance(state.get("model_"), _SavedModel):
            state["_model_archive"] = state.pop("model_")
        super().__setstate__(state)

    def __getattr__(self, name):
        # only called when normal lookup fails: load a pickled network lazily
        if name == "model_" and "_model_archive" in self.__dict__:
            with _load_lock:
                if "model_" not in self.__dict__:
                    archive = self.__dict__["_model_archive"]
                    self.__dict__["model_"] = model_from_bytes(archive.data)
                    del self.__dict__["_model_archive"]
            return self.__dict__["model_"]
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )


class _SavedModel:
    """A fitted Keras model inside a pickle: the bytes of its ``.keras`` file."""

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data

    def __getstate__(self):
        return self.data

    def __setstate__(self, data):
        self.data = data
