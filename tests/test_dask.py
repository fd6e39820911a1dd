"""Dask: grid search through joblib, and training beyond memory with Incremental.

Both on a LocalCluster over loopback TCP.
"""

import joblib
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprecmed import KerasNetClassifier

from ._instances import fast


@pytest.mark.slow
def test_grid_search_on_a_local_dask_cluster_matches_one_process(cancer_raw):
    distributed = pytest.importorskip("distributed")
    X, y = cancer_raw
    pipe = make_pipeline(StandardScaler(), KerasNetClassifier(**fast(epochs=3)))
    grid = {
        "kerasnetclassifier__hidden_layer_sizes": [(4,), (16,)],
        "kerasnetclassifier__learning_rate_init": [1e-3, 1e-2],
    }
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    local = GridSearchCV(pipe, grid, cv=cv, scoring="roc_auc", n_jobs=1).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # one TensorFlow thread per single-threaded worker process
            env={"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"},
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with joblib.parallel_backend("dask"):
            remote = GridSearchCV(pipe, grid, cv=cv, scoring="roc_auc", n_jobs=-1).fit(
                X, y
            )
        workers = client.run(lambda: __import__("os").getpid())
    assert len(workers) == 2
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


@pytest.mark.slow
def test_incremental_trains_on_a_chunked_array_across_a_local_cluster(cancer):
    """dask-ml's Incremental calls partial_fit on each chunk, on the cluster.

    Two in-process workers talking TCP over loopback: the estimator is
    serialised between tasks as between machines.
    """
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    Incremental = pytest.importorskip("dask_ml.wrappers").Incremental
    X, y = cancer
    X_train = da.from_array(X[:400], chunks=(100, -1))
    y_train = da.from_array(y[:400], chunks=100)
    assert X_train.numblocks[0] == 4
    params = fast(batch_size=32, early_stopping=False)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            protocol="tcp://",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
        distributed.get_task_stream() as tasks,
    ):
        inc = Incremental(KerasNetClassifier(**params), random_state=0)
        # one call of the estimator's partial_fit per chunk: one epoch
        inc.fit(X_train, y_train, classes=[0, 1])
        fitted = inc.estimator_
        first_proba = fitted.predict_proba(X[400:])[:, 1]
        fitted_losses = list(fitted.history_["loss"])
        weights = [np.array(w) for w in fitted.model_.weights]
        # partial_fit after fit: the same network, trained one more pass
        inc.partial_fit(X_train, y_train)
        continued = inc.estimator_
        # fit restarts from scratch: the same as the first fit
        inc.fit(X_train, y_train, classes=[0, 1])
        refit_proba = inc.estimator_.predict_proba(X[400:])[:, 1]
    ran = {
        task["key"][0] if isinstance(task["key"], tuple) else task["key"]
        for task in tasks.data
    }
    assert any(str(key).startswith("fit-") for key in ran)  # on the cluster
    assert fitted.n_iter_ == 4 and roc_auc_score(y[400:], first_proba) > 0.95
    assert continued.n_iter_ == 8
    assert continued.history_["loss"][:4] == fitted_losses
    # continued from the trained weights: no loss back at the untrained level
    assert max(continued.history_["loss"][4:]) < fitted_losses[0]
    assert any(
        not np.array_equal(a, np.array(b))
        for a, b in zip(weights, continued.model_.weights, strict=True)
    )
    assert inc.estimator_.n_iter_ == 4
    np.testing.assert_array_equal(refit_proba, first_proba)
