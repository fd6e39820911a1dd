"""
Tuning on a Dask cluster
========================

GridSearchCV runs its fits through joblib, and joblib can send them to a
Dask cluster. Here the cluster is two worker processes on this machine; to
use a real cluster, replace ``LocalCluster(...)`` by
``Client("tcp://scheduler-address:8786")`` and start the workers with one
thread each and ``TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1`` in
their environment, so that TensorFlow does not oversubscribe the cores.
The results are those of a single process, to the bit.
"""

import time

import joblib
import numpy as np
from dask.distributed import Client, LocalCluster
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprecmed import KerasNetClassifier

if __name__ == "__main__":  # worker processes import this file
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(), KerasNetClassifier(epochs=10, random_state=0)
    )
    grid = {
        "kerasnetclassifier__hidden_layer_sizes": [(8,), (32,)],
        "kerasnetclassifier__learning_rate_init": [1e-3, 1e-2],
    }
    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    start = time.perf_counter()
    local = GridSearchCV(pipe, grid, cv=cv, scoring="roc_auc").fit(X, y)
    print(
        f"one process: {time.perf_counter() - start:.1f} s, best {local.best_params_}"
    )

    environment = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            env=environment,
        ) as cluster,
        Client(cluster),
    ):
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            remote = GridSearchCV(pipe, grid, cv=cv, scoring="roc_auc", n_jobs=-1).fit(
                X, y
            )
        print(
            f"Dask cluster: {time.perf_counter() - start:.1f} s, "
            f"best {remote.best_params_}"
        )
    same = np.array_equal(
        local.cv_results_["mean_test_score"], remote.cv_results_["mean_test_score"]
    )
    print("identical cross-validation scores:", same)
