"""Connector kits for the contract tests: the real connector wired to a faithful fake platform.

A kit exposes the five protocol objects plus read-back helpers that look at what the *fake
platform* received (never at the connector's own state). Each connector registers one factory in
``KIT_FACTORIES``; platform kits import their SDK lazily and skip when it is not installed.
"""

from __future__ import annotations

import csv
import email
import email.policy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.core.ports import Directory, FormSource, ListMirror, Mailer, Notifier
from tests.connectors.contract.population import FORM_RESPONSES, PEOPLE


@dataclass(frozen=True)
class Delivered:
    """An email as the platform received it, normalised."""

    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    text: str
    html: str
    attachments: dict[str, bytes]


@dataclass
class Kit:
    """One connector under test plus read-back helpers on its fake platform."""

    name: str
    directory: Directory
    mailer: Mailer
    notifier: Notifier
    mirror: ListMirror
    forms: FormSource
    delivered: Callable[[], list[Delivered]]
    posted: Callable[[], list[dict[str, Any]]]
    mirror_rows: Callable[[], dict[str, dict[str, str]]]
    role_of_group: Callable[[str], str]
    # every reference as often as the platform holds it (mirror_rows folds duplicates)
    mirror_references: Callable[[], list[str]]
    # Pinned platform behaviour, so the contract asserts exactly what each platform does:
    card: Literal["teams", "chat"] = "teams"  # which of a card's two payloads the channel gets
    # a fetch from a cursor: "changes" (a delta: nothing when nothing changed) or "everything"
    second_fetch: Literal["changes", "everything"] = "everything"
    disabled: Literal["inactive", "absent"] = "inactive"  # how a disabled account is listed


def parse_mime(data: bytes) -> Delivered:
    """Normalise an RFC 5322 message (what SMTP, .eml and Gmail carry)."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    attachments = {
        part.get_filename() or "": part.get_payload(decode=True)
        for part in message.iter_attachments()
    }

    def addresses(header: str) -> tuple[str, ...]:
        value = message.get(header)
        return tuple(a.addr_spec for a in value.addresses) if value else ()

    return Delivered(
        to=addresses("To"),
        cc=addresses("Cc"),
        subject=str(message["Subject"]),
        text=text_part.get_content() if text_part else "",
        html=html_part.get_content() if html_part else "",
        attachments={k: bytes(v) for k, v in attachments.items()},
    )


def local_kit(tmp_path: Path) -> Kit:
    """The local connector over real files."""
    from connectors.local.connector import (
        CsvListMirror,
        EmlMailer,
        FileDirectory,
        FileNotifier,
        LocalFormSource,
    )

    directory_file = tmp_path / "directory.csv"
    by_id = {p.external_id: p for p in PEOPLE}
    with directory_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "email",
                "name",
                "given_name",
                "family_name",
                "job_title",
                "groups",
                "manager_email",
                "active",
            ]
        )
        for p in PEOPLE:
            manager = by_id[p.manager].email if p.manager else ""
            writer.writerow(
                [
                    p.email,
                    p.display_name,
                    p.given_name,
                    p.family_name,
                    p.job_title or "",
                    ";".join(p.groups),
                    manager,
                    "yes" if p.active else "no",
                ]
            )
    forms_file = tmp_path / "forms.jsonl"
    forms_file.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": r.response_id,
                    "submitted_at": r.submitted_at.isoformat(),
                    "answers": r.answers,
                }
            )
            for r in FORM_RESPONSES
        ),
        encoding="utf-8",
    )
    outbox = tmp_path / "outbox"
    channel = tmp_path / "channel.jsonl"
    mirror_file = tmp_path / "mirror.csv"

    def delivered() -> list[Delivered]:
        return [parse_mime(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]

    def posted() -> list[dict[str, Any]]:
        if not channel.exists():
            return []
        return [json.loads(line)["teams"] for line in channel.read_text().splitlines()]

    def mirror_rows() -> dict[str, dict[str, str]]:
        return {row["reference"]: row for row in _csv_rows(mirror_file)}

    return Kit(
        name="local",
        directory=FileDirectory(directory_file),
        mailer=EmlMailer(outbox, "bot@oakfield.example"),
        notifier=FileNotifier(channel),
        mirror=CsvListMirror(mirror_file),
        forms=LocalFormSource(forms_file),
        delivered=delivered,
        posted=posted,
        mirror_rows=mirror_rows,
        role_of_group=lambda group: group,
        mirror_references=lambda: [row["reference"] for row in _csv_rows(mirror_file)],
        card="teams",
        second_fetch="everything",
        disabled="inactive",
    )


def _csv_rows(path: Path) -> list[dict[str, str]]:
    """Every row of a CSV file (none when it does not exist)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# name -> factory(tmp_path) ; platform helpers add "m365" and "google" here.
KIT_FACTORIES: dict[str, Callable[[Path], Kit]] = {"local": local_kit}

try:  # the platform kits live beside their fakes and skip when their SDK is absent
    from tests.connectors.contract.kit_m365 import m365_kit

    KIT_FACTORIES["m365"] = m365_kit
except ImportError:  # pragma: no cover - until the m365 kit exists
    pass
try:
    from tests.connectors.contract.kit_google import google_kit

    KIT_FACTORIES["google"] = google_kit
except ImportError:  # pragma: no cover - until the google kit exists
    pass
