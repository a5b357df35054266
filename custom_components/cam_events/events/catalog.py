"""A camera's catalogue of event types: capabilities (read-only) and settings.

Modelled on the VXG cloud API's event processing: each type says what it can do
(`can_be_triggered`, `can_record`, `can_snapshot`, `is_periodic`) and how the camera treats
it (`notify`, `receive`, `record`, `snapshot`, `generate_images`, `period`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
import re
from typing import Any

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{2,23}$")
MAX_PERIOD = 86_400
# A periodic type fires at most every MIN_PERIOD seconds (0 switches it off). A period under
# it stored before the minimum existed still loads, raised to MIN_PERIOD.
MIN_PERIOD = 10
# Custom types a camera may have (built-ins do not count). Stored catalogues over the cap
# still load whole; adding waits until the count is under the cap again.
MAX_CUSTOM_TYPES = 64

MOTION = "motion"
NET = "net"
SNAPSHOT = "snapshot"
MANUAL = "manual"
TAMPER = "tamper"


class CatalogError(ValueError):
    """A request the catalogue refuses; `key` names the reason (a translation key)."""

    def __init__(self, key: str, **placeholders: str) -> None:
        """Keep the reason and its placeholders."""
        super().__init__(key.format(**placeholders) if placeholders else key)
        self.key = key
        self.placeholders = placeholders


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What an event type can do; fixed for built-in types, chosen once for custom types."""

    can_be_triggered: bool = False
    can_record: bool = False
    can_snapshot: bool = False
    is_periodic: bool = False


@dataclass(frozen=True, slots=True)
class TypeSettings:
    """How the camera treats events of a type; the user changes these."""

    notify: bool = False
    receive: bool = True
    record: bool = False
    snapshot: bool = False
    generate_images: bool = False
    period: int = 0


SETTING_NAMES = frozenset(TypeSettings.__dataclass_fields__)
CAPABILITY_NAMES = frozenset(Capabilities.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class EventType:
    """One entry of the catalogue."""

    name: str
    caps: Capabilities
    settings: TypeSettings
    builtin: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the VXG-shaped representation: name, caps, flags."""
        return {
            "name": self.name,
            "builtin": self.builtin,
            "caps": asdict(self.caps),
            **asdict(self.settings),
        }


BUILTIN: tuple[EventType, ...] = (
    EventType(
        MOTION,
        Capabilities(can_record=True, can_snapshot=True),
        TypeSettings(notify=True, record=True, snapshot=True),
        builtin=True,
    ),
    EventType(NET, Capabilities(), TypeSettings(notify=True), builtin=True),
    EventType(
        SNAPSHOT,
        Capabilities(can_be_triggered=True, can_snapshot=True, is_periodic=True),
        TypeSettings(snapshot=True, period=0),
        builtin=True,
    ),
    EventType(
        MANUAL,
        Capabilities(can_be_triggered=True, can_record=True, can_snapshot=True),
        TypeSettings(notify=True, snapshot=True),
        builtin=True,
    ),
    EventType(
        TAMPER,
        Capabilities(can_snapshot=True),
        TypeSettings(notify=True, snapshot=True),
        builtin=True,
    ),
)
_BUILTIN_NAMES = {event_type.name for event_type in BUILTIN}


def _check_settings(caps: Capabilities, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - SETTING_NAMES
    if unknown:
        raise CatalogError("unknown_setting", setting=", ".join(sorted(unknown)))
    for key, value in changes.items():
        if key == "period":
            if isinstance(value, bool) or not isinstance(value, int):
                raise CatalogError("invalid_period")
            if value and not caps.is_periodic:
                raise CatalogError("not_periodic")
            if not (value == 0 or MIN_PERIOD <= value <= MAX_PERIOD):
                raise CatalogError("invalid_period")
        elif not isinstance(value, bool):
            raise CatalogError("invalid_setting", setting=key)
    if changes.get("record") and not caps.can_record:
        raise CatalogError("cannot_record")
    if (changes.get("snapshot") or changes.get("generate_images")) and not caps.can_snapshot:
        raise CatalogError("cannot_snapshot")


class Catalog:
    """The event types of one camera: the built-ins plus custom ones."""

    def __init__(self) -> None:
        """Start with the built-in types and their default settings."""
        self._types: dict[str, EventType] = {t.name: t for t in BUILTIN}

    def __iter__(self) -> Iterator[EventType]:
        """Iterate in a stable order: built-ins first, then custom types by name."""
        yield from (self._types[t.name] for t in BUILTIN)
        yield from sorted((t for t in self._types.values() if not t.builtin), key=lambda t: t.name)

    def __contains__(self, name: object) -> bool:
        """Whether the type exists."""
        return name in self._types

    def __len__(self) -> int:
        """Return the number of types."""
        return len(self._types)

    @property
    def names(self) -> list[str]:
        """Return the type names in catalogue order."""
        return [t.name for t in self]

    def get(self, name: str) -> EventType:
        """Return a type or raise CatalogError('unknown_type')."""
        try:
            return self._types[name]
        except KeyError:
            raise CatalogError("unknown_type", type=name) from None

    @property
    def custom_count(self) -> int:
        """Return the number of custom types."""
        return sum(1 for t in self._types.values() if not t.builtin)

    def add(
        self,
        name: str,
        caps: Mapping[str, bool] | None = None,
        settings: Mapping[str, Any] | None = None,
        *,
        capped: bool = True,
    ) -> EventType:
        """Add a custom type: 2-23 letters, digits, '_' or '-', unique on this camera.

        At most MAX_CUSTOM_TYPES custom types (`capped=False` only when restoring storage).
        """
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise CatalogError("invalid_type_name", type=str(name))
        if name.lower() in {existing.lower() for existing in self._types}:
            raise CatalogError("type_exists", type=name)
        if capped and self.custom_count >= MAX_CUSTOM_TYPES:
            raise CatalogError("too_many_types", limit=str(MAX_CUSTOM_TYPES))
        caps = dict(caps or {})
        unknown = set(caps) - CAPABILITY_NAMES
        if unknown:
            raise CatalogError("unknown_capability", capability=", ".join(sorted(unknown)))
        if any(not isinstance(v, bool) for v in caps.values()):
            raise CatalogError("invalid_capability")
        capabilities = Capabilities(
            can_be_triggered=caps.get("can_be_triggered", True),
            can_record=caps.get("can_record", True),
            can_snapshot=caps.get("can_snapshot", True),
            is_periodic=caps.get("is_periodic", False),
        )
        changes = dict(settings or {})
        _check_settings(capabilities, changes)
        event_type = EventType(name, capabilities, replace(TypeSettings(), **changes))
        self._types[name] = event_type
        return event_type

    def update(self, name: str, changes: Mapping[str, Any]) -> EventType:
        """Change a type's settings (capabilities are read-only)."""
        current = self.get(name)
        if read_only := set(changes) & CAPABILITY_NAMES:
            raise CatalogError("read_only_capability", capability=", ".join(sorted(read_only)))
        _check_settings(current.caps, changes)
        updated = replace(current, settings=replace(current.settings, **changes))
        self._types[name] = updated
        return updated

    def remove(self, name: str) -> None:
        """Remove a custom type; built-in types stay."""
        if self.get(name).builtin:
            raise CatalogError("builtin_type", type=name)
        del self._types[name]

    def as_data(self) -> dict[str, Any]:
        """Serialise for storage: built-in settings and custom types with their caps."""
        return {
            "types": [
                {
                    "name": t.name,
                    "builtin": t.builtin,
                    "caps": asdict(t.caps),
                    "settings": asdict(t.settings),
                }
                for t in self
            ]
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Catalog:
        """Restore from storage; unknown keys are ignored and built-ins always exist.

        A period stored under MIN_PERIOD (allowed before the minimum) is raised to it, and a
        catalogue stored with more than MAX_CUSTOM_TYPES custom types keeps them all.
        """
        catalog = cls()
        for item in (data or {}).get("types", []):
            name = item.get("name")
            settings = {k: v for k, v in (item.get("settings") or {}).items() if k in SETTING_NAMES}
            period = settings.get("period")
            if isinstance(period, int) and not isinstance(period, bool) and 0 < period < MIN_PERIOD:
                settings["period"] = MIN_PERIOD
            try:
                if name in _BUILTIN_NAMES:
                    catalog.update(name, settings)
                else:
                    catalog.add(name, item.get("caps"), settings, capped=False)
            except CatalogError:
                continue
        return catalog
