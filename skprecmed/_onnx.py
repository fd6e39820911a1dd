"""ONNX export of fitted pipelines, through skl2onnx.

:func:`register_onnx_converters` tells skl2onnx how to convert
:class:`~skprecmed.KerasNetClassifier` and
:class:`~skprecmed.KerasNetRegressor`, so that ``skl2onnx.to_onnx`` turns a
whole pipeline (imputer, scaler, our network) into one ONNX graph, as it
does for scikit-learn's own MLP.

The network itself is exported by Keras (``model.export(format="onnx")``,
which runs tf2onnx on the TensorFlow backend); its nodes are copied into
skl2onnx's graph under fresh names, and the estimator's own last steps are
added as ONNX operators: the mean of an ensemble's members, the classifier's
probabilities of both classes and its labels, the regressor's return to the
target's units.

Nothing here is imported by ``import skprecmed``; skl2onnx, onnx and tf2onnx
are imported when the converters are registered or run.
"""

import contextlib
import os
import tempfile
import warnings

import numpy as np

#: the highest ONNX opset tf2onnx converts to (its ``OPSET_TO_IR_VERSION``)
_TF2ONNX_MAX_OPSET = 18

_ONNX_PACKAGES = "pip install 'skprecmed[onnx]' (skl2onnx, onnx, tf2onnx, onnxruntime)"


def register_onnx_converters():
    """Register skprecmed's estimators with skl2onnx, for ``to_onnx``.

    After this call, ``skl2onnx.to_onnx`` converts a fitted
    :class:`KerasNetClassifier` or :class:`KerasNetRegressor` with a dense
    network (``architecture="dense"``), alone or at the end of a
    :class:`~sklearn.pipeline.Pipeline` after scikit-learn's imputers and
    scalers, into one ONNX graph that ONNX Runtime can serve without Python.
    The classifier takes skl2onnx's usual classifier options (``zipmap``,
    ``nocl``) and outputs ``label`` and ``probabilities`` as scikit-learn's
    :class:`~sklearn.neural_network.MLPClassifier` does; the regressor
    outputs ``variable`` of shape (n_samples, n_outputs) in the target's
    units. Calling it again does nothing new.

    The network is exported by Keras (``model.export(format="onnx")``,
    which uses tf2onnx), so converting needs TensorFlow and the ``onnx``
    extra; running the ONNX file needs neither.

    Raises
    ------
    ImportError
        If skl2onnx, onnx or tf2onnx is not installed.

    See Also
    --------
    KerasNetClassifier.predict_proba : What the ONNX ``probabilities`` match.

    Notes
    -----
    A network other than ``architecture="dense"`` (sequences, images) is
    refused with a ``ValueError`` at conversion time: scikit-learn pipelines
    and skl2onnx carry tables of shape (n_samples, n_features). Survival
    estimators are not registered.

    ONNX computes in float32 (give ``to_onnx`` float32 rows); its outputs
    match ``predict_proba`` and ``predict`` to about 1e-6.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprecmed import KerasNetClassifier, register_onnx_converters
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> net = KerasNetClassifier(hidden_layer_sizes=(8,), epochs=3, random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), net).fit(X, y)
    >>> register_onnx_converters()
    >>> onx = to_onnx(pipe, X[:1], options={id(net): {"zipmap": False}})
    >>> session = onnxruntime.InferenceSession(onx.SerializeToString())
    >>> label, proba = session.run(None, {"X": X[:5]})
    >>> bool(np.allclose(proba, pipe.predict_proba(X[:5]), atol=1e-5))
    True
    """
    try:
        from skl2onnx import update_registered_converter
        from skl2onnx.common.shape_calculator import (
            calculate_linear_classifier_output_shapes,
        )
    except ImportError as exc:
        raise ImportError(
            f"ONNX export needs skl2onnx, onnx and tf2onnx: {_ONNX_PACKAGES}."
        ) from exc
    from ._classifier import KerasNetClassifier
    from ._regressor import KerasNetRegressor

    def classifier_shapes(operator):
        _check_convertible(operator.raw_operator)
        calculate_linear_classifier_output_shapes(operator)

    update_registered_converter(
        KerasNetClassifier,
        "SkprecmedKerasNetClassifier",
        classifier_shapes,
        _convert_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )
    update_registered_converter(
        KerasNetRegressor,
        "SkprecmedKerasNetRegressor",
        _regressor_shapes,
        _convert_regressor,
    )


def _check_convertible(estimator):
    """A fitted dense network, or a ValueError saying why not."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    if estimator.architecture != "dense":
        raise ValueError(
            f"ONNX export supports architecture='dense' (tables of shape "
            f"(n_samples, n_features)); this {type(estimator).__name__} has "
            f"architecture={estimator.architecture!r}. Export its network with "
            "Keras instead: est.model_.export(path, format='onnx')."
        )


def _regressor_shapes(operator):
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    estimator = operator.raw_operator
    _check_convertible(estimator)
    kind = (
        DoubleTensorType
        if isinstance(operator.inputs[0].type, DoubleTensorType)
        else FloatTensorType
    )
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = kind([n, int(estimator.n_outputs_)])


# --------------------------------------------------------------- the network
def _export_network(estimator, opset):
    """The estimator's Keras network as an ``onnx.ModelProto`` (float32)."""
    import onnx

    from ._keras import grappler_silenced, import_keras

    try:
        import tf2onnx  # noqa: F401  (Keras' export imports it by name)
    except ImportError as exc:
        raise ImportError(
            f"Keras exports networks to ONNX with tf2onnx: {_ONNX_PACKAGES}."
        ) from exc
    tf, keras = import_keras()
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            "ONNX export goes through TensorFlow (tf2onnx); Keras runs on the "
            f"{keras.backend.backend()!r} backend. Export with KERAS_BACKEND="
            "tensorflow (a model file saved under another backend loads there)."
        )
    if tuple(int(part) for part in keras.version().split(".")[:2]) < (3, 12):
        raise ImportError(
            "ONNX export needs Keras >= 3.12 (the first to take an ONNX opset); "
            f"Keras {keras.version()} is installed: {_ONNX_PACKAGES}."
        )
    signature = [
        tf.TensorSpec((None, estimator.n_features_in_), tf.float32, name="features")
    ]
    with tempfile.TemporaryDirectory() as folder, _tf2onnx_effects_undone():
        path = os.path.join(folder, "network.onnx")
        with warnings.catch_warnings(), grappler_silenced():
            # Keras' tf2onnx patch asks NumPy 2 for the removed np.object
            warnings.filterwarnings(
                "ignore", message=".*np.object", category=FutureWarning
            )
            estimator.model_.export(
                path,
                format="onnx",
                verbose=False,
                input_signature=signature,
                opset_version=min(opset, _TF2ONNX_MAX_OPSET),
            )
        return onnx.load(path)


@contextlib.contextmanager
def _tf2onnx_effects_undone():
    """Undo what importing tf2onnx and Keras' patch of it do process-wide.

    ``tf2onnx.convert`` sets ``os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"`` on
    import (inherited by every later subprocess), and Keras defines the
    ``np.object`` that NumPy 2 removed (for tf2onnx < 1.17).
    """
    level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    had_object = "object" in vars(np)
    try:
        yield
    finally:
        if level is None:
            os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
        else:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = level
        if not had_object:
            vars(np).pop("object", None)


def _copy_network(scope, container, input_name, network):
    """Copy ``network``'s graph into skl2onnx's; the name of its output."""
    from onnx import helper, numpy_helper
    from onnx.onnx_pb import AttributeProto

    graph = network.graph
    versions = {op.domain: op.version for op in network.opset_import}
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ValueError(
            "ONNX export needs a network with one input and one output; Keras "
            f"exported {len(graph.input)} inputs and {len(graph.output)} outputs."
        )
    names = {graph.input[0].name: input_name}

    def rename(name):
        if name == "":  # an omitted optional input
            return name
        if name not in names:
            names[name] = scope.get_unique_variable_name(f"net_{name}")
        return names[name]

    for tensor in graph.initializer:
        value = numpy_helper.to_array(tensor)
        container.add_initializer(
            rename(tensor.name), tensor.data_type, list(value.shape), value.ravel()
        )
    for node in graph.node:
        attributes = {}
        for attribute in node.attribute:
            if attribute.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS):
                raise ValueError(
                    f"ONNX export cannot copy the network's {node.op_type} node "
                    "(it holds a subgraph)."
                )
            attributes[attribute.name] = helper.get_attribute_value(attribute)
        container.add_node(
            node.op_type,
            [rename(name) for name in node.input],
            [rename(name) for name in node.output],
            op_domain=node.domain,
            op_version=versions.get(node.domain or ""),
            name=scope.get_unique_operator_name(f"net_{node.op_type}"),
            **attributes,
        )
    return rename(graph.output[0].name)


def _network_output(scope, container, operator, weights=None, offset=None):
    """The network's output for ``operator``'s input, the members combined.

    The network outputs its members side by side, (n, n_members * n_out);
    the result is ``members @ M + offset`` of shape (n, n_out), with ``M``
    the members' mean times ``weights`` per output (the regressor's scale).
    Computed in float32; returns its name, ``n_out`` and its ONNX type
    (double for double inputs, float otherwise).
    """
    from onnx import TensorProto
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    estimator = operator.raw_operator
    input_type = operator.inputs[0].type
    network = _export_network(estimator, container.target_opset or 15)
    features = operator.inputs[0].full_name
    if not isinstance(input_type, FloatTensorType):  # the network is float32
        features = _cast(scope, container, features, TensorProto.FLOAT)
    out = _copy_network(scope, container, features, network)

    n_members = int(getattr(estimator, "_n_members", 1))
    width = network.graph.output[0].type.tensor_type.shape.dim[-1].dim_value
    if width == 0 or width % n_members:
        raise ValueError(
            f"ONNX export needs a network with a fixed number of outputs; "
            f"Keras exported one of shape {network.graph.output[0].type}."
        )
    n_out = int(width) // n_members
    if n_members > 1 or weights is not None:
        scale = np.ones(n_out) if weights is None else np.asarray(weights)
        mean = np.tile(np.diag(scale / n_members), (n_members, 1))
        out = _binary(scope, container, "MatMul", out, mean.astype(np.float32))
        if offset is not None:
            out = _binary(scope, container, "Add", out, offset.astype(np.float32))
    dtype = TensorProto.FLOAT
    if isinstance(input_type, DoubleTensorType):
        dtype = TensorProto.DOUBLE
        out = _cast(scope, container, out, dtype)
    return out, n_out, dtype


def _cast(scope, container, name, to):
    out = scope.get_unique_variable_name("cast")
    container.add_node(
        "Cast", [name], [out], to=to, name=scope.get_unique_operator_name("Cast")
    )
    return out


def _constant(scope, container, value):
    """An initializer holding ``value``; its name."""
    from onnx import helper

    name = scope.get_unique_variable_name("const")
    container.add_initializer(
        name,
        helper.np_dtype_to_tensor_dtype(value.dtype),
        list(value.shape),
        value.ravel(),
    )
    return name


def _binary(scope, container, op_type, left, right, output=None):
    """``op_type(left, right)``; a NumPy array is added as an initializer."""
    inputs = [
        x if isinstance(x, str) else _constant(scope, container, x)
        for x in (left, right)
    ]
    output = output or scope.get_unique_variable_name(op_type.lower())
    container.add_node(
        op_type, inputs, [output], name=scope.get_unique_operator_name(op_type)
    )
    return output


# ------------------------------------------------------------- converters
def _convert_classifier(scope, operator, container):
    from onnx import TensorProto, helper
    from skl2onnx.common.utils_classifier import get_label_classes

    estimator = operator.raw_operator
    out, n_out, dtype = _network_output(scope, container, operator)
    proba = operator.outputs[1].full_name
    if n_out == 1 and len(estimator.classes_) == 2:  # one sigmoid unit
        one = np.ones((1, 1), dtype=helper.tensor_dtype_to_np_dtype(dtype))
        negative = _binary(scope, container, "Sub", one, out)
        container.add_node(
            "Concat",
            [negative, out],
            [proba],
            axis=1,
            name=scope.get_unique_operator_name("Concat"),
        )
    else:
        container.add_node(
            "Identity", [out], [proba], name=scope.get_unique_operator_name("Identity")
        )

    # labels as skl2onnx's classifiers give them: int64 for numbers and
    # booleans, strings otherwise; class indices with the option nocl
    classes = np.asarray(get_label_classes(scope, estimator))
    if classes.dtype.kind in "biuf":
        classes = classes.astype(np.int64)
    else:
        classes = np.array([str(c).encode("utf-8") for c in classes])
    argmax = scope.get_unique_variable_name("argmax")
    container.add_node(
        "ArgMax",
        [proba],
        [argmax],
        axis=1,
        keepdims=0,
        name=scope.get_unique_operator_name("ArgMax"),
    )
    names = scope.get_unique_variable_name("classes")
    container.add_initializer(
        names,
        TensorProto.INT64 if classes.dtype == np.int64 else TensorProto.STRING,
        [len(classes)],
        classes,
    )
    labels = scope.get_unique_variable_name("labels")
    container.add_node(
        "ArrayFeatureExtractor",
        [names, argmax],
        [labels],
        op_domain="ai.onnx.ml",
        name=scope.get_unique_operator_name("ArrayFeatureExtractor"),
    )
    _binary(
        scope,
        container,
        "Reshape",
        labels,
        np.array([-1], dtype=np.int64),
        output=operator.outputs[0].full_name,
    )


def _convert_regressor(scope, operator, container):
    estimator = operator.raw_operator
    out, _, _ = _network_output(
        scope,
        container,
        operator,
        weights=np.asarray(estimator._y_scale, dtype=np.float64),
        offset=np.asarray(estimator._y_mean, dtype=np.float64),
    )
    container.add_node(
        "Identity",
        [out],
        [operator.outputs[0].full_name],
        name=scope.get_unique_operator_name("Identity"),
    )
