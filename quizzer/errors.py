"""The one exception type for mistakes a user can make; the CLI turns it into one line."""

from __future__ import annotations


class QuizzerError(Exception):
    """A problem the user can fix (bad deck, unknown section, unwritable path).

    `exit_code` is what the command exits with: 2 for bad input, 1 for a failed check.
    """

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
