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
    """Make an estimator's Keras model when it is first used; pickle it as bytes.

    ``model_`` is made on first use in two cases:

    * after ``fit`` trained skprecmed's own network in a cached trainer
      (:mod:`._trainers`), the estimator keeps the network's recipe and
      trained state; the Keras model is built from them when ``model_`` is
      first read, so a grid search that only predicts (through the NumPy
      inference plan) never builds one;
    * ``pickle``/``joblib`` (and skops) store ``model_`` as a
      :class:`_SavedModel`; after unpickling, the network is loaded back
      (importing TensorFlow) only when ``model_`` is first used, so that a
      reloaded dense network predicts through its NumPy inference plan
      without TensorFlow.

    The first use is guarded by a lock: threads that read ``model_`` at once
    make it once.
    """

    def __getstate__(self):
        if "_pending_model" in self.__dict__:
            self.model_  # noqa: B018 - build it, to save it
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
        # only called when normal lookup fails: make the network on first use
        made = self.__dict__
        if name == "model_" and ("_model_archive" in made or "_pending_model" in made):
            with _load_lock:
                if "model_" not in made:
                    if "_pending_model" in made:
                        from ._trainers import build_trained

                        made["model_"] = build_trained(*made["_pending_model"])
                        del made["_pending_model"]
                    else:
                        made["model_"] = model_from_bytes(made["_model_archive"].data)
                        del made["_model_archive"]
            return made["model_"]
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
