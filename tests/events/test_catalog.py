"""The event catalogue: built-ins, custom types, settings rules, storage round trip."""

from __future__ import annotations

import pytest

from custom_components.cam_events.events.catalog import (
    MAX_CUSTOM_TYPES,
    MIN_PERIOD,
    Catalog,
    CatalogError,
)


def test_builtin_types_and_capabilities() -> None:
    catalog = Catalog()
    assert catalog.names == ["motion", "net", "snapshot", "manual", "tamper"]
    motion = catalog.get("motion").as_dict()
    assert motion["caps"] == {
        "can_be_triggered": False,
        "can_record": True,
        "can_snapshot": True,
        "is_periodic": False,
    }
    assert motion["receive"] is True
    assert motion["builtin"] is True
    snapshot = catalog.get("snapshot")
    assert snapshot.caps.is_periodic
    assert snapshot.caps.can_be_triggered
    assert snapshot.settings.period == 0
    assert catalog.get("manual").caps.can_be_triggered
    assert not catalog.get("net").caps.can_be_triggered


@pytest.mark.parametrize("name", ["a", "x" * 24, "has space", "dot.name", "ünï", "", "a/b"])
def test_bad_custom_names(name: str) -> None:
    with pytest.raises(CatalogError) as err:
        Catalog().add(name)
    assert err.value.key == "invalid_type_name"


def test_custom_types_lifecycle() -> None:
    catalog = Catalog()
    doorbell = catalog.add("door-bell_1", settings={"notify": True})
    assert doorbell.caps.can_be_triggered
    assert doorbell.settings.notify
    assert catalog.names[-1] == "door-bell_1"
    with pytest.raises(CatalogError) as err:
        catalog.add("Door-Bell_1")
    assert err.value.key == "type_exists"
    with pytest.raises(CatalogError) as err:
        catalog.add("motion")
    assert err.value.key == "type_exists"
    updated = catalog.update("door-bell_1", {"receive": False, "record": True})
    assert not updated.settings.receive
    assert updated.settings.record
    catalog.remove("door-bell_1")
    assert "door-bell_1" not in catalog
    with pytest.raises(CatalogError) as err:
        catalog.remove("motion")
    assert err.value.key == "builtin_type"
    with pytest.raises(CatalogError) as err:
        catalog.remove("nothing")
    assert err.value.key == "unknown_type"


@pytest.mark.parametrize(
    ("name", "changes", "key"),
    [
        ("motion", {"period": 10}, "not_periodic"),
        ("snapshot", {"period": -1}, "invalid_period"),
        ("snapshot", {"period": 1.5}, "invalid_period"),
        ("snapshot", {"period": True}, "invalid_period"),
        ("snapshot", {"period": 86_401}, "invalid_period"),
        ("net", {"record": True}, "cannot_record"),
        ("net", {"snapshot": True}, "cannot_snapshot"),
        ("motion", {"notify": "yes"}, "invalid_setting"),
        ("motion", {"colour": True}, "unknown_setting"),
        ("motion", {"can_record": False}, "read_only_capability"),
    ],
)
def test_settings_rules(name: str, changes: dict[str, object], key: str) -> None:
    catalog = Catalog()
    before = catalog.get(name)
    with pytest.raises(CatalogError) as err:
        catalog.update(name, changes)
    assert err.value.key == key
    assert catalog.get(name) == before  # nothing changed


def test_custom_caps_checked() -> None:
    catalog = Catalog()
    with pytest.raises(CatalogError) as err:
        catalog.add("bell", caps={"can_fly": True})
    assert err.value.key == "unknown_capability"
    with pytest.raises(CatalogError) as err:
        catalog.add("bell", caps={"can_record": "no"})  # type: ignore[dict-item]
    assert err.value.key == "invalid_capability"
    with pytest.raises(CatalogError) as err:
        catalog.add("bell", caps={"can_record": False}, settings={"record": True})
    assert err.value.key == "cannot_record"
    timer = catalog.add("timer", caps={"is_periodic": True}, settings={"period": 60})
    assert timer.settings.period == 60
    assert "bell" not in catalog


def test_storage_round_trip() -> None:
    catalog = Catalog()
    catalog.update("snapshot", {"period": 30})
    catalog.update("motion", {"notify": False})
    catalog.add("bell", caps={"can_record": False}, settings={"notify": True})
    restored = Catalog.from_data(catalog.as_data())
    assert [t.as_dict() for t in restored] == [t.as_dict() for t in catalog]
    # Broken stored items are skipped, built-ins always exist.
    partial = Catalog.from_data({"types": [{"name": "x"}, {"name": "ok_1", "settings": {}}]})
    assert partial.names == ["motion", "net", "snapshot", "manual", "tamper", "ok_1"]
    assert Catalog.from_data(None).names == Catalog().names


def test_custom_type_cap() -> None:
    """At most 64 custom types; removing one makes room; built-ins do not count."""
    catalog = Catalog()
    for index in range(MAX_CUSTOM_TYPES):
        catalog.add(f"type{index}")
    assert MAX_CUSTOM_TYPES == 64
    assert len(catalog) == 64 + 5
    with pytest.raises(CatalogError) as err:
        catalog.add("onemore")
    assert err.value.key == "too_many_types"
    assert err.value.placeholders == {"limit": "64"}
    catalog.remove("type0")
    catalog.add("onemore")


def test_stored_catalogue_over_the_cap_loads_whole() -> None:
    """A catalogue stored before the cap keeps every type; adding waits until under the cap."""
    data = {"types": [{"name": f"old{i}", "caps": {}, "settings": {}} for i in range(100)]}
    catalog = Catalog.from_data(data)
    assert catalog.custom_count == 100
    with pytest.raises(CatalogError) as err:
        catalog.add("new")
    assert err.value.key == "too_many_types"


@pytest.mark.parametrize("period", [1, 5, 9])
def test_period_under_the_minimum_is_refused(period: int) -> None:
    catalog = Catalog()
    with pytest.raises(CatalogError) as err:
        catalog.update("snapshot", {"period": period})
    assert err.value.key == "invalid_period"
    with pytest.raises(CatalogError):
        catalog.add("tick", caps={"is_periodic": True}, settings={"period": period})
    assert catalog.update("snapshot", {"period": MIN_PERIOD}).settings.period == 10
    assert catalog.update("snapshot", {"period": 0}).settings.period == 0


def test_stored_short_period_loads_raised_to_the_minimum() -> None:
    """Periods stored before the minimum existed still load, raised to it (not dropped)."""
    data = {
        "types": [
            {"name": "snapshot", "builtin": True, "settings": {"period": 1}},
            {"name": "tick", "caps": {"is_periodic": True}, "settings": {"period": 3}},
            {"name": "slow", "caps": {"is_periodic": True}, "settings": {"period": 60}},
        ]
    }
    catalog = Catalog.from_data(data)
    assert catalog.get("snapshot").settings.period == MIN_PERIOD
    assert catalog.get("tick").settings.period == MIN_PERIOD
    assert catalog.get("slow").settings.period == 60
    assert Catalog.from_data(catalog.as_data()).get("tick").settings.period == MIN_PERIOD
