"""The estimators' shared parameters, ``fit`` and forward pass.

``fit`` reads top to bottom: validate once, draw every seed once, prepare
the target (a subclass hook, data in, data out), build and compile the
network (:mod:`._build`), train it (:mod:`._training`), store the fitted
state, make the NumPy inference plan, and finish (a subclass hook).
``_partial_fit`` (behind the estimators' ``partial_fit``) takes the same
steps for one epoch, building the network on its first call only.

Nothing here imports TensorFlow or Keras at module level: they are imported
on first use (:mod:`._keras`), so that ``import skprecmed``, building
estimators and parameter grids stay cheap.
"""

from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from . import _build, _trainers, _training
from ._branches import check_branch_list, resolve_branches
from ._inference import all_finite, make_plan
from ._keras import import_keras
from ._network import fill_unknown_embeddings
from ._persistence import NetworkPicklingMixin

_INT32_MAX = np.iinfo(np.int32).max
#: rows per forward pass in prediction: bounds memory, keeps BLAS efficient
_PREDICT_CHUNK = 16384


class _Seeds(NamedTuple):
    build: int
    split: int
    shuffle: int


def _draw_seeds(random_state):
    """Every seed of one fit, from one ``check_random_state``."""
    root = check_random_state(random_state).randint(_INT32_MAX)
    build, split, shuffle = np.random.RandomState(root).randint(_INT32_MAX, size=3)
    return _Seeds(int(build), int(split), int(shuffle))


def _validate_sample_weight(sample_weight, X):
    """Non-negative weights with at least one above zero, as a float copy."""
    if sample_weight is None:
        return None
    values = np.asarray(sample_weight)
    if values.dtype.kind in "biuf":  # others get scikit-learn's own message
        if np.any(values < 0):
            raise ValueError(
                "sample_weight has negative values; weights must be >= 0 (as in "
                "scikit-learn's own estimators)."
            )
        if not np.any(values):
            raise ValueError(
                "sample_weight is zero for every sample: there is nothing to train on."
            )
    return _check_sample_weight(sample_weight, X, copy=True)


@dataclass(frozen=True)
class FitTarget:
    """The target of one fit as the network learns it.

    Returned by the estimators' ``_prepare_target``.

    Attributes
    ----------
    y : ndarray
        The target the loss takes (encoded classes; values; time and event).
    n_outputs : int
        Units of the output layer.
    activation : str
        Activation of the output layer.
    loss : str, keras loss or callable
        The loss of this fit (``loss="auto"`` resolved).
    sample_weight : ndarray or None
        Weights of the rows in the loss (with class weights folded in).
    stratify : bool
        Whether the early-stopping split is stratified on the classes of y.
    meta : dict
        What a user's model-building function learns of the target, with
        scikeras' keys (``classes_``, ``n_classes_``, ``n_outputs_``, ...).
    attributes : dict
        Fitted attributes describing the target (``classes_``), set on the
        estimator after training.
    output_bias : ndarray of shape (n_outputs,) or None
        Starting bias of skprecmed's own output layer (every ensemble
        member's), e.g. the logits of the target's marginal distribution,
        so that training starts from the model without covariates; None
        keeps Keras' zeros. A user's network is left as built.
    output_groups : int
        Blocks of outputs that share effects in skprecmed's own output layer
        (the intervals of a discrete-time survival network; see
        :func:`skprecmed._network.build_network`); 1 for a plain layer.
    output_smoothing : float
        With ``output_groups`` > 1, the strength of the penalty on the
        blocks' own effects changing between adjacent blocks; 0 penalises
        them by ``alpha`` instead.
    """

    y: np.ndarray
    n_outputs: int
    activation: str
    loss: Any
    sample_weight: Any = None
    stratify: bool = False
    meta: dict = field(default_factory=dict)
    attributes: dict = field(default_factory=dict)
    output_bias: Any = None
    output_groups: int = 1
    output_smoothing: float = 0.0


def _builder_meta(X, target):
    """scikeras' ``meta`` for a user's model-building function."""
    from sklearn.preprocessing import FunctionTransformer

    return {
        "n_features_in_": X.shape[1],
        "X_dtype_": X.dtype,
        "X_shape_": X.shape,
        "feature_encoder_": FunctionTransformer().fit(X),
        **target.meta,
    }


class _BaseKerasNet(NetworkPicklingMixin, BaseEstimator):
    """Base class of the Keras network estimators.

    Subclasses put their mixin first (``ClassifierMixin``/``RegressorMixin``)
    and define ``__init__`` with every parameter (if they add any),
    ``_prepare_target`` and, if something is fitted after the network,
    ``_finish_fit``; class attributes ``_y_numeric``, ``_multi_output`` and
    ``_validate_y`` say how scikit-learn validates ``y``.

    Warning: This class should not be used directly. Use derived classes
    instead.
    """

    _multi_output = False

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [str, callable],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_normalization": ["boolean"],
        "skip_connection": ["boolean"],
        "architecture": [StrOptions({"dense", "cnn1d", "rnn", "cnn2d"})],
        "filters": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "conv_layers": [Interval(Integral, 1, None, closed="left")],
        "recurrent": [StrOptions({"gru", "lstm"})],
        "recurrent_units": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "branches": [list, None],
        "ensemble_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [str, type, HasMethods(["apply_gradients"])],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither"), None],
        "loss": [StrOptions({"auto"}), str, callable],
        "metrics": [list, None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
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
        self.skip_connection = skip_connection
        self.architecture = architecture
        self.filters = filters
        self.kernel_size = kernel_size
        self.conv_layers = conv_layers
        self.recurrent = recurrent
        self.recurrent_units = recurrent_units
        self.bidirectional = bidirectional
        self.branches = branches
        self.ensemble_size = ensemble_size
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
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train a new network on ``(X, y)``.

        Each call builds a fresh network: ``fit`` never continues an earlier
        training (by ``fit`` or ``partial_fit``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, numeric, without missing values (put a
            :class:`~sklearn.impute.SimpleImputer` before the estimator).
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights, multiplied into the loss (and,
            for classifiers, with the weights of ``class_weight``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        network = self._network_kwargs()
        X, y = self._validate_fit_data(X, y, reset=True)
        network["branches"] = self._resolve_branches(X)
        sample_weight = _validate_sample_weight(sample_weight, X)
        seeds = _draw_seeds(self.random_state)
        target = self._prepare_target(X, y, sample_weight)
        model, architecture = self._build_network(X, target, network, seeds.build)
        history, trained = self._train(
            model,
            architecture,
            X,
            target,
            epochs=self.epochs,
            early_stopping=self.early_stopping,
            seeds=seeds,
            branches=network["branches"],
        )
        self._store_fit(
            model, architecture, history, trained, target, network["branches"]
        )
        self._finish_fit(X, target)
        return self

    def _partial_fit(self, X, y, sample_weight, **target_kwargs):
        """One pass over ``(X, y)``, continuing the fitted network if any.

        The first call (on an unfitted estimator) validates ``X`` with
        ``reset=True``, learns the target's encoding and builds the network
        as ``fit`` does; later calls check ``X`` and ``y`` against the first
        and train the same network and optimizer state one more epoch. No
        early stopping (there is no hold-out), and ``_finish_fit`` is not
        called: estimators that fit something after the network over all
        the training rows have no ``partial_fit``.

        ``target_kwargs`` go to ``_prepare_target`` (the classifier's
        ``classes``).
        """
        first_call = not hasattr(self, "model_")
        X, y = self._validate_fit_data(X, y, reset=first_call)
        sample_weight = _validate_sample_weight(sample_weight, X)
        seeds = _draw_seeds(self.random_state)
        target = self._prepare_target(
            X, y, sample_weight, reset=first_call, **target_kwargs
        )
        branches = self._resolve_branches(X)
        if first_call:
            network = {**self._network_kwargs(), "branches": branches}
            model, architecture = self._build_network(X, target, network, seeds.build)
            history = {}
        else:
            model, history = self.model_, self.history_
            # None for an estimator pickled before partial_fit existed: the
            # network is then trained itself (same result, no cached trainer)
            architecture = getattr(self, "_architecture", None)
        # the rows in a new order at each pass, reproducibly
        epochs_done = len(history.get("loss", ()))
        seeds = seeds._replace(shuffle=(seeds.shuffle + epochs_done) % _INT32_MAX)
        epoch, trained = self._train(
            model,
            architecture,
            X,
            target,
            epochs=1,
            early_stopping=False,
            seeds=seeds,
            branches=branches,
        )
        history = {k: [*history.get(k, ()), *v] for k, v in epoch.items()}
        self._store_fit(model, architecture, history, trained, target, branches)
        return self

    def _build_network(self, X, target, network, seed):
        """The network of a new fit and its trainer-cache architecture.

        skprecmed's own network is returned as a :class:`._build.Recipe`:
        it is built only if no cached trainer has its start, and the fitted
        estimator's Keras model only when it is used. The user's network is
        built and compiled here.
        """
        if self.model is None:
            # only then: other networks keep their trainer-cache keys
            if target.output_groups > 1:
                network = {**network, "output_groups": target.output_groups}
            # a switch in the key, the strength set after building (one
            # block has nothing to smooth)
            smoothing = target.output_groups > 1 and target.output_smoothing
            if smoothing:
                network = {**network, "output_smoothing": True}
            recipe = _build.Recipe(
                X.shape[1:],
                target.n_outputs,
                target.activation,
                network,
                _build.compile_spec(self, target.loss),
                seed,
                output_bias=target.output_bias,
                output_smoothing=target.output_smoothing if smoothing else None,
            )
            return recipe, recipe.architecture
        if self.ensemble_size > 1:
            raise ValueError(
                "ensemble_size > 1 builds skprecmed's own networks; with a "
                "custom model, set ensemble_size=1."
            )
        model = _build.build_custom(
            self.model,
            self.model_kwargs,
            _builder_meta(X, target),
            _build.compile_kwargs(self, target.loss),
            self.get_params(),
            seed,
        )
        return model, None  # the user's network is trained itself

    def _train(
        self,
        network,
        architecture,
        X,
        target,
        *,
        epochs,
        early_stopping,
        seeds,
        branches,
    ):
        """Train ``network`` on ``(X, target)``; its history and what it holds.

        What it holds: the NumPy inference plan, and for a recipe (a network
        not built) the trained state, both read from the trained Keras model
        before it goes back to the trainer cache, with the embeddings of
        unknown categories filled in first.
        """

        def finish(trainer):
            model = trainer.model
            if branches:
                fill_unknown_embeddings(
                    model, branches, X, ensemble_size=self.ensemble_size
                )
            plan = None
            if self.architecture == "dense":
                checked = "inference plan" in trainer.checked
                plan = make_plan(model, self.n_features_in_, probe=X, check=not checked)
                if plan is not None:
                    trainer.checked.add("inference plan")
            recipe = isinstance(network, _build.Recipe)
            return plan, _trainers.state(model) if recipe else None

        return _training.train(
            network,
            X,
            target.y,
            sample_weight=target.sample_weight,
            architecture=architecture,
            epochs=epochs,
            batch_size=self._auto_batch_size
            if self.batch_size == "auto"
            else self.batch_size,
            shuffle=self.shuffle,
            shuffle_seed=seeds.shuffle,
            early_stopping=early_stopping,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change,
            stratify=target.stratify,
            split_seed=seeds.split,
            callbacks=self.callbacks,
            verbose=self.verbose,
            finish=finish,
        )

    def _store_fit(self, network, architecture, history, trained, target, branches):
        """Set the fitted attributes, the network's model and inference plan.

        ``trained`` is what :meth:`_train` returned with the history.
        """
        plan, state = trained
        for name in ("model_", "_pending_model", "_model_archive"):
            vars(self).pop(name, None)  # an earlier fit's
        if not isinstance(network, _build.Recipe):
            self.model_ = network
        elif plan is None:  # predictions need the Keras model: built now
            self.model_ = _trainers.build_trained(network, state)
        else:  # built when first used (NetworkPicklingMixin)
            self._pending_model = (network, state)
        self.history_ = history
        self.n_iter_ = len(history.get("loss", ()))
        self._architecture = architecture
        self._n_members = int(self.ensemble_size) if self.model is None else 1
        for name, value in target.attributes.items():
            setattr(self, name, value)
        if branches:
            self.branch_columns_ = {
                branch.name: np.asarray(branch.columns) for branch in branches
            }
        else:  # a refit without branches
            vars(self).pop("branch_columns_", None)
        self._inference_plan = plan

    def _network_kwargs(self):
        if self.branches is not None and (
            self.model is not None or self.architecture != "dense"
        ):
            raise ValueError(
                "branches builds skprecmed's own multi-modal network, each branch "
                "with its own extractor: leave architecture='dense' and model=None "
                f"(got architecture={self.architecture!r}, model={self.model!r})."
            )
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
            "skip_connection": bool(self.skip_connection),
            "architecture": self.architecture,
            "filters": int(self.filters),
            "kernel_size": int(self.kernel_size),
            "conv_layers": int(self.conv_layers),
            "recurrent": self.recurrent,
            "recurrent_units": int(self.recurrent_units),
            "bidirectional": bool(self.bidirectional),
            "ensemble_size": int(self.ensemble_size),
        }

    def _resolve_branches(self, X):
        """The network's branches for the validated ``X`` (None without)."""
        if self.branches is None:
            return None
        pairs = check_branch_list(self.branches, self._get_param_names())
        return resolve_branches(pairs, X, getattr(self, "feature_names_in_", None))

    # ------------------------------------------------- nested branch params
    def _branch_pairs(self):
        branches = self.branches
        if not isinstance(branches, list) or not all(
            isinstance(b, tuple | list) and len(b) == 2 for b in branches
        ):
            return []
        return branches

    def get_params(self, deep=True):
        """Get parameters for this estimator.

        With ``deep=True``, each branch of ``branches`` and its parameters
        are included too, as ``<name>`` and ``<name>__<parameter>`` (as a
        :class:`~sklearn.compose.ColumnTransformer` does with its
        transformers), so a grid search can tune them.

        Parameters
        ----------
        deep : bool, default=True
            Whether to include the branches and their parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        if deep:
            for name, branch in self._branch_pairs():
                params[name] = branch
                if hasattr(branch, "get_params"):  # others are refused in fit
                    for key, value in branch.get_params(deep=True).items():
                        params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set the parameters of this estimator and of its branches.

        ``<name>=branch`` replaces the branch ``<name>`` of ``branches`` (in
        a new list: the user's is left as it was); ``<name>__<parameter>``
        sets a parameter of that branch.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            Estimator instance.
        """
        if "branches" in params:
            self.branches = params.pop("branches")
        names = {name for name, _ in self._branch_pairs()}
        replaced = {name: params.pop(name) for name in list(params) if name in names}
        if replaced:
            self.branches = [
                (name, replaced.get(name, branch))
                for name, branch in self._branch_pairs()
            ]
        super().set_params(**params)
        return self

    #: rows per gradient step for ``batch_size="auto"``
    _auto_batch_size = 32

    #: False for targets that scikit-learn cannot validate (survival's
    #: structured arrays): ``_prepare_target`` validates them instead
    _validate_y = True

    def _validate_fit_data(self, X, y, reset):
        """``X`` (and ``y``) validated once, with the architecture's shape.

        ``reset=False`` (a later ``partial_fit``) checks ``X``'s features
        and shape against the first call's instead of learning them.
        """
        checks = {
            "dtype": (np.float64, np.float32),
            "allow_nd": self.architecture != "dense",
        }
        if self._validate_y:
            X, y = validate_data(
                self,
                X,
                y,
                reset=reset,
                y_numeric=self._y_numeric,
                multi_output=self._multi_output,
                **checks,
            )
        else:
            X = validate_data(self, X, reset=reset, **checks)
        return self._check_input_shape(X, reset=reset), y

    #: dimensions of X each architecture takes
    _INPUT_DIMS = {"dense": (2,), "cnn1d": (3,), "rnn": (3,), "cnn2d": (3, 4)}

    def _validate_X(self, X, reset, ensure_all_finite=True):
        self._check_branch_columns_present(X)
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=(np.float64, np.float32),
            allow_nd=self.architecture != "dense",
            ensure_all_finite=ensure_all_finite,
        )
        return self._check_input_shape(X, reset)

    def _check_branch_columns_present(self, X):
        """A DataFrame lacking columns a branch was fitted on: name the branch."""
        if not hasattr(X, "columns"):  # first: the per-row scoring path
            return
        names = getattr(self, "feature_names_in_", None)
        branches = getattr(self, "branch_columns_", None)
        if names is None or branches is None:
            return
        present = {str(c) for c in X.columns}
        for branch, columns in branches.items():
            missing = [str(names[c]) for c in columns if str(names[c]) not in present]
            if missing:
                raise ValueError(
                    f"X lacks {len(missing)} column(s) that branch {branch!r} was "
                    f"fitted on: {missing[:5]}{' ...' if len(missing) > 5 else ''}."
                )

    def _check_input_shape(self, X, reset):
        """Check the dimensions ``architecture`` takes; images get a channel axis."""
        allowed = self._INPUT_DIMS[self.architecture]
        if X.ndim not in allowed:
            sequences = (
                "sequences of shape (n_samples, length, channels), e.g. one-hot DNA"
            )
            takes = {
                "cnn1d": sequences,
                "rnn": sequences,
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

    def _prepare_target(self, X, y, sample_weight):
        """Turn ``y`` into what the network learns: a :class:`FitTarget`.

        Subclasses validate what scikit-learn's checks did not, choose the
        output layer and the default loss, and name the fitted attributes
        that describe the target (``classes_``). Nothing is stored on
        ``self`` here.

        Estimators with ``partial_fit`` also take ``reset``: True learns the
        encoding from this ``y`` (as ``fit`` does), False encodes ``y`` as
        the first call did, reading the fitted attributes, and raises a
        ``ValueError`` if ``y`` does not fit them (a label outside
        ``classes_``, another number of targets).
        """
        raise NotImplementedError

    def _finish_fit(self, X, target):
        """Fit what follows the network (e.g. a baseline hazard)."""

    # -------------------------------------------------------------- predict
    def _forward(self, X):
        """Validate ``X``; the network's raw output, float64, 2-D.

        For an ensemble, the mean of the members' outputs (probabilities,
        values or log-risks).
        """
        members = self._forward_members(X)
        # one network: no mean to take (NumPy's mean costs microseconds)
        return members[:, 0] if members.shape[1] == 1 else members.mean(axis=1)

    def _forward_members(self, X):
        """Validate ``X``; each member's raw output, shape (n, n_members, n_out)."""
        check_is_fitted(self)
        plan = getattr(self, "_inference_plan", None)
        # a plan starting with a dense layer checks X's finiteness on that
        # layer's outputs, usually fewer than X's values
        plan_checks = plan is not None and plan.checks_finite_inputs
        X = self._validate_X(X, reset=False, ensure_all_finite=not plan_checks)
        if plan is not None:
            # in the input's precision: float64 rows give the same result
            # whatever the batch they come in (float32 GEMM kernels do not);
            # overflow is reported below, once, as a ValueError
            check = self._assert_X_finite if plan_checks else None
            out = plan(X, check_finite=check).astype(np.float64, copy=False)
        else:
            _, keras = import_keras()
            X = np.asarray(X, dtype=keras.backend.floatx())
            outputs = [
                np.asarray(self.model_(X[i : i + _PREDICT_CHUNK], training=False))
                for i in range(0, len(X), _PREDICT_CHUNK)
            ]
            out = np.concatenate(outputs).astype(np.float64)
        out = out.reshape(len(X), -1)
        if not all_finite(out):
            bad = ~np.isfinite(out).all(axis=1)
            raise ValueError(
                f"The network's output is not finite for {int(bad.sum())} of "
                f"{len(X)} samples (first: row {int(np.flatnonzero(bad)[0])}): their "
                "features are far outside the range seen in fit; check they are "
                "scaled as the training data were."
            )
        return out.reshape(len(X), getattr(self, "_n_members", 1), -1)

    def _assert_X_finite(self, X):
        """scikit-learn's error for NaN or infinity in ``X``."""
        assert_all_finite(X, estimator_name=type(self).__name__, input_name="X")

    # ----------------------------------------------------------------- tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags
