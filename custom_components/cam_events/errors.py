"""The one place where the core's errors become Home Assistant's translated errors.

The core (catalogue, file-name patterns, stores, the spool) raises its own errors and never
imports Home Assistant. Every service, HTTP view and websocket command runs behind
:func:`translate_errors`, which turns them into a :class:`ServiceValidationError` (the
caller asked for something refused) or a :class:`HomeAssistantError` (the request was fine,
Home Assistant's side failed: a disk, a database), each with a translation key of
`strings.json`'s ``exceptions``. The adapters then map only those two (HTTP: 4xx or 500
JSON, websocket: an error message), as reolink's ``raise_translated_error`` does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from functools import wraps
import sqlite3
from typing import Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .delivery.naming import NamingError
from .events.catalog import CatalogError
from .video.zones import LayoutError

MAX_DETAIL = 200
"""Characters of an OS or database message shown to the user."""


def validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated refusal of the caller's request."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def unicode_text(value: str, field: str) -> str:
    """Return `value` if it is valid Unicode text; refuse one with a lone surrogate.

    Such a string is accepted by the schemas (a Python `str`) but cannot be encoded: stored in
    a job, it would make the job unreadable as JSON and fail every delivery attempt.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise validation_error("invalid_text", field=field) from None
    return value


def failure(key: str, **placeholders: str) -> HomeAssistantError:
    """Return a translated failure on Home Assistant's side (not the caller's fault)."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def translated(err: Exception) -> HomeAssistantError | None:
    """Return the translated error for a core error, None for one this module does not know.

    An OS error counts only when it names a file (a socket's error is not a storage fault).
    """
    if isinstance(err, CatalogError | NamingError):
        return validation_error(err.key, **err.placeholders)
    if isinstance(err, LayoutError):  # a polygon that is not one, a bad mask or zone
        return validation_error(err.reason, **err.placeholders)
    if isinstance(err, sqlite3.Error):
        return failure("database_error", error=_detail(str(err) or type(err).__name__))
    if isinstance(err, OSError) and err.filename is not None:
        return failure(
            "file_error",
            path=_detail(str(err.filename)),
            error=_detail(err.strerror or type(err).__name__),
        )
    return None


@contextmanager
def translate_errors() -> Iterator[None]:
    """Raise the core's errors met inside the block as translated Home Assistant errors."""
    try:
        yield
    except (CatalogError, NamingError, LayoutError, sqlite3.Error, OSError) as err:
        if (translation := translated(err)) is None:
            raise
        raise translation from err


def raise_translated_error[**P, R](
    func: Callable[P, Awaitable[R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Wrap a coroutine function (a service handler) in :func:`translate_errors`."""

    @wraps(func)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with translate_errors():
            return await func(*args, **kwargs)

    return run


def _detail(text: str) -> str:
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"
