"""What hassfest and HACS check, held here (neither runs in our CI: hassfest is not on PyPI).

Rules as hassfest states them (script/hassfest/manifest.py, translations.py,
quality_scale_validation/) and as Home Assistant reads the strings: the frontend formats every
string as an ICU message (a `{name}` the caller does not supply shows "Translation error"),
core formats exception messages with `str.format`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import importlib
import json
from pathlib import Path
import re
import string
import tomllib
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import selector
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.cam_events.const import CONF_LAYOUT, DOMAIN, PROFILE_KINDS

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / DOMAIN
STRINGS = json.loads((PACKAGE / "strings.json").read_text())
LANGUAGES = ("en", "pl", "de")

# hassfest: lower case letters, digits, "-" and "_", not at either end, never two in a row.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
# hassfest refuses '{name}' (a placeholder inside single quotes), HTML, URLs, outer spaces.
QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
URL = re.compile(r"((ftp|ftps|http|https|mqtt|mqtts|socket|socks5)://|www\.)[a-z0-9]", re.I)
HTML = re.compile(r"<[a-z/][^>]*>", re.I)


def leaves(
    tree: dict[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Yield (path, value) for every string of a translation tree."""
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from leaves(value, (*path, key))
        else:
            yield (*path, key), value


def placeholders(text: str) -> set[str]:
    """Return the placeholder names of a string, as both formatters read them."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def translation(language: str) -> dict[str, Any]:
    return json.loads((PACKAGE / "translations" / f"{language}.json").read_text())


# ---- manifest ---------------------------------------------------------------------------


def test_manifest_keys_are_sorted_as_hassfest_wants() -> None:
    """domain, name, then the rest in alphabetical order."""
    keys = list(json.loads((PACKAGE / "manifest.json").read_text()))
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


# ---- translation files ------------------------------------------------------------------


def test_every_translation_key_is_valid() -> None:
    """Keys at every level (option values included: they double as keys) match hassfest's rule."""
    bad = [
        ".".join(path[: i + 1])
        for path, _ in leaves(STRINGS)
        for i, key in enumerate(path)
        if not TRANSLATION_KEY.match(key)
    ]
    assert not bad, f"invalid translation keys: {sorted(set(bad))}"


@pytest.mark.parametrize("language", ["strings", *LANGUAGES])
def test_every_translation_value_is_valid(language: str) -> None:
    """No HTML, URL, quoted placeholder, outer space; placeholders are identifiers."""
    tree = STRINGS if language == "strings" else translation(language)
    for path, value in leaves(tree):
        where = f"{language}: {'.'.join(path)}"
        assert isinstance(value, str), where
        assert value, where
        assert value == value.strip(), where
        assert not HTML.search(value), where
        assert not URL.search(value), where
        assert not QUOTED_PLACEHOLDER.search(value), where
        assert all(name.isidentifier() for name in placeholders(value)), where


def test_field_help_belongs_to_a_field() -> None:
    """hassfest: every data_description key of a step is one of its data keys."""
    for section in ("config", "options"):
        for step_id, step in STRINGS[section]["step"].items():
            extra = set(step.get("data_description", {})) - set(step.get("data", {}))
            assert not extra, f"{section}.step.{step_id}: {extra}"


def test_strings_json_and_english_are_identical() -> None:
    assert translation("en") == STRINGS


@pytest.mark.parametrize("language", ["pl", "de"])
def test_translations_have_the_same_keys_and_placeholders(language: str) -> None:
    """Every string is translated, and asks for the placeholders the English one asks for."""
    english = dict(leaves(STRINGS))
    other = dict(leaves(translation(language)))
    assert sorted(other) == sorted(english)
    differ = [p for p, text in english.items() if placeholders(other[p]) != placeholders(text)]
    assert not differ, [".".join(p) for p in differ]


# ---- every form: options translated, placeholders supplied --------------------------------


ZONE = {"id": "door", "name": "Door", "kind": "zone", "polygon": [[0, 0], [1, 0], [1, 1]]}


async def _forms(hass: HomeAssistant) -> list[tuple[str, dict[str, Any]]]:
    """Open every form the integration shows; return (strings section, form result)."""
    forms: list[tuple[str, dict[str, Any]]] = []
    flow = hass.config_entries.flow
    for step in ("camera", *PROFILE_KINDS):
        result = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        assert result["type"] is FlowResultType.MENU
        assert set(result["menu_options"]) == {"camera", *PROFILE_KINDS}
        forms.append(
            ("config", dict(await flow.async_configure(result["flow_id"], {"next_step_id": step})))
        )
    entries = [
        MockConfigEntry(
            domain=DOMAIN,
            title="Porch",
            data={"url": "rtsp://127.0.0.1:1/x"},
            options={CONF_LAYOUT: [ZONE]},
        ),
        *(
            MockConfigEntry(domain=DOMAIN, title=f"P {kind}", data={"kind": kind})
            for kind in PROFILE_KINDS
        ),
    ]
    for entry in entries:
        entry.add_to_hass(hass)
        forms.append(("config", dict(await entry.start_reconfigure_flow(hass))))
        options = hass.config_entries.options
        result = await options.async_init(entry.entry_id)
        if result["type"] is FlowResultType.MENU:  # a camera: detection, masks and zones
            forms.append(
                (
                    "options",
                    dict(
                        await options.async_configure(
                            result["flow_id"], {"next_step_id": "detection"}
                        )
                    ),
                )
            )
            for step in ("edit_area", "delete_area"):
                result = await options.async_init(entry.entry_id)
                await options.async_configure(result["flow_id"], {"next_step_id": "areas"})
                result = await options.async_configure(result["flow_id"], {"next_step_id": step})
                forms.append(("options", dict(result)))
            result = await options.async_configure(result["flow_id"], {"area": ZONE["id"]})
            assert result["step_id"] == "areas"  # deleted: back to the list
            result = await options.async_init(entry.entry_id)
            await options.async_configure(result["flow_id"], {"next_step_id": "areas"})
            result = await options.async_configure(result["flow_id"], {"next_step_id": "edit_area"})
            result = await options.async_configure(result["flow_id"], {"area": ZONE["id"]})
            forms.append(("options", dict(result)))  # changing the zone
            result = await options.async_init(entry.entry_id)
            await options.async_configure(result["flow_id"], {"next_step_id": "areas"})
            result = await options.async_configure(result["flow_id"], {"next_step_id": "add_area"})
        forms.append(("options", dict(result)))
    forms.append(("config", dict(await entries[0].start_reauth_flow(hass))))
    for _, result in forms:
        assert result["type"] is FlowResultType.FORM, result
    return forms


def _selects(schema: Any) -> Iterator[tuple[str, selector.SelectSelector]]:
    for key, field in schema.schema.items():
        if isinstance(field, selector.SelectSelector):
            yield str(key), field


async def test_every_form_field_and_option_is_translated(hass: HomeAssistant) -> None:
    """Each field has a label; each choice of a select has a translated label."""
    forms = await _forms(hass)
    seen = set()
    for section, result in forms:
        step = STRINGS[section]["step"][result["step_id"]]
        for key in result["data_schema"].schema:
            assert str(key) in step.get("data", {}), f"{section}.{result['step_id']}: {key}"
        for field, select in _selects(result["data_schema"]):
            options = select.config["options"]
            if options and all(isinstance(o, dict) and o.get("label") for o in options):
                continue  # the user's own things (their masks and zones), labelled by name
            key = select.config.get("translation_key")
            assert key, f"{result['step_id']}.{field} has options but no translation key"
            labels = STRINGS["selector"][key]["options"]
            for option in select.config["options"]:
                value = option if isinstance(option, str) else option["value"]
                assert TRANSLATION_KEY.match(value), value
                assert value in labels, f"{key}: {value}"
            seen.add(key)
    # Every selector translation is used by a form (none left from an old option set).
    assert seen == set(STRINGS["selector"])


async def test_every_form_supplies_the_placeholders_its_strings_use(hass: HomeAssistant) -> None:
    """A step's description and field help, and (on profile forms) every error, get their values.

    Profile forms can show any error of the section (the connection test's), so they supply the
    placeholders of all of them; camera forms show errors without placeholders.
    """
    profile_steps = {*PROFILE_KINDS, "reconfigure_profile"}
    for section, result in await _forms(hass):
        step_id = result["step_id"]
        step = STRINGS[section]["step"][step_id]
        supplied = set(result.get("description_placeholders") or {})
        texts = {f"step.{step_id}.description": step.get("description", "")}
        texts |= {
            f"step.{step_id}.data_description.{k}": v
            for k, v in step.get("data_description", {}).items()
        }
        errors = STRINGS[section].get("error", {})
        if step_id in profile_steps:
            texts |= {f"error.{key}": text for key, text in errors.items()}
        else:
            assert not any(placeholders(errors.get(e, "")) for e in result.get("errors") or {})
        for where, text in texts.items():
            missing = placeholders(text) - supplied
            assert not missing, f"{section}.{where} needs {missing}, the form gives {supplied}"
    # No error outside the profile forms asks for a placeholder (so the rule above is whole).
    camera_errors = _constants_assigned_to_errors(PACKAGE / "config_flow.py")
    assert not [e for e in camera_errors if placeholders(STRINGS["config"]["error"].get(e, ""))]


def _constants_assigned_to_errors(path: Path) -> set[str]:
    """Return the string constants a module assigns to `errors[...]` or returns as an error."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Subscript)
            and isinstance(node.targets[0].value, ast.Name)
            and node.targets[0].value.id == "errors"
            and isinstance(node.value, ast.Constant)
        ):
            found.add(str(node.value.value))
        if (
            isinstance(node, ast.Return)
            and isinstance(node.value, ast.Constant)
            and node.value.value
        ):
            found.add(str(node.value.value))
    return found


def test_services_yaml_options_are_translated() -> None:
    """A select in services.yaml that names a translation key has every option translated."""
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text())
    for service, spec in services.items():
        for field, field_spec in (spec or {}).get("fields", {}).items():
            select = (field_spec.get("selector") or {}).get("select")
            if not select or "translation_key" not in select:
                continue
            labels = STRINGS["selector"][select["translation_key"]]["options"]
            for option in select["options"]:
                value = option if isinstance(option, str) else option["value"]
                assert value in labels, f"{service}.{field}: {value}"


# ---- exceptions, issues, device triggers: placeholders supplied where they are raised ------

# Error classes and helpers whose first argument is an exception key and whose keyword
# arguments are its placeholders.
KEYED_ERRORS = {
    "validation_error",
    "failure",
    "CatalogError",
    "NamingError",
    "LayoutError",
    "PolygonError",
}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _keys_of(node: ast.expr, function: ast.AST | None, module: str) -> set[str] | None:
    """Return the keys of a placeholder mapping: a dict literal, or a name bound to one."""
    if isinstance(node, ast.Dict):
        if all(isinstance(k, ast.Constant) for k in node.keys):
            return {str(k.value) for k in node.keys if isinstance(k, ast.Constant)}
        return None
    if isinstance(node, ast.Name):
        for scope in (function, None):
            if scope is None:
                value = getattr(importlib.import_module(module), node.id, None)
                return set(value) if isinstance(value, dict) else None
            for child in ast.walk(scope):
                if (
                    isinstance(child, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == node.id for t in child.targets)
                    and isinstance(child.value, ast.Dict)
                ):
                    return _keys_of(child.value, None, module)
    return None


def _raise_sites() -> list[tuple[str, str, str, set[str] | None]]:
    """Return (section, key, where, placeholders supplied) for every keyed error or issue."""
    sites: list[tuple[str, str, str, set[str] | None]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        module = _module_name(path)
        functions = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]

        def enclosing(node: ast.AST, functions: list[ast.AST] = functions) -> ast.AST | None:
            inner = [f for f in functions if node in ast.walk(f)]
            return inner[-1] if inner else None

        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.name}:{node.lineno}"
            name = (
                node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            )
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            if name in KEYED_ERRORS:
                if not (node.args and isinstance(node.args[0], ast.Constant)):
                    # Forwards an error built elsewhere (checked there): with its placeholders.
                    forwarded = [k.value for k in node.keywords if k.arg is None]
                    assert any(
                        isinstance(v, ast.Attribute) and v.attr == "placeholders" for v in forwarded
                    ), f"{where}: forwards an error key without its placeholders"
                    continue
                supplied: set[str] | None = set(keywords)
                for extra in (k.value for k in node.keywords if k.arg is None):
                    keys = _keys_of(extra, enclosing(node), module)
                    supplied = None if keys is None or supplied is None else supplied | keys
                sites.append(("exceptions", str(node.args[0].value), where, supplied))
            elif isinstance(keywords.get("translation_key"), ast.Constant) and (
                "translation_placeholders" in keywords or "translation_domain" in keywords
            ):
                key = str(keywords["translation_key"].value)  # type: ignore[attr-defined]
                section = "issues" if name == "async_create_issue" else "exceptions"
                given = keywords.get("translation_placeholders")
                keys = set() if given is None else _keys_of(given, enclosing(node), module)
                sites.append((section, key, where, keys))
            elif (
                name == "async_create_issue"
                and isinstance(prefix := keywords.get("translation_key"), ast.JoinedStr)
                and prefix.values
                and isinstance(first := prefix.values[0], ast.Constant)
            ):
                # A key built from a constant prefix (one issue per storage area): every
                # issue of that prefix gets the placeholders this one site supplies.
                given = keywords.get("translation_placeholders")
                keys = set() if given is None else _keys_of(given, enclosing(node), module)
                for key in STRINGS["issues"]:
                    if key.startswith(str(first.value)):
                        sites.append(("issues", key, where, keys))
    return sites


def test_every_raised_error_is_translated_with_its_placeholders() -> None:
    """Each translated exception and repair issue gets every placeholder its strings use."""
    sites = _raise_sites()
    assert len(sites) > 30  # the scan finds the raise sites (guards the scan itself)
    for section, key, where, supplied in sites:
        assert key in STRINGS[section], f"{where}: {section}.{key} is not translated"
        assert supplied is not None, f"{where}: placeholders of {key} not readable"
        needed = set().union(*(placeholders(t) for _, t in leaves(STRINGS[section][key])))
        assert needed <= supplied, f"{where}: {section}.{key} needs {needed - supplied}"
    raised = {(section, key) for section, key, _, _ in sites}
    for section in ("exceptions", "issues"):
        for key, texts in STRINGS[section].items():
            if any(placeholders(t) for _, t in leaves(texts)):
                assert (section, key) in raised, (
                    f"{section}.{key}: no site supplies its placeholders"
                )


def test_device_trigger_strings_use_the_triggers_fields() -> None:
    """The frontend fills trigger_type texts from the trigger's own fields (`subtype`)."""
    module = importlib.import_module(f"custom_components.{DOMAIN}.device_trigger")
    tree = ast.parse((PACKAGE / "device_trigger.py").read_text())
    returned = [n.value for n in ast.walk(tree) if isinstance(n, ast.Return) and n.value]
    fields = {
        str(key.value) if isinstance(key, ast.Constant) else str(getattr(module, key.id))
        for value in returned
        for node in ast.walk(value)
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant | ast.Name)
    }
    assert {"type", "subtype"} <= fields
    for path, text in leaves(STRINGS["device_automation"]):
        assert placeholders(text) <= fields, ".".join(path)


def test_entity_name_placeholders_are_supplied() -> None:
    """Entity names ask only for placeholders an entity sets (`_attr_translation_placeholders`)."""
    supplied: set[str] = set()
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == "_attr_translation_placeholders"
                for t in node.targets
            ):
                keys = _keys_of(node.value, None, _module_name(path))
                assert keys is not None, f"{path.name}:{node.lineno}: placeholders not readable"
                supplied |= keys
    assert supplied  # the scan finds the zone entities' placeholders (guards the scan itself)
    for path, text in leaves(STRINGS["entity"]):
        assert placeholders(text) <= supplied, ".".join(path)


def test_no_other_string_asks_for_a_placeholder() -> None:
    """Sections no test above checks carry no placeholders (so every placeholder is checked)."""
    checked = {"config", "options", "exceptions", "issues", "device_automation", "entity"}
    unchecked = [
        ".".join(path)
        for path, text in leaves(STRINGS)
        if path[0] not in checked and placeholders(text)
    ]
    assert not unchecked


# ---- licence, quality scale ---------------------------------------------------------------


def test_licence_file_at_the_root() -> None:
    """HACS's license check wants a licence file at the repository root."""
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "Apache License 2.0" in (ROOT / "README.md").read_text()


QUALITY = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text())["rules"]


def _status(rule: str) -> str:
    value = QUALITY[rule]
    return value if isinstance(value, str) else value["status"]


def test_quality_scale_names_every_rule_and_explains_what_is_not_done() -> None:
    for rule in (
        "docs-actions",
        "docs-conditions",
        "docs-triggers",
        "runtime-data",
        "test-coverage",
    ):
        assert rule in QUALITY, rule
    for rule, value in QUALITY.items():
        if isinstance(value, str):
            assert value == "done", rule
        else:
            assert value["status"] in {"done", "todo", "exempt"}, rule
            assert value["status"] == "done" or value.get("comment"), rule


def test_quality_scale_trigger_and_condition_claims() -> None:
    """A device trigger exists, so its documentation is due; there are no conditions."""
    assert (PACKAGE / "device_trigger.py").exists()
    assert _status("docs-triggers") == "done"
    assert "device trigger" in (ROOT / "README.md").read_text()
    has_conditions = (PACKAGE / "device_condition.py").exists() or (
        PACKAGE / "condition.py"
    ).exists()
    assert _status("docs-conditions") == ("done" if has_conditions else "exempt")


def _async_function(path: Path, name: str) -> ast.AsyncFunctionDef | None:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def test_quality_scale_runtime_data_and_typed_entries() -> None:
    """runtime-data: async_setup_entry sets entry.runtime_data; strict-typing: typed aliases."""
    assert _status("runtime-data") == "done"
    setup = _async_function(PACKAGE / "__init__.py", "async_setup_entry")
    assert setup is not None
    entry = setup.args.args[1].arg
    assert any(
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == entry
        and node.attr == "runtime_data"
        and isinstance(node.ctx, ast.Store)
        for node in ast.walk(setup)
    )
    assert _status("strict-typing") == "done"
    hooks = {
        "__init__": (
            "async_setup_entry",
            "async_unload_entry",
            "async_remove_entry",
            "async_migrate_entry",
        ),
        "diagnostics": ("async_get_config_entry_diagnostics", "async_get_device_diagnostics"),
    }
    for platform in ("binary_sensor", "camera", "event", "sensor", "switch"):
        hooks[platform] = ("async_setup_entry",)
    typed = re.compile(r"^[A-Za-z]+ConfigEntry$")
    checked = 0
    for module, names in hooks.items():
        for name in names:
            path = PACKAGE / f"{module}.py"
            function = _async_function(path, name) if path.exists() else None
            if function is None:
                continue
            annotation = function.args.args[1].annotation
            assert isinstance(annotation, ast.Name), f"{module}.{name}"
            assert typed.match(annotation.id), f"{module}.{name}"
            checked += 1
    assert checked >= 7


def test_quality_scale_test_coverage_claim_is_enforced() -> None:
    """`test-coverage` done means above 95 %: the pytest floor must say so."""
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
        "addopts"
    ]
    floor = float(re.search(r"--cov-fail-under=(\d+(?:\.\d+)?)", addopts).group(1))  # type: ignore[union-attr]
    if _status("test-coverage") == "done":
        assert floor >= 95
    else:
        assert str(int(floor)) in QUALITY["test-coverage"]["comment"]
