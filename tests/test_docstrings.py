"""numpydoc validation of the public API's docstrings (as scikit-learn does).

Runs on the objects themselves, so docstrings assembled from shared
fragments (``_docstrings.fill``) are checked as users read them.
"""

import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

import skprecmed  # noqa: E402

#: checks not enforced, with the reason
IGNORED = {
    "GL01": "summary may start on the line of the opening quotes",
    "GL02": "closing quotes may follow the last line",
    "ES01": "an extended summary is optional",
    "SA01": "a See Also section is optional",
    "EX01": "methods need no Examples; public classes and functions have one",
    "RT02": "return values are named, as in scikit-learn",
    "PR02": "keyword-only markers are documented as parameters",
    "SS05": "summaries may be noun phrases, as scikit-learn's are",
    "GL08": "inherited scikit-learn methods keep their own docs",
    "YD01": "no generators in the public API",
    "PR03": "the shared network parameters are documented first, the "
    "estimator's own after them",
}


def _public_objects():
    for name in skprecmed.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(skprecmed, name)
        yield f"skprecmed.{name}"
        if inspect.isclass(obj) and not issubclass(obj, Warning | Exception):
            for attr, value in vars(obj).items():
                if attr.startswith("_") or not callable(value):
                    continue
                yield f"skprecmed.{name}.{attr}"


@pytest.mark.parametrize("name", sorted(set(_public_objects())))
def test_docstring(name):
    result = numpydoc_validate.validate(name)
    errors = [
        f"{code}: {message}"
        for code, message in result["errors"]
        if code not in IGNORED
    ]
    assert not errors, "\n".join([name, *errors])
