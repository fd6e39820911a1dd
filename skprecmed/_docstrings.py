"""Docstring fragments shared by the estimators.

Use :func:`fill` as a class decorator: ``%(name)s`` markers in the class
docstring are replaced by the fragments below, indented to match.
"""

import textwrap

_NETWORK_PARAMETERS = """\
hidden_layer_sizes : int or sequence of int, default=(32,)
    Units of each hidden ``Dense`` layer; ``()`` gives a network without
    hidden layers (a generalised linear model).
activation : str or callable, default="relu"
    Activation of the hidden layers, any Keras activation.
dropout : float in [0, 1), default=0.0
    Dropout rate after each hidden layer.
%(alpha)s
batch_normalization : bool, default=False
    Whether to put a ``BatchNormalization`` layer after each hidden layer.
skip_connection : bool, default=True
    For ``architecture="dense"`` with hidden layers: the output layer also
    sees the inputs, so the network contains the generalised linear model
    (logistic, linear or Cox regression) and the hidden layers learn what it
    misses. Other architectures have no such path.
architecture : {"dense", "cnn1d", "rnn", "cnn2d"}, default="dense"
    The network before the dense layers: none for a table; a 1-D
    convolutional net (motif detector) or a recurrent net for sequences of
    shape ``(n_samples, length, channels)``, e.g. one-hot DNA from
    :class:`SequenceEncoder`; a 2-D convolutional net for images of shape
    ``(n_samples, height, width[, channels])``. Other input shapes are
    refused with a clear error.
filters : int, default=32
    Convolution filters (``cnn1d``, ``cnn2d``).
kernel_size : int, default=9
    Width of the convolution kernels (square ones for images).
conv_layers : int, default=1
    Number of convolution blocks (each followed by max pooling, except the
    last, which feeds global pooling).
recurrent : {"gru", "lstm"}, default="gru"
    The recurrent cell of ``architecture="rnn"``.
recurrent_units : int, default=32
    Units of the recurrent cell (``rnn``).
bidirectional : bool, default=False
    Whether the recurrent layer also reads the sequence backwards.
branches : list of (str, branch) tuples or None, default=None
    A multi-modal network: one branch per modality, fused by concatenation
    before the dense head. Each pair names a branch and gives a
    :class:`DenseBranch` (table), :class:`EmbeddingBranch` (integer codes),
    :class:`SequenceBranch` (one-hot sequences, 1-D CNN or RNN) or
    :class:`ImageBranch` (images, 2-D CNN) with the columns of ``X`` it
    reads (names, ``"dna__*"`` patterns, positions, a slice or a mask).
    Sequences and images are reshaped from their columns inside the
    network, so ``X`` stays a 2-D table (e.g. a ``ColumnTransformer``'s
    output). Columns no branch claims feed a pass-through dense branch
    named ``"remainder"``; a column claimed twice is an error. Branch
    parameters are tuned as ``<name>__<parameter>``. Requires
    ``architecture="dense"`` and ``model=None``; the head's parameters
    (``hidden_layer_sizes``, ``skip_connection``, ...) apply after the
    fusion.
ensemble_size : int, default=1
    Number of networks (a deep ensemble) trained side by side in one Keras
    model, each with its own seeds; predictions are their mean
    (probabilities, values or log-risks), and their spread measures the
    model's uncertainty. Training five costs well under five times one.
optimizer : str, keras optimizer class or instance, default="adam"
    Any Keras optimizer. An instance is copied at each ``fit`` (it is never
    trained in place).
learning_rate_init : float or None, default=0.001
    Learning rate given to the optimizer; ``None`` keeps the optimizer's own.
loss : "auto", str or callable, default="auto"
    Keras loss. %(auto_loss)s
metrics : list or None, default=None
    Keras metrics computed during training and recorded in ``history_``.
epochs : int, default=200
    Number of passes over the training data (the maximum number with
    ``early_stopping``).
batch_size : int or "auto", default="auto"
    Samples per gradient step (capped at the number of samples). ``"auto"``
    is 32, or 256 for the Cox loss, whose risk sets are formed within a
    batch.
shuffle : bool, default=True
    Whether to reshuffle the training data at each epoch, with a seed drawn
    from ``random_state``.
early_stopping : bool, default=True
    Whether to hold out ``validation_fraction`` of the training data%(stratified)s,
    stop when the validation loss has not improved for ``n_iter_no_change``
    epochs, and restore the weights of the best epoch.
validation_fraction : float in (0, 1), default=0.1
    Share of the training data held out for early stopping.
n_iter_no_change : int, default=20
    Patience of early stopping, in epochs.
model : None, callable or keras.Model, default=None
    Custom architecture. ``None`` builds the dense network described by the
    parameters above. A callable is called as scikeras does: it may accept
    ``meta`` (a dict with ``n_features_in_``, ``n_classes_``,
    ``n_outputs_expected_``, ...) and ``compile_kwargs`` (the compiled
    ``optimizer``, ``loss`` and ``metrics`` of this estimator) plus
    ``model_kwargs``, and returns a Keras model, compiled or not. A Keras
    model is copied with fresh weights at each ``fit`` (it is never trained
    in place). The network hyperparameters above do not apply to a custom
    model; training, validation, weights and persistence do.
model_kwargs : dict or None, default=None
    Keyword arguments for a callable ``model``.
callbacks : list of keras callbacks or None, default=None
    Extra Keras callbacks for training.
random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, dropout, shuffling and the early-stopping
    split. An int makes ``fit`` reproducible to the bit on the same machine
    and software, without changing TensorFlow's, NumPy's or Python's global
    random state.
verbose : int, default=0
    Keras training verbosity: 0 silent, 1 progress bar, 2 one line per
    epoch."""

#: ``alpha``'s entry in :data:`NETWORK_PARAMETERS`
_ALPHA = """\
alpha : float, default=1e-4
    L2 penalty on the weights of every layer, added to the loss (weight
    decay; scikit-learn's MLP uses the same default)."""

NETWORK_PARAMETERS = _NETWORK_PARAMETERS.replace("%(alpha)s", _ALPHA)

#: the same for the discrete-time networks, whose ``alpha`` default differs
DISCRETE_NETWORK_PARAMETERS = _NETWORK_PARAMETERS.replace(
    "%(alpha)s",
    """\
alpha : float, default=1e-2
    L2 penalty on the weights of every layer, added to the loss (weight
    decay). Larger than the other estimators' 1e-4: chosen for the
    single-cause network on development cohorts, the best integrated
    Brier score of the values from 1e-4 to 1e-1 tried there (see the
    accuracy guide); the competing-risk network shares it.""",
)

COMMON_ATTRIBUTES = """\
model_ : keras.Model
    The trained network. For skprecmed's own dense networks it is built
    from the trained weights when first read (their predictions do not need
    it), so the first read takes a few milliseconds.
history_ : dict of str to list of float
    Loss and metrics per epoch (``val_`` keys with early stopping).
n_iter_ : int
    Number of epochs run.
n_features_in_ : int
    Number of features seen during ``fit``.
feature_names_in_ : ndarray of shape (n_features,)
    Names of the features seen during ``fit``, when ``X`` has string column
    names.
branch_columns_ : dict of str to ndarray of int
    With ``branches``: the columns of ``X`` each branch reads, in order
    (``"remainder"`` for unclaimed columns)."""


def fill(**fragments):
    """Class decorator replacing ``%(name)s`` in the docstring by fragments."""

    def decorate(obj):
        doc = obj.__doc__
        for name, text in fragments.items():
            marker = f"%({name})s"
            for line in doc.splitlines():
                if line.strip() == marker:
                    indent = line[: len(line) - len(line.lstrip())]
                    doc = doc.replace(line, textwrap.indent(text, indent))
                    break
            else:
                doc = doc.replace(marker, text)
        obj.__doc__ = doc
        return obj

    return decorate
