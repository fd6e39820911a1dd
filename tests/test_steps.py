"""The traced training step: Adam written out trains as Keras' own, to the bit."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from skprecmed import KerasNetClassifier, _steps, _trainers

from ._instances import fast


def _seeded(seed):
    """A seeded initializer: no global seed, which would outlive the test."""
    return keras.initializers.GlorotUniform(seed=seed)


def _network(optimizer, constraint=None, seed=0):
    net = keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Dense(
                16,
                activation="relu",
                kernel_constraint=constraint,
                kernel_initializer=_seeded(seed),
            ),
            keras.layers.Dense(
                1, activation="sigmoid", kernel_initializer=_seeded(seed)
            ),
        ]
    )
    net.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["AUC"])
    return net


def _train(net, step, batches):
    traced = tf.function(step, autograph=False)
    for batch in batches:
        traced(batch)
    return [np.array(v) for v in net.variables + net.optimizer.variables]


@pytest.mark.parametrize("constraint", [None, keras.constraints.MaxNorm(0.5)])
def test_written_out_adam_trains_as_keras_own_step_to_the_bit(cancer, constraint):
    X, y = cancer
    X = X.astype("float32")
    y = y.astype("float32")[:, None]
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(y)).astype("float32")
    batches = [
        (X[i : i + 50], y[i : i + 50], weight[i : i + 50]) for i in range(0, 500, 50)
    ]
    ours = _network(keras.optimizers.Adam(0.01), constraint)
    theirs = _network(keras.optimizers.Adam(0.01), constraint)
    assert _steps.train_step(ours) != ours.train_step  # Adam written out
    trained = _train(ours, _steps.train_step(ours), batches)
    expected = _train(theirs, theirs.train_step, batches)
    assert int(trained[len(ours.variables)]) == len(batches)  # the step count
    for a, b in zip(trained, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    # the compiled metric and the loss tracker were updated alike
    assert ours.get_metrics_result().keys() == theirs.get_metrics_result().keys()
    for name, value in ours.get_metrics_result().items():
        assert float(value) == float(theirs.get_metrics_result()[name])


class Unused(keras.layers.Layer):
    """Passes its input through; its weight gets no gradient."""

    def build(self, input_shape):
        self.unused = self.add_weight(shape=(1,), initializer="ones")

    def call(self, x):
        return x


def test_a_weight_without_gradient_is_left_to_keras_as_its_step_does(cancer):
    X, y = cancer
    X, y = X[:100].astype("float32"), y[:100].astype("float32")[:, None]
    nets = []
    for _ in range(2):
        net = keras.Sequential(
            [
                keras.Input((30,)),
                Unused(),
                keras.layers.Dense(1, "sigmoid", kernel_initializer=_seeded(0)),
            ]
        )
        net.compile(optimizer="adam", loss="binary_crossentropy")
        nets.append(net)
    ours, theirs = nets
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        trained = _train(ours, _steps.train_step(ours), [(X, y)] * 3)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        expected = _train(theirs, theirs.train_step, [(X, y)] * 3)
    for a, b in zip(trained, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    assert float(ours.layers[0].unused[0]) == 1.0


class OwnStep(keras.Sequential):
    """A user's model with its own training step."""

    def train_step(self, data):
        return super().train_step(data)


@pytest.mark.parametrize(
    "make",
    [
        lambda: _network(keras.optimizers.SGD(0.01)),
        lambda: _network(keras.optimizers.Adam(0.01, amsgrad=True)),
        lambda: _network(keras.optimizers.Adam(0.01, clipnorm=1.0)),
        lambda: _network(keras.optimizers.Adam(0.01, weight_decay=0.01)),
        lambda: _network(keras.optimizers.Adam(0.01, use_ema=True)),
    ],
    ids=["sgd", "amsgrad", "clipnorm", "weight_decay", "ema"],
)
def test_any_other_optimizer_keeps_keras_own_step(make):
    net = make()
    assert _steps.train_step(net) == net.train_step


def test_a_model_with_its_own_train_step_keeps_it():
    net = OwnStep([keras.Input((3,)), keras.layers.Dense(1)])
    net.compile(optimizer="adam", loss="mse")
    assert _steps.train_step(net) == net.train_step


def test_skprecmed_networks_train_with_the_written_out_adam(cancer):
    X, y = cancer
    _trainers.clear_trainer_cache()
    KerasNetClassifier(**fast(early_stopping=False)).fit(X, y)
    (trainer,) = _trainers._trainers.values()
    assert _steps._plain_adam(trainer.model)
