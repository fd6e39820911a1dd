"""A model file that loads without unpickling: skops + a JSON manifest.

Why this format: ``pickle``/``joblib`` files run arbitrary code when loaded,
so they must only come from people you trust. A ``.skprecmed`` file is a zip
archive of

* ``model.skops``: the fitted estimator or pipeline written with
  :mod:`skops.io`, which rebuilds objects from a description of their state
  and refuses any type it was not told to trust (no code runs on load);
* ``metadata.json``: versions, features, classes, training date and
  hyperparameters, and the SHA-256 of ``model.skops``.

:func:`load_model` refuses a file whose payload does not match its hash
(modified or corrupted), a file that is not a skprecmed model, and any
payload that contains a type outside scikit-learn/skops' defaults, skprecmed,
scikit-survival and NumPy dtypes (unless the caller trusts it explicitly).
The hash detects changes, not a forger who rewrites both parts: the
protection against malicious files is skops' type allowlist.
"""

import datetime
import hashlib
import json
import platform
import warnings
import zipfile
from importlib.metadata import PackageNotFoundError, version

import numpy as np

FORMAT = "skprecmed-model/1"
_PACKAGES = ("skprecmed", "scikit-learn", "keras", "tensorflow", "numpy", "skops", "scikit-survival")
#: modules whose types skops reports as untrusted but skprecmed trusts
_TRUSTED_PREFIXES = ("skprecmed.", "sksurv.")
_TRUSTED_TYPES = {"numpy.dtype"}


class ModelVersionWarning(UserWarning):
    """A model file written by other major versions of the software."""


def _versions():
    found = {}
    for name in _PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    found["python"] = platform.python_version()
    return found


def _json_safe(value):
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return repr(value)


def _describe(model, X):
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    metadata = {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "estimator": type(final).__name__,
        "steps": [
            [name, type(step).__name__] for name, step in getattr(model, "steps", [])
        ],
        "hyperparameters": _json_safe(final.get_params(deep=False)),
        "n_features_in": _json_safe(getattr(model, "n_features_in_", None)),
        "feature_names": _json_safe(list(getattr(model, "feature_names_in_", [])) or None),
        "classes": _json_safe(list(getattr(model, "classes_", [])) or None),
    }
    if X is not None and hasattr(X, "dtypes"):
        metadata["feature_dtypes"] = {str(k): str(v) for k, v in X.dtypes.items()}
    return metadata


def save_model(model, path, X=None):
    """Write a fitted model to a ``.skprecmed`` file, the safe format.

    Parameters
    ----------
    model : fitted estimator or pipeline
        Anything skprecmed and scikit-learn can fit.
    path : str or path-like
        Where to write.
    X : DataFrame, default=None
        Training data (or a sample of it): its column dtypes are recorded.

    Returns
    -------
    metadata : dict
        What was recorded in the file's ``metadata.json``.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from skprecmed import KerasNetClassifier, load_model, save_model
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = KerasNetClassifier(epochs=2, random_state=0).fit(X, y)
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skprecmed")
    >>> save_model(clf, path)["estimator"]
    'KerasNetClassifier'
    >>> bool((load_model(path).predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    import skops.io

    payload = skops.io.dumps(model)
    metadata = _describe(model, X)
    metadata["payload_sha256"] = hashlib.sha256(payload).hexdigest()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata, indent=2))
        archive.writestr("model.skops", payload)
    return metadata


def _read(path):
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {"metadata.json", "model.skops"} <= names:
                raise ValueError(
                    f"{path} is not a skprecmed model file (it lacks metadata.json "
                    "or model.skops)."
                )
            metadata = json.loads(archive.read("metadata.json"))
            payload = archive.read("model.skops")
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path} is not a skprecmed model file (not a zip archive).") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not a skprecmed model file (bad metadata).") from exc
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ValueError(f"{path} is not a skprecmed model file (format {FORMAT!r} expected).")
    return metadata, payload


def read_metadata(path):
    """The metadata of a ``.skprecmed`` file, without loading the model.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    metadata : dict
    """
    return _read(path)[0]


def _major(version_string):
    parts = version_string.split(".")
    # scikit-learn, Keras and skprecmed break compatibility in minor releases
    return ".".join(parts[:2])


def load_model(path, trusted=()):
    """Load a ``.skprecmed`` file written by :func:`save_model`, safely.

    Parameters
    ----------
    path : str or path-like
        The model file.
    trusted : sequence of str, default=()
        Further type names to trust, for a pipeline with steps of your own
        (``skops.io.get_untrusted_types`` lists them); never add a type from a
        file you did not write.

    Returns
    -------
    model : fitted estimator or pipeline

    Raises
    ------
    ValueError
        If the file is not a skprecmed model, was modified after it was
        written, or contains types that are not trusted.

    Warns
    -----
    ModelVersionWarning
        If the file was written with other major versions of skprecmed,
        scikit-learn, Keras or TensorFlow.
    """
    import skops.io

    metadata, payload = _read(path)
    if hashlib.sha256(payload).hexdigest() != metadata.get("payload_sha256"):
        raise ValueError(
            f"{path} was modified after it was written (its model does not match "
            "the recorded SHA-256); refusing to load it."
        )
    untrusted = skops.io.get_untrusted_types(data=payload)
    refused = [
        t
        for t in untrusted
        if not t.startswith(_TRUSTED_PREFIXES) and t not in _TRUSTED_TYPES and t not in trusted
    ]
    if refused:
        raise ValueError(
            f"{path} contains types that are not trusted: {refused}. Load it only "
            "if you wrote it, passing trusted=[...] with these names."
        )
    now = _versions()
    changed = {
        name: (was, now.get(name))
        for name, was in metadata.get("versions", {}).items()
        if name in ("skprecmed", "scikit-learn", "keras", "tensorflow")
        and now.get(name)
        and _major(was) != _major(now[name])
    }
    if changed:
        described = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in changed.items())
        warnings.warn(
            f"{path} was written with other versions ({described}); check its "
            "predictions before use.",
            ModelVersionWarning,
            stacklevel=2,
        )
    return skops.io.loads(payload, trusted=untrusted)

