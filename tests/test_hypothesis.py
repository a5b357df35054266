"""Property-based tests: whatever a caller sends, the answer is a success or a clear refusal.

Each surface (REST bodies, the events list's query parameters, each catalogue and event
service, the camera step of the config flow) gets EXAMPLES inputs drawn by Hypothesis. Every
input must answer 2xx or a clear 4xx / ServiceValidationError / schema error / form error,
never a 500 or an uncaught exception, and after every input the events list still answers.

Hypothesis drives the examples from an executor thread (``@given`` on a plain function); each
example runs on Home Assistant's loop through ``run_coroutine_threadsafe``, so one Home
Assistant instance (the function-scoped ``hass``) serves all the examples of a test. The
number of examples run per surface is printed (``-s`` shows it) and checked.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import socket
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.json import json_bytes
from hypothesis import HealthCheck, given, settings, strategies as st
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cam_events.config_flow import DECODE_MODES
from custom_components.cam_events.const import DOMAIN
from custom_components.cam_events.profile_flow import FORMS, REQUIRED
from tests.common import add_profile, setup_camera

EXAMPLES = 200
CAMERA = "camera.porch"
BASE = f"/api/cam_events/cameras/{CAMERA}"
EVENTS = f"{BASE}/events/"
TYPES = f"{BASE}/event_processing/events/"
TYPE_NAMES = ["motion", "net", "snapshot", "manual", "tamper", "doorbell", "nope"]

# ---- strategies ---------------------------------------------------------------------------

_NOW = datetime.now(UTC)


def _mostly(good: st.SearchStrategy[Any], *bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` about six times in seven, else one of `bad`."""
    return st.one_of(good, good, good, good, good, good, st.one_of(*bad))


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": depth}
    for _ in range(depth):
        value = {"n": value}
    return value


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)
_metadata = _mostly(
    st.dictionaries(st.text(max_size=8), _json, max_size=6),
    _json,
    st.integers(min_value=0, max_value=300).map(_nested),
    st.sampled_from([100, 16_000, 20_000]).map(lambda n: {"x": "y" * n}),
    st.integers(min_value=500, max_value=600).map(lambda n: {"list": list(range(n))}),
)
_python_only = st.one_of(
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 10**30, "\ud800", b"bytes"]),
    st.datetimes(),
    st.dictionaries(st.sampled_from(["\udfff", "k"]), _scalars, max_size=2),
)
_iso = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}".format,
    st.integers(0, 9999),
    st.integers(0, 14),
    st.integers(0, 40),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["", "Z", "+14:00", "-05:00", ".5"]),
)
_near = st.floats(min_value=-3 * 86400, max_value=3 * 86400).map(
    lambda s: (_NOW + timedelta(seconds=s)).isoformat()
)
_time = _mostly(
    _near,
    st.none(),
    _iso,
    st.floats(),  # NaN and infinities included
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(min_value=0, max_value=2 * _NOW.timestamp()),
    st.text(max_size=25),
    st.booleans(),
)
_duration = _mostly(
    st.floats(min_value=0, max_value=90_000),
    st.none(),
    st.floats(),
    st.integers(-10, 10**6),
    st.text(max_size=6),
    st.booleans(),
)


def _body(
    fields: dict[str, st.SearchStrategy[Any]],
    required: dict[str, st.SearchStrategy[Any]] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly `required` and any subset of `fields`; now and then stray keys or none required."""
    required = required or {}
    extra = _mostly(st.just({}), st.dictionaries(st.text(max_size=8), _json, max_size=2))
    known = _mostly(
        st.fixed_dictionaries(required, optional=fields),
        st.fixed_dictionaries({}, optional={**required, **fields}),
    )
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


_known_type = st.sampled_from(TYPE_NAMES[:5])
_type_name = _mostly(_known_type, st.sampled_from(TYPE_NAMES), st.text(max_size=30), _scalars)
_event_body = _body(
    {
        "time": _time,
        "end": _time,
        "duration": _duration,
        "metadata": _metadata,
        "meta": _metadata,
    },
    {"type": _type_name},
)
_trigger_body = _body({"metadata": _metadata}, {"type": _mostly(st.just("manual"), _type_name)})
_setting = _mostly(st.booleans(), st.integers(-5, 100_000), st.text(max_size=5), _scalars)
_plain_type_body = st.fixed_dictionaries(
    {"name": st.from_regex(r"\A[A-Za-z0-9_-]{2,23}\Z")},
    optional={
        "notify": st.booleans(),
        "receive": st.booleans(),
        "caps": st.dictionaries(st.sampled_from(["can_record", "can_snapshot"]), st.booleans()),
    },
)
_odd_type_body = _body(
    {
        "caps": st.one_of(
            st.dictionaries(
                st.sampled_from(["can_record", "can_snapshot", "is_periodic", "x"]), _setting
            ),
            _json,
        ),
        "notify": _setting,
        "receive": _setting,
        "record": _setting,
        "snapshot": _setting,
        "generate_images": _setting,
        "period": _setting,
        "builtin": _setting,
    },
    {
        "name": _mostly(
            st.from_regex(r"\A[A-Za-z0-9_-]{1,25}\Z"), _known_type, st.text(max_size=30), _scalars
        )
    },
)
_type_body = st.one_of(_plain_type_body, _odd_type_body)


def _raw(body: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    """A JSON body as Python writes it (NaN and lone surrogates included), or any bytes."""
    return st.one_of(
        body.map(lambda value: json.dumps(value).encode()),
        st.binary(max_size=40),
        _json.map(lambda value: json.dumps(value).encode()),
    )


_query_value = st.one_of(
    _iso, _near, st.text(max_size=20), st.integers().map(str), st.floats().map(str)
)
_query = st.dictionaries(
    st.sampled_from(["limit", "offset", "type", "from", "to", "x"]), _query_value, max_size=5
)

# ---- running examples ------------------------------------------------------------------------


async def explore(
    hass: HomeAssistant,
    surface: str,
    strategy: st.SearchStrategy[Any],
    check: Callable[[Any], Coroutine[Any, Any, str]],
) -> Counter[str]:
    """Run `check` on EXAMPLES inputs from `strategy`; print and return its outcomes."""
    count = 0
    outcomes: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples on every run: CI is reproducible, never flaky
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one(example: Any) -> None:
        nonlocal count
        count += 1
        future = asyncio.run_coroutine_threadsafe(check(example), hass.loop)
        outcomes[future.result(timeout=60)] += 1

    await hass.async_add_executor_job(one)
    print(f"hypothesis: {surface}: {count} examples, {dict(outcomes)}")  # the count per surface
    assert count >= EXAMPLES
    return outcomes


@pytest.fixture
async def camera(hass: HomeAssistant, still_clip_path: Path, socket_enabled: None) -> Any:
    entry = await setup_camera(hass, str(still_clip_path))
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(entry.entry_id)


async def _assert_history_readable(hass: HomeAssistant, client: Any) -> None:
    response = await client.get(EVENTS + "?limit=1000")
    assert response.status == 200, await response.text()
    json_bytes([state.as_dict() for state in hass.states.async_all()])


async def _assert_clear_answer(response: Any, allowed: set[int], example: Any) -> None:
    assert response.status in allowed, (response.status, await response.text(), example)
    if response.status >= 400 and response.content_type == "application/json":
        body = await response.json()
        assert body["code"], body
        assert body["message"], body


# ---- REST ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("surface", "url", "strategy", "allowed"),
    [
        ("POST events (JSON)", EVENTS, _event_body, {201, 400, 404, 429}),
        ("POST events (raw bytes)", EVENTS, _raw(_event_body), {201, 400, 404, 429}),
        ("POST trigger (JSON)", EVENTS + "trigger/", _trigger_body, {201, 400, 404, 429}),
        (
            "POST trigger (raw bytes)",
            EVENTS + "trigger/",
            _raw(_trigger_body),
            {201, 400, 404, 429},
        ),
        ("POST event types (JSON)", TYPES, _type_body, {201, 400, 404, 429}),
        ("PUT event type (JSON)", TYPES + "{name}/", _type_body, {200, 400, 404, 429}),
    ],
)
async def test_rest_bodies(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    camera: Any,
    surface: str,
    url: str,
    strategy: st.SearchStrategy[Any],
    allowed: set[int],
) -> None:
    client = await hass_client()
    method = client.put if url.endswith("{name}/") else client.post

    async def check(body: Any) -> str:
        target = url
        if "{name}" in url:
            name = body.get("name", "snapshot") if isinstance(body, dict) else "snapshot"
            body = (
                {k: v for k, v in body.items() if k != "name"} if isinstance(body, dict) else body
            )
            target = url.format(name=str(name).replace("/", "_") or "snapshot")
        if isinstance(body, bytes):
            response = await method(target, data=body, headers={"Content-Type": "application/json"})
        else:
            response = await method(
                target, data=json.dumps(body), headers={"Content-Type": "application/json"}
            )
        await _assert_clear_answer(response, allowed, body)
        await _assert_history_readable(hass, client)
        return str(response.status)

    outcomes = await explore(hass, surface, strategy, check)
    assert outcomes[str(min(allowed))], "no input was accepted: the strategy misses the door"


async def test_events_list_query(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    client = await hass_client()
    assert (await client.post(EVENTS, json={"type": "motion"})).status == 201

    async def check(query: dict[str, str]) -> str:
        response = await client.get(EVENTS, params=query)
        await _assert_clear_answer(response, {200, 400}, query)
        return str(response.status)

    outcomes = await explore(hass, "GET events ?query", _query, check)
    assert outcomes["200"]
    assert outcomes["400"]


# ---- services --------------------------------------------------------------------------------

_anything = st.one_of(_json, _python_only, _time)
_camera = st.one_of(
    st.just(CAMERA),
    st.just(CAMERA),
    st.sampled_from(["camera.none", "sensor.x", "porch"]),
    _scalars,
)
_service_value = st.one_of(_anything, _setting)
_services: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "list_event_types": {"camera": _camera},
    "add_event_type": {
        "camera": _camera,
        "name": _mostly(_plain_type_body.map(lambda body: body["name"]), _type_name),
        "caps": _mostly(_plain_type_body.map(lambda body: body.get("caps", {})), _json),
        "notify": _mostly(st.booleans(), _service_value),
        "receive": _mostly(st.booleans(), _service_value),
        "period": _mostly(st.just(0), _service_value),
    },
    "update_event_type": {
        "camera": _camera,
        "name": _type_name,
        "notify": _service_value,
        "receive": _service_value,
        "record": _service_value,
        "snapshot": _service_value,
        "period": _service_value,
    },
    "remove_event_type": {
        "camera": _camera,
        "name": _mostly(st.just("doorbell"), _type_name),
    },
    "create_event": {
        "camera": _camera,
        "type": _type_name,
        "time": _time,
        "end": _time,
        "duration": st.one_of(_duration, _python_only),
        "metadata": st.one_of(
            _metadata, _python_only, st.dictionaries(st.text(max_size=3), _python_only)
        ),
    },
    "trigger_event": {
        "camera": _camera,
        "type": _type_name,
        "metadata": st.one_of(
            _metadata, _python_only, st.dictionaries(st.text(max_size=3), _python_only)
        ),
    },
    "list_events": {
        "camera": _camera,
        "type": _type_name,
        "from": _time,
        "to": _time,
        "limit": _service_value,
        "offset": _service_value,
    },
}


@pytest.mark.parametrize("service", list(_services))
async def test_service_schemas(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any, service: str
) -> None:
    client = await hass_client()
    catalog = camera.runtime_data.events.catalog

    async def check(data: dict[str, Any]) -> str:
        if service == "remove_event_type" and "doorbell" not in catalog.names:
            await hass.services.async_call(
                DOMAIN, "add_event_type", {"camera": CAMERA, "name": "doorbell"}, blocking=True
            )
        try:
            response = await hass.services.async_call(
                DOMAIN, service, data, blocking=True, return_response=True
            )
        except (ServiceValidationError, vol.Invalid) as err:
            outcome = type(err).__name__
        else:
            json_bytes(response)  # what a websocket or REST caller of the service receives
            outcome = "ok"
        await _assert_history_readable(hass, client)
        return outcome

    fields = dict(_services[service])
    needed = () if service == "list_events" else ("camera", "name", "type")
    required = {key: fields.pop(key) for key in needed if key in fields}
    strategy = _body(fields, required)
    outcomes = await explore(hass, f"service {service}", strategy, check)
    assert outcomes["ok"], "no call was accepted: the strategy misses the door"


# ---- config flow -----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_camera_config_flow_user_step(
    hass: HomeAssistant, still_clip_path: Path, tmp_path: Path, socket_enabled: None
) -> None:
    """Every input to the camera form is a form error, an entry or an abort; never a crash."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    clip = allowed / "porch.mp4"
    clip.write_bytes(still_clip_path.read_bytes())
    fifo = allowed / "pipe"
    os.mkfifo(fifo)
    hass.config.allowlist_external_dirs = {str(allowed)}
    port = str(_closed_port())
    odd = st.text(alphabet="ab:@[]/%?#&=\x00\n ", max_size=8)
    network = st.builds(
        "{}://{}{}{}{}".format,
        st.sampled_from(["rtsp", "rtsps", "http", "https", "ftp", "", "file"]),
        st.one_of(st.just(""), st.builds("{}:{}@".format, odd, odd)),
        st.sampled_from(["127.0.0.1", "[::1]", "", "[::1", "127.0.0.1]"]),
        st.sampled_from(["", f":{port}", ":99999", ":abc", ":"]),
        st.one_of(st.just("/stream"), odd, st.just("/live?user=a&pwd=b")),
    )
    files = st.sampled_from(
        [
            str(clip),
            f"file://{clip}",
            str(fifo),
            str(allowed),
            str(allowed / "missing.mp4"),
            str(still_clip_path),  # outside the allowlist
            "/etc/passwd",
            "/tmp/a\x00b.mp4",
            "relative.mp4",
        ]
    )
    url = st.one_of(network, files, st.text(max_size=30))
    form = st.fixed_dictionaries(
        {"name": st.one_of(st.just("Porch"), st.text(max_size=30)), "url": url},
        optional={
            "username": st.one_of(odd, st.text(max_size=10)),
            "password": st.one_of(odd, st.text(max_size=10)),
            "detect_url": st.one_of(network, files, st.text(max_size=10)),
        },
    )

    async def check(data: dict[str, Any]) -> str:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "camera"}
        )
        flow_id = result["flow_id"]
        result = await hass.config_entries.flow.async_configure(flow_id, data)
        kind = result["type"]
        if kind is FlowResultType.FORM:
            assert result["errors"], (data, result)
            hass.config_entries.flow.async_abort(flow_id)
        elif kind is FlowResultType.CREATE_ENTRY:
            await hass.async_block_till_done()
            await hass.config_entries.async_remove(result["result"].entry_id)
        else:
            assert kind is FlowResultType.ABORT, (data, result)
        return str(result.get("errors") or kind)

    outcomes = await explore(hass, "config flow: camera step", form, check)
    assert outcomes["create_entry"], "no input made an entry: the strategy misses the door"


# ---- handler services ------------------------------------------------------------------------

_profile_name = _mostly(
    st.sampled_from(["Udp", "Local", "udp", "LOCAL"]),
    st.sampled_from(["Mail", "Ftp", "Web", "nope"]),
    st.text(max_size=12),
    _scalars,
)
_flag = _mostly(st.booleans(), _service_value)
_deliver = {
    "camera": _camera,
    "profile": _profile_name,
    "event_id": _mostly(st.none(), st.text(max_size=12), _scalars),
    "snapshot": _flag,
    "zones": _mostly(
        st.lists(st.sampled_from(["Driveway", "porch", ""]), max_size=3),
        st.lists(st.text(max_size=70), max_size=40),
        _json,
    ),
}
_burst = {
    "burst_count": _mostly(st.integers(1, 3), _service_value),
    # Small or out of range: a valid long interval would make a burst sleep for seconds.
    "burst_interval": st.one_of(
        st.floats(0.1, 0.15), st.floats(max_value=0.09), st.floats(min_value=10.01), _scalars
    ),
    "raw_data": _flag,
    "clip": _flag,
}
_handler_services: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "send_email": {
        **_deliver,
        **_burst,
        "to": _mostly(
            st.sampled_from(["a@example.com", "a@example.com, b@example.com"]),
            st.lists(st.text(max_size=12), max_size=60),
            st.text(alphabet='ab@.,<>\r\n "', max_size=20),
            _json,
        ),
        "subject": _mostly(
            st.sampled_from(["{{ camera }}", "{{ 9 ** 999999999 }}", "{{ 'a' * 10**9 }}", "{%"]),
            st.text(max_size=20),
            _json,
        ),
        "message": _mostly(
            st.sampled_from(["{{ event.id }}", "{{ range(10**9) | list }}", "{{ x.y.z }}"]),
            st.text(max_size=20),
            _json,
        ),
    },
    "upload_ftp": {**_deliver, **_burst},
    "push_http": dict(_deliver),
    "push_udp": dict(_deliver),
    "save_snapshot": {**_deliver, **_burst},
    "retry_failed": {"profile": _profile_name},
    "pause_notifications": {
        "camera": _camera,
        "duration": _mostly(
            st.sampled_from(["00:30:00", "00:00:01", "-00:01:00", "99999:00:00", {"minutes": 5}]),
            st.integers(-10, 10**9),
            st.dictionaries(st.sampled_from(["hours", "minutes", "x"]), _scalars, max_size=2),
            _service_value,
        ),
    },
    "resume_notifications": {"camera": _camera},
}


@pytest.mark.parametrize("service", list(_handler_services))
async def test_handler_service_schemas(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    camera: Any,
    tmp_path: Path,
    service: str,
) -> None:
    """Deliveries stay on 127.0.0.1: a UDP profile on a closed port and a local folder."""
    media = tmp_path / "media"
    media.mkdir()
    hass.config.allowlist_external_dirs = {str(media)}
    await add_profile(
        hass,
        "udp",
        {"name": "Udp", "mode": "unicast", "address": "127.0.0.1", "port": _closed_port()},
    )
    await add_profile(hass, "local", {"name": "Local", "folder": str(media)})
    client = await hass_client()  # after the profiles: their set-up registers views
    await hass.services.async_call(
        DOMAIN, "trigger_event", {"camera": CAMERA, "type": "manual"}, blocking=True
    )

    async def check(data: dict[str, Any]) -> str:
        if isinstance(data, dict) and "burst_interval" not in data:
            data = {**data, "burst_interval": 0.1}  # the default (1 s) would make bursts slow
        if service in _handler_services and "burst_interval" not in _handler_services[service]:
            data.pop("burst_interval", None)
        try:
            response = await hass.services.async_call(
                DOMAIN,
                service,
                data,
                blocking=True,
                return_response=service != "resume_notifications",
            )
        except (ServiceValidationError, vol.Invalid) as err:
            outcome = type(err).__name__
        else:
            json_bytes(response)
            outcome = "ok"
        await _assert_history_readable(hass, client)
        return outcome

    fields = dict(_handler_services[service])
    needed = ("camera", "profile", "duration")
    required = {key: fields.pop(key) for key in needed if key in fields}
    if service == "retry_failed":
        fields = {"profile": required.pop("profile")}
    outcomes = await explore(hass, f"service {service}", _body(fields, required), check)
    if service not in ("send_email", "upload_ftp", "push_http"):  # no such profile: refusals only
        assert outcomes["ok"], "no call was accepted: the strategy misses the door"
    await hass.services.async_call(
        DOMAIN, "resume_notifications", {"camera": CAMERA}, blocking=True
    )


# ---- profile flows and the detection options step ----------------------------------------------

# Hosts a connection test may try: 127.0.0.1, or text refused before any lookup (no DNS).
_HOSTS = ["127.0.0.1", "127.0.0.1", "", " ", "\x00"]
_ADDRESSES = ["127.0.0.1", "127.255.255.255", "::1", "[::1]", "", " ", "a b", "\x00", "http://x"]


def _number(low: float, high: float) -> st.SearchStrategy[Any]:
    return _mostly(
        st.integers(int(low), int(high)),
        st.floats(),
        st.integers(-(10**6), 10**9),
        st.text(max_size=4),
        st.none(),
    )


def _profile_form(kind: str, port: int) -> st.SearchStrategy[dict[str, Any]]:
    text = _mostly(st.text(alphabet="ab@._-/{}", min_size=1, max_size=10), st.text(max_size=10))
    ports = _mostly(st.just(port), _number(1, 65535))
    timeout = _mostly(st.just(1), st.integers(-5, 0), st.floats(), st.text(max_size=3))
    bools = _mostly(st.booleans(), _scalars)
    name = _mostly(st.from_regex(r"\A[A-Za-z][A-Za-z0-9 ]{1,20}\Z"), st.text(max_size=30))
    fields: dict[str, st.SearchStrategy[Any]] = {
        "smtp": {
            "host": st.sampled_from(_HOSTS),
            "port": ports,
            "security": st.sampled_from(["none", "starttls", "tls", "x"]),
            "auth": bools,
            "username": text,
            "password": text,
            "sender": _mostly(st.just("cam@example.com"), text),
            "recipients": _mostly(st.just("a@example.com, b@example.com"), text),
            "timeout": timeout,
            "verify_ssl": bools,
            "max_attachment_mb": _number(0, 100),
        },
        "ftp": {
            "host": st.sampled_from(_HOSTS),
            "port": ports,
            "username": text,
            "password": text,
            "base_path": _mostly(st.sampled_from(["/", "/a/b", "../x"]), text),
            "passive": bools,
            "ftps": bools,
            "verify_ssl": bools,
            "pattern": _mostly(st.sampled_from(["{camera}/{event_id}", "x"]), text),
            "timeout": timeout,
        },
        "http": {
            "host": st.sampled_from(_HOSTS),
            "port": ports,
            "path": _mostly(st.sampled_from(["/", "/hook?a=b", "x"]), text),
            "method": st.sampled_from(["post", "get", "put", "POST"]),
            "username": text,
            "password": text,
            "https": bools,
            "verify_ssl": bools,
            "keepalive": _number(0, 86400),
            "timeout": timeout,
        },
        "udp": {
            "mode": st.sampled_from(["unicast", "multicast", "broadcast", "x"]),
            "address": st.sampled_from(_ADDRESSES),
            "port": ports,
            "ttl": _number(1, 255),
            "interface": st.sampled_from(["", "lo", "127.0.0.1", "nope0", "\x00"]),
        },
        "local": {
            "folder": st.sampled_from(
                ["cam_events", "a/b", "../up", "/etc", "", "\x00", "x" * 300]
            ),
            "pattern": _mostly(st.sampled_from(["{camera}/{event_id}", "{nope}", "x"]), text),
        },
    }[kind]
    required = {"name": name}
    for key, default, _ in FORMS[kind]:
        if default is REQUIRED and key in fields:
            required[key] = fields.pop(key)
    return _body(fields, required)


@pytest.mark.parametrize("kind", list(FORMS))
async def test_profile_flow_steps(hass: HomeAssistant, socket_enabled: None, kind: str) -> None:
    """Every input to a profile form is a form, an entry or an abort; tests stay on 127.0.0.1."""
    port = _closed_port()

    async def check(data: dict[str, Any]) -> str:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": kind}
        )
        flow_id = result["flow_id"]
        try:
            result = await hass.config_entries.flow.async_configure(flow_id, data)
        except InvalidData:
            hass.config_entries.flow.async_abort(flow_id)
            return "InvalidData"
        if result["type"] is FlowResultType.FORM and result["step_id"] == "insecure_login":
            result = await hass.config_entries.flow.async_configure(flow_id, {})
        kind_ = result["type"]
        if kind_ is FlowResultType.FORM:
            assert result["errors"], (data, result)
            hass.config_entries.flow.async_abort(flow_id)
        elif kind_ is FlowResultType.CREATE_ENTRY:
            await hass.async_block_till_done()
            await hass.config_entries.async_remove(result["result"].entry_id)
        else:
            assert kind_ is FlowResultType.ABORT, (data, result)
        return str(sorted((result.get("errors") or {}).values()) or kind_)

    await explore(hass, f"config flow: {kind} step", _profile_form(kind, port), check)


async def test_detection_options_step(hass: HomeAssistant, camera: Any) -> None:
    """Every input to the detection form is a form with errors, an entry or a schema error."""
    bools = _mostly(st.booleans(), _scalars)
    form = _body(
        {
            "motion_detection": bools,
            "threshold": _number(1, 255),
            "min_area": _number(0, 50),
            "detect_fps": _number(0, 30),
            "decode_mode": _mostly(st.sampled_from(DECODE_MODES), st.text(max_size=8)),
            "record": bools,
            "preroll": _number(0, 30),
            "postroll": _number(0, 60),
            "max_clip": _number(10, 3600),
            "storage_mb": _number(10, 10**6),
            "retention_days": _number(1, 3650),
            "off_delay": _number(0, 3600),
            "link_hours": _number(1, 8760),
        }
    )

    async def check(data: dict[str, Any]) -> str:
        result = await hass.config_entries.options.async_init(camera.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"next_step_id": "detection"}
        )
        flow_id = result["flow_id"]
        try:
            result = await hass.config_entries.options.async_configure(flow_id, data)
        except InvalidData:
            hass.config_entries.options.async_abort(flow_id)
            return "InvalidData"
        if result["type"] is FlowResultType.FORM:
            assert result["errors"], (data, result)
            hass.config_entries.options.async_abort(flow_id)
        else:
            assert result["type"] is FlowResultType.CREATE_ENTRY, (data, result)
            await hass.async_block_till_done()
        return str(result.get("errors") or result["type"])

    outcomes = await explore(hass, "options flow: detection step", form, check)
    assert outcomes["create_entry"], "no input made an entry: the strategy misses the door"
