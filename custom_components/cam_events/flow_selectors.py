"""Form selectors shared by the camera and profile forms."""

from __future__ import annotations

from homeassistant.helpers import selector

TEXT = selector.TextSelector()
URL = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.URL))
PASSWORD = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)
BOOL = selector.BooleanSelector()


def number(
    low: float, high: float, unit: str | None = None, step: float = 1, *, slider: bool = False
) -> selector.NumberSelector:
    """Return a number field from `low` to `high`."""
    config = selector.NumberSelectorConfig(
        min=low,
        max=high,
        step=step,
        mode=selector.NumberSelectorMode.SLIDER if slider else selector.NumberSelectorMode.BOX,
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


def select(
    options: list[str], key: str, *, custom: bool = False, as_list: bool = False
) -> selector.SelectSelector:
    """Return a choice among `options`, labelled by the translation `key`."""
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=options,
            translation_key=key,
            custom_value=custom,
            mode=selector.SelectSelectorMode.LIST
            if as_list
            else selector.SelectSelectorMode.DROPDOWN,
        )
    )
