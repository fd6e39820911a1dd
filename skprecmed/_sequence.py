"""One-hot encoding of biological sequences, as a scikit-learn transformer."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

ALPHABETS = {
    "dna": "ACGT",
    "rna": "ACGU",
    "protein": "ACDEFGHIKLMNPQRSTVWY",
}
#: the "any residue" letter of each alphabet, encoded as all zeros
_WILDCARDS = {"dna": "N", "rna": "N", "protein": "X"}


class SequenceEncoder(TransformerMixin, BaseEstimator):
    """One-hot encode DNA, RNA or protein sequences to a fixed length.

    Turns strings into an array of shape ``(n_sequences, length,
    len(alphabet))`` for the ``cnn1d`` and ``rnn`` architectures (or
    ``(n_sequences, length * len(alphabet))`` with ``flatten=True`` for a
    dense network). Lower case is read as upper case; the wildcard ``N``
    (``X`` for proteins), and padding, are rows of zeros.

    Parameters
    ----------
    alphabet : {"dna", "rna", "protein"} or str, default="dna"
        The letters, in the order of the output channels; a string of
        letters defines a custom alphabet.
    length : int or None, default=None
        Output length; None uses the longest sequence seen in ``fit``.
    padding : {"right", "left"}, default="right"
        Where shorter sequences get zero rows.
    truncating : {"right", "left"}, default="right"
        Which end of a longer sequence is cut off.
    flatten : bool, default=False
        Whether to return 2-D output ``(n_sequences, length * channels)``.

    Attributes
    ----------
    alphabet_ : str
        The letters, one output channel each.
    length_ : int
        The output length.

    Examples
    --------
    >>> from skprecmed import SequenceEncoder
    >>> enc = SequenceEncoder().fit(["ACGT", "acg"])
    >>> enc.transform(["ACGN"]).astype(int)[0]
    array([[1, 0, 0, 0],
           [0, 1, 0, 0],
           [0, 0, 1, 0],
           [0, 0, 0, 0]])
    >>> enc.get_feature_names_out()[:5].tolist()
    ['pos0_A', 'pos0_C', 'pos0_G', 'pos0_T', 'pos1_A']
    """

    _parameter_constraints = {
        "alphabet": [str],
        "length": [Interval(Integral, 1, None, closed="left"), None],
        "padding": [StrOptions({"right", "left"})],
        "truncating": [StrOptions({"right", "left"})],
        "flatten": ["boolean"],
    }

    def __init__(
        self,
        alphabet="dna",
        length=None,
        padding="right",
        truncating="right",
        flatten=False,
    ):
        self.alphabet = alphabet
        self.length = length
        self.padding = padding
        self.truncating = truncating
        self.flatten = flatten

    def _sequences(self, X):
        if hasattr(X, "toarray") or hasattr(X, "tocsr"):
            raise TypeError(
                "SequenceEncoder takes sequences as strings, not a sparse matrix."
            )
        values = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X, dtype=object)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            raise ValueError(
                "SequenceEncoder takes a 1-D list of sequences (or one column); got "
                f"an array of shape {values.shape}."
            )
        if len(values) == 0:
            raise ValueError(
                "Found array with 0 sample(s): SequenceEncoder needs sequences."
            )
        bad = [v for v in values if not isinstance(v, str)]
        if bad:
            raise TypeError(
                "SequenceEncoder takes strings; got "
                f"{type(bad[0]).__name__} {bad[0]!r}."
            )
        return [v.upper() for v in values]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the output length.

        Parameters
        ----------
        X : array-like of str of shape (n_sequences,)
            Sequences.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceEncoder
            The fitted encoder.
        """
        sequences = self._sequences(X)
        letters = ALPHABETS.get(self.alphabet.lower(), self.alphabet).upper()
        if len(set(letters)) != len(letters):
            raise ValueError(f"alphabet {self.alphabet!r} repeats a letter.")
        self.alphabet_ = letters
        self._wildcard = _WILDCARDS.get(self.alphabet.lower(), "")
        self.length_ = self.length or max(len(s) for s in sequences)
        self.n_features_in_ = 1
        return self

    def transform(self, X):
        """One-hot encode sequences.

        Parameters
        ----------
        X : array-like of str of shape (n_sequences,)
            Sequences.

        Returns
        -------
        encoded : ndarray of float32
            Shape ``(n_sequences, length_, len(alphabet_))``, or flattened.
        """
        check_is_fitted(self)
        sequences = self._sequences(X)
        known = set(self.alphabet_) | set(self._wildcard)
        unknown = sorted(set("".join(sequences)) - known)
        if unknown:
            raise ValueError(
                f"Sequences contain characters outside the alphabet {self.alphabet_!r}"
                f"{' (plus ' + repr(self._wildcard) + ')' if self._wildcard else ''}: "
                f"{unknown}."
            )
        lookup = np.zeros((256, len(self.alphabet_)), dtype=np.float32)
        for i, letter in enumerate(self.alphabet_):
            lookup[ord(letter), i] = 1.0
        out = np.zeros(
            (len(sequences), self.length_, len(self.alphabet_)), dtype=np.float32
        )
        for row, sequence in enumerate(sequences):
            if len(sequence) > self.length_:
                sequence = (
                    sequence[: self.length_]
                    if self.truncating == "right"
                    else sequence[-self.length_ :]
                )
            codes = np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)
            start = 0 if self.padding == "right" else self.length_ - len(codes)
            out[row, start : start + len(codes)] = lookup[codes]
        if not self.flatten:
            return out
        out = out.reshape(len(sequences), -1)
        if _pandas_output(self) and hasattr(X, "index"):
            # scikit-learn < 1.7 gives a Series' output a fresh 0..n-1 index,
            # which a ColumnTransformer then cannot align with its other
            # columns: keep the rows' own index
            import pandas as pd

            return pd.DataFrame(
                out, index=X.index, columns=self.get_feature_names_out()
            )
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the flattened output: ``pos{i}_{letter}``.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str of shape (n_positions * n_letters,)
            ``pos{i}_{letter}`` for each position and letter.
        """
        check_is_fitted(self)
        return np.asarray(
            [
                f"pos{i}_{letter}"
                for i in range(self.length_)
                for letter in self.alphabet_
            ],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags


def _pandas_output(transformer):
    """Whether ``set_output`` asked ``transformer`` for pandas output."""
    from sklearn.utils._set_output import _get_output_config

    return _get_output_config("transform", transformer)["dense"] == "pandas"
