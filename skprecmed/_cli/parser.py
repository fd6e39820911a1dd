"""The argument parser of the ``skprecmed`` command line.

Every option has help text and ``--help`` shows its default.
"""

import argparse

from .commands import MAX_LEVELS, MIN_LEVEL_COUNT

TRAIN_EPOCHS = 30

_TRAIN_DESCRIPTION = f"""\
Train a network on a CSV or Parquet file and write it as a safe model file.
Numeric columns are imputed with their median and standardised; the other
columns are imputed with their most frequent value and one-hot encoded
(levels seen in fewer than {MIN_LEVEL_COUNT} rows are pooled into one
"infrequent" column, and a column gives at most {MAX_LEVELS} columns, so an
identifier does not become one input per patient). The network: dense ReLU
layers of --hidden units, Adam at learning rate 0.001, batch size 32 (256 for
survival), --epochs epochs (default {TRAIN_EPOCHS}), no early stopping.
A string outcome, or integers with at most 10 distinct values, is a
classification; other numbers a regression (on the standardised outcome);
--event with --time a survival model (Cox partial likelihood).
"""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults, except where there is none to show (``None``, flags)."""

    def _get_help_string(self, action):
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


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
        help="passes over the training data",
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


def _predict_parser(commands):
    predict = commands.add_parser(
        "predict",
        help="write predictions for a data file as CSV",
        formatter_class=_HelpFormatter,
    )
    predict.add_argument("model", help="model file")
    predict.add_argument("data", help="patients (.csv or .parquet)")
    predict.add_argument(
        "-o",
        "--output",
        default="-",
        help="CSV to write, - for standard output; never one of the inputs",
    )


def _evaluate_parser(commands):
    evaluate = commands.add_parser(
        "evaluate",
        help="metrics of a model on a labelled data file",
        formatter_class=_HelpFormatter,
    )
    evaluate.add_argument("model", help="model file")
    evaluate.add_argument("data", help="labelled patients (.csv or .parquet)")
    _outcome_options(evaluate)


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
    info = commands.add_parser(
        "info", help="print a model file's metadata", formatter_class=_HelpFormatter
    )
    info.add_argument("model", help="model file")
    return parser
