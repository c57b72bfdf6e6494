"""Errors a user can cause and fix: the CLI prints their message without a traceback."""

from __future__ import annotations

from fanzha.modeldir import ModelDirError
from fanzha.taxonomy import UnknownLabelError


class UserError(ValueError):
    """Base for bad input whose message says what to do."""


USER_ERRORS: tuple[type[BaseException], ...] = (
    UserError,
    ModelDirError,
    UnknownLabelError,
    FileNotFoundError,
)
