"""The google connector wired to ``tests.support.fakes.google.FakeGoogle``, for the contract
tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Raises ImportError without the SDK, so kits.py simply leaves the google kit out.
import googleapiclient  # noqa: F401

from bot.core.ports import Connectors
from tests.connectors.contract.kits import Kit, parse_mime
from tests.connectors.contract.population import FORM_RESPONSES, GROUPS, PEOPLE, ROLES
from tests.support.fakes.google import WEBHOOK_URL, FakeGoogle, form_response, service_account_info

DOMAIN = "oakfield.example"
ADMIN = f"it.admin@{DOMAIN}"
SENDER = f"bot@{DOMAIN}"
SPREADSHEET_ID = "1FakeSheetId"
FORM_ID = "1FakeFormId"
QUESTIONS = {"7a1c": "Category", "7a1d": "What happened"}


def group_email(name: str) -> str:
    """The population's group display name -> the group's email in the fake domain."""
    return f"{name.lower().replace(' ', '-')}@{DOMAIN}"


def seeded_fake() -> FakeGoogle:
    """A fake Workspace holding the shared contract population."""
    fake = FakeGoogle()
    by_id = {p.external_id: p for p in PEOPLE}
    fake.add_user(ADMIN, "IT Admin", admin=True)
    fake.add_user(SENDER, "Compliance Bot")
    for p in PEOPLE:
        fake.add_user(
            p.email,
            p.display_name,
            user_id=p.external_id,
            given=p.given_name,
            family=p.family_name,
            suspended=not p.active,
            manager=by_id[p.manager].email if p.manager else None,
            title=p.job_title,
        )
    for name in GROUPS:
        fake.add_group(group_email(name), name, [p.email for p in PEOPLE if name in p.groups])
    fake.add_spreadsheet(SPREADSHEET_ID, {"Reports": []})
    question_of = {title: qid for qid, title in QUESTIONS.items()}
    fake.add_form(
        FORM_ID,
        QUESTIONS,
        [
            form_response(
                r.response_id, r.submitted_at, {question_of[k]: v for k, v in r.answers.items()}
            )
            for r in reversed(FORM_RESPONSES)  # Google does not promise an order
        ],
    )
    return fake


def google_settings(tmp_path: Path, **google: Any) -> Any:
    """Settings for the google connector with a throwaway service-account key file."""
    from bot.core.deployment.platform_settings import GoogleSettings
    from bot.core.deployment.settings import Settings

    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(service_account_info()), encoding="utf-8")
    values: dict[str, Any] = {
        "service_account_file": key_file,
        "admin_subject": ADMIN,
        "sender": SENDER,
        "chat_webhook_url": WEBHOOK_URL,
        "spreadsheet_id": SPREADSHEET_ID,
        "form_id": FORM_ID,
        "role_groups": {group_email(name): ROLES[name] for name in GROUPS},
        **google,
    }
    return Settings(
        _env_file=None, home=tmp_path, connector="google", google=GoogleSettings(**values)
    )


def build_google(
    tmp_path: Path,
    fake: FakeGoogle,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    **google: Any,
) -> Connectors:
    """The real ``connectors.google.connector.build`` over ``fake`` (``clock`` and ``sleep``:
    what its quota pacer counts and waits by)."""
    from connectors.google.connector import build

    return build(
        google_settings(tmp_path, **google),
        http=fake,
        chat_transport=fake.chat_transport(),
        clock=clock,
        sleep=sleep,
    )


def google_kit(tmp_path: Path) -> Kit:
    """The google connector over FakeGoogle (Admin SDK, Gmail, Sheets, Forms, Chat webhook)."""
    fake = seeded_fake()
    connectors = build_google(tmp_path, fake)
    assert connectors.notifier is not None
    assert connectors.mirror is not None
    assert connectors.forms is not None

    def mirror_rows() -> dict[str, dict[str, str]]:
        header, *rows = fake.tab(SPREADSHEET_ID, "Reports") or [[]]
        found = {}
        for row in rows:
            cells = dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))
            found[cells["Reference"]] = cells
        return found

    return Kit(
        name="google",
        directory=connectors.directory,
        mailer=connectors.mailer,
        notifier=connectors.notifier,
        mirror=connectors.mirror,
        forms=connectors.forms,
        delivered=lambda: [parse_mime(m.raw) for m in fake.sent],
        posted=lambda: list(fake.chat_posts),
        mirror_rows=mirror_rows,
        role_of_group=group_email,
        mirror_references=lambda: sheet_references(fake),
        card="chat",
        second_fetch="everything",
        disabled="inactive",
    )


def sheet_references(fake: FakeGoogle, tab: str = "Reports") -> list[str]:
    """The Reference cell of every row of the tab, duplicates included."""
    header, *rows = fake.tab(SPREADSHEET_ID, tab) or [[]]
    if "Reference" not in header:
        return []
    key = header.index("Reference")
    return [row[key] for row in rows if len(row) > key and row[key]]
