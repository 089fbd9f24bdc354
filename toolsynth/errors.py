"""Errors a user can cause and fix. The CLI prints them as one line and exits with `exit_code`."""

from __future__ import annotations


class ToolsynthError(Exception):
    """Base class: a problem with the user's input or environment, not a bug."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = " ".join(self.message.split())
        return f"{self.where}: {text}" if self.where else text


class InputError(ToolsynthError):
    """A malformed file: invalid JSON, wrong shape, a schema that is not an object."""


class RecipeError(ToolsynthError):
    """A recipe that does not validate."""


class NotBuiltError(ToolsynthError):
    """A stage that this version does not implement yet."""

    exit_code = 3


class LLMError(ToolsynthError):
    """A model call that cannot succeed (bad key, unknown model, validation error from the provider)."""

    exit_code = 4
