"""A model file that cannot run code: skops + a JSON manifest, checked on load.

Why this format: ``pickle``/``joblib`` files run arbitrary code when loaded,
so they must only come from people you trust. A ``.skprecmed`` file is a zip
archive of

* ``model.skops``: the fitted estimator or pipeline written with
  :mod:`skops.io`, which rebuilds objects from a description of their state;
* ``metadata.json``: versions, features, classes, training date and
  hyperparameters, and the SHA-256 of ``model.skops``;
* ``signature.hmac`` (only when saved with a ``key``): an HMAC-SHA256 of the
  two members above.

The SHA-256 detects accidents (a truncated copy, a flipped bit), not a forger,
who can recompute it. What keeps a hostile file from running code is checked
by :func:`load_model` before anything is built:

* size and shape limits on every zip archive (the file, the skops payload and
  the Keras archives inside it) before any member is read: member count,
  declared sizes, compression ratio, member names;
* an allowlist of *exact* type names: the classes skprecmed writes, skops'
  defaults (scikit-learn estimators, NumPy and SciPy types) and the
  scikit-survival classes a survival model holds -- never a module, a module
  global, a builtin or a prefix, since skops resolves a name by attribute
  lookup;
* every embedded Keras archive's ``config.json``: no ``Lambda`` layer and no
  object outside Keras and skprecmed's registered losses (and Keras itself
  loads it later with ``safe_mode=True``).

Every corrupt, foreign or hostile file raises :class:`ModelFileError`.
"""

import datetime
import functools
import hashlib
import hmac
import io
import json
import os
import platform
import re
import struct
import warnings
import zipfile
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from ._atomic import atomic_write
from ._utils import final_estimator

FORMAT = "skprecmed-model/1"
_PACKAGES = (
    "skprecmed",
    "scikit-learn",
    "keras",
    "tensorflow",
    "numpy",
    "skops",
    "scikit-survival",
)
_METADATA, _PAYLOAD, _SIGNATURE = "metadata.json", "model.skops", "signature.hmac"

# ----------------------------------------------------------------- limits
#: largest file, archive or total of declared member sizes (no ZIP64)
MAX_BYTES = 2**31 - 1
#: most members in one zip archive (one per NumPy array in a skops payload)
MAX_MEMBERS = 10_000
#: largest central directory (bounds the memory zipfile spends parsing it)
MAX_DIRECTORY_BYTES = 4 * 2**20
#: largest declared/compressed size ratio of a member over 1 MiB
MAX_RATIO = 100
#: largest JSON member (metadata.json, schema.json, Keras' config.json)
MAX_JSON_BYTES = 64 * 2**20
#: deepest nesting of a JSON member
MAX_JSON_DEPTH = 200
_METADATA_DEPTH = 16
_RATIO_FLOOR = 2**20
_EOCD, _ZIP64_LOCATOR = b"PK\x05\x06", b"PK\x06\x07"

# ------------------------------------------------------------- Keras checks
#: members a ``.keras`` archive may hold
_KERAS_MEMBERS = {"config.json", "metadata.json", "model.weights.h5"}
#: ``registered_name`` of the Keras objects skprecmed registers
KERAS_REGISTERED = frozenset(
    {
        "skprecmed>cox_ph_loss",
        "skprecmed>discrete_time_survival_loss",
        "skprecmed>MemberMeanLoss",
        "skprecmed>SelectColumns",
        "skprecmed>CategoryIds",
        "skprecmed>TimeVaryingDense",
        "skprecmed>MembersDense",
    }
)
#: the modules of the Keras objects skprecmed registers
_KERAS_MODULES = frozenset({"skprecmed._losses", "skprecmed._layers"})
#: class names that carry code (marshalled Python bytecode)
_KERAS_CODE = re.compile(r"lambda", re.IGNORECASE)


class ModelFileError(ValueError):
    """A model file that is corrupt, foreign, modified or hostile.

    Raised by :func:`load_model` and :func:`read_metadata` for every problem
    with the file's content (never a raw ``zipfile``, ``zlib`` or JSON error);
    its message says what is wrong. A subclass of :class:`ValueError`.

    Examples
    --------
    >>> import os, tempfile
    >>> from skprecmed import ModelFileError, load_model
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.skprecmed")
    >>> _ = open(path, "w").write("not a model")
    >>> try:
    ...     load_model(path)
    ... except ModelFileError as exc:
    ...     print("refused:", "not a zip archive" in str(exc))
    refused: True
    """


class ModelVersionWarning(UserWarning):
    """A model file written by other major versions of the software."""


# ------------------------------------------------------------------ types
def _qualified(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


@functools.cache
def trusted_type_names():
    """Exact names of the types a ``.skprecmed`` file may hold beyond skops'.

    The classes skprecmed writes into a file (its estimators, their saved
    network and inference plan), the scikit-survival classes of a fitted
    survival model, and the scikit-learn/NumPy classes a pipeline needs that
    skops does not trust by default. Built from the imported classes, so a
    rename cannot silently break it. No module, function or builtin: skops
    resolves a name by attribute lookup, so a prefix would trust everything
    reachable from a package (its imports, ``os``, ``__builtins__``).

    Returns
    -------
    names : frozenset of str

    Examples
    --------
    >>> from skprecmed._model_file import trusted_type_names
    >>> "skprecmed._classifier.KerasNetClassifier" in trusted_type_names()
    True
    """
    from sklearn.compose import make_column_selector

    from ._branches import DenseBranch, EmbeddingBranch, ImageBranch, SequenceBranch
    from ._classifier import KerasNetClassifier
    from ._discrete_survival import (
        KerasNetCompetingRisks,
        KerasNetDiscreteTimeSurvivalAnalysis,
    )
    from ._inference import InferencePlan
    from ._persistence import _SavedModel
    from ._regressor import KerasNetRegressor
    from ._sequence import SequenceEncoder
    from ._survival import KerasNetSurvivalAnalysis

    classes = [
        KerasNetClassifier,
        KerasNetRegressor,
        KerasNetSurvivalAnalysis,
        KerasNetDiscreteTimeSurvivalAnalysis,
        KerasNetCompetingRisks,
        SequenceEncoder,
        DenseBranch,
        EmbeddingBranch,
        SequenceBranch,
        ImageBranch,
        InferencePlan,
        _SavedModel,
        make_column_selector,
        np.dtype,
    ]
    try:  # scikit-learn 1.6's ColumnTransformer keeps its remainder columns in it
        from sklearn.compose._column_transformer import _RemainderColsList
    except ImportError:  # pragma: no cover - gone in later scikit-learn
        pass
    else:
        classes.append(_RemainderColsList)
    try:
        from sksurv.functions import StepFunction
        from sksurv.linear_model.coxph import BreslowEstimator
    except ImportError:  # pragma: no cover - scikit-survival is optional
        pass
    else:
        classes += [BreslowEstimator, StepFunction]
    return frozenset(_qualified(cls) for cls in classes)


def _user_types(trusted):
    if isinstance(trusted, str | type):
        trusted = [trusted]
    return {t if isinstance(t, str) else _qualified(t) for t in trusted}


# ------------------------------------------------------------ zip archives
def _check_directory(f, where):
    """Refuse an archive whose central directory is too large to parse."""
    size = f.seek(0, os.SEEK_END)
    if size > MAX_BYTES:
        raise ModelFileError(f"{where} is larger than {MAX_BYTES} bytes.")
    f.seek(max(size - (22 + 65536 + 20), 0))
    tail = f.read()
    end = tail.rfind(_EOCD)
    if end < 0 or len(tail) - end < 22:
        raise ModelFileError(
            f"{where} is not a skprecmed model file (not a zip archive)."
        )
    if end >= 20 and tail[end - 20 : end - 16] == _ZIP64_LOCATOR:
        raise ModelFileError(
            f"{where} is a ZIP64 archive, which skprecmed never writes."
        )
    entries, directory = struct.unpack("<HI", tail[end + 10 : end + 16])
    if entries > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
        raise ModelFileError(
            f"{where} declares {entries} members in a {directory}-byte directory "
            f"(limits: {MAX_MEMBERS} members, {MAX_DIRECTORY_BYTES} bytes)."
        )
    f.seek(0)


class _Zip:
    """A checked, read-only zip archive over a path or bytes."""

    def __init__(self, source, where):
        self.where = where
        self._file = (
            io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
        )
        try:
            _check_directory(self._file, where)
            try:
                self.archive = zipfile.ZipFile(self._file)
            except Exception as exc:  # whatever zipfile finds wrong with it
                raise ModelFileError(
                    f"{where} is not a skprecmed model file (not a zip archive: {exc})."
                ) from exc
            self.members = _check_members(self.archive.infolist(), where)
        except BaseException:
            self._file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.archive.close()
        self._file.close()

    def read(self, name, limit=MAX_BYTES):
        """The bytes of member ``name``, at most ``limit`` of them."""
        info = self.members[name]
        if info.file_size > limit:
            raise ModelFileError(
                f"{self.where}: member {name!r} declares {info.file_size} bytes "
                f"(limit {limit})."
            )
        try:
            data = self.archive.read(info)
        except Exception as exc:  # bad deflate stream, CRC, local header...
            raise ModelFileError(
                f"{self.where}: member {name!r} is corrupt ({exc})."
            ) from exc
        if len(data) != info.file_size:
            raise ModelFileError(f"{self.where}: member {name!r} is truncated.")
        return data

    def head(self, name, n):
        """The first ``n`` bytes of member ``name`` (reads no more)."""
        try:
            with self.archive.open(self.members[name]) as f:
                return f.read(n)
        except Exception as exc:  # bad deflate stream, CRC, local header...
            raise ModelFileError(
                f"{self.where}: member {name!r} is corrupt ({exc})."
            ) from exc


def _unsafe_name(name):
    parts = name.split("/")
    return (
        not name
        or name.startswith("/")
        or "\\" in name
        or ":" in name
        or "\x00" in name
        or any(part in ("", ".", "..") for part in parts)
    )


def _check_members(infos, where):
    """Limits on the declared members, checked before any member is read."""
    if len(infos) > MAX_MEMBERS:
        raise ModelFileError(f"{where} has {len(infos)} members (limit {MAX_MEMBERS}).")
    members, total = {}, 0
    for info in infos:
        name = info.filename
        if _unsafe_name(name) or info.orig_filename != name:
            raise ModelFileError(
                f"{where}: member name {info.orig_filename!r} is an absolute path "
                "or leaves the archive."
            )
        if name in members:
            raise ModelFileError(f"{where}: member {name!r} appears twice.")
        if info.flag_bits & 0x1 or info.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            raise ModelFileError(
                f"{where}: member {name!r} is encrypted or uses an unknown compression."
            )
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > _RATIO_FLOOR and size > MAX_RATIO * packed:
            raise ModelFileError(
                f"{where}: member {name!r} would inflate {packed} bytes to {size} "
                f"(more than {MAX_RATIO} times: a zip bomb?)."
            )
        total += size
        if total > MAX_BYTES:
            raise ModelFileError(
                f"{where}: members declare more than {MAX_BYTES} bytes in all."
            )
        members[name] = info
    return members


# -------------------------------------------------------------------- JSON
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _json_depth(data):
    """Nesting depth of JSON ``data``, counted without parsing it."""
    bare = np.frombuffer(_JSON_STRING.sub(b"", data), dtype=np.uint8)
    steps = np.isin(bare, (91, 123)).astype(np.int64) - np.isin(bare, (93, 125))
    return int(steps.cumsum().max(initial=0))


def _check_depth(data, where, limit=MAX_JSON_DEPTH):
    depth = _json_depth(data)
    if depth > limit:
        raise ModelFileError(f"{where} nests JSON {depth} levels deep (limit {limit}).")


def _parse_json(data, where, limit=MAX_JSON_DEPTH):
    _check_depth(data, where, limit)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSON, UTF-8 and int errors
        raise ModelFileError(f"{where} is not valid JSON ({exc}).") from exc


# --------------------------------------------------------------- metadata
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


def _training_summary(X, y):
    """Rows, and class counts or events, of the training data (no values)."""
    summary = {"n_rows": int(len(X) if X is not None else len(y))}
    if y is None:
        return summary
    y = np.asarray(y)
    if y.dtype.names:  # scikit-survival's (event, time) records
        summary["n_events"] = int(np.asarray(y[y.dtype.names[0]], dtype=bool).sum())
    elif y.dtype.kind in "OUSbiu":
        labels, counts = np.unique(y.astype(str), return_counts=True)
        labels, counts = labels.tolist(), counts.tolist()
        summary["class_counts"] = dict(zip(labels, counts, strict=True))
    return summary


def _describe(model, X, y=None):
    final = final_estimator(model)
    metadata = {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "versions": _versions(),
        "estimator": type(final).__name__,
        "steps": [
            [name, type(step).__name__] for name, step in getattr(model, "steps", [])
        ],
        "hyperparameters": _json_safe(final.get_params(deep=False)),
        "n_features_in": _json_safe(getattr(model, "n_features_in_", None)),
        "feature_names": _json_safe(
            list(getattr(model, "feature_names_in_", [])) or None
        ),
        "classes": _json_safe(list(getattr(model, "classes_", [])) or None),
    }
    if X is not None and hasattr(X, "dtypes"):
        metadata["feature_dtypes"] = {str(k): str(v) for k, v in X.dtypes.items()}
    if X is not None or y is not None:
        metadata["training"] = _training_summary(X, y)
    return metadata


def _is_text_map(value):
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _is_steps(value):
    return isinstance(value, list) and all(
        isinstance(s, list) and len(s) == 2 and all(isinstance(p, str) for p in s)
        for s in value
    )


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_training(value):
    """``{"n_rows": 400, "n_events": 12}`` or ``{..., "class_counts": {...}}``."""
    return isinstance(value, dict) and all(
        _is_count(v) or (isinstance(v, dict) and all(_is_count(c) for c in v.values()))
        for v in value.values()
    )


def _optional(kind):
    return lambda value: value is None or isinstance(value, kind)


#: what each metadata entry must be (those in ``_MAY_LACK`` may be absent)
_METADATA_FIELDS = {
    "created": ("a string", lambda v: isinstance(v, str)),
    "versions": ("a mapping of names to strings", _is_text_map),
    "estimator": ("a string", lambda v: isinstance(v, str)),
    "steps": ("a list of [name, type] pairs", _is_steps),
    "hyperparameters": ("a mapping", lambda v: isinstance(v, dict)),
    "n_features_in": (
        "an integer or null",
        lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
    ),
    "feature_names": ("a list or null", _optional(list)),
    "classes": ("a list or null", _optional(list)),
    "feature_dtypes": ("a mapping of names to strings", _is_text_map),
    "training": ("a mapping of names to counts or to mappings of counts", _is_training),
    "payload_sha256": (
        "64 hexadecimal digits",
        lambda v: isinstance(v, str) and re.fullmatch("[0-9a-f]{64}", v) is not None,
    ),
}

#: entries older files, or files saved without ``X`` and ``y``, lack
_MAY_LACK = {"feature_dtypes", "training"}


def _check_metadata(metadata, path):
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} is not a skprecmed model file (format {FORMAT!r} expected)."
        )
    for field, (expected, valid) in _METADATA_FIELDS.items():
        if field not in metadata:
            if field in _MAY_LACK:
                continue
            raise ModelFileError(
                f"{path} has malformed metadata: {field!r} is missing."
            )
        if not valid(metadata[field]):
            raise ModelFileError(
                f"{path} has malformed metadata: {field!r} should be {expected}, "
                f"not {type(metadata[field]).__name__}."
            )
    return metadata


# -------------------------------------------------------------- signature
def _check_key(key):
    if key is not None and not (isinstance(key, bytes) and key):
        raise TypeError("key must be non-empty bytes (or None).")


def _signature(key, raw_metadata, payload):
    mac = hmac.new(key, digestmod=hashlib.sha256)
    mac.update(len(raw_metadata).to_bytes(8, "big"))
    mac.update(raw_metadata)
    mac.update(payload)
    return mac.hexdigest().encode("ascii")


def _read(path, key=None):
    """Metadata and payload of a model file, with its container checked."""
    _check_key(key)
    with _Zip(path, str(path)) as archive:
        names = set(archive.members)
        if not {_METADATA, _PAYLOAD} <= names:
            raise ModelFileError(
                f"{path} is not a skprecmed model file (it lacks {_METADATA} "
                f"or {_PAYLOAD})."
            )
        if names - {_METADATA, _PAYLOAD, _SIGNATURE}:
            raise ModelFileError(
                f"{path} is not a skprecmed model file (unexpected members "
                f"{sorted(names - {_METADATA, _PAYLOAD, _SIGNATURE})})."
            )
        raw_metadata = archive.read(_METADATA, MAX_JSON_BYTES)
        payload = archive.read(_PAYLOAD)
        signature = archive.read(_SIGNATURE, 64) if _SIGNATURE in names else None
    if key is not None:
        if signature is None:
            raise ModelFileError(
                f"{path} is not signed; refusing it (a key was given)."
            )
        if not hmac.compare_digest(signature, _signature(key, raw_metadata, payload)):
            raise ModelFileError(
                f"{path} has a wrong signature for this key: it was modified or "
                "signed with another key; refusing it."
            )
    where = f"{path}: {_METADATA}"
    metadata = _check_metadata(_parse_json(raw_metadata, where, _METADATA_DEPTH), path)
    if hashlib.sha256(payload).hexdigest() != metadata["payload_sha256"]:
        raise ModelFileError(
            f"{path} was modified after it was written (its model does not match "
            "the recorded SHA-256); refusing to load it."
        )
    return metadata, payload


# ---------------------------------------------------------------- payload
def _check_npy(archive, name):
    """A NumPy array member: no pickled objects, and the bytes its shape says."""
    where = f"{archive.where}: array {name!r}"
    try:
        with archive.archive.open(archive.members[name]) as f:
            major, minor = np.lib.format.read_magic(f)
            if (major, minor) == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif (major, minor) == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f".npy version {major}.{minor} is not supported")
            header = f.tell()
    except Exception as exc:  # malformed header, bad deflate stream...
        raise ModelFileError(f"{where} is corrupt ({exc}).") from exc
    if dtype.hasobject:
        raise ModelFileError(
            f"{where} holds pickled Python objects, which could run code; refusing it."
        )
    expected = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if archive.members[name].file_size - header != expected:
        raise ModelFileError(f"{where} does not hold the {shape} {dtype} it declares.")


def _check_payload_members(payload, path):
    where = f"{path}: {_PAYLOAD}"
    with _Zip(payload, where) as archive:
        if "schema.json" not in archive.members:
            raise ModelFileError(f"{where} is not a skops payload (no schema.json).")
        _check_depth(
            archive.read("schema.json", MAX_JSON_BYTES), f"{where}: schema.json"
        )
        for name in archive.members:
            head = archive.head(name, 6)
            if head == b"\x93NUMPY":
                _check_npy(archive, name)
            elif head.startswith(b"PK"):  # .npz, .keras: limits before any read
                with _Zip(archive.read(name), f"{where}: {name}"):
                    pass


def _audit(payload, path, trusted):
    """The payload's untrusted types, refused unless allowlisted or ``trusted``."""
    import skops.io

    _check_payload_members(payload, path)
    try:
        untrusted = skops.io.get_untrusted_types(data=payload)
    except Exception as exc:  # skops on a malformed schema: KeyError, TypeError...
        raise ModelFileError(
            f"{path}: malformed model payload ({type(exc).__name__}: {exc})."
        ) from exc
    allowed = trusted_type_names() | _user_types(trusted)
    refused = [name for name in untrusted if name not in allowed]
    if refused:
        raise ModelFileError(
            f"{path} contains types that are not trusted: {refused}. Load it only "
            "if you wrote it, passing trusted=[...] with these names."
        )
    return untrusted


# ------------------------------------------------------------------ Keras
def _keras_problem(node):
    """What makes a Keras ``config.json`` unsafe to load, or None."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        stack.extend(node.values())
        name, module = node.get("class_name"), node.get("module")
        registered = node.get("registered_name")
        if isinstance(name, str) and _KERAS_CODE.search(name):
            return f"has a {name!r} object, which runs Python code"
        if module is None:
            pass
        elif module == "builtins" and name == "function":
            config = node.get("config")
            if not isinstance(config, str) or not (
                config in KERAS_REGISTERED or config.isidentifier()
            ):
                return f"refers to function {config!r}"
        elif not isinstance(module, str) or not (
            module == "keras"
            or module.startswith("keras.")
            or (module in _KERAS_MODULES and registered in KERAS_REGISTERED)
        ):
            return f"refers to module {module!r}, outside Keras"
        if (
            registered is not None
            and registered != name
            and (registered not in KERAS_REGISTERED)
        ):
            return f"refers to custom object {registered!r}"
    return None


def _check_keras(data, path):
    """Refuse an embedded ``.keras`` archive that could run code when loaded."""
    where = f"{path}: embedded Keras archive"
    with _Zip(data, where) as archive:
        unexpected = set(archive.members) - _KERAS_MEMBERS
        if unexpected or "config.json" not in archive.members:
            raise ModelFileError(
                f"{where} is not a Keras model archive (members "
                f"{sorted(archive.members)})."
            )
        config = _parse_json(archive.read("config.json", MAX_JSON_BYTES), where)
    problem = _keras_problem(config)
    if problem:
        raise ModelFileError(f"{where} {problem}; refusing it.")


_ATOMS = (str, bytes, bytearray, int, float, complex, type, type(None), np.generic)


def _unsaved_network(estimator, saved_type):
    state = vars(estimator)
    archive = state.get("_model_archive")
    return "model_" in state or not (archive is None or isinstance(archive, saved_type))


def _check_networks(model, path):
    """Every network in ``model`` is a checked Keras archive, loaded lazily.

    Walks the loaded objects (only allowlisted types by now): a network that
    is not a ``_SavedModel`` of bytes, or whose archive could run code, is
    refused before anything hands it to Keras.
    """
    from ._base import _BaseKerasNet
    from ._persistence import _SavedModel

    seen, stack = set(), [model]
    while stack:
        obj = stack.pop()
        if isinstance(obj, _ATOMS) or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, _SavedModel):
            data = getattr(obj, "data", None)
            if type(data) is not bytes:
                raise ModelFileError(f"{path}: a network is not stored as bytes.")
            _check_keras(data, path)
        elif isinstance(obj, _BaseKerasNet) and _unsaved_network(obj, _SavedModel):
            raise ModelFileError(f"{path}: a network is not stored as a Keras archive.")
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                stack.extend(obj.ravel().tolist())
        elif isinstance(getattr(obj, "__dict__", None), dict):
            stack.append(vars(obj))


# -------------------------------------------------------------- public API
def save_model(model, path, X=None, key=None, y=None):
    """Write a fitted model to a ``.skprecmed`` file, the safe format.

    The file is written atomically: an error while writing leaves the
    previous file at ``path`` as it was.

    Parameters
    ----------
    model : fitted estimator or pipeline
        Anything skprecmed and scikit-learn can fit.
    path : str or path-like
        Where to write.
    X : DataFrame, default=None
        Training data (or a sample of it): its column dtypes and its number
        of rows are recorded (``metadata["training"]["n_rows"]``).
    key : bytes, default=None
        A secret: the file then holds an HMAC-SHA256 of its content, and
        ``load_model(path, key=key)`` refuses any file not signed with it.
    y : array-like, default=None
        The training outcome: for labels, the count of each class
        (``"class_counts"``), for scikit-survival's records the number of
        events (``"n_events"``) is recorded; never any value of ``X``.

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
    >>> save_model(clf, path, key=b"our team's secret")["estimator"]
    'KerasNetClassifier'
    >>> reloaded = load_model(path, key=b"our team's secret")
    >>> bool((reloaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    import skops.io

    _check_key(key)
    payload = skops.io.dumps(model)
    metadata = _describe(model, X, y)
    metadata["payload_sha256"] = hashlib.sha256(payload).hexdigest()
    raw_metadata = json.dumps(metadata, indent=2).encode("utf-8")
    with (
        atomic_write(path) as f,
        zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        archive.writestr(_METADATA, raw_metadata)
        archive.writestr(_PAYLOAD, payload)
        if key is not None:
            archive.writestr(_SIGNATURE, _signature(key, raw_metadata, payload))
    return metadata


def read_metadata(path, trusted=(), key=None):
    """The metadata of a ``.skprecmed`` file, without loading the model.

    The file is checked as :func:`load_model` checks it (limits, hash,
    signature, types), except for the Keras networks, which are not read.

    Parameters
    ----------
    path : str or path-like
        The model file.
    trusted : sequence of str, default=()
        As in :func:`load_model`.
    key : bytes, default=None
        As in :func:`load_model`.

    Returns
    -------
    metadata : dict
        The file's ``metadata.json``: versions, features, classes, training
        summary and hyperparameters.

    Raises
    ------
    ModelFileError
        If the file is not a sound skprecmed model file.
    """
    metadata, payload = _read(path, key)
    _audit(payload, path, trusted)
    return metadata


def _major(version_string):
    parts = version_string.split(".")
    # scikit-learn, Keras and skprecmed break compatibility in minor releases
    return ".".join(parts[:2])


def _warn_versions(metadata, path):
    now = _versions()
    changed = {
        name: (was, now.get(name))
        for name, was in metadata["versions"].items()
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
            stacklevel=3,
        )


def load_model(path, trusted=(), key=None):
    """Load a ``.skprecmed`` file written by :func:`save_model`, safely.

    No code from the file runs: see :doc:`/security` for what is checked.

    Parameters
    ----------
    path : str or path-like
        The model file.
    trusted : sequence of str, default=()
        Further exact type names to trust, for a pipeline with steps of your
        own (the error message lists them); never add a type from a file you
        did not write.
    key : bytes, default=None
        The secret the file was saved with: a file without a signature, or
        with a signature made with another key, is refused.

    Returns
    -------
    model : fitted estimator or pipeline
        The model as it was saved, ready to predict.

    Raises
    ------
    ModelFileError
        If the file is not a skprecmed model, is corrupt, was modified after
        it was written, is too large, or contains types or Keras objects that
        are not trusted.

    Warns
    -----
    ModelVersionWarning
        If the file was written with other major versions of skprecmed,
        scikit-learn, Keras or TensorFlow.

    Examples
    --------
    >>> from skprecmed import ModelFileError, load_model
    >>> try:
    ...     load_model(__file__)
    ... except ModelFileError as exc:
    ...     print("not a zip archive" in str(exc))
    True
    """
    import skops.io

    metadata, payload = _read(path, key)
    untrusted = _audit(payload, path, trusted)
    _warn_versions(metadata, path)
    try:
        model = skops.io.loads(payload, trusted=untrusted)
    except Exception as exc:  # a schema skops audits but cannot build
        raise ModelFileError(
            f"{path}: malformed model payload ({type(exc).__name__}: {exc})."
        ) from exc
    _check_networks(model, path)
    return model
