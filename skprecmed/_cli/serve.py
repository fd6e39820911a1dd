"""``skprecmed serve``: a model file behind a small HTTP service (FastAPI).

:func:`create_app` builds the application (testable without a server or the
command line); :func:`serve` runs it with uvicorn until SIGINT or SIGTERM,
then returns (exit status 0). Endpoints:

* ``POST /predict``: ``{"rows": [{feature: value, ...}, ...]}`` by feature
  name (``null`` is a missing value, imputed as in training; other keys are
  ignored), optionally ``"times": [12, 36]`` for survival models; answers
  ``{"predictions": [{column: value, ...}, ...]}`` with the columns of
  ``skprecmed predict``. A malformed row is refused with status 422 and the
  field named in ``detail[i]["loc"]``.
* ``GET /health``: ``{"status": "ok", "tensorflow_imported": false}`` (a
  dense model predicts with NumPy and never imports TensorFlow).
* ``GET /metadata``: the model file's ``metadata.json``.
* ``GET /docs``: the OpenAPI documentation.

It needs the ``serve`` extra: ``pip install "skprecmed[serve]"``.
"""

import contextlib
import json
import signal
import sys

import numpy as np

from .commands import _predictions, _read_model_file

#: most rows one request may carry (a bound on the memory one request takes)
MAX_ROWS = 10_000

_SERVE_EXTRA = (
    "skprecmed serve needs FastAPI and uvicorn: pip install 'skprecmed[serve]'"
)


def _import_fastapi():
    try:
        import fastapi
        import pydantic
    except ImportError as exc:
        raise ImportError(f"{_SERVE_EXTRA} ({exc}).") from exc
    return fastapi, pydantic


def _field_type(dtype):
    """The JSON type of a feature, from the dtype recorded at training."""
    if dtype is None:
        return float | str | None
    if dtype == "bool":
        return bool | None
    if dtype.startswith(("int", "uint", "float", "Int", "UInt", "Float")):
        return float | None
    return str | None


def _row_model(metadata, pydantic):
    """A pydantic model of one patient: every training feature, by name."""
    names = metadata.get("feature_names")
    if not names:
        raise ValueError(
            "this model records no feature names; serve needs a model trained "
            "on named columns (skprecmed train, or a DataFrame)."
        )
    dtypes = metadata.get("feature_dtypes") or {}
    fields = {
        f"feature_{i}": (_field_type(dtypes.get(name)), pydantic.Field(alias=name))
        for i, name in enumerate(names)
    }
    return pydantic.create_model(
        "PatientRow",
        __config__=pydantic.ConfigDict(extra="ignore", populate_by_name=False),
        **fields,
    )


def _frame(rows, names):
    """The validated rows as a DataFrame; ``None`` becomes NaN (imputed)."""
    import pandas as pd

    records = [row.model_dump(by_alias=True) for row in rows]
    frame = pd.DataFrame.from_records(records, columns=names)
    for name in names:
        column = frame[name]
        if column.map(lambda v: isinstance(v, bool | float | int) or v is None).all():
            frame[name] = pd.to_numeric(column, errors="coerce")
        else:
            frame[name] = column.astype(object).where(column.notna(), np.nan)
    return frame


def create_app(model_path):
    """The FastAPI application serving the model file ``model_path``.

    Parameters
    ----------
    model_path : str or path-like
        A ``.skprecmed`` file, loaded safely once, here.

    Returns
    -------
    app : fastapi.FastAPI

    Examples
    --------
    >>> from skprecmed._cli.serve import create_app
    >>> create_app("missing.skprecmed")
    Traceback (most recent call last):
    ...
    skprecmed._cli.tables.CommandError: missing.skprecmed: no such file.
    """
    metadata = _read_model_file("read_metadata", model_path)
    fastapi, pydantic = _import_fastapi()
    model = _read_model_file("load_model", model_path)
    names = list(metadata["feature_names"] or [])
    Row = _row_model(metadata, pydantic)

    class PredictRequest(pydantic.BaseModel):
        rows: list[Row] = pydantic.Field(min_length=1, max_length=MAX_ROWS)
        times: list[pydantic.NonNegativeFloat] | None = None

    app = fastapi.FastAPI(
        title="skprecmed model",
        description=f"{metadata['estimator']} from {model_path}",
        version=metadata["versions"].get("skprecmed", "unknown"),
    )

    @app.get("/health")
    def health():
        """Liveness, and whether TensorFlow was imported (never, for dense nets)."""
        return {"status": "ok", "tensorflow_imported": "tensorflow" in sys.modules}

    @app.get("/metadata")
    def get_metadata():
        """The model file's ``metadata.json``."""
        return metadata

    @app.post("/predict")
    def predict(request: PredictRequest):
        """Predictions for ``rows``, with the columns of ``skprecmed predict``."""
        try:
            times = sorted(set(request.times)) if request.times else None
            result = _predictions(model, _frame(request.rows, names), times)
        except ValueError as exc:  # --times outside the follow-up, bad values
            message = str(exc).replace("--times", "times")
            raise fastapi.HTTPException(status_code=422, detail=message) from exc
        records = json.loads(result.to_json(orient="records", double_precision=15))
        return {"predictions": records}

    return app


def _server(config):
    """uvicorn's server, stopping on SIGINT/SIGTERM without re-raising them.

    uvicorn re-raises the signal that stopped it once it has shut down, so
    SIGTERM would end the process with status -15 and Ctrl-C with 130; here
    either shuts the server down gracefully and :func:`serve` returns.
    """
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):
            previous = {
                sig: signal.signal(sig, self.handle_exit)
                for sig in (signal.SIGINT, signal.SIGTERM)
            }
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return Server(config)


def serve(model_path, host="127.0.0.1", port=8000):
    """Serve ``model_path`` over HTTP until SIGINT or SIGTERM.

    Parameters
    ----------
    model_path : str or path-like
    host : str, default="127.0.0.1"
        The address to listen on: the loopback interface unless another is
        named.
    port : int, default=8000
    """
    app = create_app(model_path)
    try:
        import uvicorn
    except ImportError as exc:
        raise ImportError(f"{_SERVE_EXTRA} ({exc}).") from exc
    config = uvicorn.Config(app, host=host, port=port, log_level="info")
    _server(config).run()
