"""Write files atomically: readers see the old file or the new one, never half.

Every file skprecmed writes for a user (model files, prediction tables) goes
through :func:`atomic_write`: the content goes to a temporary file in the
destination's folder, is flushed to disk, and replaces the destination in one
``os.replace``. A failure (full disk, Ctrl-C, an exception while writing)
leaves the previous file untouched and no temporary file behind.
"""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode="wb", **open_kwargs):
    """Open a temporary file that replaces ``path`` when the block succeeds.

    Parameters
    ----------
    path : str or path-like
        The destination.
    mode : {"wb", "w"}, default="wb"
        Binary or text.
    **open_kwargs
        Passed to :func:`open` (e.g. ``encoding``, ``newline``).

    Yields
    ------
    file : file object
        Write the whole content to it.

    Examples
    --------
    >>> import os, tempfile
    >>> from skprecmed._atomic import atomic_write
    >>> path = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_write(path, "w") as f:
    ...     _ = f.write("kept")
    >>> open(path).read()
    'kept'
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w'; got {mode!r}.")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder
    )
    try:
        # mkstemp makes the file private (0600): give it the permissions of
        # the file it replaces, or the usual ones of a new file
        try:
            permissions = os.stat(path).st_mode & 0o777
        except OSError:
            permissions = 0o644
        os.chmod(tmp, permissions)
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
