"""Options-flow steps for a camera's masks and zones, without the card: polygons as text.

The steps edit a working copy of the layout; "Done" stores it in the options with the rest
of them (the running stream applies it without a restart, and a renamed area's entities take
the new name at once). A zone may have its own minimum changed area, in percent of the zone.
"""

from __future__ import annotations

import math
import re
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers import selector
import probatio as vol

from .const import CONF_LAYOUT
from .flow_selectors import TEXT, select
from .layout import layout_of
from .video.zones import (
    MAX_AREAS,
    Area,
    AreaKind,
    Layout,
    LayoutError,
    format_polygon,
    parse_polygon,
)

CONF_AREA = "area"
CONF_AREA_KIND = "kind"
CONF_POLYGON = "polygon"
CONF_AREA_NAME = "name"
CONF_ZONE_MIN_AREA = "min_area"
ZONE_MIN_AREA_RANGE = (0.01, 100.0)
"""A zone's own minimum changed area, in percent of the zone (the form's translated range)."""
# A box without bounds: a value outside the range reaches the step, which says why in words.
_PERCENT = selector.NumberSelector(
    selector.NumberSelectorConfig(
        step="any", unit_of_measurement="%", mode=selector.NumberSelectorMode.BOX
    )
)


def area_id(name: str) -> str:
    """Return a stable id made from a name: lower case, `[a-z0-9_]`, at most 32 characters."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:32].strip("_")
    return slug or "area"


def zone_min_area(value: float | None) -> float | None:
    """Return a zone's minimum changed area as typed (None, left empty: the camera's).

    Raises ValueError for a value outside ``ZONE_MIN_AREA_RANGE`` or not finite.
    """
    if value is None:
        return None
    number = float(value)
    low, high = ZONE_MIN_AREA_RANGE
    if not (math.isfinite(number) and low <= number <= high):
        raise ValueError(value)
    return number


def _describe(area: Area) -> str:
    notes = [area.kind.value]
    if area.kind is AreaKind.ZONE and area.min_area is not None:
        notes.append(f"min {area.min_area:g} %")
    if not area.enabled:
        notes.append("off")
    return f"- {area.name} ({', '.join(notes)}): `{format_polygon(area.polygon)}`"


def _taken(layout: Layout, name: str, keep: str | None = None) -> bool:
    """Whether another area than `keep` has this name, or the id this name makes."""
    new_id, folded = area_id(name), name.casefold()
    return any(
        a.id != keep and (a.id == new_id or a.name.casefold() == folded) for a in layout.areas
    )


def _area_from_form(
    user_input: dict[str, Any],
    new_id: str,
    kind: AreaKind,
    enabled: bool,
    errors: dict[str, str],
    placeholders: dict[str, str],
) -> Area | None:
    """Build the area the form describes.

    Otherwise fill `errors` (field: translation key) and the `placeholders` they use.
    """
    name = str(user_input[CONF_AREA_NAME]).strip()
    try:
        polygon = parse_polygon(str(user_input[CONF_POLYGON]))
    except LayoutError as err:
        errors[CONF_POLYGON] = err.reason
        placeholders.update(err.placeholders)
    min_area: float | None = None
    if kind is AreaKind.ZONE:
        try:
            min_area = zone_min_area(user_input.get(CONF_ZONE_MIN_AREA))
        except ValueError:
            errors[CONF_ZONE_MIN_AREA] = "zone_min_area_invalid"
    if errors:
        return None
    try:
        return Area(new_id, name, kind, polygon, enabled=enabled, min_area=min_area)
    except LayoutError as err:
        errors[CONF_AREA_NAME] = err.reason
        placeholders.update(err.placeholders)
        return None


class AreaOptionsSteps(OptionsFlow):
    """The "Masks and zones" branch of a camera's options."""

    _layout: Layout | None = None
    _editing: str | None = None

    def _working(self) -> Layout:
        if self._layout is None:
            self._layout = layout_of(self.config_entry.options)
        return self._layout

    async def async_step_areas(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """List the masks and zones; add, change, delete, or store them."""
        layout = self._working()
        lines = [_describe(area) for area in layout.areas]
        options = (
            ["add_area", "edit_area", "delete_area", "done"]
            if layout.areas
            else ["add_area", "done"]
        )
        return self.async_show_menu(
            step_id="areas",
            menu_options=options,
            description_placeholders={"areas": "\n".join(lines) or "-"},
        )

    async def async_step_add_area(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name, kind, polygon (`0.1,0.2 0.5,0.2 0.5,0.8`) and, for a zone, its minimum area."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        layout = self._working()
        if user_input is not None:
            name = str(user_input[CONF_AREA_NAME]).strip()
            if len(layout.areas) >= MAX_AREAS:
                errors["base"] = "too_many_areas"
            elif _taken(layout, name):
                errors[CONF_AREA_NAME] = "area_exists"
            else:
                kind = AreaKind(user_input[CONF_AREA_KIND])
                area = _area_from_form(user_input, area_id(name), kind, True, errors, placeholders)
                if area is not None:
                    self._layout = Layout((*layout.areas, area))
                    return await self.async_step_areas()
        schema = vol.Schema(
            {
                vol.Required(CONF_AREA_NAME): TEXT,
                vol.Required(CONF_AREA_KIND, default=AreaKind.ZONE.value): select(
                    [AreaKind.ZONE.value, AreaKind.MASK.value], "area_kind", as_list=True
                ),
                vol.Required(CONF_POLYGON): TEXT,
                vol.Optional(CONF_ZONE_MIN_AREA): _PERCENT,
            }
        )
        return self.async_show_form(
            step_id="add_area",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_edit_area(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick one to change."""
        layout = self._working()
        if user_input is not None:
            self._editing = user_input[CONF_AREA]
            return await self.async_step_change_area()
        if not layout.areas:
            return self.async_abort(reason="no_areas")
        return self.async_show_form(step_id="edit_area", data_schema=_pick(layout))

    async def async_step_change_area(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Rename it, move its points, set a zone's minimum area (its id and entities stay)."""
        layout = self._working()
        current = layout.get(self._editing or "")
        if current is None:
            return self.async_abort(reason="no_areas")
        errors: dict[str, str] = {}
        placeholders = {"name": current.name}
        if user_input is not None:
            name = str(user_input[CONF_AREA_NAME]).strip()
            if _taken(layout, name, keep=current.id):
                errors[CONF_AREA_NAME] = "area_exists"
            else:
                area = _area_from_form(
                    user_input, current.id, current.kind, current.enabled, errors, placeholders
                )
                if area is not None:
                    self._layout = Layout(
                        tuple(area if a.id == current.id else a for a in layout.areas)
                    )
                    return await self.async_step_areas()
        fields: dict[Any, Any] = {
            vol.Required(CONF_AREA_NAME): TEXT,
            vol.Required(CONF_POLYGON): TEXT,
        }
        if current.kind is AreaKind.ZONE:
            fields[vol.Optional(CONF_ZONE_MIN_AREA)] = _PERCENT
        shown: dict[str, Any] = {
            CONF_AREA_NAME: current.name,
            CONF_POLYGON: format_polygon(current.polygon),
        }
        if current.min_area is not None:
            shown[CONF_ZONE_MIN_AREA] = current.min_area
        return self.async_show_form(
            step_id="change_area",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(fields), user_input or shown
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_delete_area(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick one to delete (its entities go with it)."""
        layout = self._working()
        if user_input is not None:
            gone = user_input[CONF_AREA]
            self._layout = Layout(tuple(a for a in layout.areas if a.id != gone))
            return await self.async_step_areas()
        if not layout.areas:
            return self.async_abort(reason="no_areas")
        return self.async_show_form(step_id="delete_area", data_schema=_pick(layout))

    async def async_step_done(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Store the layout with the other options."""
        return self.async_create_entry(
            data={**self.config_entry.options, CONF_LAYOUT: self._working().to_data()}
        )


def _pick(layout: Layout) -> vol.Schema:
    """Return a choice of one of the layout's areas."""
    choices = [
        selector.SelectOptionDict(value=a.id, label=f"{a.name} ({a.kind.value})")
        for a in layout.areas
    ]
    return vol.Schema(
        {
            vol.Required(CONF_AREA): selector.SelectSelector(
                selector.SelectSelectorConfig(options=choices)
            )
        }
    )
