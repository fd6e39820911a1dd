"""The training step that :mod:`._epochs` traces: Keras' own, or a leaner Adam.

On TensorFlow a small network's first fit in a process spends about as long
tracing and optimising its training step as training it, and that time
grows with the number of operations in the step. Half of them are Keras'
Adam update: :meth:`keras.optimizers.Adam.update_step` computes the
learning rate, the step count, the powers of ``beta_1`` and ``beta_2`` and
their correction again for every variable (149 of the 317 operations of the
classic two-layer net).

For a model that trains with Keras' own ``train_step`` and a plain Adam
(the networks skprecmed builds, and most that users bring), the step traced
here is that ``train_step`` with the update of each variable written out and
those shared quantities computed once. The arithmetic is Keras', in the same
order on the same values, so the trained weights are the same to the bit
(tested). For the classic net the loop's body has 258 operations instead
of 317; it traces ~20 ms faster, its first call is optimised ~10 ms faster
and an epoch of ``bench_speed.py``'s takes ~21 ms instead of ~24.

Anything else (another optimizer, AMSGrad, weight decay, clipping, moving
averages, loss scaling, gradient accumulation, variables updated by
overwriting, a model overriding ``train_step``, ``compute_loss`` or
``compute_metrics``) traces Keras' own ``train_step``; a step in which a
variable gets no gradient leaves the update to Keras' ``apply_gradients``,
which skips that variable with a warning.
"""

from ._keras import import_keras

#: the optimizer's options under which its ``apply`` is only the update
_PLAIN_OPTIMIZER = {
    "amsgrad": False,
    "weight_decay": None,
    "clipnorm": None,
    "clipvalue": None,
    "global_clipnorm": None,
    "use_ema": False,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}

#: Keras internals the step reads; a Keras without them gets its own step
_INTERNALS = {
    "model": ("_loss_tracker", "_compile_metrics"),
    "optimizer": ("_momentums", "_velocities", "_get_variable_index"),
}


def train_step(model):
    """The function to trace for one minibatch of ``model``.

    Parameters
    ----------
    model : keras.Model
        A compiled model on the TensorFlow backend.

    Returns
    -------
    step : callable
        Takes a minibatch ``(x, y)`` or ``(x, y, sample_weight)`` and trains
        ``model`` on it: ``model.train_step`` itself, or the same step with
        Adam's update written out (see the module's docstring).
    """
    if not _plain_adam(model):
        return model.train_step

    def step(data):
        return _adam_train_step(model, data)

    return step


def _plain_adam(model):
    """Whether ``model`` trains with Keras' own step and a plain Adam."""
    _, keras = import_keras()
    optimizer = model.optimizer
    if type(optimizer) is not keras.optimizers.Adam:
        return False
    if any(
        getattr(type(model), method) is not getattr(keras.Model, method)
        for method in ("train_step", "compute_loss", "compute_metrics")
    ):
        return False
    variables = model.trainable_weights
    if variables and not optimizer.built:  # as Keras' first step would
        optimizer.build(variables)
    if not all(hasattr(model, name) for name in _INTERNALS["model"]) or not all(
        hasattr(optimizer, name) for name in _INTERNALS["optimizer"]
    ):
        return False
    return (
        bool(variables)
        and all(
            getattr(optimizer, option, default) == default
            for option, default in _PLAIN_OPTIMIZER.items()
        )
        and not any(getattr(v, "overwrite_with_gradient", False) for v in variables)
    )


def _adam_train_step(model, data):
    """Keras' ``TensorFlowTrainer.train_step`` with :func:`_apply_adam`."""
    tf, keras = import_keras()
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
        )
        first = next(i for i in keras.tree.flatten(x) if i is not None)
        model._loss_tracker.update_state(loss, sample_weight=tf.shape(first)[0])
    variables = model.trainable_weights
    gradients = tape.gradient(loss, variables)
    if any(g is None for g in gradients):  # Keras filters them, with a warning
        model.optimizer.apply_gradients(zip(gradients, variables, strict=True))
    else:
        _apply_adam(model.optimizer, gradients, variables)
    if model._compile_metrics is not None:
        model._compile_metrics.update_state(y, y_pred, sample_weight)


def _apply_adam(optimizer, gradients, variables):
    """:meth:`keras.optimizers.Adam.apply` without options, shared terms once.

    The operations are ``update_step``'s, written with the same Keras ops.
    """
    _, keras = import_keras()
    ops = keras.ops
    learning_rate = optimizer.learning_rate
    shared = {}  # by dtype, as Keras casts each term to its variable's
    for gradient, variable in zip(gradients, variables, strict=True):
        dtype = variable.dtype
        if dtype not in shared:
            lr = ops.cast(learning_rate, dtype)
            local_step = ops.cast(optimizer.iterations + 1, dtype)
            beta_1_power = ops.power(ops.cast(optimizer.beta_1, dtype), local_step)
            beta_2_power = ops.power(ops.cast(optimizer.beta_2, dtype), local_step)
            shared[dtype] = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        alpha = shared[dtype]
        gradient = ops.cast(gradient, dtype)
        index = optimizer._get_variable_index(variable)
        m = optimizer._momentums[index]
        v = optimizer._velocities[index]
        optimizer.assign_add(
            m, ops.multiply(ops.subtract(gradient, m), 1 - optimizer.beta_1)
        )
        optimizer.assign_add(
            v,
            ops.multiply(ops.subtract(ops.square(gradient), v), 1 - optimizer.beta_2),
        )
        optimizer.assign_sub(
            variable,
            ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), optimizer.epsilon)),
        )
    for variable in variables:
        if variable.constraint is not None:
            variable.assign(variable.constraint(variable))
    optimizer.iterations.assign_add(1)
