"""Machinery shared by every skprecmed estimator.

Nothing here imports TensorFlow, Keras or scikeras at module level: they are
imported by ``fit`` (``_engine``) and by prediction (``_keras``), so that
``import skprecmed``, building estimators and parameter grids stay cheap.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._inference import make_plan
from ._keras import import_keras

_INT32_MAX = np.iinfo(np.int32).max
#: rows per forward pass in prediction: bounds memory, keeps BLAS efficient
_PREDICT_CHUNK = 16384


class _BaseKerasNet(BaseEstimator):
    """Base class of the Keras dense-network estimators.

    Subclasses put their mixin first (``ClassifierMixin``/``RegressorMixin``)
    and define ``__init__`` with every parameter, ``_engine_class``,
    ``_resolve_loss``, ``_output`` and ``_validate_targets``.

    Warning: This class should not be used directly. Use derived classes
    instead.
    """

    _multi_output = False

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [str, callable],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_normalization": ["boolean"],
        "architecture": [StrOptions({"dense", "cnn1d", "rnn", "cnn2d"})],
        "filters": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "conv_layers": [Interval(Integral, 1, None, closed="left")],
        "recurrent": [StrOptions({"gru", "lstm"})],
        "recurrent_units": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "optimizer": [str, type, HasMethods(["apply_gradients"])],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither"), None],
        "loss": [StrOptions({"auto"}), str, callable],
        "metrics": [list, None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "model": [None, callable],
        "model_kwargs": [dict, None],
        "callbacks": [list, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(32,),
        activation="relu",
        *,
        dropout=0.0,
        alpha=0.0,
        batch_normalization=False,
        architecture="dense",
        filters=32,
        kernel_size=9,
        conv_layers=1,
        recurrent="gru",
        recurrent_units=32,
        bidirectional=False,
        optimizer="adam",
        learning_rate_init=0.001,
        loss="auto",
        metrics=None,
        epochs=10,
        batch_size=32,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        model=None,
        model_kwargs=None,
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.alpha = alpha
        self.batch_normalization = batch_normalization
        self.architecture = architecture
        self.filters = filters
        self.kernel_size = kernel_size
        self.conv_layers = conv_layers
        self.recurrent = recurrent
        self.recurrent_units = recurrent_units
        self.bidirectional = bidirectional
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.loss = loss
        self.metrics = metrics
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.model = model
        self.model_kwargs = model_kwargs
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def _network_kwargs(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(
            not isinstance(s, Integral | np.integer) or isinstance(s, bool) or s < 1
            for s in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a sequence of positive integers; "
                f"got {self.hidden_layer_sizes!r}."
            )
        return {
            "hidden_layer_sizes": tuple(int(s) for s in sizes),
            "activation": self.activation,
            "dropout": float(self.dropout),
            "alpha": float(self.alpha),
            "batch_normalization": bool(self.batch_normalization),
            "architecture": self.architecture,
            "filters": int(self.filters),
            "kernel_size": int(self.kernel_size),
            "conv_layers": int(self.conv_layers),
            "recurrent": self.recurrent,
            "recurrent_units": int(self.recurrent_units),
            "bidirectional": bool(self.bidirectional),
        }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train a new network on ``(X, y)``.

        Each call builds a fresh network: ``fit`` never continues an earlier
        training.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, numeric, without missing values (put a
            :class:`~sklearn.impute.SimpleImputer` before the estimator).
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, multiplied into the loss (and, for
            classifiers, with the weights of ``class_weight``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        network = self._network_kwargs()
        X, y = self._validate_fit_data(X, y)
        self._y_ndim = np.ndim(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, copy=True)
            if not np.any(sample_weight):
                raise ValueError(
                    "sample_weight is zero for every sample: there is nothing to "
                    "train on."
                )

        from . import _engine

        seed = check_random_state(self.random_state).randint(_INT32_MAX)
        engine = _engine.make_engine(
            self._engine_class(),
            self,
            loss=self._resolve_loss(y),
            seed=seed,
            builder_kwargs={"network": network, "output": self._output},
            **self._engine_kwargs(),
        )
        engine.fit(X, y, sample_weight=sample_weight)

        self.model_ = engine.model_
        self.history_ = engine.history_
        self.n_iter_ = len(self.history_.get("loss", ()))
        self._store_engine_state(engine)
        self._inference_plan = (
            make_plan(self.model_, self.n_features_in_, probe=X)
            if self.architecture == "dense"
            else None
        )
        self._finish_fit(X, y)
        return self

    def _validate_fit_data(self, X, y):
        """Validated ``X`` and the target as the network is trained on it."""
        X, y = validate_data(
            self,
            X,
            y,
            dtype=(np.float64, np.float32),
            y_numeric=self._y_numeric,
            multi_output=self._multi_output,
            allow_nd=self.architecture != "dense",
        )
        return self._check_input_shape(X, reset=True), self._validate_targets(y)

    #: dimensions of X each architecture takes
    _INPUT_DIMS = {"dense": (2,), "cnn1d": (3,), "rnn": (3,), "cnn2d": (3, 4)}

    def _validate_X(self, X, reset):
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=(np.float64, np.float32),
            allow_nd=self.architecture != "dense",
        )
        return self._check_input_shape(X, reset)

    def _check_input_shape(self, X, reset):
        """Check the dimensions ``architecture`` takes; images get a channel axis."""
        allowed = self._INPUT_DIMS[self.architecture]
        if X.ndim not in allowed:
            takes = {
                "cnn1d": "sequences of shape (n_samples, length, channels), e.g. one-hot DNA",
                "rnn": "sequences of shape (n_samples, length, channels), e.g. one-hot DNA",
                "cnn2d": "images of shape (n_samples, height, width[, channels])",
            }[self.architecture]
            raise ValueError(
                f"architecture={self.architecture!r} takes {takes}; got X with "
                f"{X.ndim} dimensions."
            )
        if self.architecture == "cnn2d" and X.ndim == 3:
            X = X[..., np.newaxis]
        if reset:
            self._input_shape = X.shape[1:]
        elif X.shape[1:] != self._input_shape:
            raise ValueError(
                f"X has samples of shape {X.shape[1:]}, but {type(self).__name__} "
                f"was fitted on samples of shape {self._input_shape}."
            )
        return X

    def _finish_fit(self, X, y):
        """Fit what follows the network (e.g. a baseline hazard)."""

    def _engine_kwargs(self):
        return {}

    def _store_engine_state(self, engine):
        """Copy fitted attributes other than the model from the engine."""

    # -------------------------------------------------------------- predict
    def _forward(self, X):
        """Validate ``X`` and return the network's raw output, float64, 2-D."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        plan = getattr(self, "_inference_plan", None)
        if plan is not None:
            # in the input's precision: float64 rows give the same result
            # whatever the batch they come in (float32 GEMM kernels do not)
            out = plan(X).astype(np.float64, copy=False)
            return out.reshape(len(X), -1)
        _, keras = import_keras()
        X = np.asarray(X, dtype=keras.backend.floatx())
        outputs = [
            np.asarray(self.model_(X[i : i + _PREDICT_CHUNK], training=False))
            for i in range(0, len(X), _PREDICT_CHUNK)
        ]
        out = np.concatenate(outputs).astype(np.float64)
        return out.reshape(len(X), -1)

    # ----------------------------------------------------------------- tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags

    # ---------------------------------------------------------- persistence
    # The network is pickled as the bytes of a ``.keras`` archive and loaded
    # back (importing TensorFlow) only when ``model_`` is first used, so that
    # a reloaded dense network predicts through its inference plan without
    # TensorFlow.
    def __getstate__(self):
        state = dict(super().__getstate__())
        if "model_" in state:
            from ._persistence import model_to_bytes

            state["model_"] = _SavedModel(model_to_bytes(state["model_"]))
        elif "_model_archive" in state:
            state["model_"] = state.pop("_model_archive")
        return state

    def __setstate__(self, state):
        state = dict(state)
        if isinstance(state.get("model_"), _SavedModel):
            state["_model_archive"] = state.pop("model_")
        super().__setstate__(state)

    def __getattr__(self, name):
        # only called when normal lookup fails: load a pickled network lazily
        archive = self.__dict__.get("_model_archive")
        if name == "model_" and archive is not None:
            from ._persistence import model_from_bytes

            self.__dict__["model_"] = model_from_bytes(archive.data)
            del self.__dict__["_model_archive"]
            return self.__dict__["model_"]
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )


class _SavedModel:
    """A fitted Keras model inside a pickle: the bytes of its ``.keras`` file."""

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data

    def __getstate__(self):
        return self.data

    def __setstate__(self, data):
        self.data = data
