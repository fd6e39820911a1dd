"""The argument parser of the ``skprecmed`` command line."""

import argparse


def _hidden(text):
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 32 or 64,32; got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("layer sizes must be positive")
    return sizes


def _outcome_options(parser):
    parser.add_argument("--target", help="outcome column (diagnosis or measurement)")
    parser.add_argument("--event", help="survival: event indicator column (1 = event)")
    parser.add_argument("--time", help="survival: time-to-event or censoring column")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skprecmed",
        description="Keras deep learning for precision medicine, the scikit-learn way.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="train, tune, validate and save a disease-risk classifier on real data"
    )
    demo.add_argument("--output", default="skprecmed_demo_model.joblib")
    demo.add_argument("--epochs", type=int, default=30)
    demo.add_argument("--cv", type=int, default=5)
    demo.add_argument("--missing", type=float, default=0.05)
    demo.add_argument("--seed", type=int, default=0)

    train = commands.add_parser("train", help="train a model on a CSV or Parquet file")
    train.add_argument("data", help="training data (.csv or .parquet)")
    _outcome_options(train)
    train.add_argument("-o", "--output", required=True, help="model file to write (.skprecmed)")
    train.add_argument("--task", choices=["auto", "classify", "regress", "survival"], default="auto")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--hidden", type=_hidden, default=(32,), help="hidden layer sizes, e.g. 64,32")
    train.add_argument("--seed", type=int, default=0)

    predict = commands.add_parser("predict", help="write predictions for a data file as CSV")
    predict.add_argument("model", help="model file")
    predict.add_argument("data", help="patients (.csv or .parquet)")
    predict.add_argument("-o", "--output", help="CSV to write (default: standard output)")

    evaluate = commands.add_parser("evaluate", help="metrics of a model on a labelled data file")
    evaluate.add_argument("model", help="model file")
    evaluate.add_argument("data", help="labelled patients (.csv or .parquet)")
    _outcome_options(evaluate)

    info = commands.add_parser("info", help="print a model file's metadata")
    info.add_argument("model", help="model file")
    return parser
