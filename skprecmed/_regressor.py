"""Keras dense-network regressor."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.multiclass import type_of_target

from . import _docstrings
from ._base import FitTarget, _BaseKerasNet
from ._keras import import_keras


@_docstrings.fill(
    network_parameters=_docstrings.NETWORK_PARAMETERS,
    common_attributes=_docstrings.COMMON_ATTRIBUTES,
    auto_loss='``"auto"`` is the mean squared error; any Keras loss\n'
    '        (``"mean_absolute_error"``, ``"huber"``, ...) may be named.',
    stratified="",
)
class KerasNetRegressor(RegressorMixin, _BaseKerasNet):
    """Keras dense-network regressor with the scikit-learn API.

    For a measurement: disease progression, a lab value, a drug response.
    The network is the classifier's (``Dense(32, relu)`` by default) with a
    linear output unit per target, trained with Adam on the mean squared
    error. One or several targets (``y`` of shape ``(n_samples,)`` or
    ``(n_samples, n_targets)``).

    Neural networks train best on targets of unit scale: wrap the estimator
    in :class:`~sklearn.compose.TransformedTargetRegressor` with a
    :class:`~sklearn.preprocessing.StandardScaler` when the target is in
    clinical units.

    Parameters
    ----------
    %(network_parameters)s

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    %(common_attributes)s

    See Also
    --------
    KerasNetClassifier : The same network for a diagnosis.
    sklearn.neural_network.MLPRegressor : scikit-learn's own dense network.

    Examples
    --------
    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprecmed import KerasNetRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = TransformedTargetRegressor(
    ...     make_pipeline(StandardScaler(), KerasNetRegressor(epochs=20, random_state=0)),
    ...     transformer=StandardScaler(),
    ... ).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> reg.score(X, y) > 0.4
    True
    """

    _y_numeric = True
    _multi_output = True

    def _prepare_target(self, X, y, sample_weight):
        import_keras()  # before scikeras imports Keras, so TensorFlow starts quietly
        from scikeras.utils.transformers import RegressorTargetEncoder

        encoder = RegressorTargetEncoder().fit(y)
        return FitTarget(
            y=encoder.transform(y),
            n_outputs=encoder.n_outputs_,
            activation="linear",
            loss="mean_squared_error" if self.loss == "auto" else self.loss,
            sample_weight=sample_weight,
            meta={
                **encoder.get_metadata(),
                "target_encoder_": encoder,
                "target_type_": type_of_target(y),
                "y_dtype_": y.dtype,
                "y_ndim_": y.ndim,
            },
            attributes={"n_outputs_": encoder.n_outputs_, "_y_ndim": y.ndim},
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """Predicted target values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, with the features seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, in the shape of the ``y`` given to ``fit``.
        """
        out = self._forward(X)
        return out.ravel() if self._y_ndim == 1 else out
