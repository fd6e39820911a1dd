"""The modalities of a multi-modal network: branch specifications.

An estimator's ``branches`` parameter is a list of ``(name, branch)`` pairs,
as a :class:`~sklearn.compose.ColumnTransformer`'s ``transformers``: each
branch says which columns of ``X`` it reads and how (dense layers, an
embedding of integer codes, a 1-D CNN or RNN over a sequence, a 2-D CNN over
an image). The branches are plain parameter holders: cloned, compared and
tuned (``net__dna__filters``) as scikit-learn estimators are; ``fit``
resolves them against the data (:func:`resolve_branches`) into the
:class:`~skprecmed._network.Branch` tuples the network builder takes.
"""

import fnmatch
import re
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)

from ._network import Branch

#: the name of the branch that takes the columns no branch claims
REMAINDER = "remainder"
#: largest code an embedding branch takes (its table has one row per code)
MAX_CODES = 1_000_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

_COLUMNS_DOC = """\
columns : str, int, slice, array-like of str, int or bool
        The columns of ``X`` the branch reads. Strings are names or
        shell-style patterns (``"dna__*"``, ``"age"``, ``"dx?"``) matched
        against the feature names seen in ``fit`` -- a
        :class:`~sklearn.compose.ColumnTransformer` with
        ``.set_output(transform="pandas")`` names its output
        ``<transformer>__<feature>``, so ``"dna__*"`` selects the output of
        its transformer ``"dna"``; matched columns are taken in ``X``'s
        order. Integers (negative from the end), a slice or a boolean mask
        select by position, in the order given."""


def _doc(cls):
    cls.__doc__ = cls.__doc__.replace("%(columns)s", _COLUMNS_DOC)
    return cls


class _BranchSpec(BaseEstimator):
    """Base class of the branch specifications."""

    _kind = None

    def _options(self, name, X_part):
        """The resolved hyperparameters of this branch for its columns."""
        raise NotImplementedError


@_doc
class DenseBranch(_BranchSpec):
    """Tabular columns, through dense layers, into the fusion.

    For clinical variables and other numeric features. With the default
    ``hidden_layer_sizes=()`` the columns go into the fusion as they are and
    the estimator's head learns from them together with the other branches.

    Parameters
    ----------
    %(columns)s
    hidden_layer_sizes : sequence of int, default=()
        Units of the branch's own ``Dense`` layers (with the estimator's
        ``activation`` and ``alpha``).

    See Also
    --------
    EmbeddingBranch : Integer codes.
    SequenceBranch : One-hot sequences.
    ImageBranch : Images.

    Examples
    --------
    >>> import numpy as np
    >>> from skprecmed import DenseBranch, EmbeddingBranch, KerasNetClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = np.column_stack([rng.normal(size=100), rng.randint(0, 5, size=100)])
    >>> y = ((X[:, 0] > 0) ^ (X[:, 1] == 3)).astype(int)
    >>> clf = KerasNetClassifier(
    ...     branches=[
    ...         ("clinical", DenseBranch([0])),
    ...         ("code", EmbeddingBranch([1], embedding_dim=2)),
    ...     ],
    ...     epochs=3, random_state=0,
    ... ).fit(X, y)
    >>> clf.branch_columns_
    {'clinical': array([0]), 'code': array([1])}
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _kind = "dense"
    _parameter_constraints = {
        "columns": "no_validation",
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
    }

    def __init__(self, columns, hidden_layer_sizes=()):
        self.columns = columns
        self.hidden_layer_sizes = hidden_layer_sizes

    def _options(self, name, X_part):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(
            not isinstance(s, Integral | np.integer) or isinstance(s, bool) or s < 1
            for s in sizes
        ):
            raise ValueError(
                f"branch {name!r}: hidden_layer_sizes must be a sequence of "
                f"positive integers; got {self.hidden_layer_sizes!r}."
            )
        return {"hidden_layer_sizes": tuple(int(s) for s in sizes)}


@_doc
class EmbeddingBranch(_BranchSpec):
    """Integer-coded categories (diagnosis codes, sites, genes), embedded.

    Each column is a categorical variable coded ``0, 1, 2, ...``; each of
    its codes gets a learnt vector of ``embedding_dim`` numbers, so a
    variable with thousands of levels costs thousands of small vectors
    instead of thousands of one-hot columns. The number of codes of each
    column is learnt in ``fit`` (its largest code + 1). Any other value at
    prediction -- ``-1``, a code above those seen in ``fit``, a fraction --
    is the column's *unknown* code, whose vector is the frequency-weighted
    mean of the known ones (unless training rows had unknown codes: then it
    is learnt). Codes in ``fit`` must be integers >= -1.

    Encode strings with scikit-learn's
    ``OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)``
    (add ``min_frequency=`` to pool rare codes), inside the same
    :class:`~sklearn.compose.ColumnTransformer` as the other modalities.

    Parameters
    ----------
    %(columns)s
    embedding_dim : int, default=8
        Length of each code's vector.

    See Also
    --------
    DenseBranch : Numeric columns.
    sklearn.preprocessing.OrdinalEncoder : Codes with an unknown value.

    Examples
    --------
    >>> import numpy as np
    >>> from skprecmed import EmbeddingBranch, KerasNetRegressor
    >>> rng = np.random.RandomState(0)
    >>> codes = rng.randint(0, 30, size=(300, 1)).astype(float)
    >>> effect = rng.normal(size=30)
    >>> reg = KerasNetRegressor(
    ...     branches=[("site", EmbeddingBranch(0, embedding_dim=2))],
    ...     epochs=3, random_state=0,
    ... ).fit(codes, effect[codes[:, 0].astype(int)])
    >>> reg.predict([[-1.0]]).shape  # an unknown site
    (1,)
    """

    _kind = "embedding"
    _parameter_constraints = {
        "columns": "no_validation",
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, columns, embedding_dim=8):
        self.columns = columns
        self.embedding_dim = embedding_dim

    def _options(self, name, X_part):
        integral = X_part == np.floor(X_part)
        if not np.all(integral & (X_part >= -1)):
            bad = np.argwhere(~(integral & (X_part >= -1)))[0]
            raise ValueError(
                f"branch {name!r} (EmbeddingBranch) takes integer codes >= -1 "
                f"(-1: unknown); its column {int(bad[1])} has "
                f"{X_part[bad[0], bad[1]]!r}. Encode categories with "
                "OrdinalEncoder(handle_unknown='use_encoded_value', "
                "unknown_value=-1)."
            )
        sizes = tuple(int(m) + 1 for m in X_part.max(axis=0))
        if max(sizes) > MAX_CODES:
            raise ValueError(
                f"branch {name!r} (EmbeddingBranch) has a code of {max(sizes) - 1}: "
                f"codes must be numbered from 0 (at most {MAX_CODES}); encode "
                "them with OrdinalEncoder."
            )
        return {"embedding_dim": int(self.embedding_dim), "sizes": sizes}


@_doc
class SequenceBranch(_BranchSpec):
    """One-hot sequences (DNA, RNA, protein) through a 1-D CNN or an RNN.

    The branch's columns, in order, are reshaped to ``(length, channels)``
    inside the network: position after position, each with its
    ``channels`` letters, as
    :class:`~skprecmed.SequenceEncoder` ``(flatten=True)`` writes them.

    Parameters
    ----------
    %(columns)s
    channels : int, default=4
        Letters per position (4 for DNA or RNA, 20 for proteins).
    length : int or None, default=None
        Positions per sequence; None: the number of columns divided by
        ``channels``. Given, it must match the columns (checked in ``fit``).
    architecture : {"cnn1d", "rnn"}, default="cnn1d"
        Convolutional motif detector (global max pooling) or recurrent net.
    filters : int, default=32
        Convolution filters (``cnn1d``).
    kernel_size : int, default=9
        Width of the convolution kernels (``cnn1d``).
    conv_layers : int, default=1
        Convolution blocks (``cnn1d``).
    recurrent : {"gru", "lstm"}, default="gru"
        Recurrent cell (``rnn``).
    recurrent_units : int, default=32
        Units of the recurrent cell (``rnn``).
    bidirectional : bool, default=False
        Whether the recurrent layer also reads backwards (``rnn``).

    See Also
    --------
    skprecmed.SequenceEncoder : One-hot encoding of sequences.
    ImageBranch : Images.

    Examples
    --------
    >>> from skprecmed import SequenceBranch
    >>> SequenceBranch("dna__*", filters=16)
    SequenceBranch(columns='dna__*', filters=16)
    """

    _kind = "sequence"
    _parameter_constraints = {
        "columns": "no_validation",
        "channels": [Interval(Integral, 1, None, closed="left")],
        "length": [Interval(Integral, 1, None, closed="left"), None],
        "architecture": [StrOptions({"cnn1d", "rnn"})],
        "filters": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "conv_layers": [Interval(Integral, 1, None, closed="left")],
        "recurrent": [StrOptions({"gru", "lstm"})],
        "recurrent_units": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
    }

    def __init__(
        self,
        columns,
        *,
        channels=4,
        length=None,
        architecture="cnn1d",
        filters=32,
        kernel_size=9,
        conv_layers=1,
        recurrent="gru",
        recurrent_units=32,
        bidirectional=False,
    ):
        self.columns = columns
        self.channels = channels
        self.length = length
        self.architecture = architecture
        self.filters = filters
        self.kernel_size = kernel_size
        self.conv_layers = conv_layers
        self.recurrent = recurrent
        self.recurrent_units = recurrent_units
        self.bidirectional = bidirectional

    def _options(self, name, X_part):
        n_columns, channels = X_part.shape[1], int(self.channels)
        length = n_columns // channels
        if n_columns % channels or (self.length is not None and self.length != length):
            wanted = (
                f"sequences of length {self.length} x {channels} channels = "
                f"{self.length * channels} columns"
                if self.length is not None
                else f"a multiple of {channels} columns ({channels} channels)"
            )
            raise ValueError(
                f"branch {name!r} (SequenceBranch) takes {wanted}; it has "
                f"{n_columns} columns."
            )
        return {
            "shape": (length, channels),
            "architecture": self.architecture,
            "filters": int(self.filters),
            "kernel_size": int(self.kernel_size),
            "conv_layers": int(self.conv_layers),
            "recurrent": self.recurrent,
            "recurrent_units": int(self.recurrent_units),
            "bidirectional": bool(self.bidirectional),
        }


@_doc
class ImageBranch(_BranchSpec):
    """Image pixels through a 2-D CNN.

    The branch's columns, in order, are reshaped to ``shape`` (row after
    row, as NumPy's ``image.reshape(-1)`` flattens an image) inside the
    network, then go through ``conv_layers`` blocks of ``Conv2D`` and global
    average pooling.

    Parameters
    ----------
    %(columns)s
    shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)``; None: a square
        one-channel image. Checked against the number of columns in ``fit``.
    filters : int, default=32
        Convolution filters.
    kernel_size : int, default=3
        Side of the square convolution kernels.
    conv_layers : int, default=1
        Convolution blocks (2x2 max pooling between them).

    See Also
    --------
    SequenceBranch : One-hot sequences.
    DenseBranch : Numeric columns.

    Examples
    --------
    >>> from skprecmed import ImageBranch
    >>> ImageBranch(slice(0, 64), shape=(8, 8))
    ImageBranch(columns=slice(0, 64, None), shape=(8, 8))
    """

    _kind = "image"
    _parameter_constraints = {
        "columns": "no_validation",
        "shape": ["array-like", None],
        "filters": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "conv_layers": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self, columns, *, shape=None, filters=32, kernel_size=3, conv_layers=1
    ):
        self.columns = columns
        self.shape = shape
        self.filters = filters
        self.kernel_size = kernel_size
        self.conv_layers = conv_layers

    def _options(self, name, X_part):
        n_columns = X_part.shape[1]
        if self.shape is None:
            side = int(round(np.sqrt(n_columns)))
            shape = (side, side, 1)
        else:
            shape = tuple(int(s) for s in self.shape)
            shape = shape + (1,) if len(shape) == 2 else shape
        if len(shape) != 3 or min(shape) < 1 or int(np.prod(shape)) != n_columns:
            wanted = (
                "a square image"
                if self.shape is None
                else f"images of shape {self.shape}"
            )
            raise ValueError(
                f"branch {name!r} (ImageBranch) takes {wanted}; its "
                f"{n_columns} columns do not make one."
            )
        return {
            "shape": shape,
            "filters": int(self.filters),
            "kernel_size": int(self.kernel_size),
            "conv_layers": int(self.conv_layers),
        }


_SPECS = (DenseBranch, EmbeddingBranch, SequenceBranch, ImageBranch)


# ------------------------------------------------------------ resolution
def check_branch_list(branches, reserved):
    """``branches`` as a list of ``(name, branch)``, or a clear error.

    Parameters
    ----------
    branches : list
        The estimator's ``branches``.
    reserved : iterable of str
        The estimator's parameter names, which no branch may take.

    Returns
    -------
    pairs : list of (str, branch)
    """
    if not branches:
        raise ValueError(
            "branches is empty; give a list of (name, branch) pairs, or None "
            "for a network without branches."
        )
    pairs, reserved = [], set(reserved)
    for item in branches:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise TypeError(
                f"branches must be a list of (name, branch) pairs; got {item!r}."
            )
        name, spec = item
        if not isinstance(spec, _SPECS):
            raise TypeError(
                f"branch {name!r} must be a DenseBranch, EmbeddingBranch, "
                f"SequenceBranch or ImageBranch; got {type(spec).__name__}."
            )
        if not isinstance(name, str) or not _NAME.match(name) or "__" in name:
            raise ValueError(
                f"branch name {name!r} must be a string of letters, digits, '_', "
                "'.' or '-' without '__'."
            )
        if name in reserved or name == REMAINDER:
            raise ValueError(
                f"branch name {name!r} is taken (an estimator parameter, or the "
                "branch of unclaimed columns); choose another."
            )
        pairs.append((name, spec))
    names = [name for name, _ in pairs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"branch names must be unique; {duplicates} repeat.")
    return pairs


def _select(name, columns, n_features, feature_names):
    """Column indices a branch's ``columns`` selects, in reading order."""
    if isinstance(columns, str) or (
        isinstance(columns, list | tuple | np.ndarray)
        and len(columns)
        and all(isinstance(c, str) for c in columns)
    ):
        patterns = [columns] if isinstance(columns, str) else list(columns)
        if feature_names is None:
            raise ValueError(
                f"branch {name!r} selects columns by name ({patterns[0]!r}) but X "
                "has no column names: fit on a DataFrame (a ColumnTransformer "
                "with .set_output(transform='pandas') names its columns "
                "'<transformer>__<feature>'), or select columns by position."
            )
        names = [str(f) for f in feature_names]
        chosen = np.zeros(n_features, dtype=bool)
        for pattern in patterns:
            matches = np.array([fnmatch.fnmatchcase(f, pattern) for f in names])
            if not matches.any():
                raise ValueError(
                    f"branch {name!r}: no column of X matches {pattern!r} "
                    f"(columns: {names[:5]}{' ...' if len(names) > 5 else ''})."
                )
            chosen |= matches
        return np.flatnonzero(chosen)
    if isinstance(columns, slice):
        return np.arange(n_features)[columns]
    values = np.atleast_1d(np.asarray(columns))
    if values.dtype == bool:
        if values.shape != (n_features,):
            raise ValueError(
                f"branch {name!r}: a boolean mask of columns must have one value "
                f"per column of X ({n_features}); got shape {values.shape}."
            )
        return np.flatnonzero(values)
    if values.ndim != 1 or values.dtype.kind not in "iu":
        raise TypeError(
            f"branch {name!r}: columns must be names, patterns, integers, a slice "
            f"or a boolean mask; got {columns!r}."
        )
    if values.size and (values.min() < -n_features or values.max() >= n_features):
        raise ValueError(
            f"branch {name!r}: column index out of range for X with {n_features} "
            f"columns: {columns!r}."
        )
    indices = values % n_features
    if len(set(indices.tolist())) != len(indices):
        raise ValueError(f"branch {name!r}: columns {columns!r} repeat a column.")
    return indices


def resolve_branches(pairs, X, feature_names):
    """The network's branches for ``X``: columns selected, shapes checked.

    Columns no branch claims feed a pass-through dense branch named
    ``"remainder"`` (as a ColumnTransformer's ``remainder="passthrough"``).

    Parameters
    ----------
    pairs : list of (str, branch)
        From :func:`check_branch_list`.
    X : ndarray of shape (n_samples, n_features)
        The training data.
    feature_names : ndarray of str or None
        The names of X's columns, if it had some.

    Returns
    -------
    branches : tuple of skprecmed._network.Branch
    """
    n_features = X.shape[1]
    owner = np.full(n_features, -1)
    resolved = []
    for i, (name, spec) in enumerate(pairs):
        try:
            spec._validate_params()
        except InvalidParameterError as exc:
            raise type(exc)(f"branch {name!r}: {exc}") from None
        columns = _select(name, spec.columns, n_features, feature_names)
        if columns.size == 0:
            raise ValueError(f"branch {name!r} selects no column of X.")
        taken = owner[columns] >= 0
        if taken.any():
            column = columns[np.flatnonzero(taken)[0]]
            label = (
                repr(str(feature_names[column]))
                if feature_names is not None
                else str(column)
            )
            raise ValueError(
                f"column {label} is claimed by branches {pairs[owner[column]][0]!r} "
                f"and {name!r}; each column feeds one branch."
            )
        owner[columns] = i
        options = spec._options(name, X[:, columns])
        resolved.append(
            Branch(
                name,
                spec._kind,
                tuple(int(c) for c in columns),
                tuple(sorted(options.items())),
            )
        )
    rest = np.flatnonzero(owner < 0)
    if rest.size:
        resolved.append(
            Branch(
                REMAINDER,
                "dense",
                tuple(int(c) for c in rest),
                (("hidden_layer_sizes", ()),),
            )
        )
    return tuple(resolved)
