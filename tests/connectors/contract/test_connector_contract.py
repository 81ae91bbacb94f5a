"""One contract, every connector: local (files), m365 (fake Graph), google (fake Google APIs)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.ports import Attachment, CardMessage, OutgoingEmail
from tests.connectors.contract.kits import KIT_FACTORIES, Kit
from tests.connectors.contract.population import FORM_RESPONSES, PEOPLE


@pytest.fixture(params=sorted(KIT_FACTORIES))
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Kit:
    return KIT_FACTORIES[request.param](tmp_path)


def test_directory_lists_everyone_with_groups(kit: Kit) -> None:
    changes = kit.directory.fetch(None)
    assert changes.complete
    by_email = {p.email: p for p in changes.people}
    for member in PEOPLE:
        if not member.active:
            if kit.disabled == "absent":
                assert member.email not in by_email
            else:
                assert not by_email[member.email].active
            continue
        person = by_email[member.email]
        assert person.active
        assert person.display_name == member.display_name
        assert {kit.role_of_group(g) for g in member.groups} <= set(person.groups) | set(
            person.roles
        )
    teacher = by_email["ben.teacher@oakfield.example"]
    assert teacher.manager_email == "ada.head@oakfield.example" or teacher.manager_external_id


def test_directory_second_fetch_reports_no_change(kit: Kit) -> None:
    first = kit.directory.fetch(None)
    second = kit.directory.fetch(first.cursor)
    if kit.second_fetch == "everything":
        assert second.complete
        assert [(p.email, p.active) for p in second.people] == [
            (p.email, p.active) for p in first.people
        ]
    else:  # a delta round with no change: nothing changed, nobody removed, nothing relisted
        assert not second.complete
        assert list(second.people) == [] and list(second.removed) == []
        assert second.cursor is not None


def test_mail_arrives_with_text_html_and_attachment(kit: Kit) -> None:
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    kit.mailer.send(
        OutgoingEmail(
            idempotency_key="contract:1",
            to=("ben.teacher@oakfield.example",),
            cc=("ada.head@oakfield.example",),
            subject="Please acknowledge: Online Safety Policy",
            text="Plain words",
            html="<p>Rich words</p>",
            attachments=(Attachment("review.ics", "text/calendar", ics),),
        )
    )
    [mail] = kit.delivered()
    assert mail.to == ("ben.teacher@oakfield.example",)
    assert mail.cc == ("ada.head@oakfield.example",)
    assert mail.subject == "Please acknowledge: Online Safety Policy"
    assert "Plain words" in mail.text
    assert "<p>Rich words</p>" in mail.html
    assert mail.attachments["review.ics"] == ics


def test_card_is_posted_as_sent(kit: Kit) -> None:
    payload = {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {"type": "AdaptiveCard", "version": "1.5", "body": []},
            }
        ],
    }
    chat = {"text": "Weekly digest", "cardsV2": []}
    kit.notifier.post(CardMessage("digest:2026-W48", "Weekly digest", "text", payload, chat))
    [posted] = kit.posted()
    assert posted == (payload if kit.card == "teams" else chat)


def test_mirror_upsert_is_by_reference(kit: Kit) -> None:
    kit.mirror.upsert("CR-2026-0001", {"Category": "Other", "Status": "new"})
    kit.mirror.upsert("CR-2026-0002", {"Category": "Cyberbullying", "Status": "new"})
    kit.mirror.upsert("CR-2026-0001", {"Category": "Other", "Status": "closed"})
    rows = kit.mirror_rows()
    assert set(rows) == {"CR-2026-0001", "CR-2026-0002"}
    assert rows["CR-2026-0001"]["Status"] == "closed"


def test_mirror_rows_read_back_what_the_platform_holds(kit: Kit) -> None:
    assert kit.mirror.rows() == {}  # no list yet: nothing held (and nothing created)
    kit.mirror.upsert("CR-2026-0001", {"category": "Other", "created": "2026-11-03"})
    kit.mirror.upsert("CR-2026-0002", {"category": "Cyberbullying", "created": "2026-11-04"})
    held = {
        ref: {k.casefold(): v for k, v in cells.items() if k.casefold() in ("category", "created")}
        for ref, cells in kit.mirror.rows().items()
    }
    assert held == {
        "CR-2026-0001": {"category": "Other", "created": "2026-11-03"},
        "CR-2026-0002": {"category": "Cyberbullying", "created": "2026-11-04"},
    }


def test_mirror_upserts_from_many_threads_keep_every_row_once(kit: Kit) -> None:
    """Web workers share one mirror: concurrent upserts lose no row and make no duplicate."""
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for number in range(6):
                kit.mirror.upsert(f"CR-2026-{worker}{number:03d}", {"Status": "New"})
                kit.mirror.upsert("CR-2026-9999", {"Status": f"seen by {worker}"})
        except BaseException as exc:  # reported below, in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    wanted = {f"CR-2026-{w}{n:03d}" for w in range(1, 7) for n in range(6)} | {"CR-2026-9999"}
    references = kit.mirror_references()
    assert sorted(references) == sorted(wanted)  # every row, each exactly once


def test_form_responses_since(kit: Kit) -> None:
    everything = kit.forms.responses(None)
    assert [r.response_id for r in everything] == [r.response_id for r in FORM_RESPONSES]
    later = kit.forms.responses(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    assert [r.response_id for r in later] == ["r-2"]
    assert later[0].answers["Category"] == "Other"
