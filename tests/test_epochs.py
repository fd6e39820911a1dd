"""One graph call per epoch trains as Keras' own ``fit`` does."""

import keras
import numpy as np
import pytest

from skprecmed import KerasNetClassifier, KerasNetRegressor, _epochs

from ._instances import fast


class BatchCounter(keras.callbacks.Callback):
    """Defines a batch hook, so the network must train through Keras' fit."""

    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def _net():
    net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    net.compile(loss="mse")
    return net


def test_supports_only_what_the_loop_calls():
    net = _net()
    assert _epochs.supports(net, [], verbose=0)
    assert _epochs.supports(net, [keras.callbacks.EarlyStopping()], verbose=0)
    assert _epochs.supports(
        net, [keras.callbacks.LambdaCallback(on_epoch_end=print)], verbose=0
    )
    assert not _epochs.supports(net, [], verbose=1)
    assert not _epochs.supports(net, [BatchCounter()], verbose=0)
    # a batch hook set on the instance, not defined by the class
    assert not _epochs.supports(
        net, [keras.callbacks.LambdaCallback(on_train_batch_end=print)], verbose=0
    )
    assert not _epochs.supports(net, [keras.callbacks.TerminateOnNaN()], verbose=0)


def test_eager_or_distributed_models_train_through_keras_fit():
    import tensorflow as tf

    eager = _net()
    eager.compile(loss="mse", run_eagerly=True)  # a user debugging a step
    assert not _epochs.supports(eager, [], verbose=0)
    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        distributed = _net()
    assert not _epochs.supports(distributed, [], verbose=0)
    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        assert not _epochs.supports(_net(), [], verbose=0)


@pytest.mark.parametrize(
    "params",
    [
        {"early_stopping": False, "epochs": 6},
        # validation each epoch, EarlyStopping restoring the best weights
        {"early_stopping": True, "epochs": 30, "n_iter_no_change": 2, "alpha": 0.01},
        {
            "dropout": 0.3,
            "batch_normalization": True,
            "batch_size": 50,
            "metrics": ["accuracy"],
        },
        # metrics reset inside each pass, the validation pass's too
        {
            "early_stopping": True,
            "epochs": 30,
            "n_iter_no_change": 2,
            "metrics": ["AUC", "accuracy"],
        },
    ],
)
def test_epoch_loop_and_keras_fit_train_alike(cancer, params):
    X, y = cancer
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    loop = KerasNetClassifier(**fast(**params)).fit(X, y, sample_weight=weights)
    counter = BatchCounter()
    keras_fit = KerasNetClassifier(**fast(**params), callbacks=[counter]).fit(
        X, y, sample_weight=weights
    )
    assert counter.batches > 0  # Keras' fit trained this one
    assert loop.history_.keys() == keras_fit.history_.keys()
    assert loop.n_iter_ == keras_fit.n_iter_
    for name, values in loop.history_.items():
        np.testing.assert_allclose(values, keras_fit.history_[name], rtol=1e-5)
    np.testing.assert_allclose(
        loop.predict_proba(X), keras_fit.predict_proba(X), rtol=1e-5, atol=1e-7
    )
    if params.get("early_stopping"):
        assert loop.n_iter_ < params["epochs"]  # stopped early, as Keras did


def test_epoch_hooks_see_the_logs_of_the_history(diabetes_scaled):
    X, y = diabetes_scaled
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"]))
    )
    reg = KerasNetRegressor(
        **fast(early_stopping=False, epochs=4), callbacks=[record]
    ).fit(X, y)
    assert [epoch for epoch, _ in seen] == [0, 1, 2, 3]
    assert [loss for _, loss in seen] == reg.history_["loss"]


def test_partial_fit_continues_through_the_loop(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**fast(batch_size=32))
    losses = []
    for _ in range(4):
        clf.partial_fit(X, y, classes=[0, 1])
        losses.append(clf.history_["loss"][-1])
    assert len(clf.history_["loss"]) == 4
    assert losses[-1] < losses[0]


class CountedResets(keras.metrics.Mean):
    """A user's metric whose ``reset_state`` does more than Keras' own."""

    resets = 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(keras.ops.ones_like(y_pred[:, 0]))

    def reset_state(self):
        type(self).resets += 1
        super().reset_state()


def test_a_users_reset_state_runs_at_each_epoch(cancer):
    X, y = cancer
    CountedResets.resets = 0
    clf = KerasNetClassifier(**fast(epochs=4, metrics=[CountedResets])).fit(X, y)
    # in Python at every epoch, not once while tracing
    assert CountedResets.resets >= 4
    assert len(clf.history_["mean"]) == 4


def test_keras_own_metrics_are_reset_inside_the_pass(cancer):
    from skprecmed import _trainers, clear_trainer_cache

    X, y = cancer
    clear_trainer_cache()
    KerasNetClassifier(**fast(epochs=3, metrics=["AUC"])).fit(X, y)
    (trainer,) = _trainers._trainers.values()
    assert all(traced.resets_metrics for traced in trainer.traced.values())


def _loop_is_lowered(traced):
    (loop,) = [
        op for op in traced.function.graph.get_operations() if op.type == "While"
    ]
    lowered = loop.node_def.attr.get("_lower_using_switch_merge")
    return lowered is not None and lowered.b


def test_small_steps_run_single_threaded_without_the_remapper_and_restore_options(
    cancer,
):
    import tensorflow as tf
    from tensorflow.python.eager import context

    from skprecmed import _trainers, clear_trainer_cache

    X, y = cancer
    clear_trainer_cache()
    before = context.context().function_call_options
    KerasNetClassifier(**fast(early_stopping=True, batch_size=32)).fit(X, y)
    assert context.context().function_call_options is before
    (trainer,) = _trainers._trainers.values()
    assert len(trainer.traced) == 2  # the train and the validation pass
    options = _epochs._call_options(trainer.model, 32)
    if tf.config.list_logical_devices("GPU"):
        assert options is None  # cuDNN's fused kernels pay: left as they are
        return
    assert options.executor_type == "SINGLE_THREADED_EXECUTOR"
    config = tf.compat.v1.ConfigProto()
    config.ParseFromString(options.config_proto_serialized)
    rewrites = config.graph_options.rewrite_options
    assert rewrites.remapping == type(rewrites).OFF
    # traced under the options: the epoch's loop stays a loop operation (the
    # single-threaded executor cannot run its switch/merge rewrite)
    assert not any(_loop_is_lowered(traced) for traced in trainer.traced.values())


@pytest.mark.parametrize(
    "params",
    [
        dict(batch_size=128),  # large minibatches
        dict(hidden_layer_sizes=(1100,)),  # a weight of 30 x 1100 elements
    ],
)
def test_large_steps_keep_the_default_executor_and_the_rewritten_loop(cancer, params):
    import tensorflow as tf

    from skprecmed import _trainers, clear_trainer_cache

    if tf.config.list_logical_devices("GPU"):
        pytest.skip("the options are left alone with a GPU")
    X, y = cancer
    clear_trainer_cache()
    clf = KerasNetClassifier(**fast(epochs=2, **params)).fit(X, y)
    (trainer,) = _trainers._trainers.values()
    options = _epochs._call_options(trainer.model, clf.get_params()["batch_size"])
    assert options.executor_type != "SINGLE_THREADED_EXECUTOR"
    assert all(_loop_is_lowered(traced) for traced in trainer.traced.values())
    assert len(clf.history_["loss"]) == 2


def test_which_steps_are_small():
    from skprecmed import SequenceEncoder

    rng = np.random.RandomState(0)
    X = SequenceEncoder().fit_transform(
        ["".join(rng.choice(list("ACGT"), 12)) for _ in range(40)]
    )
    y = rng.randint(2, size=40)
    cnn = KerasNetClassifier(**fast(architecture="cnn1d", filters=4)).fit(X, y)
    dense = KerasNetClassifier(**fast()).fit(X[:, :, 0], y)
    assert _epochs._small_steps(dense.model_, 64)
    assert not _epochs._small_steps(dense.model_, 65)
    assert not _epochs._small_steps(cnn.model_, 32)  # a convolution's kernel
    rnn = dict(architecture="rnn", recurrent_units=4, epochs=1)
    gru = KerasNetClassifier(**fast(**rnn)).fit(X, y)
    both_ways = KerasNetClassifier(**fast(**rnn, bidirectional=True)).fit(X, y)
    assert _epochs._small_steps(gru.model_, 32)
    assert not _epochs._small_steps(both_ways.model_, 32)
