"""The one place where TensorFlow and Keras are imported.

``import skprecmed`` must stay light, so nothing at module level in the rest
of the package imports TensorFlow. Code that needs it calls
:func:`import_keras` on first use.

TensorFlow 2.21 prints start-up lines (oneDNN, CUDA probing, absl) straight
to the process's file descriptor 2 before its logging is initialised, so
``TF_CPP_MIN_LOG_LEVEL`` cannot hide them. While TensorFlow is first imported
we route descriptor 2 into a temporary file, drop the lines known to be
start-up noise and write every other line back to stderr, so that a real
error is never swallowed; and unless the user set ``TF_CPP_MIN_LOG_LEVEL``,
it is set to 2 (TensorFlow reads it only from the environment). Keras' ONNX
export runs TensorFlow's graph optimiser, which prints start-up lines on
each run: :func:`grappler_silenced` drops them the same way.

Both are process-wide effects, so there is a switch: with the environment
variable ``SKPRECMED_QUIET_TENSORFLOW=0`` set before the first fit,
skprecmed imports TensorFlow as it is, touching neither ``os.environ`` nor
descriptor 2. If TensorFlow is already imported, nothing is done either.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading

import numpy as np

_NOISE = re.compile(
    r"(All log messages before absl::InitializeLog"
    r"|oneDNN custom operations are on"
    r"|Could not find cuda drivers"
    r"|failed call to cuInit"
    r"|cpu_feature_guard"
    r"|To enable the following instructions"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered"
    r"|TF-TRT Warning)"
)
_lock = threading.Lock()
_modules = None


@contextlib.contextmanager
def _stderr_filtered(noise):
    """Route descriptor 2 to a file in the block; write back lines not ``noise``."""
    stderr_fd = 2
    sys.stderr.flush()
    saved = os.dup(stderr_fd)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), stderr_fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, stderr_fd)
            os.close(saved)
            sink.seek(0)
            kept = [
                line
                for line in sink.read().decode(errors="replace").splitlines(True)
                if not noise.search(line)
            ]
            if kept:
                sys.stderr.write("".join(kept))


def _import_quietly():
    # Respect a level the user chose; otherwise hide INFO and WARNING.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow's C++ code writes to descriptor 2 whatever sys.stderr is.
    with _stderr_filtered(_NOISE):
        import keras
        import tensorflow as tf

        # Device discovery prints the CUDA probing lines: do it now.
        tf.config.list_physical_devices()
    return tf, keras


#: what TensorFlow's graph optimiser (Grappler) prints on each run
_GRAPPLER_NOISE = re.compile(
    r"(Number of eligible GPUs|single_machine\.cc.*Starting new session)"
)


@contextlib.contextmanager
def grappler_silenced():
    """Drop Grappler's start-up lines (it runs in Keras' ONNX export).

    Does nothing when ``SKPRECMED_QUIET_TENSORFLOW=0``.
    """
    if not _quiet_requested():
        yield
        return
    with _stderr_filtered(_GRAPPLER_NOISE):
        yield


def _restore_environ(name, value):
    """Set ``os.environ[name]`` back to ``value`` (None: unset)."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _quiet_requested():
    value = os.environ.get("SKPRECMED_QUIET_TENSORFLOW", "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def import_keras():
    """Import TensorFlow and Keras once, quietly, and return them.

    Returns
    -------
    tf : module
        The ``tensorflow`` module.
    keras : module
        The ``keras`` module (Keras 3).
    """
    global _modules
    if _modules is None:
        with _lock:
            if _modules is None:
                # JAX draws from NumPy's global generator when imported (Keras
                # imports it under KERAS_BACKEND=jax): give the state back
                state = np.random.get_state()
                try:
                    if not _quiet_requested() or (
                        "tensorflow" in sys.modules and "keras" in sys.modules
                    ):
                        level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
                        # TensorFlow first: it reads the log level as it loads,
                        # before Keras imports JAX (which sets it if unset)
                        import tensorflow as tf  # noqa: I001
                        import keras

                        _restore_environ("TF_CPP_MIN_LOG_LEVEL", level)
                        _modules = (tf, keras)
                    else:
                        _modules = _import_quietly()
                finally:
                    np.random.set_state(state)
    return _modules


class _TrainerRetracingFilter(logging.Filter):
    """Drop TensorFlow's retracing warning about functions traced per model.

    Every new model (a new trainer, or a network trained itself) traces new
    train functions, Keras' own or :mod:`._epochs`'; TensorFlow counts those
    traces across models (same Python code) and warns of "excessive
    retracing" although each function is traced once. Other retracing
    warnings pass.
    """

    def filter(self, record):
        message = record.getMessage()
        return not (
            "triggered tf.function retracing" in message
            and any(name in message for name in self._traced_per_model)
        )

    #: functions traced once per model, Keras' and :mod:`._epochs`'
    _traced_per_model = (
        "TensorFlowTrainer._make_function",
        "skprecmed_pass",
    )


@contextlib.contextmanager
def trainer_retracing_silenced():
    """Silence :class:`_TrainerRetracingFilter`'s warning inside the block."""
    logger = logging.getLogger("tensorflow")
    quiet = _TrainerRetracingFilter()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)
