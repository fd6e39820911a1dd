"""SequenceEncoder: scikit-learn's checks that apply to string input, and its own."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils import estimator_checks as checks

from skprecmed import SequenceEncoder

# scikit-learn's suite skips every check for estimators that take strings
# (it has no string data to feed them); these are the ones that need no data.
_DATA_FREE_CHECKS = [
    checks.check_no_attributes_set_in_init,
    checks.check_get_params_invariance,
    checks.check_set_params,
    checks.check_parameters_default_constructible,
    checks.check_estimator_cloneable,
    checks.check_estimator_repr,
    checks.check_do_not_raise_errors_in_init_or_set_params,
    checks.check_estimator_tags_renamed,
    checks.check_valid_tag_types,
]


@pytest.mark.parametrize("check", _DATA_FREE_CHECKS, ids=lambda c: c.__name__)
def test_sklearn_checks(check):
    check("SequenceEncoder", SequenceEncoder())


SEQUENCES = ["ACGTN", "acg", "TTTTTTT", "gattaca"]


def test_one_hot_padding_and_lower_case():
    out = SequenceEncoder().fit_transform(SEQUENCES)
    assert out.shape == (4, 7, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0, :5].argmax(1)[:4], [0, 1, 2, 3])
    assert out[0, 4].sum() == 0  # N
    assert out[1, 3:].sum() == 0  # right padding
    np.testing.assert_array_equal(out[3].argmax(1), [2, 0, 3, 3, 0, 1, 0])  # lower case


def test_fixed_length_truncating_and_left_padding():
    enc = SequenceEncoder(length=3, padding="left", truncating="left").fit(SEQUENCES)
    out = enc.transform(["AC", "GGGT"])
    assert out[0, 0].sum() == 0 and out[0, 1:].argmax(1).tolist() == [0, 1]
    assert out[1].argmax(1).tolist() == [2, 2, 3]  # kept the right end


def test_alphabets_and_flattening():
    rna = SequenceEncoder(alphabet="rna").fit(["ACGU"])
    assert rna.transform(["U"])[0, 0].tolist() == [0, 0, 0, 1]
    protein = SequenceEncoder(alphabet="protein", flatten=True).fit(["MKTAYX"])
    out = protein.transform(["MKTAYX"])
    assert out.shape == (1, 6 * 20)
    names = protein.get_feature_names_out()
    assert len(names) == out.shape[1] and names[0] == "pos0_A"
    assert names[np.flatnonzero(out[0])[0]] == "pos0_M"


@pytest.mark.parametrize(
    "X, error, message",
    [
        (
            ["ACGZ", "AXB"],
            ValueError,
            r"outside the alphabet 'ACGT' \(plus 'N'\): \['B', 'X', 'Z'\]",
        ),
        ([1, 2], TypeError, "takes strings; got int"),
        ([], ValueError, "0 sample"),
        (np.array([["AC", "GT"]]), ValueError, "1-D list of sequences"),
    ],
    ids=["unknown-letters", "numbers", "empty", "2-d"],
)
def test_bad_input(X, error, message):
    enc = SequenceEncoder().fit(["ACGT"])
    with pytest.raises(error, match=message):
        enc.transform(X)


def test_fit_is_idempotent_pickles_and_mutates_nothing():
    data = list(SEQUENCES)
    enc = SequenceEncoder()
    first = enc.fit(data).transform(data)
    assert enc.fit(data) is enc
    np.testing.assert_array_equal(enc.transform(data), first)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(enc)).transform(data), first
    )
    np.testing.assert_array_equal(clone(enc).fit_transform(data), first)
    assert data == SEQUENCES


def test_pandas_output_keeps_the_rows_index_in_a_column_transformer():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import StandardScaler

    frame = pd.DataFrame(
        {"dna": ["ACGT", "TTGA", "GGCA", "CATG"], "age": [50.0, 61.0, 72.0, 44.0]},
        index=[300, 301, 302, 303],  # rows of a held-out slice
    )
    encoder = SequenceEncoder(flatten=True).set_output(transform="pandas")
    encoded = encoder.fit(frame["dna"]).transform(frame["dna"])
    assert list(encoded.index) == [300, 301, 302, 303]
    assert list(encoded.columns) == list(encoder.get_feature_names_out())
    both = ColumnTransformer(
        [
            ("dna", SequenceEncoder(flatten=True), "dna"),
            ("age", StandardScaler(), ["age"]),
        ]
    ).set_output(transform="pandas")
    out = both.fit(frame).transform(frame.iloc[2:])
    assert out.shape == (2, 17) and list(out.index) == [302, 303]
    np.testing.assert_array_equal(
        out.filter(like="dna__").to_numpy()[0, :4], [0, 0, 1, 0]
    )
