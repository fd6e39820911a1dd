"""Keras networks: pure builders, no scikit-learn here."""

import numpy as np

from ._keras import import_keras

_INT32_MAX = np.iinfo(np.int32).max


def build_network(
    input_shape,
    n_outputs,
    output_activation,
    *,
    architecture="dense",
    hidden_layer_sizes=(32,),
    activation="relu",
    dropout=0.0,
    alpha=0.0,
    batch_normalization=False,
    filters=32,
    kernel_size=9,
    conv_layers=1,
    recurrent="gru",
    recurrent_units=32,
    bidirectional=False,
    skip_connection=False,
    ensemble_size=1,
    seed=0,
):
    """Build an uncompiled network: a feature extractor, then a dense head.

    ``architecture`` chooses the extractor:

    * ``"dense"``: none, the input is a table ``(n_features,)``;
    * ``"cnn1d"``: ``conv_layers`` blocks of ``Conv1D(filters, kernel_size)``
      and max pooling over a sequence ``(length, channels)`` (e.g. one-hot
      DNA), then global max pooling: a motif detector;
    * ``"rnn"``: a GRU or LSTM (``recurrent``) of ``recurrent_units`` units over a
      sequence, optionally bidirectional, for longer context;
    * ``"cnn2d"``: ``conv_layers`` blocks of ``Conv2D(filters, kernel_size)``
      and 2x2 max pooling over an image ``(height, width, channels)``, then
      global average pooling.

    The head is ``Dense(units, activation)`` per ``hidden_layer_sizes``,
    optionally followed by batch normalisation and dropout, then the output
    layer, which with ``skip_connection`` (dense networks with hidden layers
    only) also sees the inputs. With ``ensemble_size`` k > 1 the model holds
    k such networks side by side, each with its own seeds, and outputs their
    outputs concatenated: ``(n, k * n_outputs)``. Every random initialiser
    and dropout layer gets its own seed derived from ``seed``, so the same
    seed builds the same network without touching any global random state.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample.
    n_outputs : int
        Units of the output layer.
    output_activation : str
        Activation of the output layer.
    architecture : {"dense", "cnn1d", "rnn", "cnn2d"}, default="dense"
        The feature extractor.
    hidden_layer_sizes : sequence of int, default=(32,)
        Units of each hidden layer of the head.
    activation : str, default="relu"
        Activation of the hidden and convolutional layers.
    dropout : float, default=0.0
        Dropout rate after each hidden layer.
    alpha : float, default=0.0
        L2 penalty on every kernel.
    batch_normalization : bool, default=False
        Batch normalisation after each hidden layer.
    filters : int, default=32
        Convolution filters.
    kernel_size : int, default=9
        Width of the convolution kernels (square for images).
    conv_layers : int, default=1
        Number of convolution blocks.
    recurrent : {"gru", "lstm"}, default="gru"
        Recurrent cell of ``"rnn"``.
    recurrent_units : int, default=32
        Units of the recurrent cell.
    bidirectional : bool, default=False
        Whether the recurrent layer reads both directions.
    skip_connection : bool, default=False
        Whether the output layer of a dense network also sees the inputs
        (a linear path: the network contains the generalised linear model).
    ensemble_size : int, default=1
        Number of member networks trained side by side in one model.
    seed : int, default=0
        Seed from which the seed of each random layer is derived.

    Returns
    -------
    model : keras.Model
        The network, not compiled.
    """
    _, keras = import_keras()
    inputs = keras.Input(shape=tuple(input_shape), name="features")
    member = {
        "n_outputs": int(n_outputs),
        "output_activation": output_activation,
        "architecture": architecture,
        "hidden_layer_sizes": hidden_layer_sizes,
        "activation": activation,
        "dropout": dropout,
        "alpha": alpha,
        "batch_normalization": batch_normalization,
        "skip_connection": skip_connection,
        "filters": filters,
        "kernel_size": kernel_size,
        "conv_layers": conv_layers,
        "recurrent": recurrent,
        "recurrent_units": recurrent_units,
        "bidirectional": bidirectional,
    }
    if ensemble_size == 1:
        outputs = _member(keras, inputs, seed=int(seed), prefix="", **member)
    else:
        seeds = np.random.RandomState(int(seed)).randint(_INT32_MAX, size=ensemble_size)
        outputs = keras.layers.Concatenate(name="members")(
            [
                _member(keras, inputs, seed=int(s), prefix=f"member{i}_", **member)
                for i, s in enumerate(seeds)
            ]
        )
    return keras.Model(
        inputs, outputs, name=architecture if architecture != "dense" else "mlp"
    )


def _member(
    keras,
    inputs,
    *,
    seed,
    prefix,
    n_outputs,
    output_activation,
    architecture,
    hidden_layer_sizes,
    activation,
    dropout,
    alpha,
    batch_normalization,
    skip_connection,
    filters,
    kernel_size,
    conv_layers,
    recurrent,
    recurrent_units,
    bidirectional,
):
    """The output tensor of one network on ``inputs``; layer names get ``prefix``."""
    layers = keras.layers
    regularizer = keras.regularizers.L2(alpha) if alpha else None
    counter = iter(range(seed, seed + 10_000))

    def init():
        return keras.initializers.GlorotUniform(seed=next(counter))

    x = inputs
    if architecture in ("cnn1d", "cnn2d"):
        conv = layers.Conv1D if architecture == "cnn1d" else layers.Conv2D
        pool = layers.MaxPooling1D if architecture == "cnn1d" else layers.MaxPooling2D
        for i in range(conv_layers):
            x = conv(
                filters,
                kernel_size,
                padding="same",
                activation=activation,
                kernel_initializer=init(),
                kernel_regularizer=regularizer,
                name=f"{prefix}conv_{i}",
            )(x)
            if i + 1 < conv_layers and min(x.shape[1:-1]) >= 2:
                x = pool(2, name=f"{prefix}pool_{i}")(x)
        if architecture == "cnn1d":
            x = layers.GlobalMaxPooling1D(name=f"{prefix}global_pool")(x)
        else:
            x = layers.GlobalAveragePooling2D(name=f"{prefix}global_pool")(x)
    elif architecture == "rnn":
        cell = layers.GRU if recurrent == "gru" else layers.LSTM
        rnn = cell(
            recurrent_units,
            kernel_initializer=init(),
            recurrent_initializer=keras.initializers.Orthogonal(seed=next(counter)),
            kernel_regularizer=regularizer,
            name=f"{prefix}{recurrent}",
        )
        x = (
            layers.Bidirectional(rnn, name=f"{prefix}bidirectional")(x)
            if bidirectional
            else rnn(x)
        )
    for i, units in enumerate(hidden_layer_sizes):
        x = layers.Dense(
            int(units),
            activation=activation,
            kernel_initializer=init(),
            kernel_regularizer=regularizer,
            name=f"{prefix}hidden_{i}",
        )(x)
        if batch_normalization:
            x = layers.BatchNormalization(name=f"{prefix}batch_norm_{i}")(x)
        if dropout:
            x = layers.Dropout(
                dropout, seed=next(counter), name=f"{prefix}dropout_{i}"
            )(x)
    if skip_connection and architecture == "dense" and hidden_layer_sizes:
        # the output layer also sees the inputs: the network contains the
        # generalised linear model, and the hidden layers add what it misses
        x = layers.Concatenate(name=f"{prefix}skip")([x, inputs])
    return layers.Dense(
        n_outputs,
        activation=output_activation,
        kernel_initializer=init(),
        kernel_regularizer=regularizer,
        name=f"{prefix}output",
    )(x)
