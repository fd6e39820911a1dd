"""Data files into features and outcomes, with one-line errors.

Problems with the user's files raise :class:`CommandError`, which the command
line prints as one line.
"""

import os
from pathlib import Path


class CommandError(ValueError):
    """A problem with the user's input, reported as one line."""


_SHOWN = 5  # values listed in a message


def read_table(path):
    """A CSV or Parquet file as a DataFrame, with clear errors.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    frame : pandas.DataFrame
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise CommandError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise CommandError(f"{path}: expected a .csv or .parquet file.")
    except pd.errors.EmptyDataError as exc:
        raise CommandError(f"{path}: the file is empty.") from exc
    except pd.errors.ParserError as exc:
        raise CommandError(f"{path}: not a readable CSV file ({exc}).") from exc
    except ImportError as exc:
        raise CommandError(f"{path}: reading Parquet needs pyarrow ({exc}).") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it "
            "as a UTF-8 CSV."
        ) from exc
    if frame.empty:
        raise CommandError(f"{path}: the file has no rows.")
    return frame


def check_output(output, inputs):
    """Refuse an output path that is a folder or one of the command's inputs.

    Parameters
    ----------
    output : str or path-like or None
        The file the command will write (``None`` or ``"-"``: standard
        output).
    inputs : sequence of str or path-like
        The files the command reads.

    Raises
    ------
    CommandError
        If ``output`` is a folder, or the same file as an input (same path
        once resolved, or the same file through a link).
    """
    if output is None or str(output) == "-":
        return
    if Path(output).is_dir():
        raise CommandError(f"{output}: is a folder; -o needs a file name.")
    for source in inputs:
        if _same_file(output, source):
            raise CommandError(
                f"refusing to write the output to {output}: it is the input "
                f"file {source}; choose another -o path."
            )


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return Path(a).resolve() == Path(b).resolve()


def check_columns(frame, names, path):
    """Raise :class:`CommandError` naming the columns ``frame`` lacks."""
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise CommandError(
            f"{path}: missing column(s) {missing}; the file has {list(frame.columns)}."
        )


def _shown(values):
    """Distinct values, for a message: ``['alive', 'dead']``."""
    values = sorted(set(values), key=str)
    text = repr(values[:_SHOWN])
    if len(values) > _SHOWN:
        text = f"{text[:-1]}, ... ({len(values)} distinct)]"
    return text


def stray_strings(column):
    """The values that spoil a numeric column, or an empty list.

    A column counts as numeric with stray strings when its dtype is not
    numeric but more than half of its non-missing values parse as numbers:
    ``age`` with one ``"unknown"`` is a number column with a typo, not a
    categorical one (a categorical column coded ``"1"``, ``"2"``, ``"3a"``
    is ambiguous, and asking is better than guessing).

    Parameters
    ----------
    column : pandas.Series

    Returns
    -------
    values : list
        The non-missing values that are not numbers (empty when the column is
        numeric, or mostly not numbers, i.e. categorical).
    """
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return []
    present = column.dropna()
    if present.empty or present.map(lambda v: isinstance(v, bool)).any():
        return []
    numbers = pd.to_numeric(present.astype(str).str.strip(), errors="coerce")
    parsed = numbers.notna()
    if parsed.sum() * 2 <= len(present):
        return []
    return present[~parsed].tolist()


def check_numeric_columns(frame, path):
    """Raise :class:`CommandError` at the first numeric column with strings."""
    for name in frame.columns:
        bad = stray_strings(frame[name])
        if bad:
            raise CommandError(
                f"{path}: column {name!r} holds numbers but {len(bad)} value(s) "
                f"are not: {_shown(bad)}; correct them, or leave those cells "
                "empty (missing values are imputed)."
            )


def _time_column(frame, name, path):
    import pandas as pd

    column = frame[name]
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        bad = stray_strings(column) or column.dropna().tolist()
        raise CommandError(
            f"{path}: time column {name!r} must hold numbers; found {_shown(bad)}."
        )
    if column.isna().any():
        raise CommandError(
            f"{path}: time column {name!r} has {int(column.isna().sum())} "
            "missing value(s); every patient needs a time."
        )
    return column.to_numpy(dtype=float)


_TRUE_FALSE = {"true": True, "false": False, "1": True, "0": False}


def event_indicator(column, name, path, event_value=None):
    """The event column as booleans, refusing codings it would have to guess.

    Parameters
    ----------
    column : pandas.Series
        The event column.
    name : str
        Its name, for messages.
    path : str or path-like
        The data file, for messages.
    event_value : str, default=None
        The value that means the event happened; every other value is
        censored. Without it the column must be bool, numbers 0/1, or the
        strings true/false (any case): ``dead``/``alive`` or 1/2 would
        otherwise make every patient an event.

    Returns
    -------
    event : ndarray of bool
    """
    import pandas as pd

    if column.isna().any():
        raise CommandError(
            f"{path}: event column {name!r} has {int(column.isna().sum())} missing "
            "value(s); every patient needs an event status."
        )
    if event_value is not None:
        return _matching(column, name, path, event_value)
    if pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(column):
        if set(column.unique().tolist()) <= {0, 1}:
            return (column == 1).to_numpy()
    else:
        text = column.astype(str).str.strip().str.lower()
        if set(text) <= set(_TRUE_FALSE):
            return text.map(_TRUE_FALSE).to_numpy(dtype=bool)
    raise CommandError(
        f"{path}: event column {name!r} must be coded 0/1 or true/false; found "
        f"values {_shown(column.unique().tolist())}; name the value that means "
        "the event happened with --event-value VALUE (all others are censored)."
    )


def _matching(column, name, path, value):
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):
        mask = column == (value.strip().lower() in ("true", "1"))
    elif pd.api.types.is_numeric_dtype(column):
        try:
            mask = column == float(value)
        except ValueError:
            mask = column != column  # no number matches a word
    else:
        mask = column.astype(str).str.strip() == value.strip()
    if not mask.any():
        raise CommandError(
            f"{path}: --event-value {value!r} matches no value of column {name!r}; "
            f"found values {_shown(column.unique().tolist())}."
        )
    return mask.to_numpy(dtype=bool)


def outcome(frame, path, target=None, event=None, time=None, event_value=None):
    """The outcome named on the command line, and its columns.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or path-like
        The data file, for messages.
    target, event, time, event_value : str, default=None
        The command-line options of the same names.

    Returns
    -------
    y : ndarray
        The target, or scikit-survival's structured array (event, time).
    columns : list of str
        The outcome's columns, to leave out of the features.
    """
    if (event is None) != (time is None):
        raise CommandError("survival needs both --event and --time.")
    if event is not None:
        from sksurv.util import Surv

        check_columns(frame, [event, time], path)
        indicator = event_indicator(frame[event], event, path, event_value)
        times = _time_column(frame, time, path)
        try:
            y = Surv.from_arrays(indicator, times)
        except (ValueError, TypeError) as exc:
            raise CommandError(f"{path}: bad survival columns: {exc}") from exc
        return y, [event, time]
    if event_value is not None:
        raise CommandError("--event-value goes with --event and --time.")
    if target is None:
        raise CommandError("name the outcome: --target COLUMN, or --event and --time.")
    check_columns(frame, [target], path)
    return frame[target].to_numpy(), [target]


def is_identifier(column):
    """Whether a text column has a distinct value in every row (an ID)."""
    import pandas as pd

    return (
        len(column) > 1
        and not pd.api.types.is_numeric_dtype(column)
        and column.nunique(dropna=False) == len(column)
    )
