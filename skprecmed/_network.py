"""Keras networks: pure builders, no scikit-learn here."""

from ._keras import import_keras


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
    layer. Every random initialiser and dropout layer gets its own seed
    derived from ``seed``, so the same seed builds the same network without
    touching any global random state.

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
    seed : int, default=0
        Seed from which the seed of each random layer is derived.

    Returns
    -------
    model : keras.Model
        The network, not compiled.
    """
    _, keras = import_keras()
    layers = keras.layers
    regularizer = keras.regularizers.L2(alpha) if alpha else None
    counter = iter(range(int(seed), int(seed) + 10_000))

    def init():
        return keras.initializers.GlorotUniform(seed=next(counter))

    inputs = keras.Input(shape=tuple(input_shape), name="features")
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
                name=f"conv_{i}",
            )(x)
            if i + 1 < conv_layers and min(x.shape[1:-1]) >= 2:
                x = pool(2, name=f"pool_{i}")(x)
        if architecture == "cnn1d":
            x = layers.GlobalMaxPooling1D(name="global_pool")(x)
        else:
            x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    elif architecture == "rnn":
        cell = layers.GRU if recurrent == "gru" else layers.LSTM
        rnn = cell(
            recurrent_units,
            kernel_initializer=init(),
            recurrent_initializer=keras.initializers.Orthogonal(seed=next(counter)),
            kernel_regularizer=regularizer,
            name=recurrent,
        )
        x = layers.Bidirectional(rnn, name="bidirectional")(x) if bidirectional else rnn(x)
    for i, units in enumerate(hidden_layer_sizes):
        x = layers.Dense(
            int(units),
            activation=activation,
            kernel_initializer=init(),
            kernel_regularizer=regularizer,
            name=f"hidden_{i}",
        )(x)
        if batch_normalization:
            x = layers.BatchNormalization(name=f"batch_norm_{i}")(x)
        if dropout:
            x = layers.Dropout(dropout, seed=next(counter), name=f"dropout_{i}")(x)
    outputs = layers.Dense(
        int(n_outputs),
        activation=output_activation,
        kernel_initializer=init(),
        kernel_regularizer=regularizer,
        name="output",
    )(x)
    return keras.Model(inputs, outputs, name=architecture if architecture != "dense" else "mlp")
