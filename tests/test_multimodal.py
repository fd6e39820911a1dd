"""Multi-modal networks: one branch per modality, fused before the head."""

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler
from sksurv.util import Surv

from skprecmed import (
    DenseBranch,
    EmbeddingBranch,
    ImageBranch,
    KerasNetClassifier,
    KerasNetDiscreteTimeSurvivalAnalysis,
    KerasNetRegressor,
    KerasNetSurvivalAnalysis,
    SequenceBranch,
    SequenceEncoder,
    feature_attributions,
    load_model,
    save_model,
)

from ._helpers import predict_in_fresh_process

MOTIF = "TGACG"
LENGTH = 16
CAUSAL_CODES = ("C0", "C1", "C2")


def _cohort(n, seed):
    """Patients whose outcome needs a DNA motif, age and a diagnosis code."""
    rng = np.random.RandomState(seed)
    sequences, motif = [], rng.uniform(size=n) < 0.5
    for has in motif:
        letters = list(rng.choice(list("ACGT"), size=LENGTH))
        if has:
            start = rng.randint(LENGTH - len(MOTIF) + 1)
            letters[start : start + len(MOTIF)] = MOTIF
        sequences.append("".join(letters))
    age = rng.normal(60, 10, size=n)
    codes = rng.choice([f"C{i}" for i in range(12)], size=n)
    causal = np.isin(codes, CAUSAL_CODES)
    logit = 2.5 * motif + 0.25 * (age - 60) + 2.5 * causal - 2.0
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(
        {"dna": sequences, "age": age, "bmi": rng.normal(27, 4, size=n), "dx": codes}
    )
    return frame, y


def _preprocessor(dna=True):
    parts = [
        ("clin", StandardScaler(), ["age", "bmi"]),
        (
            "dx",
            OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
            ["dx"],
        ),
    ]
    if dna:
        parts.insert(0, ("dna", SequenceEncoder(flatten=True), "dna"))
    return ColumnTransformer(parts).set_output(transform="pandas")


def _net(**params):
    base = {
        "branches": [
            ("dna", SequenceBranch("dna__*", filters=8, kernel_size=5)),
            ("dx", EmbeddingBranch("dx__*", embedding_dim=2)),
        ],
        "hidden_layer_sizes": (16,),
        "epochs": 40,
        "batch_size": 64,
        "learning_rate_init": 0.02,
        "n_iter_no_change": 10,
        "random_state": 0,
    }
    return KerasNetClassifier(**{**base, **params})


@pytest.fixture(scope="module")
def cohort():
    frame, y = _cohort(450, seed=0)
    return frame[:300], y[:300], frame[300:], y[300:]


@pytest.fixture(scope="module")
def fused(cohort):
    X, y, _, _ = cohort
    return make_pipeline(_preprocessor(), _net()).fit(X, y)


def test_fused_network_learns_every_modality(fused, cohort):
    _, _, X_test, y_test = cohort
    net = fused[-1]
    assert net.model_.name == "multimodal"
    assert {"dna_conv_0", "dx_embedding", "fusion"} <= {
        layer.name for layer in net.model_.layers
    }
    assert list(net.branch_columns_) == ["dna", "dx", "remainder"]
    assert len(net.branch_columns_["dna"]) == 4 * LENGTH
    auc = roc_auc_score(y_test, fused.predict_proba(X_test)[:, 1])
    assert auc > 0.8, auc


def test_attributions_per_branch_and_per_column(fused, cohort):
    _, _, X_test, _ = cohort
    X = X_test[:40]
    scores = feature_attributions(fused, X, steps=8)
    per_branch = feature_attributions(fused, X, steps=8, per_branch=True)
    columns = fused[-1].branch_columns_
    assert scores.shape == (40, 4 * LENGTH + 3)
    assert list(per_branch) == ["dna", "dx", "remainder"]
    for name, cols in columns.items():
        np.testing.assert_allclose(per_branch[name], scores[:, cols].sum(axis=1))
    # the code's attribution: the output's change when it becomes unknown
    code = columns["dx"][0]
    assert np.abs(scores[:, code]).sum() > 0
    # age, not bmi, in the clinical columns
    names = list(fused[-1].feature_names_in_)
    age, bmi = names.index("clin__age"), names.index("clin__bmi")
    assert np.abs(scores[:, age]).mean() > 2 * np.abs(scores[:, bmi]).mean()


def test_pipeline_round_trips_joblib_and_model_file(fused, cohort, tmp_path):
    _, _, X_test, _ = cohort
    expected = fused.predict_proba(X_test)
    joblib.dump(fused, tmp_path / "model.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "model.joblib").predict_proba(X_test), expected
    )
    save_model(fused, tmp_path / "model.skprecmed")
    reloaded = load_model(tmp_path / "model.skprecmed")
    np.testing.assert_array_equal(reloaded.predict_proba(X_test), expected)


def test_missing_columns_at_prediction_name_the_branch(fused, cohort):
    _, _, X_test, _ = cohort
    Xt = fused[:-1].transform(X_test[:3]).drop(columns=["dx__dx"])
    with pytest.raises(ValueError, match="branch 'dx' was fitted on: \\['dx__dx'\\]"):
        fused[-1].predict(Xt)


def test_nested_params_clone_and_set_params():
    branches = [("dna", SequenceBranch("dna__*")), ("dx", EmbeddingBranch("dx__*"))]
    net = KerasNetClassifier(branches=branches)
    params = net.get_params()
    assert params["dna__filters"] == 32 and params["dx__embedding_dim"] == 8
    assert "dna" not in net.get_params(deep=False)

    copy = clone(net)
    assert copy.branches[0][1] is not branches[0][1]
    copy.set_params(dna__filters=4, dx=EmbeddingBranch("dx__*", embedding_dim=3))
    assert copy.get_params()["dna__filters"] == 4
    assert copy.get_params()["dx__embedding_dim"] == 3
    # the original and the user's list are untouched
    assert net.get_params()["dna__filters"] == 32
    assert branches[1][1].embedding_dim == 8
    assert "EmbeddingBranch" in repr(net)

    with pytest.raises(ValueError, match="Invalid parameter"):
        net.set_params(dna__nonsense=1)


def test_grid_search_over_a_branch_parameter_and_cross_val_score(cohort):
    X, y, _, _ = cohort
    X, y = X[:120], y[:120]
    pipe = make_pipeline(_preprocessor(), _net(epochs=3, early_stopping=False))
    grid = {"kerasnetclassifier__dna__filters": [2, 4]}
    search = GridSearchCV(pipe, grid, cv=2, scoring="roc_auc", refit=False)
    search.fit(X, y)
    assert [
        p["kerasnetclassifier__dna__filters"] for p in search.cv_results_["params"]
    ] == [2, 4]
    assert pipe[-1].branches[0][1].filters == 8  # the search worked on clones
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    scores = cross_val_score(pipe, X, y, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


@pytest.mark.slow
def test_reloaded_dense_and_embedding_network_predicts_without_tensorflow(
    cohort, tmp_path
):
    X, y, X_test, _ = cohort
    pipe = make_pipeline(
        _preprocessor(dna=False),
        _net(branches=[("dx", EmbeddingBranch("dx__*", embedding_dim=2))], epochs=5),
    ).fit(X.drop(columns="dna"), y)
    net = pipe[-1]
    assert net._inference_plan is not None  # dense + embedding: the NumPy path
    X_new = X_test.drop(columns="dna").copy()
    X_new.loc[X_new.index[0], "dx"] = "never seen"
    outputs, imported = predict_in_fresh_process(
        pipe, X_new, tmp_path, methods=("predict_proba",), fmt="skprecmed"
    )
    assert imported == set()
    np.testing.assert_allclose(
        outputs["predict_proba"], pipe.predict_proba(X_new), rtol=0, atol=1e-6
    )


def test_numpy_plan_matches_keras_with_unknown_codes_and_ensembles():
    rng = np.random.RandomState(0)
    X = np.column_stack(
        [rng.normal(size=(120, 2)), rng.randint(0, 6, size=(120, 2))]
    ).astype(float)
    y = X[:, 0] + (X[:, 2] == 3) - (X[:, 3] == 1)
    reg = KerasNetRegressor(
        branches=[
            ("codes", EmbeddingBranch([2, 3], embedding_dim=2)),
            ("clin", DenseBranch(slice(0, 2), hidden_layer_sizes=(4,))),
        ],
        ensemble_size=2,
        hidden_layer_sizes=(8,),
        epochs=5,
        random_state=0,
    ).fit(X, y)
    assert reg._inference_plan is not None
    X_new = X[:6].copy()
    X_new[0, 2], X_new[1, 3], X_new[2, 2] = -1, 99, 2.5  # all unknown codes
    keras_out = np.asarray(reg.model_(X_new.astype("float32"))).reshape(6, 2, 1)
    np.testing.assert_allclose(
        reg._forward_members(X_new), keras_out, rtol=0, atol=1e-5
    )
    # -1, a code above those seen and a fraction all read as the unknown code
    unknown = np.tile([0.0, 0.0, 0.0, 1.0], (3, 1))
    unknown[:, 2] = [-1, 99, 2.5]
    assert np.ptp(reg.predict(unknown)) == 0


@pytest.mark.parametrize(
    "cls, branch, reshaped",
    [
        (
            KerasNetSurvivalAnalysis,
            ImageBranch(slice(0, 16), filters=2, kernel_size=2),
            (4, 4, 1),
        ),
        (
            KerasNetDiscreteTimeSurvivalAnalysis,
            SequenceBranch(slice(0, 16), architecture="rnn", recurrent_units=2),
            (4, 4),
        ),
    ],
)
def test_survival_models_with_an_image_or_a_sequence_and_a_table(cls, branch, reshaped):
    rng = np.random.RandomState(0)
    pixels = rng.normal(size=(80, 16))
    clinical = rng.normal(size=(80, 1))
    X = np.hstack([pixels, clinical])
    risk = pixels[:, 5] + clinical[:, 0]
    y = Surv.from_arrays(
        event=rng.uniform(size=80) < 0.8, time=np.exp(-risk) + rng.uniform(size=80)
    )
    model = cls(
        branches=[("signal", branch)], hidden_layer_sizes=(4,), epochs=2, random_state=0
    ).fit(X, y)
    assert model._inference_plan is None  # a CNN or an RNN: Keras predicts
    assert model.model_.get_layer("signal_reshape").output.shape[1:] == reshaped
    assert model.branch_columns_["remainder"].tolist() == [16]
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize(
    "branches, X_kind, message",
    [
        ([("dna", SequenceBranch("seq__*"))], "frame", "branch 'dna': no column"),
        ([("dna", SequenceBranch("a*"))], "array", "branch 'dna' selects columns by"),
        ([("dna", SequenceBranch([0, 1, 2]))], "array", "branch 'dna' .*multiple of 4"),
        (
            [("dna", SequenceBranch([0, 1, 2, 3], length=2))],
            "array",
            "branch 'dna' .*length 2 x 4 channels = 8 columns; it has 4",
        ),
        ([("img", ImageBranch([0, 1, 2]))], "array", "branch 'img' .*square image"),
        (
            [("img", ImageBranch(slice(0, 4), shape=(3, 2)))],
            "array",
            r"branch 'img' .*shape \(3, 2\)",
        ),
        (
            [("a", DenseBranch([0, 1])), ("b", DenseBranch([1]))],
            "array",
            "column 1 is claimed by branches 'a' and 'b'",
        ),
        (
            [("a", DenseBranch("a*")), ("b", DenseBranch("ab"))],
            "frame",
            "column 'ab' is claimed by branches 'a' and 'b'",
        ),
        ([("dx", EmbeddingBranch(0))], "array", "branch 'dx' .*integer codes"),
        ([("x", DenseBranch([7]))], "array", "branch 'x': column index out of range"),
        ([("x", DenseBranch([True]))], "array", "branch 'x': a boolean mask"),
        ([("x", SequenceBranch(0, filters=0))], "array", "branch 'x': The 'filters'"),
        ([("alpha", DenseBranch(0))], "array", "branch name 'alpha' is taken"),
        ([("a__b", DenseBranch(0))], "array", "without '__'"),
        ([("a", DenseBranch(0)), ("a", DenseBranch(1))], "array", "unique"),
        ([("a", object())], "array", "branch 'a' must be a DenseBranch"),
        ([], "array", "branches is empty"),
    ],
)
def test_bad_branches_get_errors_naming_the_branch(branches, X_kind, message):
    X = np.random.RandomState(0).normal(size=(10, 4))
    if X_kind == "frame":
        X = pd.DataFrame(X, columns=["ab", "ac", "b", "c"])
    y = np.arange(10) % 2
    with pytest.raises((ValueError, TypeError), match=message):
        KerasNetClassifier(branches=branches, epochs=1).fit(X, y)


def test_branches_need_the_default_architecture():
    X, y = np.zeros((10, 4)), np.arange(10) % 2
    net = KerasNetClassifier(branches=[("a", DenseBranch(0))], architecture="cnn1d")
    with pytest.raises(ValueError, match="leave architecture='dense'"):
        net.fit(X, y)
