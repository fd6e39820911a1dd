"""Speed of the convolutional networks: skprecmed against raw Keras (and PyTorch).

The same network, the same data and the same training schedule for every
contestant, interleaved, for the goals of issue #16::

    python benchmarks/bench_sequence_speed.py           # 10k DNA sequences, 4k images
    python benchmarks/bench_sequence_speed.py --quick   # tiny sizes: checks it runs

* 1-D CNN on one-hot DNA: sequences of 200 bp, positives carry the TATA box
  motif ``TATAAT`` at a random place. ``Conv1D(32, 9, relu)``, global max
  pooling, ``Dense(32, relu)``, one sigmoid unit.
* 2-D CNN on image patches: 32x32 grey patches of noise, positives carry a
  faint blob. ``Conv2D(32, 3, relu)``, 2x2 max pooling, ``Conv2D(32, 3,
  relu)``, global average pooling, ``Dense(32, relu)``, one sigmoid unit.

Adam (1e-3), binary cross-entropy, batches of 64, reshuffled each epoch, no
regularisation, no early stopping. Before anything is timed every contestant
trains once on a dense table, so the first fit of each network pays what a
new input shape costs (TensorFlow's tracing) but not the start of TensorFlow:
that first fit is reported as *cold*, the median of the next ones as *warm*.
Raw Keras builds and compiles a new model for each fit, as a user's script
does. PyTorch (an equivalent ``nn.Module`` and training loop) runs only if
it is installed. Batch scoring is the probabilities of the whole test set
(Keras: ``model.predict``), first call and then warm median.
"""

import argparse
import importlib.util
import statistics
import time

import numpy as np
from bench_speed import ROWS, median_time, peak_gflops, print_table, record

BATCH, LR = 64, 1e-3
MOTIF = "TATAAT"


# ----------------------------------------------------------------- data
def dna_data(n, length=200, seed=0):
    """One-hot DNA ``(n, length, 4)``, float32, half with the motif planted."""
    rng = np.random.RandomState(seed)
    bases = rng.randint(4, size=(n, length))
    y = rng.uniform(size=n) < 0.5
    motif = np.array(["ACGT".index(b) for b in MOTIF])
    starts = rng.randint(length - len(motif), size=n)
    for i in np.flatnonzero(y):
        bases[i, starts[i] : starts[i] + len(motif)] = motif
    return np.eye(4, dtype=np.float32)[bases], y.astype(int)


def image_data(n, size=32, seed=0):
    """Grey patches ``(n, size, size, 1)``, float32, half with a faint blob."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, size, size)).astype(np.float32)
    y = rng.uniform(size=n) < 0.5
    grid = np.arange(size)
    for i in np.flatnonzero(y):
        cy, cx = rng.randint(4, size - 4, size=2)
        blob = np.exp(-((grid[:, None] - cy) ** 2 + (grid[None, :] - cx) ** 2) / 8)
        X[i] += 1.5 * blob.astype(np.float32)
    return X[..., np.newaxis], y.astype(int)


#: the network of each task, as skprecmed's hyperparameters
NETWORKS = {
    "1-D CNN": dict(architecture="cnn1d", filters=32, kernel_size=9, conv_layers=1),
    "2-D CNN": dict(architecture="cnn2d", filters=32, kernel_size=3, conv_layers=2),
}


# ------------------------------------------------------------ contestants
def fit_skprecmed(task, X, y, epochs):
    from skprecmed import KerasNetClassifier

    return KerasNetClassifier(
        hidden_layer_sizes=(32,),
        alpha=0.0,
        epochs=epochs,
        batch_size=BATCH,
        learning_rate_init=LR,
        early_stopping=False,
        random_state=0,
        **NETWORKS[task],
    ).fit(X, y)


def keras_network(task, input_shape):
    import keras

    layers = keras.layers
    if task == "1-D CNN":
        extractor = [
            layers.Conv1D(32, 9, padding="same", activation="relu"),
            layers.GlobalMaxPooling1D(),
        ]
    else:
        extractor = [
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
        ]
    model = keras.Sequential(
        [
            keras.Input(input_shape),
            *extractor,
            layers.Dense(32, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(LR), loss="binary_crossentropy")
    return model


def fit_keras(task, X, y, epochs):
    model = keras_network(task, X.shape[1:])
    model.fit(X, y, epochs=epochs, batch_size=BATCH, shuffle=True, verbose=0)
    return model


def torch_network(task, channels):
    import torch
    from torch import nn

    class GlobalPool(nn.Module):
        def __init__(self, reduce):
            super().__init__()
            self.reduce = reduce

        def forward(self, x):
            return self.reduce(x.flatten(2), dim=2)

    if task == "1-D CNN":
        extractor = [
            nn.Conv1d(channels, 32, 9, padding="same"),
            nn.ReLU(),
            GlobalPool(lambda x, dim: torch.amax(x, dim=dim)),
        ]
    else:
        extractor = [
            nn.Conv2d(channels, 32, 3, padding="same"),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding="same"),
            nn.ReLU(),
            GlobalPool(torch.mean),
        ]
    return nn.Sequential(*extractor, nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))


def to_torch_layout(X):
    """Channels first, as PyTorch's convolutions take them (not timed)."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(X, -1, 1)))


def fit_torch(task, X, y, epochs):
    import torch

    torch.manual_seed(0)
    model = torch_network(task, X.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    target = torch.from_numpy(y.astype(np.float32))[:, None]
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        for start in range(0, len(X), BATCH):
            rows = order[start : start + BATCH]
            optimizer.zero_grad()
            loss_fn(model(X[rows]), target[rows]).backward()
            optimizer.step()
    return model


def score(name, model, X):
    """Probability of the positive class for every row of ``X``."""
    if name == "skprecmed":
        return model.predict_proba(X)[:, 1]
    if name == "keras":
        return model.predict(X, batch_size=1024, verbose=0).ravel()
    import torch

    model.eval()
    with torch.no_grad():
        return torch.sigmoid(model(X)).numpy().ravel()


# -------------------------------------------------------------- benchmark
def bench_task(task, make_data, n_train, n_test, epochs, repeats):
    from sklearn.metrics import roc_auc_score

    X, y = make_data(n_train + n_test)
    data = {name: (X[:n_train], X[n_train:]) for name in ("skprecmed", "keras")}
    fitters = {"skprecmed": fit_skprecmed, "keras": fit_keras}
    if importlib.util.find_spec("torch") is not None:
        fitters["pytorch"] = fit_torch
        data["pytorch"] = (to_torch_layout(X[:n_train]), to_torch_layout(X[n_train:]))
    y_train, y_test = y[:n_train], y[n_train:]

    times = {name: [] for name in fitters}
    models = {}
    for _ in range(1 + repeats):  # interleaved; the first round is the cold fit
        for name, fit in fitters.items():
            start = time.perf_counter()
            models[name] = fit(task, data[name][0], y_train, epochs)
            times[name].append(time.perf_counter() - start)
    cold = {name: t[0] for name, t in times.items()}
    warm = {name: statistics.median(t[1:]) for name, t in times.items()}

    scoring_cold, scoring_warm, auc = {}, {}, {}
    for name, model in models.items():
        X_test = data[name][1]
        start = time.perf_counter()
        auc[name] = roc_auc_score(y_test, score(name, model, X_test))
        scoring_cold[name] = time.perf_counter() - start
        scoring_warm[name] = median_time(
            lambda n=name, m=model, x=X_test: score(n, m, x), 3
        )

    shape = "x".join(str(s) for s in X.shape[1:])
    what = f"{task} {n_train} x {shape}, {epochs} ep"
    note = ", ".join(f"AUC {name} {value:.3f}" for name, value in auc.items())
    slower = "per-step cost above raw Keras' (see the note for the AUCs)"
    for when, fit_times in (("cold", cold), ("warm", warm)):
        record(
            f"fit {what}, {when}",
            fit_times["skprecmed"],
            fit_times["keras"],
            "raw Keras fit",
            "<= 1.0x",
            note=note,
            met=fit_times["skprecmed"] <= fit_times["keras"],
            why=slower,
        )
    for when, score_times in (("first", scoring_cold), ("warm", scoring_warm)):
        record(
            f"score {n_test} rows, {task}, {when}",
            score_times["skprecmed"],
            score_times["keras"],
            "raw Keras predict",
            "<= 1.0x",
            met=score_times["skprecmed"] <= score_times["keras"],
            why="skprecmed validates the input; Keras' predict batches it",
        )
    if "pytorch" in fitters:
        for when, fit_times in (("cold", cold), ("warm", warm)):
            record(
                f"fit {what}, {when}, vs PyTorch",
                fit_times["skprecmed"],
                fit_times["pytorch"],
                "PyTorch loop",
                "-",
            )
        record(
            f"score {n_test} rows, {task}, vs PyTorch",
            scoring_warm["skprecmed"],
            scoring_warm["pytorch"],
            "PyTorch no_grad",
            "-",
        )


def warm_up():
    """Start TensorFlow (and PyTorch) on a dense table: no shape timed here."""
    from skprecmed import KerasNetClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(256, 8)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    KerasNetClassifier(epochs=1, early_stopping=False, random_state=0).fit(X, y)
    import keras

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, y, epochs=1, verbose=0)
    model.predict(X, verbose=0)
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.nn.Linear(8, 1)(torch.from_numpy(X)).sum().backward()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, to check the script runs"
    )
    parser.add_argument("--sequences", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=4_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2, help="warm fits per run")
    args = parser.parse_args()
    if args.quick:
        args.sequences, args.images, args.epochs, args.repeats = 300, 200, 1, 1

    from skprecmed._keras import import_keras

    import_keras()
    gflops = peak_gflops()
    warm_up()
    if importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed: its rows are left out.")
    for task, make_data, n in (
        ("1-D CNN", dna_data, args.sequences),
        ("2-D CNN", image_data, args.images),
    ):
        bench_task(task, make_data, n, max(n // 5, 50), args.epochs, args.repeats)
    print_table(gflops)
    return ROWS


if __name__ == "__main__":
    main()
