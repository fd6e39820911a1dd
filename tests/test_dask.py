"""Grid search on a Dask cluster (processes on loopback) through joblib."""

import joblib
import numpy as np
import pytest
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
