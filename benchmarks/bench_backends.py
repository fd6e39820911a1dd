"""Keras 3's backends side by side: TensorFlow, JAX and PyTorch on the same work.

Raw Keras trains the same networks on the same data under each backend, for
the question of issue #16 (does another backend win clearly on these tiny
networks?), with skprecmed (TensorFlow backend) and scikit-learn's
``MLPClassifier`` as anchors::

    python benchmarks/bench_backends.py            # ~10 min on 2 cores
    python benchmarks/bench_backends.py --quick    # tiny sizes: checks it runs

* The classic net of ``bench_speed.py``: 100 features, ``Dense(32, relu)``,
  sigmoid, Adam 1e-3, batches of 32, 10 epochs on 10k rows (cold first fit,
  then the median of 3 warm fits), batch scoring of 100k rows
  (``model.predict(X, batch_size=1024)``, median of 3), and one fit on 100k
  rows.
* The 1-D CNN of ``bench_sequence_speed.py`` on one-hot DNA: 10k sequences
  of 200 bp, 5 epochs, batches of 64 (cold, then median of 3 warm fits), and
  scoring of the 2,000 held-out sequences.

Every configuration runs in its own fresh process (Keras reads
``KERAS_BACKEND`` once, at import), which first trains once on a dense
table of another shape so that the backend is started: the first fit of
each network is *cold* (it pays tracing or compiling for the new model and
shape), the next ones *warm*. Every fit builds and compiles a new model, as
a user's script does. ``jit_compile`` is left at Keras' default for the
backend (printed: XLA off for TensorFlow on a CPU, on for JAX, eager for
PyTorch); each backend runs once with Keras' default
``steps_per_execution=1`` and once with 32 where it accepts it (TensorFlow
fuses the 32 steps in one graph call; JAX loops over its jitted step in
Python; PyTorch refuses any value above 1). Threads are equal: 2 intra-op
and 2 inter-op threads for every backend (TensorFlow's
``tf.config.threading``, ``torch.set_num_threads``/``set_num_interop_threads``,
``intra_op_parallelism_threads=2`` in ``XLA_FLAGS`` for JAX) and 2 BLAS/OpenMP
threads for NumPy; 2 is also each one's default on a 2-core machine.

A backend that is not installed is reported as such and left out. In the
table, a contestant named by its backend (``jax``, ``torch spe=32``...) is
raw Keras on that backend, and so is the anchor (``tensorflow``,
``tensorflow spe=32``). Another backend is compared with TensorFlow at the
same ``steps_per_execution``, held to the target ``<= 0.67x``: a clear win
(more than 1.5x faster). TensorFlow with 32 steps is compared with its
default; skprecmed and ``MLPClassifier`` with TensorFlow at 32 steps (what
skprecmed trains with).
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from bench_sequence_speed import dna_data, keras_network
from bench_speed import (
    CLASSIC,
    ROWS,
    fit_mlp,
    fit_skprecmed,
    make_data,
    median_time,
    peak_gflops,
    print_table,
    record,
)

BACKENDS = ("tensorflow", "jax", "torch")
THREADS = 2
SPE = 32
CNN_BATCH = 64
CNN = "1-D CNN"
#: printed before the numbers of a worker's process, so stray output is skipped
MARK = "RESULT "
CLEAR_WIN = 1 / 1.5

#: sizes of a full run and of ``--quick``
SIZES = {
    "full": dict(rows=10_000, big=100_000, score=100_000, seqs=10_000, epochs=5),
    "quick": dict(rows=500, big=0, score=2_000, seqs=300, epochs=1),
}


# ------------------------------------------------------------------ worker
def set_threads(backend):
    """Pin every backend to ``THREADS`` threads (environment set by the parent)."""
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(THREADS)
        return {
            "intra": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter": tf.config.threading.get_inter_op_parallelism_threads(),
        }
    if backend == "torch":
        import torch

        torch.set_num_threads(THREADS)
        torch.set_num_interop_threads(THREADS)
        return {
            "intra": torch.get_num_threads(),
            "inter": torch.get_num_interop_threads(),
        }
    return {"xla_flags": os.environ.get("XLA_FLAGS", "")}


def recompiled(model, spe, lr):
    """The same network compiled again with ``steps_per_execution=spe``."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss="binary_crossentropy",
        steps_per_execution=spe,
    )
    return model


def classic_net(n_features, spe):
    import keras

    model = keras.Sequential(
        [
            keras.Input((n_features,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    return recompiled(model, spe, 1e-3)


def fit_classic(X, y, spe):
    model = classic_net(X.shape[1], spe)
    model.fit(X, y, epochs=CLASSIC["epochs"], batch_size=32, verbose=0)
    return model


def fit_cnn(X, y, spe, epochs):
    model = recompiled(keras_network(CNN, X.shape[1:]), spe, 1e-3)
    model.fit(X, y, epochs=epochs, batch_size=CNN_BATCH, shuffle=True, verbose=0)
    return model


def keras_score(model, X):
    return model.predict(X, batch_size=1024, verbose=0).ravel()


def timed_fits(fit, repeats):
    """Fit ``1 + repeats`` times: (cold seconds, warm median seconds, last model)."""
    times = []
    for _ in range(1 + repeats):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:]), model


def tiled(X, n_rows):
    return np.tile(X, (n_rows // len(X) + 1, 1))[:n_rows]


def run_workload(fit_dense, fit_seq, score, sizes, repeats):
    """Time one contestant on every workload; a dict of seconds and AUCs."""
    from sklearn.metrics import roc_auc_score

    out = {}
    X, y, X_test, y_test = make_data(sizes["rows"])
    out["fit10k_cold"], out["fit10k_warm"], model = timed_fits(
        lambda: fit_dense(X, y), repeats
    )
    out["auc10k"] = roc_auc_score(y_test, score(model, X_test))
    big = tiled(X_test, sizes["score"])
    score(model, big)
    out["score100k"] = median_time(lambda: score(model, big), 3)

    X, y = dna_data(sizes["seqs"] + sizes["seqs"] // 5)
    n = sizes["seqs"]
    if fit_seq is not None:
        out["cnn_cold"], out["cnn_warm"], model = timed_fits(
            lambda: fit_seq(X[:n], y[:n]), repeats
        )
        out["cnn_auc"] = roc_auc_score(y[n:], score(model, X[n:]))
        out["cnn_score"] = median_time(lambda: score(model, X[n:]), 3)

    if sizes["big"]:
        X, y, X_test, y_test = make_data(sizes["big"])
        start = time.perf_counter()
        model = fit_dense(X, y)
        out["fit100k"] = time.perf_counter() - start
        out["auc100k"] = roc_auc_score(y_test, score(model, X_test))
    return out


def warm_up(fit):
    """Start the backend on a dense table of another shape (not timed)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(256, 8)).astype(np.float32)
    fit(X, (X[:, 0] > 0).astype(int))


def keras_worker(backend, spe, sizes, repeats):
    threads = set_threads(backend)
    import keras

    assert keras.backend.backend() == backend, keras.backend.backend()
    info = {"threads": threads, "keras": keras.__version__}
    info["jit_compile"] = classic_net(8, spe).jit_compile
    try:
        warm_up(lambda X, y: fit_classic(X, y, spe))
    except ValueError as error:  # PyTorch refuses steps_per_execution > 1
        return {**info, "unsupported": str(error).splitlines()[0]}
    results = run_workload(
        lambda X, y: fit_classic(X, y, spe),
        lambda X, y: fit_cnn(X, y, spe, sizes["epochs"]),
        keras_score,
        sizes,
        repeats,
    )
    return {**info, **results}


def anchors_worker(sizes, repeats):
    """skprecmed (TensorFlow backend) and ``MLPClassifier``, interleaved."""
    threads = set_threads("tensorflow")
    from bench_sequence_speed import fit_skprecmed as fit_skprecmed_cnn

    from skprecmed._keras import import_keras

    import_keras()
    warm_up(fit_skprecmed)

    def proba(model, X):
        return model.predict_proba(X)[:, 1]

    ours = run_workload(
        fit_skprecmed,
        lambda X, y: fit_skprecmed_cnn(CNN, X, y, sizes["epochs"]),
        proba,
        sizes,
        repeats,
    )
    mlp = run_workload(fit_mlp, None, proba, sizes, repeats)
    return {"threads": threads, "skprecmed": ours, "MLPClassifier": mlp}


def worker(args):
    sizes = SIZES["quick" if args.quick else "full"]
    if args.no_100k:
        sizes = {**sizes, "big": 0}
    repeats = 1 if args.quick else 3
    if args.worker == "anchors":
        result = anchors_worker(sizes, repeats)
    else:
        result = keras_worker(args.worker, args.spe, sizes, repeats)
    print(MARK + json.dumps(result), flush=True)


# ------------------------------------------------------------------ parent
def versions():
    out = {}
    for name in ("jax", "jaxlib", "torch"):
        if importlib.util.find_spec(name) is None:
            out[name] = "not installed"
        else:
            from importlib.metadata import version

            out[name] = version(name)
    return out


def run_worker(name, spe, args):
    """One configuration in a fresh process; its result dict."""
    env = dict(
        os.environ,
        KERAS_BACKEND="tensorflow" if name == "anchors" else name,
        OMP_NUM_THREADS=str(THREADS),
        OPENBLAS_NUM_THREADS=str(THREADS),
        MKL_NUM_THREADS=str(THREADS),
        XLA_FLAGS=f"--xla_cpu_multi_thread_eigen=true "
        f"intra_op_parallelism_threads={THREADS}",
    )
    command = [sys.executable, __file__, "--worker", name, "--spe", str(spe)]
    command += ["--quick"] * args.quick + ["--no-100k"] * args.no_100k
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    lines = [x for x in done.stdout.splitlines() if x.startswith(MARK)]
    if done.returncode or not lines:
        sys.stderr.write(done.stderr[-3000:])
        raise RuntimeError(f"worker {name} (steps_per_execution={spe}) failed")
    return json.loads(lines[-1][len(MARK) :])


MEASURES = (
    # key, goal, key of the AUC shown in the note
    ("fit10k_cold", "fit {rows}, cold", None),
    ("fit10k_warm", "fit {rows}, warm", "auc10k"),
    ("score100k", "predict {score}", None),
    ("fit100k", "fit {big}", "auc100k"),
    ("cnn_cold", "fit CNN {seqs}, cold", None),
    ("cnn_warm", "fit CNN {seqs}, warm", "cnn_auc"),
    ("cnn_score", "predict CNN {test}", None),
)


def label(backend, spe):
    return backend + (f" spe={spe}" if spe > 1 else "")


def compare(goal, auc_key, who, res, anchor_name, ref, key, clear_win_target):
    """One row: ``who``'s ``res[key]`` against ``ref[key]`` (AUCs in the note)."""
    note = f"AUC {res[auc_key]:.3f} vs {ref[auc_key]:.3f}" if auc_key else ""
    ratio = res[key] / ref[key]
    record(
        f"{goal}: {who}",
        res[key],
        ref[key],
        anchor_name,
        "<= 0.67x" if clear_win_target else "-",
        note=note,
        met=ratio <= CLEAR_WIN if clear_win_target else None,
    )


def record_rows(results, anchors, sizes):
    """Rows of the table: each contestant against TensorFlow, same config.

    Another backend is held to the clear-win target against TensorFlow with
    the same ``steps_per_execution``; TensorFlow with 32 steps is shown
    against its default, skprecmed and ``MLPClassifier`` against TensorFlow
    with 32 steps (skprecmed trains with 32 steps per call).
    """
    names = {**sizes, "test": sizes["seqs"] // 5}
    names = {k: f"{v // 1000}k" if v >= 10_000 else str(v) for k, v in names.items()}
    tf_default = results.get(("tensorflow", 1), {})
    tf_spe = results.get(("tensorflow", SPE), {})
    for key, goal, auc_key in MEASURES:
        if key not in tf_default:
            continue
        goal = goal.format(**names)
        for (backend, spe), res in results.items():
            if key not in res or (backend, spe) == ("tensorflow", 1):
                continue
            other = backend != "tensorflow"
            ref = tf_spe if other and spe > 1 else tf_default
            ref_name = label("tensorflow", spe if other else 1)
            if key in ref:
                compare(
                    goal, auc_key, label(backend, spe), res, ref_name, ref, key, other
                )
        ref = tf_spe if key in tf_spe else tf_default
        ref_name = label("tensorflow", SPE if key in tf_spe else 1)
        for who in ("skprecmed", "MLPClassifier"):
            if key in anchors.get(who, {}):
                compare(goal, auc_key, who, anchors[who], ref_name, ref, key, False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, to check it runs"
    )
    parser.add_argument("--no-100k", action="store_true", help="skip the 100k-row fit")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--spe", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    sizes = SIZES["quick" if args.quick else "full"]
    if args.no_100k:
        sizes = {**sizes, "big": 0}
    gflops = peak_gflops()
    results, lines = {}, []
    for backend in BACKENDS:
        if importlib.util.find_spec(backend) is None:
            lines.append(f"keras/{backend}: not installed (no module {backend!r})")
            continue
        for spe in (1, SPE):
            res = run_worker(backend, spe, args)
            config = (
                f"keras/{label(backend, spe)}: jit_compile={res['jit_compile']}, "
                f"threads {res['threads']}"
            )
            if "unsupported" in res:
                lines.append(f"{config}: not supported ({res['unsupported']})")
                continue
            results[backend, spe] = res
            lines.append(config)
    anchors = run_worker("anchors", 1, args)
    lines.append(f"skprecmed, MLPClassifier: threads {anchors['threads']}")

    record_rows(results, anchors, sizes)
    from skprecmed._keras import import_keras

    import_keras()  # for the versions printed, without TensorFlow's start-up lines
    print()
    print(", ".join(f"{k} {v}" for k, v in versions().items()))
    print("\n".join(lines))
    print_table(gflops, contestant="contestant")
    return ROWS


if __name__ == "__main__":
    main()
