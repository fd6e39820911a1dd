"""The ``skprecmed`` command line.

``skprecmed demo`` runs the main job; ``train``, ``predict``, ``evaluate``,
``info``, ``card`` and ``serve`` work on CSV/Parquet files and safe model
files. A problem with the user's files is one line on standard error and exit
status 1, never a traceback.

Modules: :mod:`.parser` the arguments, :mod:`.entry` the console-script entry
point (``skprecmed._cli:main``), :mod:`.commands` the commands' work,
:mod:`.tables` reading data files and checking their columns, :mod:`.card`
the model card, :mod:`.serve` the HTTP service (FastAPI, the ``serve``
extra), and :mod:`.demo` the end-to-end demo.
"""

from .entry import main

__all__ = ["main"]
