"""Keras networks: pure builders, no scikit-learn here."""

from typing import NamedTuple

import numpy as np

from ._keras import import_keras

_INT32_MAX = np.iinfo(np.int32).max


class Branch(NamedTuple):
    """One modality of a multi-modal network, resolved against the data.

    Attributes
    ----------
    name : str
        The branch's name (prefix of its layers' names).
    kind : {"dense", "embedding", "sequence", "image"}
        What the branch does with its columns.
    columns : tuple of int
        Indices of its columns in ``X``, in the order the branch reads them.
    options : tuple of (str, object) pairs
        Its hyperparameters and the shapes learnt in ``fit``: ``dense``:
        ``hidden_layer_sizes``; ``embedding``: ``embedding_dim``, ``sizes``
        (codes per column); ``sequence``: ``shape`` (length, channels),
        ``architecture`` ("cnn1d" or "rnn") and the extractor's parameters;
        ``image``: ``shape`` (height, width, channels) and the extractor's
        parameters.
    """

    name: str
    kind: str
    columns: tuple
    options: tuple


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
    branches=None,
    output_groups=1,
    output_smoothing=False,
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

    With ``branches`` (a tuple of :class:`Branch`), the network is
    multi-modal instead: each branch takes its columns of the input table
    (``SelectColumns``) and extracts its own features -- dense layers,
    an embedding of integer codes (``CategoryIds`` then ``Embedding``), a
    1-D CNN or RNN over the columns reshaped to a sequence, a 2-D CNN over
    them reshaped to an image -- and the branches' features are concatenated
    (the fusion) before the head; the skip connection then joins the fused
    features to the output layer.

    The head is ``Dense(units, activation)`` per ``hidden_layer_sizes``,
    optionally followed by batch normalisation and dropout, then the output
    layer, which with ``skip_connection`` (dense networks with hidden layers
    only) also sees the inputs. With ``output_groups`` g > 1 the output
    layer is a :class:`~skprecmed._layers.TimeVaryingDense` of g blocks
    (a discrete-time survival network's intervals) whose kernels share a
    common part, all starting at zero; with ``output_smoothing``, changes
    of those kernels from one block to the next are penalised (the strength
    is set after building, see :func:`set_output_smoothing`). With
    ``ensemble_size`` k > 1 the model holds k such networks side by side,
    each with its own seeds, and outputs their outputs concatenated:
    ``(n, k * n_outputs)``; the members of a dense network without branches
    or output blocks share their layers' operations, one
    :class:`~skprecmed._layers.MembersDense` per layer (each member starts
    as it would alone; dropout draws one mask for all), unless a kernel
    between two hidden layers would have more than 2**18 entries. Every random
    initialiser and dropout layer gets its own seed derived from ``seed``,
    so the same seed builds the same network without touching any global
    random state.

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
    branches : tuple of Branch or None, default=None
        The modalities of a multi-modal network (``architecture`` is then
        ``"dense"``, and the extractor parameters above apply to none of
        them: each branch carries its own).
    output_groups : int, default=1
        Number of blocks of the output layer sharing one kernel (1: a plain
        ``Dense``).
    output_smoothing : bool, default=False
        Whether those blocks' own effects are penalised for changing between
        adjacent blocks rather than by ``alpha`` (``output_groups`` > 1 only).
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
        "branches": branches,
        "output_groups": int(output_groups),
        "output_smoothing": bool(output_smoothing),
    }
    if ensemble_size == 1:
        outputs = _member(keras, inputs, seed=int(seed), prefix="", **member)
    else:
        seeds = np.random.RandomState(int(seed)).randint(_INT32_MAX, size=ensemble_size)
        seeds = [int(s) for s in seeds]
        if (
            architecture == "dense"
            and not branches
            and output_groups == 1
            and _small_blocks(hidden_layer_sizes, ensemble_size)
        ):
            outputs = _members_as_one(keras, inputs, seeds, **member)
        else:
            outputs = keras.layers.Concatenate(name="members")(
                [
                    _member(keras, inputs, seed=s, prefix=f"member{i}_", **member)
                    for i, s in enumerate(seeds)
                ]
            )
    name = architecture if architecture != "dense" else "mlp"
    return keras.Model(inputs, outputs, name="multimodal" if branches else name)


#: the largest kernel, in entries, of a layer between two hidden layers of an
#: ensemble's members as one (mostly zeros: k times the arithmetic of the
#: members' own kernels, which costs less than k operations only while small)
_MAX_BLOCK_KERNEL = 2**18


def _small_blocks(hidden_layer_sizes, members):
    """Whether the members' kernels between hidden layers are small as one."""
    sizes = [int(units) * members for units in hidden_layer_sizes]
    pairs = zip(sizes[:-1], sizes[1:], strict=True)
    return all(a * b <= _MAX_BLOCK_KERNEL for a, b in pairs)


def _members_as_one(
    keras,
    inputs,
    seeds,
    *,
    n_outputs,
    output_activation,
    hidden_layer_sizes,
    activation,
    dropout,
    alpha,
    batch_normalization,
    skip_connection,
    **_,
):
    """The members of a dense ensemble, each layer of theirs one ``MembersDense``.

    Member ``m`` is the network :func:`_member` builds with ``seeds[m]``:
    the same layers, and kernels that start at the same values. Batch
    normalisation normalises each unit on its own, so one layer serves all
    members; dropout draws one mask over all members' units (one seed).
    Outputs are each member's, side by side, as the members' concatenation.
    """
    from ._layers import MembersDense

    regularizer = keras.regularizers.L2(alpha) if alpha else None
    counters = [iter(range(seed, seed + 10_000)) for seed in seeds]
    members = len(seeds)
    n_inputs = int(inputs.shape[-1])

    def hidden(units, i):
        return MembersDense(
            units,
            members,
            [next(counter) for counter in counters],
            shared_inputs=n_inputs if i == 0 else 0,
            activation=activation,
            kernel_regularizer=regularizer,
            name=f"hidden_{i}",
        )

    x = _head(
        keras,
        inputs,
        hidden=hidden,
        next_seed=lambda: [next(counter) for counter in counters][0],
        prefix="",
        hidden_layer_sizes=hidden_layer_sizes,
        batch_normalization=batch_normalization,
        dropout=dropout,
        skip=skip_connection,
    )
    return MembersDense(
        n_outputs,
        members,
        [next(counter) for counter in counters],
        shared_inputs=n_inputs if skip_connection or not hidden_layer_sizes else 0,
        activation=output_activation,
        kernel_regularizer=regularizer,
        name="output",
    )(x)


def _head(
    keras,
    features,
    *,
    hidden,
    next_seed,
    prefix,
    hidden_layer_sizes,
    batch_normalization,
    dropout,
    skip,
):
    """The hidden layers on ``features``, then the skip connection to them.

    ``hidden(units, i)`` makes hidden layer ``i`` and ``next_seed()`` each
    dropout layer's seed, in the order the layers are built.
    """
    layers = keras.layers
    x = features
    for i, units in enumerate(hidden_layer_sizes):
        x = hidden(int(units), i)(x)
        if batch_normalization:
            x = layers.BatchNormalization(name=f"{prefix}batch_norm_{i}")(x)
        if dropout:
            seed = next_seed()
            x = layers.Dropout(dropout, seed=seed, name=f"{prefix}dropout_{i}")(x)
    if skip and hidden_layer_sizes:
        # the output layer also sees the inputs (or the fused features of the
        # branches): the network contains the generalised linear model, and
        # the hidden layers add what it misses
        x = layers.Concatenate(name=f"{prefix}skip")([x, features])
    return x


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
    branches,
    output_groups,
    output_smoothing,
):
    """The output tensor of one network on ``inputs``; layer names get ``prefix``."""
    layers = keras.layers
    regularizer = keras.regularizers.L2(alpha) if alpha else None
    counter = iter(range(seed, seed + 10_000))
    common = {
        "counter": counter,
        "regularizer": regularizer,
        "activation": activation,
    }
    if branches:
        features = _fused(keras, inputs, branches, prefix=prefix, **common)
    else:
        features = _extractor(
            keras,
            inputs,
            prefix=prefix,
            architecture=architecture,
            filters=filters,
            kernel_size=kernel_size,
            conv_layers=conv_layers,
            recurrent=recurrent,
            recurrent_units=recurrent_units,
            bidirectional=bidirectional,
            **common,
        )

    def hidden(units, i):
        return layers.Dense(
            units,
            activation=activation,
            kernel_initializer=_glorot(keras, counter),
            kernel_regularizer=regularizer,
            name=f"{prefix}hidden_{i}",
        )

    x = _head(
        keras,
        features,
        hidden=hidden,
        next_seed=lambda: next(counter),
        prefix=prefix,
        hidden_layer_sizes=hidden_layer_sizes,
        batch_normalization=batch_normalization,
        dropout=dropout,
        skip=skip_connection and (architecture == "dense" or bool(branches)),
    )
    if output_groups > 1:
        from ._layers import TimeVaryingDense

        x = TimeVaryingDense(
            n_outputs // output_groups,
            output_groups,
            kernel_regularizer=regularizer,
            smoothing=output_smoothing,
            name=f"{prefix}output",
        )(x)
        if output_activation == "linear":
            return x
        return layers.Activation(output_activation, name=f"{prefix}activation")(x)
    return layers.Dense(
        n_outputs,
        activation=output_activation,
        kernel_initializer=_glorot(keras, counter),
        kernel_regularizer=regularizer,
        name=f"{prefix}output",
    )(x)


def _output_layers(model):
    """The output layers :func:`_member` names ``output`` or ``member{i}_output``."""
    return [
        layer
        for layer in model.layers
        if layer.name == "output"
        or (layer.name.startswith("member") and layer.name.endswith("_output"))
    ]


def set_output_bias(model, bias):
    """Set the bias of every output layer of skprecmed's network to ``bias``.

    Each output layer (one network's, or each ensemble member's) gets the
    same starting values. Set after building rather than as an initializer,
    so the trainer-cache key (the architecture) does not hold the values.
    """
    bias = np.asarray(bias, dtype="float32")
    for layer in _output_layers(model):
        # an ensemble's members as one layer: each member's bias in turn
        layer.bias.assign(np.tile(bias, layer.bias.shape[0] // bias.size))


def set_output_smoothing(model, strength):
    """Set the smoothing strength of every time-varying output layer.

    As for :func:`set_output_bias`, a value set after building keeps the
    trainer-cache key free of it: fits on different numbers of rows (whose
    strength differs) share a trainer.
    """
    for layer in _output_layers(model):
        layer.smoothing_strength.assign(float(strength))


def _glorot(keras, counter):
    return keras.initializers.GlorotUniform(seed=next(counter))


def _extractor(
    keras,
    x,
    *,
    prefix,
    architecture,
    filters,
    kernel_size,
    conv_layers,
    recurrent,
    recurrent_units,
    bidirectional,
    counter,
    regularizer,
    activation,
):
    """Features of ``x`` by ``architecture``'s extractor (none for dense)."""
    layers = keras.layers
    if architecture in ("cnn1d", "cnn2d"):
        conv = layers.Conv1D if architecture == "cnn1d" else layers.Conv2D
        pool = layers.MaxPooling1D if architecture == "cnn1d" else layers.MaxPooling2D
        for i in range(conv_layers):
            x = conv(
                filters,
                kernel_size,
                padding="same",
                activation=activation,
                kernel_initializer=_glorot(keras, counter),
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
            kernel_initializer=_glorot(keras, counter),
            recurrent_initializer=keras.initializers.Orthogonal(seed=next(counter)),
            kernel_regularizer=regularizer,
            name=f"{prefix}{recurrent}",
        )
        x = (
            layers.Bidirectional(rnn, name=f"{prefix}bidirectional")(x)
            if bidirectional
            else rnn(x)
        )
    return x


def _fused(keras, inputs, branches, *, prefix, counter, regularizer, activation):
    """Each branch's features from its columns, concatenated (the fusion)."""
    from ._layers import CategoryIds, SelectColumns

    layers = keras.layers
    features = []
    for branch in branches:
        options = dict(branch.options)
        name = f"{prefix}{branch.name}_"
        x = SelectColumns(branch.columns, name=f"{name}columns")(inputs)
        if branch.kind == "dense":
            for i, units in enumerate(options["hidden_layer_sizes"]):
                x = layers.Dense(
                    int(units),
                    activation=activation,
                    kernel_initializer=_glorot(keras, counter),
                    kernel_regularizer=regularizer,
                    name=f"{name}hidden_{i}",
                )(x)
        elif branch.kind == "embedding":
            sizes = options["sizes"]
            x = CategoryIds(sizes, name=f"{name}ids")(x)
            x = layers.Embedding(
                sum(sizes) + len(sizes),
                options["embedding_dim"],
                embeddings_initializer=keras.initializers.RandomUniform(
                    -0.05, 0.05, seed=next(counter)
                ),
                embeddings_regularizer=regularizer,
                name=f"{name}embedding",
            )(x)
            x = layers.Flatten(name=f"{name}flatten")(x)
        else:  # a sequence or an image: the columns reshaped, then a CNN or RNN
            x = layers.Reshape(options["shape"], name=f"{name}reshape")(x)
            x = _extractor(
                keras,
                x,
                prefix=name,
                architecture="cnn2d"
                if branch.kind == "image"
                else options["architecture"],
                filters=options["filters"],
                kernel_size=options["kernel_size"],
                conv_layers=options["conv_layers"],
                recurrent=options.get("recurrent", "gru"),
                recurrent_units=options.get("recurrent_units", 1),
                bidirectional=options.get("bidirectional", False),
                counter=counter,
                regularizer=regularizer,
                activation=activation,
            )
        features.append(x)
    if len(features) == 1:
        return features[0]
    return layers.Concatenate(name=f"{prefix}fusion")(features)


def fill_unknown_embeddings(model, branches, X, ensemble_size=1):
    """Give each column's unknown code the mean embedding of its known codes.

    The unknown row of a column no training row had unknown receives no
    gradient in training; after it, it is set to the mean of the column's
    code embeddings weighted by their frequency in ``X``, so an unseen code
    is treated as an average one. Rows unknown in training keep their
    trained embedding.

    Parameters
    ----------
    model : keras.Model
        A trained network built with ``branches``.
    branches : tuple of Branch
        Its branches.
    X : ndarray of shape (n_samples, n_features)
        The training data.
    ensemble_size : int, default=1
        Members in the model (each has its own embeddings).
    """
    from ._layers import category_offsets

    prefixes = (
        [""] if ensemble_size == 1 else [f"member{i}_" for i in range(ensemble_size)]
    )
    for branch in branches:
        if branch.kind != "embedding":
            continue
        sizes = dict(branch.options)["sizes"]
        offsets = category_offsets(sizes)
        for prefix in prefixes:
            layer = model.get_layer(f"{prefix}{branch.name}_embedding")
            table = np.array(layer.embeddings)
            for j, (column, size) in enumerate(zip(branch.columns, sizes, strict=True)):
                codes = X[:, column]
                if size == 0 or not np.all((codes >= 0) & (codes < size)):
                    continue  # unknown codes in training: their row was trained
                counts = np.bincount(codes.astype(np.int64), minlength=size)
                known = table[offsets[j] + 1 : offsets[j] + 1 + size]
                table[offsets[j]] = counts @ known / counts.sum()
            layer.embeddings.assign(table)
