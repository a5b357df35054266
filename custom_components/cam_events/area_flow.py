"""Options-flow steps for a camera's masks and zones, without the card: polygons as text.

The steps edit a working copy of the layout; "Done" stores it in the options with the rest
of them (the running stream applies it without a restart).
"""

from __future__ import annotations

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


def area_id(name: str) -> str:
    """Return a stable id made from a name: lower case, `[a-z0-9_]`, at most 32 characters."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:32].strip("_")
    return slug or "area"


class AreaOptionsSteps(OptionsFlow):
    """The "Masks and zones" branch of a camera's options."""

    _layout: Layout | None = None

    def _working(self) -> Layout:
        if self._layout is None:
            self._layout = layout_of(self.config_entry.options)
        return self._layout

    async def async_step_areas(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """List the masks and zones; add, delete, or store them."""
        layout = self._working()
        lines = [
            f"- {area.name} ({area.kind.value}{'' if area.enabled else ', off'}): "
            f"`{format_polygon(area.polygon)}`"
            for area in layout.areas
        ]
        options = ["add_area", "delete_area", "done"] if layout.areas else ["add_area", "done"]
        return self.async_show_menu(
            step_id="areas",
            menu_options=options,
            description_placeholders={"areas": "\n".join(lines) or "-"},
        )

    async def async_step_add_area(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name, kind and polygon (`0.1,0.2 0.5,0.2 0.5,0.8`)."""
        errors: dict[str, str] = {}
        layout = self._working()
        if user_input is not None:
            name = str(user_input[CONF_AREA_NAME]).strip()
            new_id = area_id(name)
            if len(layout.areas) >= MAX_AREAS:
                errors["base"] = "too_many_areas"
            elif layout.get(new_id) is not None:
                errors[CONF_AREA_NAME] = "area_exists"
            else:
                try:
                    polygon = parse_polygon(str(user_input[CONF_POLYGON]))
                    area = Area(new_id, name, AreaKind(user_input[CONF_AREA_KIND]), polygon)
                except LayoutError as err:
                    field = CONF_POLYGON if err.reason.startswith("polygon") else CONF_AREA_NAME
                    errors[field] = err.reason
                else:
                    self._layout = Layout((*layout.areas, area))
                    return await self.async_step_areas()
        schema = vol.Schema(
            {
                vol.Required(CONF_AREA_NAME): TEXT,
                vol.Required(CONF_AREA_KIND, default=AreaKind.ZONE.value): select(
                    [AreaKind.ZONE.value, AreaKind.MASK.value], "area_kind", as_list=True
                ),
                vol.Required(CONF_POLYGON): TEXT,
            }
        )
        return self.async_show_form(
            step_id="add_area",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
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
        choices = [
            selector.SelectOptionDict(value=a.id, label=f"{a.name} ({a.kind.value})")
            for a in layout.areas
        ]
        schema = vol.Schema(
            {
                vol.Required(CONF_AREA): selector.SelectSelector(
                    selector.SelectSelectorConfig(options=choices)
                )
            }
        )
        return self.async_show_form(step_id="delete_area", data_schema=schema)

    async def async_step_done(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Store the layout with the other options."""
        return self.async_create_entry(
            data={**self.config_entry.options, CONF_LAYOUT: self._working().to_data()}
        )
