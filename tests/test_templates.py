"""send_email renders the caller's templates off the loop, bounded in time and size."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.cam_events import handler_services
from tests.common import CAMERA, add_profile, call, setup_camera, smtp_data, trigger, wait_for
from tests.peers.smtp import SmtpServer


@pytest.fixture
async def camera(hass: HomeAssistant, still_clip_path: Path, socket_enabled: None) -> Any:
    return await setup_camera(hass, str(still_clip_path))


@pytest.fixture
def smtp(socket_enabled: None) -> Iterator[SmtpServer]:
    server = SmtpServer(security="starttls", auth=("cam", "s3cret-pw"))
    server.start()
    yield server
    server.stop()


async def _loop_stall_while(hass: HomeAssistant, work: Any) -> tuple[float, Any]:
    """Run `work` while a ticker measures the event loop's longest stall."""
    longest = 0.0
    stop = False

    async def tick() -> None:
        nonlocal longest
        last = time.monotonic()
        while not stop:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            longest = max(longest, now - last)
            last = now

    ticker = asyncio.create_task(tick())
    try:
        result: Any = await work
    except ServiceValidationError as err:
        result = err
    stop = True
    await ticker
    return longest, result


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("{{ 'x' * 200000000 }}", "template_too_large"),  # 200 MB in one step
        ("{{ (range(50000) | list) + (range(50000) | list) }}", "template_too_large"),
        ("{{ 9 ** 999999999 }}", "template_too_large"),  # hours of big-integer work
        (
            "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
            "template_timeout",
        ),
        ("{% for i in range(99999) %}{{ i }}{% endfor %}", "template_too_large"),  # output > 64 KB
        ("{{ states('sensor.secret') }}", "template_error"),  # limited: no state
    ],
)
async def test_email_templates_are_bounded(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer, message: str, key: str
) -> None:
    """One call used to block the loop 1.9 s and allocate 200 MB; now a clear refusal."""
    await add_profile(hass, "smtp", smtp_data(smtp))
    await trigger(hass)
    started = time.monotonic()
    stall, result = await _loop_stall_while(
        hass, call(hass, "send_email", camera=CAMERA, profile="Mail", message=message)
    )
    assert isinstance(result, ServiceValidationError), result
    assert result.translation_key == key
    assert stall < 0.5, f"the loop stalled {stall:.2f} s"
    assert time.monotonic() - started < handler_services.MAX_TEMPLATE_SECONDS + 3
    await asyncio.sleep(0.2)
    assert not smtp.messages


async def test_subject_longer_than_a_header_line_is_refused(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer
) -> None:
    await add_profile(hass, "smtp", smtp_data(smtp))
    await trigger(hass)
    with pytest.raises(ServiceValidationError, match="longer than 998"):
        await call(hass, "send_email", camera=CAMERA, profile="Mail", subject="{{ 'x' * 999 }}")


async def test_ordinary_templates_still_render(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer
) -> None:
    await add_profile(hass, "smtp", smtp_data(smtp))
    await trigger(hass)
    response = await call(
        hass,
        "send_email",
        camera=CAMERA,
        profile="Mail",
        subject="{{ camera }}: {{ event.type | upper }} {{ 2 ** 10 }}",
        message="{% for i in range(3) %}{{ i }},{% endfor %} {{ 'ab' * 3 }} {{ [1] + [2] }}",
    )
    assert response["status"] == "queued"
    await wait_for(lambda: len(smtp.messages) == 1, 10)
    message = smtp.messages[0].message
    assert message["Subject"] == "Porch: MANUAL 1024"
    assert message.get_body(("plain",)).get_content().strip() == "0,1,2, ababab [1, 2]"
