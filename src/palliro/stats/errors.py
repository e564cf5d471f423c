"""Exceptions raised by :mod:`palliro.stats`.

Every public function in the statistics layer validates its input and raises
:class:`StatsInputError` naming the offending argument (and row, where there is
one), so callers in the web layer can show a precise message instead of a crash.
"""

from __future__ import annotations


class StatsInputError(ValueError):
    """Invalid input to a statistics routine.

    Attributes:
        field: name of the argument (or column) that is wrong.
        row: zero-based position of the first offending element, if applicable.
    """

    def __init__(self, message: str, *, field: str, row: int | None = None) -> None:
        self.field = field
        self.row = row
        where = f"{field}" if row is None else f"{field}[{row}]"
        super().__init__(f"{where}: {message}")
