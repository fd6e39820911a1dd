"""The argument parser of the ``skprecmed`` command line.

Every option has help text and ``--help`` shows its default.
"""

import argparse

from .commands import MAX_LEVELS, MIN_LEVEL_COUNT

TRAIN_EPOCHS = 200

_TRAIN_DESCRIPTION = f"""\
Train a network on a CSV or Parquet file and write it as a safe model file.
Numeric columns are imputed with their median and standardised; the other
columns are imputed with their most frequent value and one-hot encoded
(levels seen in fewer than {MIN_LEVEL_COUNT} rows are pooled into one
"infrequent" column, and a column gives at most {MAX_LEVELS} columns, so an
identifier does not become one input per patient). The network is the
estimators' default: dense ReLU layers of --hidden units with a linear skip
connection, L2 weight decay 1e-4, Adam at learning rate 0.001, batch size 32
(256 for survival), at most --epochs epochs (default {TRAIN_EPOCHS}), stopped
early when the loss on a 10% inner validation split has not improved for 20
epochs (the best epoch's weights are kept).
A string outcome, or integers with at most 10 distinct values, is a
classification; other numbers a regression (on the standardised outcome);
--event with --time a survival model (Cox partial likelihood).
Name a patient identifier with --id so that it is left out of the features
(without it, a text column with a distinct value in every row is pooled into
one constant column).
"""

RISK_EXPLAINED = """\
Survival models: "risk" is the predicted log-hazard ratio relative to the
average training patient: 0 is that patient's hazard, +1 about 2.7 times it,
-1 about a third of it; higher means an earlier event. It ranks patients; for
probabilities ask for --times 12,36,60, which adds the columns survival_at_12,
... (the probability of no event by each time, in the time column's unit,
within the training follow-up).
"""

_EVALUATE_DESCRIPTION = """\
Classifiers: accuracy, log loss, ROC AUC, Brier score, calibration table and,
at --threshold, sensitivity, specificity, PPV and NPV. Regressors: R2, MAE,
RMSE. Survival models: Harrell's C, Uno's C (truncated at the last evaluation
time), time-dependent AUC and Brier score at each evaluation time, their mean
and the integrated Brier score; the censoring distribution of the inverse
probability weights is estimated from the evaluation file itself (no training
data needed). Evaluation times: --times, inside the file's follow-up, or the
25th, 50th and 75th percentiles of its observed times.
"""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults, except where there is none to show (``None``, flags)."""

    def _get_help_string(self, action):
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


class _DescribedHelpFormatter(_HelpFormatter):
    """Keep the description's paragraphs (blank lines) and line breaks."""

    def _fill_text(self, text, width, indent):
        return "".join(indent + line for line in text.splitlines(keepends=True))


def _hidden(text):
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sizes like 32 or 64,32; got {text!r}"
        ) from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("layer sizes must be positive")
    return sizes


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def _times(text):
    try:
        times = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected times like 12,36,60; got {text!r}"
        ) from None
    if not times or any(not t >= 0 or t == float("inf") for t in times):
        raise argparse.ArgumentTypeError("times must be finite and not negative")
    return sorted(set(times))


def _probability(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1); got {value}")
    return value


def _port(text):
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 0-65535; got {text!r}")
    return value


def _outcome_options(parser):
    parser.add_argument("--target", help="outcome column (diagnosis or measurement)")
    parser.add_argument(
        "--event",
        help="survival: event indicator column, coded 0/1 or true/false "
        "(or any coding, with --event-value)",
    )
    parser.add_argument("--time", help="survival: time-to-event or censoring column")
    parser.add_argument(
        "--event-value",
        metavar="VALUE",
        help="survival: the value of the --event column that means the event "
        "happened (e.g. dead, or 2); every other value is censored",
    )


def _demo_parser(commands):
    demo = commands.add_parser(
        "demo",
        help="train, tune, validate and save a disease-risk classifier on real data",
        formatter_class=_HelpFormatter,
    )
    demo.add_argument(
        "--output",
        default="skprecmed_demo_model.joblib",
        help="where the fitted pipeline is written (joblib)",
    )
    demo.add_argument(
        "--epochs", type=_positive, default=30, help="training epochs of each network"
    )
    demo.add_argument(
        "--cv", type=_positive, default=5, help="folds of the search and validation"
    )
    demo.add_argument(
        "--missing",
        type=float,
        default=0.05,
        help="share of measurements blanked at random, to show the imputer",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed")


def _train_parser(commands):
    train = commands.add_parser(
        "train",
        help="train a model on a CSV or Parquet file",
        description=_TRAIN_DESCRIPTION,
        formatter_class=_HelpFormatter,
    )
    train.add_argument("data", help="training data (.csv or .parquet)")
    _outcome_options(train)
    train.add_argument(
        "-o",
        "--output",
        required=True,
        help="model file to write (.skprecmed); never one of the inputs",
    )
    train.add_argument(
        "--task",
        choices=["auto", "classify", "regress", "survival"],
        default="auto",
        help="kind of model; auto guesses it from the outcome",
    )
    train.add_argument(
        "--epochs",
        type=_positive,
        default=TRAIN_EPOCHS,
        help="most passes over the training data (early stopping may stop sooner)",
    )
    train.add_argument(
        "--hidden",
        type=_hidden,
        default="32",
        help="hidden layer sizes, comma-separated, e.g. 64,32",
    )
    train.add_argument(
        "--seed", type=int, default=0, help="random seed (same seed, same model)"
    )
    train.add_argument(
        "--id",
        metavar="COLUMN",
        help="patient identifier column, left out of the features",
    )


def _predict_parser(commands):
    predict = commands.add_parser(
        "predict",
        help="write predictions for a data file as CSV",
        description="Write one row of predictions per patient: proba_<class> "
        "and predicted for classifiers, prediction for regressors, risk (and "
        "survival_at_<t>) for survival models.\n\n" + RISK_EXPLAINED,
        formatter_class=_DescribedHelpFormatter,
    )
    predict.add_argument("model", help="model file")
    predict.add_argument("data", help="patients (.csv or .parquet)")
    predict.add_argument(
        "-o",
        "--output",
        default="-",
        help="CSV to write, - for standard output; never one of the inputs",
    )
    predict.add_argument(
        "--id",
        metavar="COLUMN",
        help="identifier column copied as the first output column (not a feature)",
    )
    predict.add_argument(
        "--times",
        type=_times,
        metavar="T1,T2,...",
        help="survival models: add survival_at_<t> columns, the probability of "
        "no event by each time",
    )


def _evaluate_parser(commands):
    evaluate = commands.add_parser(
        "evaluate",
        help="metrics of a model on a labelled data file",
        description=_EVALUATE_DESCRIPTION,
        formatter_class=_HelpFormatter,
    )
    evaluate.add_argument("model", help="model file")
    evaluate.add_argument("data", help="labelled patients (.csv or .parquet)")
    _outcome_options(evaluate)
    evaluate.add_argument(
        "--threshold",
        type=_probability,
        default=0.5,
        help="binary classifiers: probability of the second class from which a "
        "patient is called positive (for sensitivity, specificity, PPV, NPV)",
    )
    evaluate.add_argument(
        "--times",
        type=_times,
        metavar="T1,T2,...",
        help="survival models: evaluation times of the AUC and Brier score "
        "(default: the quartiles of the observed times)",
    )


def _info_parser(commands):
    info = commands.add_parser(
        "info",
        help="print a model file's summary (task, inputs, outputs, versions)",
        formatter_class=_HelpFormatter,
    )
    info.add_argument("model", help="model file")
    info.add_argument(
        "--json", action="store_true", help="print the full manifest as JSON"
    )


def _card_parser(commands):
    card = commands.add_parser(
        "card",
        help="write a Markdown model card from a model file",
        description="Write a model card (skops.card): intended use, training "
        "data, metrics, hyperparameters, versions and limitations; anything the "
        "file does not record is written as 'not recorded'.",
        formatter_class=_HelpFormatter,
    )
    card.add_argument("model", help="model file")
    card.add_argument(
        "-o", "--output", required=True, help="Markdown file to write (.md)"
    )


def _serve_parser(commands):
    serve = commands.add_parser(
        "serve",
        help="serve a model over HTTP (needs the [serve] extra)",
        description="Serve POST /predict, GET /health, GET /metadata and the "
        "OpenAPI docs at /docs until stopped (Ctrl-C or SIGTERM: exit 0). Binds "
        "to the loopback address by default; put a proxy with authentication "
        "and TLS in front of it before exposing it.",
        formatter_class=_HelpFormatter,
    )
    serve.add_argument("model", help="model file")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument(
        "--port", type=_port, default=8000, help="port to listen on (0: any free)"
    )


def build_parser():
    """The ``skprecmed`` argument parser.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="skprecmed",
        description="Keras deep learning for precision medicine, the scikit-learn way.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _demo_parser(commands)
    _train_parser(commands)
    _predict_parser(commands)
    _evaluate_parser(commands)
    _info_parser(commands)
    _card_parser(commands)
    _serve_parser(commands)
    return parser
