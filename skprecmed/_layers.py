"""Keras layers of skprecmed's multi-modal networks (imported lazily: Keras).

Both are registered for saving (``skprecmed>SelectColumns``,
``skprecmed>CategoryIds``); their configs hold integers only, so the safe
model format accepts them (see ``_model_file.KERAS_REGISTERED``).
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
