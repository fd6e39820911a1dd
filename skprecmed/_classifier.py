"""Keras dense-network classifier."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)

from . import _docstrings
from ._base import FitTarget, _BaseKerasNet
from ._keras import import_keras


@_docstrings.fill(
    network_parameters=_docstrings.NETWORK_PARAMETERS,
    common_attributes=_docstrings.COMMON_ATTRIBUTES,
    auto_loss=(
        '``"auto"`` is binary cross-entropy for two classes (one sigmoid\n'
        "        unit) and sparse categorical cross-entropy otherwise (softmax)."
    ),
    stratified=" (stratified by class)",
)
class KerasNetClassifier(ClassifierMixin, _BaseKerasNet):
    """Keras dense-network classifier with the scikit-learn API.

    The default network is the classic disease-prediction net:
    ``Dense(32, relu)`` then one sigmoid unit for two classes (softmax for
    more), trained with Adam on cross-entropy for 10 epochs in batches of 32.
    Every part of it is a hyperparameter, so the estimator can be tuned by
    :class:`~sklearn.model_selection.GridSearchCV` inside a
    :class:`~sklearn.pipeline.Pipeline` after an imputer and a scaler.

    Parameters
    ----------
    %(network_parameters)s
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in scikit-learn: a dict
        ``{label: weight}``, or ``"balanced"`` for weights inversely
        proportional to class frequencies (for a rare disease).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    %(common_attributes)s

    See Also
    --------
    sklearn.neural_network.MLPClassifier : Scikit-learn's own dense network.

    Notes
    -----
    Training runs in TensorFlow, imported on first use. The estimator is a
    plain scikit-learn estimator: ``is_classifier`` is true, parameters come
    from ``__init__`` and fitted networks are pickled as ``.keras`` archives.
    Classes are encoded with scikeras' ``ClassifierLabelEncoder``, so a
    custom ``model`` function receives the ``meta`` scikeras gives it.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprecmed import KerasNetClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(), KerasNetClassifier(epochs=5, random_state=0)
    ... ).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints = {
        **_BaseKerasNet._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _y_numeric = False

    def __init__(
        self,
        hidden_layer_sizes=(32,),
        activation="relu",
        *,
        dropout=0.0,
        alpha=1e-4,
        batch_normalization=False,
        skip_connection=True,
        architecture="dense",
        filters=32,
        kernel_size=9,
        conv_layers=1,
        recurrent="gru",
        recurrent_units=32,
        bidirectional=False,
        branches=None,
        ensemble_size=1,
        optimizer="adam",
        learning_rate_init=0.001,
        loss="auto",
        metrics=None,
        epochs=200,
        batch_size="auto",
        shuffle=True,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=20,
        class_weight=None,
        model=None,
        model_kwargs=None,
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            dropout=dropout,
            alpha=alpha,
            batch_normalization=batch_normalization,
            skip_connection=skip_connection,
            architecture=architecture,
            filters=filters,
            kernel_size=kernel_size,
            conv_layers=conv_layers,
            recurrent=recurrent,
            recurrent_units=recurrent_units,
            bidirectional=bidirectional,
            branches=branches,
            ensemble_size=ensemble_size,
            optimizer=optimizer,
            learning_rate_init=learning_rate_init,
            loss=loss,
            metrics=metrics,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            model=model,
            model_kwargs=model_kwargs,
            callbacks=callbacks,
            random_state=random_state,
            verbose=verbose,
        )
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one epoch on ``(X, y)``, continuing the network if fitted.

        As scikit-learn's :meth:`MLPClassifier.partial_fit
        <sklearn.neural_network.MLPClassifier.partial_fit>`: the first call
        (on an unfitted estimator) builds the network as ``fit`` does,
        later calls (also after ``fit``) train the same network and
        optimizer state one more pass over the rows given. So data larger
        than memory can be learnt chunk by chunk, e.g. by
        :class:`dask_ml.wrappers.Incremental`. ``epochs`` and early
        stopping do not apply: each call is one epoch, without hold-out.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows, with the features of the first call.
        y : array-like of shape (n_samples,)
            Their labels, among ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole training data: required on the first
            call, since a chunk may lack some; on later calls it may be
            omitted, or must equal ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights, as in ``fit``.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.

        Examples
        --------
        >>> import numpy as np
        >>> from skprecmed import KerasNetClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(200, 4))
        >>> y = (X[:, 0] > 0).astype(int)
        >>> clf = KerasNetClassifier(random_state=0)
        >>> for chunk in np.array_split(np.arange(200), 4):
        ...     clf = clf.partial_fit(X[chunk], y[chunk], classes=[0, 1])
        >>> clf.n_iter_
        4
        """
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "labels of the whole training data, e.g. classes=np.unique(y)."
            )
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: a chunk "
                "does not know the class frequencies of the whole data. Pass a "
                "dict instead, e.g. dict(zip(classes, compute_class_weight("
                "'balanced', classes=classes, y=y_sample))) from a large enough "
                "sample of the target."
            )
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def _prepare_target(self, X, y, sample_weight, *, reset=True, classes=None):
        check_classification_targets(y)
        if not reset:
            if classes is not None and not np.array_equal(
                unique_labels(classes), self.classes_
            ):
                raise ValueError(
                    f"classes={list(classes)!r} is not the same as on the first "
                    f"call to partial_fit: {self.classes_.tolist()!r}."
                )
            classes = self.classes_
        if classes is not None:
            classes = unique_labels(classes)
            unknown = np.setdiff1d(np.unique(y), classes)
            if unknown.size:
                raise ValueError(
                    f"y has labels that are not in classes: {unknown.tolist()!r}; "
                    f"the classes are {classes.tolist()!r}."
                )
        import_keras()  # before scikeras imports Keras, so TensorFlow starts quietly
        from scikeras.utils.transformers import ClassifierLabelEncoder

        all_classes = np.unique(y) if classes is None else classes
        if all_classes.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in y, "
                "but the data contain only one class: "
                f"{all_classes.tolist()[0]!r}."
            )
        if isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(all_classes.tolist())
            if unknown:
                raise ValueError(
                    "class_weight names labels that are not in y: "
                    f"{sorted(unknown)!r}; "
                    f"the classes are {all_classes.tolist()!r}."
                )
        if self.class_weight is not None:
            weights = compute_sample_weight(self.class_weight, y)
            sample_weight = (
                weights if sample_weight is None else sample_weight * weights
            )
        loss = self.loss
        if loss == "auto":
            loss = (
                "binary_crossentropy"
                if all_classes.size == 2
                else "sparse_categorical_crossentropy"
            )
        # scikeras' encoder: ordinal classes, or one-hot rows for a
        # categorical cross-entropy; its metadata is what builders expect.
        # Given classes, it encodes every one of them, even if y lacks some.
        categories = "auto" if classes is None else [classes]
        encoder = ClassifierLabelEncoder(loss=loss, categories=categories).fit(y)
        n_outputs, activation = (
            (1, "sigmoid")
            if encoder.n_classes_ == 2
            else (encoder.n_classes_, "softmax")
        )
        return FitTarget(
            y=encoder.transform(y),
            n_outputs=n_outputs,
            activation=activation,
            loss=loss,
            sample_weight=sample_weight,
            stratify=True,
            meta={
                **encoder.get_metadata(),
                "target_encoder_": encoder,
                "target_type_": type_of_target(y),
                "y_dtype_": y.dtype,
                "y_ndim_": y.ndim,
            },
            attributes={"classes_": np.asarray(encoder.classes_)},
        )

    # prediction
    def _member_proba(self, X):
        """Each ensemble member's class probabilities, (n, members, n_classes)."""
        members = self._forward_members(X)
        if members.shape[2] == 1 and len(self.classes_) == 2:
            members = np.concatenate([1.0 - members, members], axis=2)
        return members

    def predict_proba(self, X):
        """Probability of each class for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, with the features seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, in the order of ``classes_``; each row sums
            to one.
        """
        out = self._forward(X)
        if out.shape[1] == 1 and len(self.classes_) == 2:
            out = np.concatenate((1.0 - out, out), axis=1)
        if out.shape[1] != len(self.classes_):
            raise ValueError(
                f"The network outputs {out.shape[1]} values per sample but there "
                f"are {len(self.classes_)} classes; a custom model must end in "
                "one sigmoid unit for two classes or one unit per class."
            )
        return out

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, with the features seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
