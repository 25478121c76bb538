"""What rendering raises: ``RenderError`` (the content cannot be rendered), its budget
case ``RenderBudgetError``, and ``BlockLookupError`` (a template asks for a missing block)."""

from __future__ import annotations


class RenderError(Exception):
    """The content cannot be rendered: syntax error, missing field, unknown variant.

    ``field`` names the template field (subject, body_html, body_text) and ``line`` the
    line in it, when known.
    """

    def __init__(self, message: str, *, field: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.line = line

    def __str__(self) -> str:
        where = f"{self.field}" + (f", line {self.line}" if self.line else "")
        return f"{where}: {self.message}" if where else self.message


class RenderBudgetError(RenderError):
    """The render went over its budget (``rendering.sandbox``: output size, integer
    digits, text length, loop iterations, CPU time, HTML nesting); the message names the
    limit. Retrying cannot help: the same content and data go over it again."""


class BlockLookupError(LookupError):
    """A template asks for a block that is not there (unknown key, not pinned, or no
    content in the channel and locale being rendered)."""

    def __str__(self) -> str:
        return str(self.args[0])
