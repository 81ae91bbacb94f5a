"""Local connector: the embedded default and the reference implementation of every protocol."""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import json
import os
import smtplib
import ssl
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from filelock import FileLock, Timeout

from bot.core.ports import (
    CardMessage,
    ConnectorError,
    DeliveryUnknownError,
    FormResponse,
    Mailer,
    OutgoingEmail,
    PermanentError,
    RetryableError,
    SendResult,
    SetupError,
    UnreadableResponse,
)
from connectors.base import post_webhook
from connectors.local.directory import FileDirectory
from connectors.mime import envelope_recipients, mime_bytes, to_mime

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CsvListMirror",
    "EmlMailer",
    "FileDirectory",
    "FileNotifier",
    "LocalFormSource",
    "SmtpMailer",
    "WebhookNotifier",
]

_SMTP_ENV = "COMPLIANCE_BOT_LOCAL__SMTP__"
# --------------------------------------------------------------------------- mail


def _safe_name(key: str) -> str:
    """A file name for an outbox key that reveals nothing about its content."""
    return hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass
class EmlMailer(Mailer):
    """Writes each email as an .eml file into a folder (the demo's outbox).

    Idempotent by key (the file name is derived from it), so the outbox may safely resend.
    """

    folder: Path
    sender: str
    idempotent: ClassVar[bool] = True

    def send(self, message: OutgoingEmail) -> SendResult:
        """Write ``message`` atomically; the same key twice keeps the first file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{_safe_name(message.idempotency_key)}.eml"
        target = self.folder / name
        if target.exists():
            return SendResult(provider_id=name)
        data = mime_bytes(to_mime(message, self.sender))  # CRLF, as RFC 5322 asks
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise RetryableError(f"could not write to outbox folder {self.folder}: {exc}") from exc
        return SendResult(provider_id=name)


IDLE_CHECK_SECONDS = 10.0  # a connection idle this long is checked (NOOP) before reuse


@dataclass
class SmtpMailer(Mailer):
    """Sends through an SMTP server (STARTTLS or implicit TLS, optional login).

    One connection (and one TLS context) serves a whole dispatch pass: the dispatcher calls
    ``end_pass`` after it, which says goodbye (QUIT). A connection idle for a while is checked
    with a NOOP before it is reused, so a server that closed it is noticed before a message is
    handed over, never during.

    A 4xx answer (421, 450, 451, 452...) is the server's "not now": the message waits without
    spending an attempt. A refused login or sender is our setup, not the message. Only a 5xx
    refusal of the message or every recipient fails it.
    """

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    security: str = "starttls"  # "starttls" | "tls" | "none"
    timeout: float = 30.0
    _client: smtplib.SMTP | None = field(default=None, init=False, repr=False, compare=False)
    _used_at: float = field(default=0.0, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @functools.cached_property
    def _tls(self) -> ssl.SSLContext:
        """One TLS context for the mailer's life: loading the trust store is the slow part."""
        return ssl.create_default_context()

    def send(self, message: OutgoingEmail) -> SendResult:
        """Send once; map SMTP outcomes to not-now / setup / permanent / unknown."""
        mime = to_mime(message, self.sender)
        with self._lock:
            client = self._connection()
            try:
                result = self._hand_over(client, mime, envelope_recipients(message))
            except ConnectorError:
                self._drop()  # after any trouble, the next message starts a fresh session
                raise
            self._used_at = time.monotonic()
            return result

    def end_pass(self) -> None:
        """Say goodbye to the server (the dispatcher calls this after each pass)."""
        with self._lock:
            self._drop()

    def _connection(self) -> smtplib.SMTP:
        """The open connection, checked if it idled; else a new one (errors mapped)."""
        if self._client is not None and time.monotonic() - self._used_at > IDLE_CHECK_SECONDS:
            try:
                alive = self._client.noop()[0] == 250
            except (OSError, smtplib.SMTPException):
                alive = False
            if not alive:
                self._drop()
        if self._client is not None:
            return self._client
        try:
            self._client = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            raise SetupError(
                f"mail paused: SMTP {self.host}:{self.port} refused the login "
                f"({exc.smtp_code}); check {_SMTP_ENV}USERNAME and {_SMTP_ENV}PASSWORD"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise RetryableError(f"SMTP {self.host}:{self.port} unreachable: {exc}") from exc
        return self._client

    def _hand_over(self, client: smtplib.SMTP, mime: Any, recipients: list[str]) -> SendResult:
        """One message over an open session, flattened once (``send_message`` would copy and
        flatten it again); an internationalised address needs ``send_message``'s SMTPUTF8."""
        try:
            if all(address.isascii() for address in (self.sender, *recipients)):
                refused = client.sendmail(self.sender, recipients, mime_bytes(mime))
            else:
                refused = client.send_message(mime, self.sender, recipients)
        except smtplib.SMTPSenderRefused as exc:
            raise self._refusal(exc.smtp_code, sender=True) from exc
        except smtplib.SMTPResponseException as exc:  # e.g. at DATA
            raise self._refusal(exc.smtp_code, sender=False) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                raise RetryableError(
                    f"SMTP deferred every recipient for now ({', '.join(map(str, codes))})"
                ) from exc
            raise PermanentError(f"SMTP refused every recipient ({len(exc.recipients)})") from exc
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise DeliveryUnknownError(f"SMTP connection lost while sending: {exc}") from exc
        if refused:
            raise PermanentError(f"SMTP refused {len(refused)} recipient(s)")
        return SendResult(provider_id=str(mime["Message-ID"]))

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                client.quit()
            with contextlib.suppress(OSError):
                client.close()

    def _refusal(self, code: int, *, sender: bool) -> ConnectorError:
        """A refusal at MAIL FROM or DATA: 4xx waits, a refused sender is setup, 5xx fails."""
        if 400 <= code < 500:
            return RetryableError(f"SMTP temporary failure {code}; nothing was sent")
        if sender:
            return SetupError(
                f"mail paused: SMTP refused the sender {self.sender} ({code}); check "
                "COMPLIANCE_BOT_MAIL_FROM and what the SMTP account may send as"
            )
        return PermanentError(f"SMTP permanent failure {code}")

    def _connect(self) -> smtplib.SMTP:
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                client.starttls(context=self._tls)
        if self.username and self.password:
            client.login(self.username, self.password)
        return client


# --------------------------------------------------------------------------- cards


@dataclass
class FileNotifier:
    """Appends each card as one JSON line to a file (the demo's "channel")."""

    path: Path

    def post(self, card: CardMessage) -> SendResult:
        """Append the card unless one with the same key is already in the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line and json.loads(line).get("key") == card.idempotency_key:
                    return SendResult(provider_id=card.idempotency_key)
        record = {
            "key": card.idempotency_key,
            "posted_at": datetime.now(UTC).isoformat(),
            "title": card.title,
            "text": card.text,
            "teams": card.teams_payload,
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")
        return SendResult(provider_id=card.idempotency_key)


@dataclass
class WebhookNotifier:
    """POSTs the card's Teams (or Chat) payload to an HTTP webhook."""

    url: str
    flavour: str = "teams"  # "teams" | "chat"
    transport: httpx.BaseTransport | None = None
    timeout: float = 15.0

    def post(self, card: CardMessage) -> SendResult:
        """POST once; 429 is retryable, a lost response is delivery-unknown."""
        payload = card.chat_payload if self.flavour == "chat" else card.teams_payload
        response = post_webhook(
            self.url,
            "webhook",
            self.transport,
            setup=" (check COMPLIANCE_BOT_LOCAL__WEBHOOK_URL)",
            timeout=self.timeout,
            json=dict(payload),
        )
        return SendResult(provider_id=response.headers.get("x-ms-workflow-run-id"))


# --------------------------------------------------------------------------- reports


@dataclass
class CsvListMirror:
    """Mirrors tracked-list rows into a CSV file, keyed by reference (the local "list").

    Every change is a read-modify-write of the whole file, so writers take turns under a lock
    file beside it (``<file>.lock``, shared by threads and processes); each write goes to its
    own temporary file that then atomically replaces the list, so a reader never sees half a
    file and a crash never leaves one.
    """

    path: Path
    lock_timeout: float = 60.0

    def upsert(self, reference: str, fields: Mapping[str, str]) -> None:
        """Insert or replace the row for ``reference``; column order follows first sight."""
        try:
            with FileLock(f"{self.path}.lock", timeout=self.lock_timeout):
                columns, rows = self._read()
                columns += [name for name in fields if name not in columns]
                rows[reference] = {"reference": reference, **fields}
                self._write(columns, rows)
        except Timeout as exc:
            raise RetryableError(f"{self.path} is locked by another writer; try again") from exc
        except OSError as exc:
            raise RetryableError(f"could not write the report list {self.path}: {exc}") from exc

    def rows(self) -> dict[str, dict[str, str]]:
        """The rows in the file by reference (a file replaced whole is never seen half-written)."""
        try:
            return self._read()[1]
        except OSError as exc:
            raise RetryableError(f"could not read the report list {self.path}: {exc}") from exc

    def _read(self) -> tuple[list[str], dict[str, dict[str, str]]]:
        if not self.path.exists():
            return ["reference"], {}
        # utf-8-sig: a list saved again by a spreadsheet program may start with a BOM
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or ["reference"])
            if "reference" not in columns:
                raise PermanentError(
                    f"{self.path} line 1: the header has no 'reference' column "
                    f"(found: {', '.join(columns)}); move the file aside and the bot rewrites it"
                )
            rows = {row["reference"]: row for row in reader if row.get("reference")}
        return columns, rows

    def _write(self, columns: list[str], rows: Mapping[str, Mapping[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part"
        )
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(
                    handle, fieldnames=columns, restval="", extrasaction="ignore"
                )
                writer.writeheader()
                writer.writerows(rows.values())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


@dataclass
class LocalFormSource:
    """Reads external-form responses exported as JSON lines (``{"id", "submitted_at", ...}``)."""

    path: Path

    def responses(
        self, since: datetime | None = None
    ) -> Sequence[FormResponse | UnreadableResponse]:
        """Return responses after ``since``, oldest first; then the lines that cannot be read."""
        if not self.path.exists():
            return []
        found: list[FormResponse] = []
        bad: list[UnreadableResponse] = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            key, where = f"line {number}", f"{self.path.name} line {number}"
            problem = "it has no 'id'"
            try:  # each step says what is wrong before it reads
                raw = json.loads(line)
                key = response_id = str(raw["id"])
                where += f" (response {response_id})"
                problem = "its submitted_at is missing or not an ISO 8601 time"
                submitted = datetime.fromisoformat(raw["submitted_at"])
                problem = "its answers are missing or not question: answer pairs"
                answers = {str(k): str(v) for k, v in dict(raw["answers"]).items()}
            except (ValueError, KeyError, TypeError):
                bad.append(UnreadableResponse(key, where, problem))
                continue
            response = FormResponse(
                response_id=response_id,
                submitted_at=submitted if submitted.tzinfo else submitted.replace(tzinfo=UTC),
                answers=answers,
                respondent_email=raw.get("email"),
            )
            if since is None or response.submitted_at > since:
                found.append(response)
        return [*sorted(found, key=lambda r: r.submitted_at), *bad]
