"""``main``: run one command, turning problems with the user's files into one line."""

import sys

from .parser import build_parser


def main(argv=None):
    """Entry point of the ``skprecmed`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from .demo import demo

            demo(output=args.output, epochs=args.epochs, cv=args.cv, missing=args.missing,
                 seed=args.seed)
            return 0
        from . import commands

        if args.command == "train":
            commands.train(args.data, args.output, target=args.target, event=args.event,
                            time=args.time, task=args.task, epochs=args.epochs,
                            hidden=args.hidden, seed=args.seed)
        elif args.command == "predict":
            commands.predict(args.model, args.data, args.output)
        elif args.command == "evaluate":
            commands.evaluate(args.model, args.data, target=args.target, event=args.event,
                               time=args.time)
        else:
            commands.info(args.model)
    except (ValueError, TypeError, KeyError, OSError, ImportError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"skprecmed: error: {message}", file=sys.stderr)
        return 1
    return 0

