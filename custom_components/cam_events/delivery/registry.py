"""Every kind of destination by its stored kind: the one place that lists them.

A new destination is one module exporting a `Transport` and one line here (and its form in
`profile_flow.FORMS`). Nothing here imports Home Assistant.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from . import email, ftp, http_push, local, udp_push
from .base import Transport

__all__ = ["BY_SERVICE", "TRANSPORTS", "transport_for"]

TRANSPORTS: Mapping[str, Transport[Any]] = MappingProxyType(
    {
        t.kind: t
        for t in (
            email.TRANSPORT,
            ftp.TRANSPORT,
            http_push.TRANSPORT,
            udp_push.TRANSPORT,
            local.TRANSPORT,
        )
    }
)
"""Transports by kind, in the order the config flow's menu offers them."""
BY_SERVICE: Mapping[str, Transport[Any]] = MappingProxyType(
    {t.service: t for t in TRANSPORTS.values()}
)
"""Transports by the handler service that sends through them."""


def transport_for(kind: str) -> Transport[Any] | None:
    """Return the transport of a stored kind, or None (a camera, an unknown kind)."""
    return TRANSPORTS.get(kind)
