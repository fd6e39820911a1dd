"""skprecmed's own Keras layers (imported lazily: Keras).

``SelectColumns`` and ``CategoryIds`` build multi-modal networks;
``TimeVaryingDense`` is the output layer of the discrete-time survival
networks; ``MembersDense`` holds a layer of every member of a dense
ensemble. All are registered for saving (``skprecmed>SelectColumns``,
...); their configs hold integers, booleans, activation names and Keras'
own initializer and regularizer configs only, so the safe model format
accepts them (see
``_model_file.KERAS_REGISTERED``).
"""

import keras
import numpy as np
from keras import ops


def category_offsets(sizes):
    """First row of each column's block in a shared embedding table.

    Column ``j`` owns rows ``offsets[j]`` (its unknown code) to
    ``offsets[j] + sizes[j]`` (its codes ``0 .. sizes[j] - 1``).

    Parameters
    ----------
    sizes : sequence of int
        Number of known codes of each column.

    Returns
    -------
    offsets : ndarray of int64
    """
    blocks = np.asarray(sizes, dtype=np.int64) + 1
    return np.concatenate([[0], np.cumsum(blocks)[:-1]]).astype(np.int64)


@keras.saving.register_keras_serializable(package="skprecmed")
class SelectColumns(keras.layers.Layer):
    """The input's columns ``columns``, in that order: one branch's share of X.

    Parameters
    ----------
    columns : sequence of int
        Column indices of the input table.
    **kwargs
        Keras layer arguments (``name``).
    """

    def __init__(self, columns, **kwargs):
        super().__init__(**kwargs)
        self.columns = [int(c) for c in columns]
        first = self.columns[0]
        contiguous = self.columns == list(range(first, first + len(self.columns)))
        self._slice = (first, first + len(self.columns)) if contiguous else None

    def call(self, inputs):
        if self._slice is not None:  # a plain slice: cheaper, dense gradient
            return inputs[:, self._slice[0] : self._slice[1]]
        return ops.take(inputs, self.columns, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], len(self.columns))

    def get_config(self):
        return {**super().get_config(), "columns": list(self.columns)}


@keras.saving.register_keras_serializable(package="skprecmed")
class CategoryIds(keras.layers.Layer):
    """Integer codes -> rows of a shared embedding table, with unknown rows.

    Column ``j``'s code ``c`` (an integer in ``0 .. sizes[j] - 1``) becomes
    row ``offsets[j] + 1 + c``; anything else (-1 from scikit-learn's
    ``OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)``,
    a code above those seen in ``fit``, a fraction) becomes the column's
    unknown row ``offsets[j]`` (:func:`category_offsets`).

    Parameters
    ----------
    sizes : sequence of int
        Number of known codes of each column.
    **kwargs
        Keras layer arguments (``name``).
    """

    def __init__(self, sizes, **kwargs):
        super().__init__(**kwargs)
        self.sizes = [int(s) for s in sizes]

    def call(self, inputs):
        sizes = ops.convert_to_tensor(np.asarray(self.sizes, dtype="float32"))
        offsets = ops.convert_to_tensor(category_offsets(self.sizes).astype("float32"))
        inputs = ops.cast(inputs, "float32")
        valid = ops.logical_and(
            ops.logical_and(inputs >= 0, inputs < sizes),
            ops.equal(inputs, ops.floor(inputs)),
        )
        ids = ops.where(valid, inputs + 1.0, ops.zeros_like(inputs)) + offsets
        return ops.cast(ids, "int32")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape, dtype="int32")

    def get_config(self):
        return {**super().get_config(), "sizes": list(self.sizes)}


@keras.saving.register_keras_serializable(package="skprecmed")
class TimeVaryingDense(keras.layers.Layer):
    """A dense output of ``groups`` blocks of ``units``: shared effects plus deviations.

    The kernel of block ``g`` is ``shared + deviation[g]``: the shared
    kernel ``(n_in, units)`` acts on every block alike, and the deviations
    start at zero. On a discrete-time survival network's logits (a block per
    interval, a unit per cause) the layer is a proportional-odds model, one
    risk score moving every interval's hazard alike, plus each interval's
    own effects, which training adds only as far as the data ask for them.
    Each block has its own bias (the baseline hazard). The outputs are
    ``x @ kernel + bias`` with ``kernel`` of shape ``(n_in, groups * units)``,
    blocks side by side: one ``Dense`` layer, differently parameterised.

    With ``smoothing``, the deviations are penalised for changing from one
    block to the next, ``strength * (sum((deviation[g + 1] - deviation[g])
    ** 2) + sum(deviation[0] ** 2))``, instead of by ``kernel_regularizer``:
    effects that drift smoothly over time are cheap, a jump between
    adjacent intervals is not, and a large strength leaves the
    proportional-odds model. The strength is a non-trainable weight
    (``smoothing_strength``, 0 until set), so that networks that differ only
    in it share a traced trainer.

    Parameters
    ----------
    units : int
        Outputs per block.
    groups : int
        Number of blocks.
    kernel_initializer : initializer, default="zeros"
        Of the shared kernel. With zeros (and the bias at the marginal
        logits), training starts from the model without covariates.
    kernel_regularizer : regularizer or None, default=None
        Applied to the shared kernel, and to the deviations without
        ``smoothing``.
    smoothing : bool, default=False
        Whether the deviations get the adjacent-block penalty above.
    **kwargs
        Keras layer arguments (``name``).
    """

    def __init__(
        self,
        units,
        groups,
        kernel_initializer="zeros",
        kernel_regularizer=None,
        smoothing=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = int(units)
        self.groups = int(groups)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.smoothing = bool(smoothing)

    def build(self, input_shape):
        n_in = int(input_shape[-1])
        self.shared = self.add_weight(
            name="shared",
            shape=(n_in, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.deviation = self.add_weight(
            name="deviation",
            shape=(n_in, self.groups * self.units),
            initializer="zeros",
            regularizer=self._smoothness_penalty
            if self.smoothing
            else self.kernel_regularizer,
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.groups * self.units,), initializer="zeros"
        )
        if self.smoothing:  # last: the other weights keep their order
            self.smoothing_strength = self.add_weight(
                name="smoothing_strength",
                shape=(),
                initializer="zeros",
                trainable=False,
            )

    def _smoothness_penalty(self, deviation):
        blocks = ops.reshape(deviation, (-1, self.groups, self.units))
        steps = blocks[:, 1:] - blocks[:, :-1]
        size = ops.sum(ops.square(steps)) + ops.sum(ops.square(blocks[:, 0]))
        return self.smoothing_strength * size

    @property
    def kernel(self):
        """The kernel ``(n_in, groups * units)`` the layer applies."""
        return self.deviation + ops.tile(self.shared, (1, self.groups))

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.groups * self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "groups": self.groups,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            # None serialises as None
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "smoothing": self.smoothing,
        }


@keras.saving.register_keras_serializable(package="skprecmed")
class MembersDense(keras.layers.Layer):
    """One dense layer of each member of an ensemble, as a single layer.

    The input holds each member's features side by side (``members`` blocks
    of equal width), then ``shared_inputs`` columns every member reads (the
    network's inputs: a first hidden layer, or a skip connection). Member
    ``m``'s outputs, ``units`` columns at block ``m``, are those of a
    ``Dense(units)`` on its own block and the shared columns: the kernel is
    block-diagonal on the members' blocks and full on the shared rows. Its
    other entries are held at zero (the kernel is multiplied by that
    pattern), so they get no gradient and no penalty. One matrix product
    then serves all members: in a small network TensorFlow's cost per
    operation, not the arithmetic, is what an ensemble multiplies.

    Each member's kernel starts as ``GlorotUniform(seed)`` of its own
    ``Dense`` would, one seed per member, and the bias at zero.

    Parameters
    ----------
    units : int
        Outputs of each member.
    members : int
        Number of members.
    seeds : sequence of int
        Seed of each member's kernel initializer.
    shared_inputs : int, default=0
        Trailing input columns that every member reads.
    activation : str, default="linear"
        Applied to each member's outputs (a softmax within each member's
        block).
    kernel_regularizer : regularizer or None, default=None
        Applied to the kernel (its fixed zeros add nothing).
    **kwargs
        Keras layer arguments (``name``).
    """

    def __init__(
        self,
        units,
        members,
        seeds,
        shared_inputs=0,
        activation="linear",
        kernel_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = int(units)
        self.members = int(members)
        self.seeds = [int(s) for s in seeds]
        if len(self.seeds) != self.members:
            raise ValueError(
                f"MembersDense needs one seed per member ({self.members}); "
                f"got {len(self.seeds)}."
            )
        self.shared_inputs = int(shared_inputs)
        self.activation = keras.activations.get(activation)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        n_in = int(input_shape[-1])
        own = (n_in - self.shared_inputs) // self.members
        if own * self.members + self.shared_inputs != n_in:
            raise ValueError(
                f"MembersDense: {n_in} input columns are not {self.members} "
                f"equal blocks and {self.shared_inputs} shared columns."
            )
        self.pattern = np.zeros((n_in, self.members * self.units), dtype="float32")
        for block in self._blocks(n_in, own):
            self.pattern[block] = 1.0
        self.kernel = self.add_weight(
            name="kernel",
            shape=(n_in, self.members * self.units),
            initializer=self._initial_kernel(own),
            regularizer=self.kernel_regularizer,
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.members * self.units,), initializer="zeros"
        )

    def _blocks(self, n_in, own):
        """Each member's kernel entries: its own rows and the shared rows,
        its columns (an index for the full kernel)."""
        shared = np.arange(self.members * own, n_in)
        for m in range(self.members):
            rows = np.concatenate([np.arange(m * own, (m + 1) * own), shared])
            yield np.ix_(rows, np.arange(m * self.units, (m + 1) * self.units))

    def _initial_kernel(self, own):
        def initial(shape, dtype=None):
            kernel = np.zeros(shape, dtype="float32")
            blocks = self._blocks(shape[0], own)
            for block, seed in zip(blocks, self.seeds, strict=True):
                glorot = keras.initializers.GlorotUniform(seed=seed)
                kernel[block] = np.asarray(
                    glorot((own + self.shared_inputs, self.units))
                )
            return ops.convert_to_tensor(kernel, dtype=dtype)

        return initial

    @property
    def effective_kernel(self):
        """The kernel with its fixed zeros: what the layer applies."""
        return self.kernel * self.pattern

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.effective_kernel) + self.bias
        if self.activation is keras.activations.softmax:
            grouped = ops.reshape(outputs, (-1, self.members, self.units))
            return ops.reshape(ops.softmax(grouped, axis=-1), ops.shape(outputs))
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.members * self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "members": self.members,
            "seeds": self.seeds,
            "shared_inputs": self.shared_inputs,
            "activation": keras.activations.serialize(self.activation),
            # None serialises as None
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
        }
