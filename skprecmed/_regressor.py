"""Keras dense-network regressor."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
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

    The network learns a standardised target (each target's mean removed,
    divided by its standard deviation, as
    :class:`~sklearn.compose.TransformedTargetRegressor` with a
    :class:`~sklearn.preprocessing.StandardScaler` would do) and ``predict``
    answers in the target's own units, so a measurement in clinical units
    (tens to hundreds) needs no wrapping. ``history_``'s losses are in
    standardised units. With ``partial_fit``, the mean and standard deviation
    are those of the first call's rows, kept for every later call.

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
    sklearn.neural_network.MLPRegressor : Scikit-learn's own dense network.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprecmed import KerasNetRegressor
    >>> X, y = load_diabetes(return_X_y=True)  # y: disease progression, 25 to 346
    >>> net = KerasNetRegressor(ensemble_size=3, epochs=50, random_state=0)
    >>> reg = make_pipeline(StandardScaler(), net).fit(X, y)
    >>> mean, std = reg.predict(X[:3], return_std=True)
    >>> mean.shape, std.shape
    ((3,), (3,))
    >>> bool(reg.score(X, y) > 0.4)
    True
    """

    _y_numeric = True
    _multi_output = True

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train one epoch on ``(X, y)``, continuing the network if fitted.

        As scikit-learn's :meth:`MLPRegressor.partial_fit
        <sklearn.neural_network.MLPRegressor.partial_fit>`: the first call
        (on an unfitted estimator) builds the network as ``fit`` does,
        later calls (also after ``fit``) train the same network and
        optimizer state one more pass over the rows given. So data larger
        than memory can be learnt chunk by chunk, e.g. by
        :class:`dask_ml.wrappers.Incremental`. ``epochs`` and early
        stopping do not apply: each call is one epoch, without hold-out.

        The target is standardised with the mean and standard deviation of
        the first call's rows (after ``fit``, of its rows), fixed from then
        on: the network's output keeps one meaning across calls, and
        ``predict`` inverts the same transform whatever the chunks were.
        Give a first chunk that represents the target's range (a random
        sample of the rows does).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows, with the features of the first call.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Their targets, of the first call's shape.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights, as in ``fit``.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.

        Examples
        --------
        >>> import numpy as np
        >>> from skprecmed import KerasNetRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(200, 4))
        >>> y = 100 + 10 * X[:, 0]
        >>> reg = KerasNetRegressor(random_state=0)
        >>> for chunk in np.array_split(np.arange(200), 4):
        ...     reg = reg.partial_fit(X[chunk], y[chunk])
        >>> reg.n_iter_, reg.predict(X[:2]).shape
        (4, (2,))
        """
        return self._partial_fit(X, y, sample_weight)

    def _prepare_target(self, X, y, sample_weight, *, reset=True):
        import_keras()  # before scikeras imports Keras, so TensorFlow starts quietly
        from scikeras.utils.transformers import RegressorTargetEncoder

        encoder = RegressorTargetEncoder().fit(y)
        # learn on a standardised target (as TransformedTargetRegressor with
        # a StandardScaler would); predict turns it back into y's units
        y = np.asarray(y, dtype=np.float64)
        if reset:
            mean, scale = y.mean(axis=0), y.std(axis=0)
            scale = np.where(scale > 0, scale, 1.0)
        else:
            if y.ndim != self._y_ndim or encoder.n_outputs_ != self.n_outputs_:
                raise ValueError(
                    f"y has shape {y.shape}, but {type(self).__name__} was first "
                    f"fitted on a target with {self.n_outputs_} output(s) of "
                    f"{self._y_ndim} dimension(s)."
                )
            mean, scale = self._y_mean, self._y_scale
        return FitTarget(
            y=(y - mean) / scale,
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
            attributes={
                "n_outputs_": encoder.n_outputs_,
                "_y_ndim": y.ndim,
                "_y_mean": np.atleast_1d(mean),
                "_y_scale": np.atleast_1d(scale),
            },
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X, return_std=False):
        """Predicted target values, in the units of the ``y`` given to ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, with the features seen in ``fit``.
        return_std : bool, default=False
            Also return the standard deviation of the ensemble members'
            predictions (``ensemble_size`` >= 2): their disagreement, a
            measure of the model's uncertainty, not of the noise in ``y``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (the members' mean), in the shape of ``y`` in ``fit``.
        y_std : ndarray of the same shape
            Only with ``return_std=True``.
        """
        members = self._forward_members(X) * self._y_scale + self._y_mean
        pred = members.mean(axis=1)
        if self._y_ndim == 1:
            pred = pred.ravel()
        if not return_std:
            return pred
        if members.shape[1] < 2:
            raise ValueError(
                "return_std=True needs an ensemble: fit with ensemble_size >= 2."
            )
        std = members.std(axis=1)
        return pred, std.ravel() if self._y_ndim == 1 else std
