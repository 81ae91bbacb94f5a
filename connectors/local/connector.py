"""Local connector: the embedded default and the reference implementation of every protocol."""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import json
import os
import re
import smtplib
import ssl
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import yaml
from filelock import FileLock, Timeout

from connectors.base import (
    CardMessage,
    ConnectorError,
    DeliveryUnknownError,
    DirectoryChanges,
    DirectoryPerson,
    FormResponse,
    OutgoingEmail,
    PermanentError,
    RejectedRecord,
    RetryableError,
    SendResult,
    SetupError,
    UnreadableResponse,
    parse_retry_after,
)
from connectors.mime import mime_bytes, to_mime

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
_TRUE = {"1", "true", "yes", "y", "active", ""}
_FALSE = {"0", "false", "no", "n", "inactive", "left"}
DIRECTORY_COLUMNS = (
    "id",
    "email",
    "name",
    "given_name",
    "family_name",
    "job_title",
    "roles",
    "groups",
    "manager_email",
    "start_date",
    "active",
    "school",
    "has_account",
)


def _split(value: str | None) -> frozenset[str]:
    """Split a ``;``- or ``|``-separated cell into a set of trimmed values."""
    if not value:
        return frozenset()
    parts = value.replace("|", ";").split(";")
    return frozenset(p.strip() for p in parts if p.strip())


def _parse_bool(value: str | None, field_name: str) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{field_name} must be yes/no (got {value!r})")


def _parse_date(value: str | None, field_name: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        with contextlib.suppress(ValueError):
            return datetime.strptime(text, fmt).date()
    raise ValueError(f"{field_name} must be a date like 2026-09-01 or 01/09/2026 (got {text!r})")


# the same shape school.yaml accepts: something@domain.tld (a domain without a dot is a typo)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _row_name(row: Mapping[str, Any]) -> str:
    """The row's name, or given and family name joined ("" when there is none)."""
    name = str(row.get("name") or "").strip()
    if not name:
        given = str(row.get("given_name") or "").strip()
        family = str(row.get("family_name") or "").strip()
        name = f"{given} {family}".strip()
    return name


def _row_identity(row: Mapping[str, Any]) -> RejectedRecord:
    """Whatever identifies the person on a row that could not be read."""
    return RejectedRecord(
        external_id=str(row.get("id") or "").strip() or None,
        email=str(row.get("email") or "").strip().lower() or None,
        display_name=_row_name(row) or None,
    )


# Unicode's control (Cc: U+0000-001F, U+007F-009F) and surrogate (Cs) characters
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _control_character(row: Mapping[str, Any]) -> str | None:
    """A message naming the first field holding a control character (NUL, tab, escape...)."""
    for field_name, value in row.items():
        for text in value if isinstance(value, list | tuple) else [value]:
            if not isinstance(text, str):
                continue
            found = _CONTROL.search(text)
            if found:
                return (
                    f"{field_name} contains a control character "
                    f"(U+{ord(found.group()):04X}), which cannot be stored; remove it from the file"
                )
    return None


def _check_roles(roles: frozenset[str], allowed: frozenset[str] | None) -> frozenset[str]:
    """The row's roles, when every one is a known role; ValueError naming the field if not."""
    unknown = sorted(roles - allowed) if allowed is not None else []
    if unknown:
        raise ValueError(
            f"roles: {', '.join(repr(r) for r in unknown)} cannot be given in this file "
            f"(use {', '.join(sorted(allowed or ()))})"
        )
    return roles


def _row_to_person(
    row: Mapping[str, Any], allowed_roles: frozenset[str] | None = None
) -> DirectoryPerson:
    """Validate one directory row; raise ValueError naming the field."""
    if row.get("_extra"):
        raise ValueError(
            "more cells than the header has columns (a value with a comma needs quotes)"
        )
    problem = _control_character(row)
    if problem:
        raise ValueError(problem)
    email = str(row.get("email") or "").strip().lower()
    if not _EMAIL.match(email):
        raise ValueError(f"email is missing or not an email address (got {email!r})")
    name = _row_name(row)
    if not name:
        raise ValueError("name is missing")
    manager = str(row.get("manager_email") or "").strip().lower() or None
    if manager and "@" not in manager:
        raise ValueError(f"manager_email is not an email address (got {manager!r})")
    return DirectoryPerson(
        external_id=str(row.get("id") or "").strip() or email,
        email=email,
        display_name=name,
        given_name=(str(row.get("given_name") or "").strip() or None),
        family_name=(str(row.get("family_name") or "").strip() or None),
        job_title=(str(row.get("job_title") or "").strip() or None),
        roles=_check_roles(_split(_cell(row.get("roles"))), allowed_roles),
        groups=_split(_cell(row.get("groups"))),
        manager_email=manager,
        manager_external_id=manager,
        start_date=_parse_date(_cell(row.get("start_date")), "start_date"),
        active=_parse_bool(_cell(row.get("active")), "active"),
        school=(str(row.get("school") or "").strip() or None),
        has_account=_parse_bool(_cell(row.get("has_account")), "has_account"),
    )


def _cell(value: Any) -> str | None:
    """Normalise a CSV or YAML cell (YAML may give lists, dates, booleans) to text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


@dataclass
class FileDirectory:
    """Directory read from a CSV or YAML file; always a complete listing.

    Bad rows are reported in ``rejected`` with their line number and field, and who they seem to
    be in ``rejected_records`` (so the bot leaves that person as they were); good rows still
    count. An optional ``id`` column is the person's directory id: with it, a changed email is
    the same person. With ``allowed_roles``, a row naming any other role is rejected.
    """

    path: Path
    allowed_roles: frozenset[str] | None = None

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """Read the whole file (there is no delta for a file)."""
        if not self.path.exists():
            raise PermanentError(f"{self.path}: directory file not found")
        if self.path.suffix.lower() in {".yaml", ".yml"}:
            rows = self._yaml_rows()
        else:
            rows = self._csv_rows()
        people: list[DirectoryPerson] = []
        rejected: list[str] = []
        records: list[RejectedRecord] = []
        seen: dict[str, int] = {}
        for line, row in rows:
            try:
                person = _row_to_person(row, self.allowed_roles)
            except ValueError as exc:
                rejected.append(f"{self.path.name} line {line}: {exc}")
                records.append(_row_identity(row))
                continue
            duplicate = seen.get(person.email) or seen.get(f"id:{person.external_id}")
            if duplicate is not None:
                what = (
                    f"email {person.email}" if person.email in seen
                    else f"id {person.external_id}"
                )
                rejected.append(
                    f"{self.path.name} line {line}: {what} already on line {duplicate}"
                )
                records.append(_row_identity(row))
                continue
            seen[person.email] = line
            seen[f"id:{person.external_id}"] = line
            people.append(person)
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]
        return DirectoryChanges(
            people=people,
            complete=True,
            cursor=digest,
            rejected=rejected,
            rejected_records=records,
        )

    def _csv_rows(self) -> Iterable[tuple[int, Mapping[str, Any]]]:
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PermanentError(f"{self.path}: not UTF-8 text ({exc.reason})") from exc
        reader = csv.DictReader(text.splitlines())
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if "email" not in header or not ({"name", "given_name"} & set(header)):
            raise PermanentError(
                f"{self.path} line 1: header must include 'email' and 'name' "
                f"(found: {', '.join(header) or 'nothing'})"
            )
        reader.fieldnames = header
        for row in reader:
            if None in row:  # more cells than columns: keep who it is, reject the row
                cells = {k: v for k, v in row.items() if k is not None}
                yield reader.line_num, {**cells, "_extra": row[None]}
                continue
            if not any((v or "").strip() for v in row.values()):
                continue
            yield reader.line_num, row

    def _yaml_rows(self) -> Iterable[tuple[int, Mapping[str, Any]]]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PermanentError(f"{self.path}: not valid YAML ({exc})") from exc
        people = data.get("people") if isinstance(data, dict) else data
        if not isinstance(people, list):
            raise PermanentError(f"{self.path}: expected a list under 'people'")
        for index, row in enumerate(people, start=1):
            yield index, row if isinstance(row, dict) else {}


# --------------------------------------------------------------------------- mail


def _safe_name(key: str) -> str:
    """A file name for an outbox key that reveals nothing about its content."""
    return hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass
class EmlMailer:
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
class SmtpMailer:
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
                result = self._hand_over(client, mime, (*message.to, *message.cc))
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

    def _hand_over(
        self, client: smtplib.SMTP, mime: Any, recipients: tuple[str, ...]
    ) -> SendResult:
        """One message over an open session, flattened once (``send_message`` would copy and
        flatten it again); an internationalised address needs ``send_message``'s SMTPUTF8."""
        try:
            if all(address.isascii() for address in (self.sender, *recipients)):
                refused = client.sendmail(self.sender, list(recipients), mime_bytes(mime))
            else:
                refused = client.send_message(mime)
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
            raise PermanentError(
                f"SMTP refused every recipient ({len(exc.recipients)})"
            ) from exc
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
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                      context=self._tls)
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
        import httpx  # only a school with a webhook pays for importing it

        payload = card.chat_payload if self.flavour == "chat" else card.teams_payload
        try:
            with httpx.Client(transport=self.transport, timeout=self.timeout) as client:
                response = client.post(self.url, json=dict(payload))
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RetryableError(f"webhook unreachable: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryUnknownError(f"webhook response lost: {type(exc).__name__}") from exc
        return _webhook_result(response)


def _webhook_result(response: httpx.Response) -> SendResult:
    """Map a webhook's HTTP answer onto the outbox's outcomes."""
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429:
        raise RetryableError("webhook throttled (429)", retry_after=retry_after)
    if status >= 500:
        raise DeliveryUnknownError(f"webhook answered {status}", retry_after=retry_after)
    if status in (401, 403, 404):  # the URL or its secret is wrong: every card would fail
        raise SetupError(
            f"cards paused: webhook refused us: HTTP {status} (check "
            "COMPLIANCE_BOT_LOCAL__WEBHOOK_URL)"
        )
    if status >= 400:
        raise PermanentError(f"webhook refused the card: HTTP {status}")
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
                for name in fields:
                    if name not in columns:
                        columns.append(name)
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
            where = f"{self.path.name} line {number}"
            try:
                raw = json.loads(line)
                response_id = str(raw["id"])
            except (ValueError, KeyError, TypeError):
                bad.append(UnreadableResponse(f"line {number}", where, "it has no 'id'"))
                continue
            where += f" (response {response_id})"
            try:
                submitted = datetime.fromisoformat(raw["submitted_at"])
            except (ValueError, KeyError, TypeError):
                bad.append(UnreadableResponse(
                    response_id, where, "its submitted_at is missing or not an ISO 8601 time"
                ))
                continue
            try:
                answers = {str(k): str(v) for k, v in dict(raw["answers"]).items()}
            except (ValueError, KeyError, TypeError):
                bad.append(UnreadableResponse(
                    response_id, where, "its answers are missing or not question: answer pairs"
                ))
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
