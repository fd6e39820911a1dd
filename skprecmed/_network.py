"""Keras networks: pure builders, no scikit-learn here."""

from ._keras import import_keras


def build_mlp(
    n_features,
    n_outputs,
    output_activation,
    *,
    hidden_layer_sizes=(32,),
    activation="relu",
    dropout=0.0,
    alpha=0.0,
    batch_normalization=False,
    seed=0,
):
    """Build an uncompiled dense network for tabular data.

    Each hidden layer is ``Dense(units, activation)``, optionally followed by
    ``BatchNormalization`` and ``Dropout``. Every random initialiser and
    every dropout layer gets its own seed derived from ``seed``, so the same
    seed builds the same network without touching any global random state.

    Parameters
    ----------
    n_features : int
        Number of input columns.
    n_outputs : int
        Units of the output layer.
    output_activation : str
        Activation of the output layer (``"sigmoid"``, ``"softmax"``,
        ``"linear"``).
    hidden_layer_sizes : sequence of int, default=(32,)
        Units of each hidden layer; empty for a generalised linear model.
    activation : str, default="relu"
        Activation of the hidden layers, any Keras activation name.
    dropout : float, default=0.0
        Dropout rate after each hidden layer.
    alpha : float, default=0.0
        L2 penalty on every kernel.
    batch_normalization : bool, default=False
        Whether to add batch normalisation after each hidden layer.
    seed : int, default=0
        Seed from which the seed of each random layer is derived.

    Returns
    -------
    model : keras.Model
        The network, not compiled.

    Examples
    --------
    >>> from skprecmed._network import build_mlp
    >>> model = build_mlp(30, 1, "sigmoid", hidden_layer_sizes=(32,), seed=0)
    >>> [layer.units for layer in model.layers[1:]]
    [32, 1]
    """
    _, keras = import_keras()
    layers = keras.layers
    regularizer = keras.regularizers.L2(alpha) if alpha else None
    seeds = iter(range(int(seed), int(seed) + 3 * len(hidden_layer_sizes) + 2))

    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    for i, units in enumerate(hidden_layer_sizes):
        x = layers.Dense(
            int(units),
            activation=activation,
            kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)),
            kernel_regularizer=regularizer,
            name=f"hidden_{i}",
        )(x)
        if batch_normalization:
            x = layers.BatchNormalization(name=f"batch_norm_{i}")(x)
        if dropout:
            x = layers.Dropout(dropout, seed=next(seeds), name=f"dropout_{i}")(x)
    outputs = layers.Dense(
        int(n_outputs),
        activation=output_activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)),
        kernel_regularizer=regularizer,
        name="output",
    )(x)
    return keras.Model(inputs, outputs, name="mlp")
