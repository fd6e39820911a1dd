"""``main``: run one command; a user's problem is one line, never a traceback.

Exit statuses: 0 done, 1 a problem with the user's files or options (one line
on standard error), 2 a command-line usage error (argparse), 130 interrupted
(Ctrl-C), 141 standard output closed early (``skprecmed predict ... | head``).
"""

import os
import sys

from .parser import build_parser

#: what a problem with the user's files raises: unreadable or malformed data
#: (pandas' and pyarrow's errors are ValueError or OSError subclasses), model
#: files (ValueError), missing optional dependencies (ImportError)
USER_ERRORS = (ValueError, TypeError, KeyError, OSError, ImportError)

INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE, what `cat` reports when its reader leaves


def _run(args):
    if args.command == "demo":
        from .demo import demo

        demo(
            output=args.output,
            epochs=args.epochs,
            cv=args.cv,
            missing=args.missing,
            seed=args.seed,
        )
        return
    from . import commands

    outcome = {}
    if args.command in ("train", "evaluate"):
        outcome = {
            "target": args.target,
            "event": args.event,
            "time": args.time,
            "event_value": args.event_value,
        }
    if args.command == "train":
        commands.train(
            args.data,
            args.output,
            task=args.task,
            epochs=args.epochs,
            hidden=args.hidden,
            seed=args.seed,
            id_column=args.id,
            **outcome,
        )
    elif args.command == "predict":
        commands.predict(
            args.model, args.data, args.output, id_column=args.id, times=args.times
        )
    elif args.command == "evaluate":
        commands.evaluate(
            args.model, args.data, threshold=args.threshold, times=args.times, **outcome
        )
    elif args.command == "card":
        from .card import card

        card(args.model, args.output)
        print(f"wrote {args.output}", file=sys.stderr)
    elif args.command == "serve":
        from .serve import serve

        serve(args.model, host=args.host, port=args.port)
    else:
        commands.info(args.model, as_json=args.json)


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _silence_stdout():
    """Point standard output at /dev/null, so that Python's final flush of
    the unwritable pipe does not print an error (as the Python docs advise
    for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv=None):
    """Entry point of the ``skprecmed`` console script.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``None``: ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 done, 1 a problem with the user's input, 130 interrupted, 141
        standard output closed by its reader (argparse exits with 2 itself).
    """
    args = build_parser().parse_args(argv)
    try:
        _run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE
    except KeyboardInterrupt:
        print("skprecmed: interrupted", file=sys.stderr)
        return INTERRUPTED
    except USER_ERRORS as exc:
        print(f"skprecmed: error: {_first_line(exc)}", file=sys.stderr)
        return 1
    return 0
