"""E-mail delivery over SMTP (aiosmtplib): plain, STARTTLS or implicit TLS, with or without AUTH.

Every failure leaves as one of the delivery errors from `base`: `DeliveryError` when a retry
may help (peer down, time-out, 4xx), `PermanentDeliveryError` when it cannot (5xx, a TLS
certificate that does not verify, STARTTLS not offered) and `AuthenticationError` when the
server refuses the credentials. No message ever carries the password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from enum import StrEnum
import re
import ssl
from typing import Any

import aiosmtplib

from .base import (
    Attachment,
    AuthenticationError,
    Capabilities,
    DeliveryError,
    Host,
    Outgoing,
    PermanentDeliveryError,
    Transport,
    client_tls_context,
    endpoint,
    redact,
    require_text,
)

SUBJECT_MAX = 250
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*$")
_ADDRESS_FORBIDDEN = frozenset(' ,;:<>"()[]\\')
_TLS_CONTEXTS: dict[bool, ssl.SSLContext] = {}


class Security(StrEnum):
    """How the SMTP connection is protected."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"  # implicit TLS from the first byte (usually port 465)


@dataclass(frozen=True, slots=True)
class SmtpProfile:
    """Where and how to send mail."""

    host: str
    port: int
    security: Security
    auth: bool
    username: str | None
    password: str | None
    sender: str
    recipients: tuple[str, ...]
    timeout: float = 15.0
    verify_tls: bool = True
    local_hostname: str = "cam-events.local"
    max_attachment_mb: float = 10.0
    """The largest file this server takes, in MB; a larger clip stays home, named in the body."""


def check_address(value: str) -> str:
    """Return `value` as a bare address, or raise ValueError("invalid_address")."""
    if not isinstance(value, str) or any(not ch.isprintable() for ch in value):
        raise ValueError("invalid_address")
    value = value.strip()
    _, parsed = parseaddr(value)
    if not parsed or parsed != value or any(ch in _ADDRESS_FORBIDDEN for ch in parsed):
        raise ValueError("invalid_address")
    local, at, domain = parsed.rpartition("@")
    if not at or not local or not domain or "@" in local:
        raise ValueError("invalid_address")
    return parsed


def _subject(value: str) -> str:
    """Flatten the subject to one line (no header injection) and cap its length."""
    printable = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(printable.split())[:SUBJECT_MAX]


def _filename(value: str) -> str:
    """Return a single-line file name without any folder part."""
    name = " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or "attachment"


def _content_type(value: str) -> tuple[str, str]:
    """Split a MIME type into (maintype, subtype); anything odd becomes octet-stream."""
    maintype, _, subtype = value.split(";", 1)[0].strip().lower().partition("/")
    if not _TOKEN.match(maintype) or not _TOKEN.match(subtype) or maintype == "multipart":
        return "application", "octet-stream"
    return maintype, subtype


def build_message(
    profile: SmtpProfile,
    *,
    subject: str,
    body: str,
    to: Sequence[str] | None = None,
    attachments: Sequence[Attachment] = (),
    html: str | None = None,
    key: str | None = None,
) -> EmailMessage:
    """Build a message from the profile's sender to `to` (default: the profile's recipients).

    Raise ValueError("invalid_address") for a sender or recipient that is not a plain address
    and ValueError("no_recipients") when there is nobody to send to.
    """
    sender = check_address(profile.sender)
    recipients = [check_address(item) for item in (profile.recipients if to is None else to)]
    if not recipients:
        raise ValueError("no_recipients")
    message = EmailMessage(policy=default_policy)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = _subject(subject)
    message["Date"] = formatdate(localtime=True)
    # One Message-ID for every attempt of a delivery: a repeat is recognisable as one.
    message["Message-ID"] = (
        f"<{key}@{profile.local_hostname}>"
        if key is not None and key.isalnum()
        else make_msgid(domain=profile.local_hostname)
    )
    message.set_content(body, subtype="plain", charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    for attachment in attachments:
        maintype, subtype = _content_type(attachment.content_type)
        message.add_attachment(
            bytes(attachment.data),
            maintype=maintype,
            subtype=subtype,
            filename=_filename(attachment.filename),
        )
    return message


def _envelope_recipients(message: EmailMessage) -> list[str]:
    """Return the validated addresses of the To and Cc headers."""
    fields = [str(value) for name in ("To", "Cc") for value in message.get_all(name, [])]
    recipients = [check_address(address) for _, address in getaddresses(fields)]
    if not recipients:
        raise ValueError("no_recipients")
    return recipients


async def _tls_context(verify: bool) -> ssl.SSLContext:
    """Return a cached client TLS context, built in a worker thread the first time."""
    context = _TLS_CONTEXTS.get(verify)
    if context is None:
        context = _TLS_CONTEXTS[verify] = await asyncio.to_thread(client_tls_context, verify)
    return context


def _redact(text: str, profile: SmtpProfile) -> str:
    """Remove the password from `text`, should a server or library ever echo it."""
    return redact(text, profile.password)


def _where(profile: SmtpProfile) -> str:
    return f"SMTP server {profile.host}:{profile.port}"


def _tls_error(err: BaseException, profile: SmtpProfile) -> DeliveryError | None:
    """Return the error for a TLS failure somewhere in the cause chain, else None."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return PermanentDeliveryError(
                f"The TLS certificate of {_where(profile)} could not be verified "
                f"({current.verify_message or current.reason}). Retrying will not help: "
                "fix the certificate, or turn off certificate verification for this profile "
                "if you trust the server."
            )
        if isinstance(current, ssl.SSLError) and not isinstance(
            current, ssl.SSLEOFError | ssl.SSLZeroReturnError
        ):
            return PermanentDeliveryError(
                f"TLS negotiation with {_where(profile)} failed ({current.reason or current}): "
                "check that the security setting matches the port."
            )
        current = current.__cause__ or current.__context__
    return None


def _code_error(code: int, text: str) -> DeliveryError:
    """Map an SMTP reply code: 4xx (and anything unexpected below 500) may pass; 5xx won't."""
    return PermanentDeliveryError(text) if 500 <= code < 600 else DeliveryError(text)


def _map_error(err: BaseException, profile: SmtpProfile) -> DeliveryError:
    """Translate an aiosmtplib or socket failure into a delivery error."""
    if (tls := _tls_error(err, profile)) is not None:
        return tls
    where = _where(profile)
    if isinstance(err, aiosmtplib.SMTPAuthenticationError):
        return AuthenticationError(
            _redact(
                f"{where} refused the login of {profile.username!r}: {err.code} {err.message}",
                profile,
            )
        )
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused):
        refusals = ", ".join(
            f"{item.recipient} ({item.code} {item.message})" for item in err.recipients
        )
        text = _redact(f"{where} refused every recipient: {refusals}", profile)
        if any(item.code < 500 for item in err.recipients):
            return DeliveryError(text)
        return PermanentDeliveryError(text)
    if isinstance(err, aiosmtplib.SMTPSenderRefused):
        text = f"{where} refused the sender {err.sender}: {err.code} {err.message}"
        return _code_error(err.code, _redact(text, profile))
    if isinstance(err, aiosmtplib.SMTPResponseException):
        return _code_error(err.code, _redact(f"{where} answered {err.code} {err.message}", profile))
    if isinstance(err, aiosmtplib.SMTPNotSupported):
        return PermanentDeliveryError(_redact(f"{where}: {err.message}", profile))
    if isinstance(
        err,
        aiosmtplib.SMTPTimeoutError
        | aiosmtplib.SMTPServerDisconnected
        | aiosmtplib.SMTPConnectError
        | OSError
        | TimeoutError,
    ):
        return DeliveryError(_redact(f"{where}: connection failed: {err}", profile))
    if isinstance(err, aiosmtplib.SMTPException):
        return PermanentDeliveryError(_redact(f"{where}: {err.message}", profile))
    return DeliveryError(_redact(f"{where}: {err}", profile))


async def _open(profile: SmtpProfile) -> aiosmtplib.SMTP:
    """Connect, upgrade with STARTTLS if asked and log in if asked; close on any failure."""
    context = None if profile.security == Security.NONE else await _tls_context(profile.verify_tls)
    client = aiosmtplib.SMTP(
        hostname=profile.host,
        port=profile.port,
        local_hostname=profile.local_hostname,
        timeout=profile.timeout,
        use_tls=profile.security == Security.TLS,
        start_tls=False,  # never upgrade on our own: the profile decides
        tls_context=context,
    )
    await client.connect()
    try:
        if profile.security == Security.STARTTLS:
            await client.ehlo()
            if not client.supports_extension("starttls"):
                raise PermanentDeliveryError(
                    f"{_where(profile)} does not offer STARTTLS: choose another security "
                    "setting or port."
                )
            await client.starttls()
        if profile.auth:
            if not profile.username:
                raise AuthenticationError("Authentication is on but no user name is set.")
            await client.ehlo()
            if not client.supports_extension("auth"):
                raise PermanentDeliveryError(
                    f"{_where(profile)} does not offer AUTH on this connection "
                    "(many servers offer it only after STARTTLS or over TLS)."
                )
            await client.login(profile.username, profile.password or "")
    except BaseException:
        client.close()
        raise
    return client


async def _quit(client: aiosmtplib.SMTP) -> None:
    """Say goodbye politely; the work is done, so a failure here changes nothing."""
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        pass
    finally:
        client.close()


async def send_message(profile: SmtpProfile, message: EmailMessage) -> str:
    """Send `message` to its To and Cc addresses; return the server's answer to DATA.

    Recipients the server refused while accepting others are listed after the answer.
    """
    sender = check_address(profile.sender)
    recipients = _envelope_recipients(message)
    try:
        client = await _open(profile)
        try:
            refused, answer = await client.send_message(
                message, sender=sender, recipients=recipients
            )
        except BaseException:
            client.close()
            raise
    except DeliveryError:
        raise
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
        raise _map_error(err, profile) from err
    await _quit(client)
    result = f"250 {answer}"
    if refused:
        result += "; refused: " + ", ".join(
            f"{address} ({reply.code} {reply.message})" for address, reply in refused.items()
        )
    return _redact(result, profile)


async def test_connection(profile: SmtpProfile) -> None:
    """Connect, upgrade with STARTTLS and log in as the profile says, then quit."""
    try:
        client = await _open(profile)
    except DeliveryError:
        raise
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
        raise _map_error(err, profile) from err
    await _quit(client)


def split_recipients(text: str | None) -> tuple[str, ...]:
    """Split a comma or semicolon separated list of addresses."""
    return tuple(part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip())


def check_addresses(profile: SmtpProfile, to: Sequence[str] | None) -> None:
    """Refuse for good a message whose sender or recipients are not plain addresses.

    Service calls are checked at the door; this catches what only shows at delivery (a job
    queued before that check, a stored recipient list): retrying would never help.
    """
    addresses = profile.recipients if to is None else to
    for address in [profile.sender, *addresses]:
        try:
            check_address(address)
        except ValueError:
            raise PermanentDeliveryError(
                f"{address!r} is not an e-mail address; the message cannot be sent"
            ) from None
    if not addresses:
        raise PermanentDeliveryError("no recipients: the message cannot be sent")


class SmtpTransport(Transport[SmtpProfile]):
    """E-mail: a message with the snapshot, burst, raw event and clip attached."""

    kind = "smtp"
    service = "send_email"
    capabilities = Capabilities(image=True, files=True, max_burst=10, message=True)

    def profile(self, data: Mapping[str, Any]) -> SmtpProfile:
        """Build the SMTP settings."""
        auth = bool(data.get("auth"))
        return SmtpProfile(
            **endpoint(data, 15),
            security=Security(data["security"]),
            auth=auth,
            username=data.get("username") if auth else None,
            password=data.get("password") if auth else None,
            sender=data["sender"],
            recipients=split_recipients(data.get("recipients")),
            max_attachment_mb=float(data.get("max_attachment_mb", 10.0)),
        )

    def check(self, host: Host, data: dict[str, Any]) -> dict[str, str]:
        """Require a host; credentials when AUTH is on; plain sender and recipient addresses."""
        errors = require_text(data, "host", "invalid_host")
        if data.get("auth") and not (data.get("username") and data.get("password")):
            errors["username"] = "auth_incomplete"
        for key, addresses in (
            ("sender", [str(data.get("sender", ""))]),
            ("recipients", list(split_recipients(data.get("recipients"))) or [""]),
        ):
            try:
                for address in addresses:
                    check_address(address)
            except ValueError:
                errors[key] = "invalid_address"
        return errors

    def insecure_login(self, profile: SmtpProfile) -> bool:
        """AUTH over a connection without TLS."""
        return profile.auth and profile.security == Security.NONE

    def attachment_limit(self, profile: SmtpProfile) -> float | None:
        """Return the server's limit as the profile states it."""
        return profile.max_attachment_mb * 1_000_000

    async def test_connection(self, host: Host, profile: SmtpProfile) -> None:
        """Connect, STARTTLS and log in as the profile says."""
        await test_connection(profile)

    async def deliver(self, host: Host, profile: SmtpProfile, outgoing: Outgoing) -> str:
        """Send one message; the note (a clip left out) ends its body."""
        attachments = [
            Attachment(item.filename.rsplit("/", 1)[-1], item.content_type, item.data)
            for item in outgoing.files
        ]
        check_addresses(profile, outgoing.to)
        note = outgoing.note
        message = build_message(
            profile,
            subject=outgoing.subject,
            body=outgoing.body + (f"\n\n{note}" if note else ""),
            to=outgoing.to,
            attachments=attachments,
            key=outgoing.key,
        )
        return await send_message(profile, message)


TRANSPORT = SmtpTransport()
