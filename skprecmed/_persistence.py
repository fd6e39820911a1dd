"""Keras model <-> bytes through the public ``keras.saving`` API.

Estimators pickle their fitted network as the bytes of a ``.keras`` archive
(see ``_BaseKerasNet.__getstate__``), so ``pickle``/``joblib`` work without
any patch of Keras classes.
"""

import os
import tempfile

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
    from . import _losses  # noqa: F401 - registers skprecmed's losses

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        return keras.saving.load_model(path, safe_mode=True)
