"""E-mail delivery against a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS, TLS."""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
import json
import socket
import time
from typing import Any

import pytest

from custom_components.cam_events.delivery import email as smtp
from custom_components.cam_events.delivery.base import (
    Attachment,
    AuthenticationError,
    DeliveryError,
    PermanentDeliveryError,
)
from tests.peers.net import free_port
from tests.peers.smtp import SmtpServer

pytestmark = [
    # aiosmtpd's own warnings, raised in its server thread.
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]

USER, PASSWORD = "cam", "pa55-Word!"
SENDER = "cam-events@example.com"
RECIPIENTS = ("alice@example.com", "bob@example.org")
EVENT = {"camera": "porch", "type": "motion", "score": 0.92}


def _profile(server: SmtpServer, **changes: Any) -> smtp.SmtpProfile:
    profile = smtp.SmtpProfile(
        host="127.0.0.1",
        port=server.port,
        security=smtp.Security(server.security),
        auth=server.auth is not None,
        username=USER if server.auth else None,
        password=PASSWORD if server.auth else None,
        sender=SENDER,
        recipients=RECIPIENTS,
        timeout=5.0,
        verify_tls=False,
        local_hostname="cam-events.local",
    )
    return dataclasses.replace(profile, **changes)


def _attachments(jpeg: bytes) -> list[Attachment]:
    return [
        Attachment("porch_090503.jpg", "image/jpeg", jpeg),
        Attachment("event.json", "application/json", json.dumps(EVENT).encode()),
    ]


@pytest.mark.parametrize(
    ("security", "auth"),
    [("none", None), ("starttls", (USER, PASSWORD)), ("tls", (USER, PASSWORD))],
)
async def test_message_with_attachments_arrives(
    smtp_server: Callable[..., SmtpServer], jpeg: bytes, security: str, auth: Any
) -> None:
    server = smtp_server(security=security, auth=auth)
    profile = _profile(server)
    message = smtp.build_message(
        profile,
        subject="Motion at the porch",
        body="Motion at the porch at 09:05:03. Température 12 °C.",
        attachments=_attachments(jpeg),
    )

    answer = await smtp.send_message(profile, message)

    assert answer == "250 OK queued"
    assert len(server.messages) == 1
    received = server.messages[0]
    assert received.mail_from == SENDER
    assert received.rcpt_tos == list(RECIPIENTS)
    got = received.message
    assert got["From"] == SENDER
    assert got["To"] == ", ".join(RECIPIENTS)
    assert got["Subject"] == "Motion at the porch"
    assert got["Message-ID"].endswith("@cam-events.local>")
    assert got["Date"]
    body = got.get_body(("plain",))
    assert body is not None
    assert body.get_content().strip() == "Motion at the porch at 09:05:03. Température 12 °C."
    parts = {part.get_filename(): part for part in got.iter_attachments()}
    assert set(parts) == {"porch_090503.jpg", "event.json"}
    assert parts["porch_090503.jpg"].get_content_type() == "image/jpeg"
    assert parts["porch_090503.jpg"].get_payload(decode=True) == jpeg
    assert parts["event.json"].get_content_type() == "application/json"
    assert json.loads(parts["event.json"].get_payload(decode=True)) == EVENT
    # Logged in only where asked, and (aiosmtpd requires it) after TLS for STARTTLS.
    assert server.logins == ([(USER, True)] if auth else [])


async def test_html_alternative_and_explicit_recipients(
    smtp_server: Callable[..., SmtpServer],
) -> None:
    server = smtp_server()
    profile = _profile(server)
    message = smtp.build_message(
        profile,
        subject="Hi",
        body="plain text",
        html="<p>html <b>text</b></p>",
        to=["carol@example.net"],
        attachments=[Attachment("clip.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42")],
    )
    await smtp.send_message(profile, message)
    got = server.messages[0]
    assert got.rcpt_tos == ["carol@example.net"]
    assert got.message["To"] == "carol@example.net"
    html = got.message.get_body(("html",))
    assert html is not None
    assert "<b>text</b>" in html.get_content()
    plain = got.message.get_body(("plain",))
    assert plain is not None
    assert plain.get_content().strip() == "plain text"
    (clip,) = got.message.iter_attachments()
    assert clip.get_content_type() == "video/mp4"
    assert clip.get_payload(decode=True) == b"\x00\x00\x00\x18ftypmp42"


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_wrong_password_is_an_authentication_error(
    smtp_server: Callable[..., SmtpServer], security: str
) -> None:
    server = smtp_server(security=security, auth=(USER, PASSWORD))
    profile = _profile(server, password="not-the-password")
    message = smtp.build_message(profile, subject="s", body="b")
    with pytest.raises(AuthenticationError) as caught:
        await smtp.send_message(profile, message)
    assert "535" in str(caught.value)
    assert "not-the-password" not in str(caught.value)
    assert server.logins == [(USER, False)] * len(server.logins)
    assert server.logins
    assert server.messages == []

    with pytest.raises(AuthenticationError):
        await smtp.test_connection(profile)


async def test_server_down_is_transient_and_recovers(
    smtp_server: Callable[..., SmtpServer],
) -> None:
    server = smtp_server(security="starttls", auth=(USER, PASSWORD))
    profile = _profile(server)
    message = smtp.build_message(profile, subject="s", body="b")
    server.stop()

    with pytest.raises(DeliveryError) as caught:
        await smtp.send_message(profile, message)
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert PASSWORD not in str(caught.value)
    with pytest.raises(DeliveryError) as caught:
        await smtp.test_connection(profile)
    assert not isinstance(caught.value, PermanentDeliveryError)

    server.start()  # the same port again: a retry now succeeds
    assert server.port == profile.port
    assert (await smtp.send_message(profile, message)).startswith("250 ")
    assert len(server.messages) == 1


async def test_silent_server_times_out_as_transient(socket_enabled: None) -> None:
    """A peer that accepts the connection but never greets: a time-out, worth a retry."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        profile = smtp.SmtpProfile(
            host="127.0.0.1",
            port=port,
            security=smtp.Security.NONE,
            auth=False,
            username=None,
            password=None,
            sender=SENDER,
            recipients=RECIPIENTS,
            timeout=0.5,
        )
        started = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            await smtp.test_connection(profile)
        assert not isinstance(caught.value, PermanentDeliveryError)
        assert time.monotonic() - started < 3


async def test_subject_cannot_inject_headers(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server()
    profile = _profile(server)
    message = smtp.build_message(
        profile, subject="Motion\r\nBcc: evil@x.example\n\tX-Evil: 1", body="b"
    )
    await smtp.send_message(profile, message)

    received = server.messages[0]
    assert received.rcpt_tos == list(RECIPIENTS)
    assert received.message["Bcc"] is None
    assert received.message["X-Evil"] is None
    assert received.message["Subject"] == "Motion Bcc: evil@x.example X-Evil: 1"
    header_block = received.raw.split(b"\r\n\r\n", 1)[0]
    assert not any(
        line.lower().startswith((b"bcc:", b"x-evil:")) for line in header_block.splitlines()
    )


def test_subject_is_capped() -> None:
    profile = dataclasses.replace(_profile(SmtpServer()), port=25, recipients=("a@example.com",))
    message = smtp.build_message(profile, subject="x" * 1000, body="b")
    assert message["Subject"] == "x" * smtp.SUBJECT_MAX


def test_message_id_is_the_delivery_key_on_every_attempt() -> None:
    """Every attempt of one delivery has one Message-ID, so a repeat is recognisable."""
    profile = dataclasses.replace(_profile(SmtpServer()), port=25, recipients=("a@example.com",))
    first = smtp.build_message(profile, subject="s", body="b", key="01JCAMEVENTSJOB00000000000")
    again = smtp.build_message(profile, subject="s", body="b", key="01JCAMEVENTSJOB00000000000")
    assert (
        first["Message-ID"]
        == again["Message-ID"]
        == "<01JCAMEVENTSJOB00000000000@cam-events.local>"
    )
    # Without a key, or with one that could not be a Message-ID, each message gets its own.
    plain = [smtp.build_message(profile, subject="s", body="b", key=k) for k in (None, "a>b")]
    assert plain[0]["Message-ID"] != plain[1]["Message-ID"]
    assert all(m["Message-ID"].endswith("@cam-events.local>") for m in plain)


def test_attachment_names_and_types_are_sanitised() -> None:
    profile = dataclasses.replace(_profile(SmtpServer()), port=25)
    message = smtp.build_message(
        profile,
        subject="s",
        body="b",
        attachments=[
            Attachment("snap\r\nBcc: evil@x.example.jpg", "image/jpeg", b"\xff\xd8"),
            Attachment("../../etc/raw.bin", "not a type\r\nX-Evil: 1", b"\x00\x01"),
        ],
    )
    first, second = message.iter_attachments()
    assert first.get_filename() == "snap Bcc: evil@x.example.jpg"
    assert second.get_filename() == "raw.bin"
    assert second.get_content_type() == "application/octet-stream"
    assert second.get_payload(decode=True) == b"\x00\x01"
    flat = message.as_bytes()
    assert b"\nBcc:" not in flat
    assert b"X-Evil" not in flat


@pytest.mark.parametrize(
    "address",
    [
        "alice@example.com\r\nBcc: evil@x.example",
        "alice@example.com\nevil@x.example",
        "alice@example.com, evil@x.example",
        "Alice <alice@example.com>",
        "no-at-sign.example.com",
        "@example.com",
        "alice@",
        "",
    ],
)
def test_invalid_addresses_are_rejected(address: str) -> None:
    profile = dataclasses.replace(_profile(SmtpServer()), port=25)
    with pytest.raises(ValueError, match="invalid_address"):
        smtp.build_message(profile, subject="s", body="b", to=[address])
    with pytest.raises(ValueError, match="invalid_address"):
        smtp.build_message(dataclasses.replace(profile, sender=address), subject="s", body="b")


def test_no_recipients_is_rejected() -> None:
    profile = dataclasses.replace(_profile(SmtpServer()), port=25)
    with pytest.raises(ValueError, match="no_recipients"):
        smtp.build_message(profile, subject="s", body="b", to=[])


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_verify_tls_rejects_a_self_signed_certificate(
    smtp_server: Callable[..., SmtpServer], security: str
) -> None:
    server = smtp_server(security=security, auth=(USER, PASSWORD))
    strict = _profile(server, verify_tls=True)
    message = smtp.build_message(strict, subject="s", body="b")

    with pytest.raises(PermanentDeliveryError) as caught:
        await smtp.send_message(strict, message)
    assert not isinstance(caught.value, AuthenticationError)
    assert "certificate" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    with pytest.raises(PermanentDeliveryError, match="certificate"):
        await smtp.test_connection(strict)
    assert server.logins == []  # the password never left the client
    assert server.messages == []

    relaxed = _profile(server, verify_tls=False)
    await smtp.test_connection(relaxed)
    assert (await smtp.send_message(relaxed, message)).startswith("250 ")
    assert len(server.messages) == 1


async def test_starttls_not_offered_is_permanent(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server(security="none")
    profile = _profile(server, security=smtp.Security.STARTTLS)
    with pytest.raises(PermanentDeliveryError, match="STARTTLS"):
        await smtp.send_message(profile, smtp.build_message(profile, subject="s", body="b"))
    assert server.messages == []


async def test_implicit_tls_against_a_plain_server_is_permanent(
    smtp_server: Callable[..., SmtpServer],
) -> None:
    server = smtp_server(security="none")
    profile = _profile(server, security=smtp.Security.TLS)
    with pytest.raises(PermanentDeliveryError, match="TLS negotiation"):
        await smtp.test_connection(profile)


async def test_auth_without_tls_is_not_offered(smtp_server: Callable[..., SmtpServer]) -> None:
    """The server offers AUTH only after STARTTLS: asking for none + auth is a setting error."""
    server = smtp_server(security="starttls", auth=(USER, PASSWORD))
    profile = _profile(server, security=smtp.Security.NONE)
    with pytest.raises(PermanentDeliveryError, match="AUTH") as caught:
        await smtp.test_connection(profile)
    assert not isinstance(caught.value, AuthenticationError)
    assert server.logins == []


@pytest.mark.parametrize(("code", "permanent"), [(550, True), (450, False)])
async def test_refused_recipients(
    smtp_server: Callable[..., SmtpServer], code: int, permanent: bool
) -> None:
    server = smtp_server()
    server.refuse_recipients = dict.fromkeys(RECIPIENTS, code)
    profile = _profile(server)
    with pytest.raises(DeliveryError) as caught:
        await smtp.send_message(profile, smtp.build_message(profile, subject="s", body="b"))
    assert isinstance(caught.value, PermanentDeliveryError) is permanent
    assert str(code) in str(caught.value)
    assert server.messages == []


async def test_partly_refused_recipients_still_deliver(
    smtp_server: Callable[..., SmtpServer],
) -> None:
    server = smtp_server()
    server.refuse_recipients = {RECIPIENTS[1]: 550}
    profile = _profile(server)
    answer = await smtp.send_message(profile, smtp.build_message(profile, subject="s", body="b"))
    assert answer.startswith("250 OK queued; refused: bob@example.org (550")
    assert server.messages[0].rcpt_tos == [RECIPIENTS[0]]


@pytest.mark.parametrize(
    ("security", "auth"),
    [("none", None), ("starttls", (USER, PASSWORD)), ("tls", (USER, PASSWORD))],
)
async def test_test_connection(
    smtp_server: Callable[..., SmtpServer], security: str, auth: Any
) -> None:
    server = smtp_server(security=security, auth=auth)
    await smtp.test_connection(_profile(server))
    assert server.logins == ([(USER, True)] if auth else [])
    assert server.messages == []


async def test_test_connection_refused(socket_enabled: None) -> None:
    profile = smtp.SmtpProfile(
        host="127.0.0.1",
        port=free_port(),
        security=smtp.Security.TLS,
        auth=True,
        username=USER,
        password=PASSWORD,
        sender=SENDER,
        recipients=RECIPIENTS,
    )
    with pytest.raises(DeliveryError) as caught:
        await smtp.test_connection(profile)
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert PASSWORD not in str(caught.value)
