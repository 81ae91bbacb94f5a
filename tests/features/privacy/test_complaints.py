"""Data-protection complaints: the public form needs no account and no JavaScript, is
acknowledged at once by an email carrying a reference and dates only, and is read only by the
people the school names (the DPO and the head by default); every read and refusal audited."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from bot.core.models import AuditEvent, Complaint
from bot.core.nations import NATIONS, pack_for
from bot.features.privacy import web as complaints_web
from bot.features.privacy.rules import Dates as D
from bot.features.privacy.rules import (
    ack_due,
    count_by_period,
    period_of,
    reads_like_safeguarding,
    warning_stage,
)
from bot.features.privacy.service import sent_before
from tests.features.reports.test_support import Env, csrf_of, make_env
from tests.support.helpers import SchoolBuilder

DP_REF = re.compile(r"DP-\d{4}-[A-Z0-9]{5}")
TEXT = "You emailed the school report of my son to another parent."


def _post(env: Env, client: Any, path: str = "/complaint/oak", **fields: Any) -> Any:
    token = csrf_of(client.get(path).text)
    data = {
        "csrf_token": token,
        "name": "Pat Parent",
        "email": "pat@home.example",
        "relationship": "parent",
        "text": TEXT,
        "wanted": "An apology.",
    }
    data.update({k: v for k, v in fields.items() if v is not None})
    return client.post(path, data=data, follow_redirects=False)


def _complaints(env: Env) -> list[Complaint]:
    with env.context.store.session() as session:
        return list(session.scalars(select(Complaint).order_by(Complaint.id)))


def _actions(env: Env, prefix: str) -> list[tuple[str, str]]:
    with env.context.store.session() as session:
        return [
            (e.actor, e.action)
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.startswith(prefix))
                .order_by(AuditEvent.id)
            )
        ]


def test_anonymous_person_complains_without_an_account_and_is_acknowledged_at_once(
    school: SchoolBuilder,
) -> None:
    env = make_env(school)
    client = env.client()
    page = client.get("/complaint/oak").text
    assert "<script" not in page.split("<main", 1)[-1]  # the form itself needs no script
    assert 'action="/complaint/oak"' in page and 'href="/report/oak"' in page
    response = _post(env, client)
    assert response.status_code == 200 and "Complaint received" in response.text
    (ref,) = set(DP_REF.findall(response.text))
    (stored,) = _complaints(env)
    assert stored.reference == ref and stored.acknowledged_how == "email"
    assert stored.acknowledged_at is not None and stored.ack_due_on >= stored.received_at.date()
    (ack,) = env.outbox("complaint_ack")
    assert ack.idempotency_key == f"complaint-ack:oak:{ref}"
    assert list(ack.recipients) == ["pat@home.example"]
    text, html = ack.payload["text"], ack.payload["html"]
    assert ref in text and ref in html
    for secret in (TEXT, "apology", "my son"):
        assert secret not in text and secret not in html
    (alert,) = env.outbox("complaint_alert")
    assert sorted(alert.recipients) == ["dpo@oak.example", "head@oak.example"]
    assert TEXT not in alert.payload["text"] and "Pat" not in alert.payload["text"]
    assert _actions(env, "complaint.") == [("public-form", "complaint.received")]


def test_form_errors_are_plain_and_store_nothing(school: SchoolBuilder) -> None:
    env = make_env(school)
    client = env.client()
    response = _post(env, client, email="not-an-address", text="")
    assert response.status_code == 422
    assert "Enter an email address" in response.text and "what your complaint" in response.text
    assert _complaints(env) == []


def test_only_the_dpo_and_the_head_read_complaints_and_every_read_is_audited(
    school: SchoolBuilder,
) -> None:
    env = make_env(school)
    (ref,) = set(DP_REF.findall(_post(env, env.client()).text))
    for reader in ("dpo@oak.example", "head"):
        client = env.client(reader)
        listing = client.get("/complaints")
        assert listing.status_code == 200 and ref in listing.text and TEXT not in listing.text
        detail = client.get(f"/complaints/{ref}")
        assert detail.status_code == 200 and TEXT in detail.text
    for other in ("staff", "dsl", "deputy", "governor", "chair", "admin"):
        client = env.client(other)
        for path in ("/complaints", f"/complaints/{ref}", "/complaints/counts"):
            refused = client.get(path)
            assert refused.status_code == 403, (other, path)
            assert TEXT not in refused.text and ref not in refused.text
            assert "data protection officer" in refused.text
    anonymous = env.client().get(f"/complaints/{ref}")
    assert anonymous.status_code == 401 and TEXT not in anonymous.text
    actions = _actions(env, "complaint.")
    assert actions.count(("dpo@oak.example", "complaint.read")) == 1
    assert actions.count(("head@oak.example", "complaint.read")) == 1
    assert ("dpo@oak.example", "complaint.list_read") in actions
    assert ("amy@oak.example", "complaint.read_refused") in actions
    assert sum(1 for _, a in actions if a == "complaint.read_refused") == 18
    missing = env.client("head").get("/complaints/DP-2026-ZZZZZ")
    assert missing.status_code == 404


def test_readers_follow_the_school_file(school: SchoolBuilder) -> None:
    env = make_env(school)
    data = yaml.safe_load((school.home / "school.yaml").read_text(encoding="utf-8"))
    data["schools"][0]["complaints"] = {"readers": ["dpo"]}
    (school.home / "school.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    env.context.forget_config()
    (ref,) = set(DP_REF.findall(_post(env, env.client()).text))
    assert env.client("dpo@oak.example").get(f"/complaints/{ref}").status_code == 200
    assert env.client("head").get(f"/complaints/{ref}").status_code == 403


def test_what_reads_like_a_safeguarding_concern_points_to_the_concern_form_first(
    school: SchoolBuilder,
) -> None:
    env = make_env(school)
    client = env.client()
    worried = "A teacher hurt my daughter and shared her details."
    first = _post(env, client, text=worried)
    assert first.status_code == 200 and "may be about a child's safety" in first.text
    assert 'href="/report/oak"' in first.text and _complaints(env) == []
    sent = _post(env, client, text=worried, confirm="complaint")
    assert "Complaint received" in sent.text
    (stored,) = _complaints(env)
    assert stored.safeguarding_confirmed
    detail = env.client("head").get(f"/complaints/{stored.reference}").text
    assert "might be a safeguarding concern" in detail
    assert "designated safeguarding lead" in detail.lower()


def test_the_public_form_shares_the_report_forms_rate_limit_rule(school: SchoolBuilder) -> None:
    env = make_env(school)
    client = env.client()
    for _ in range(5):
        assert _post(env, client).status_code == 200
    refused = _post(env, client)
    assert refused.status_code == 429 and "10 minutes" in refused.text
    assert len(_complaints(env)) == 5


def test_staff_record_a_letter_they_cannot_read_back_and_the_outcome_reaches_the_complainant(
    school: SchoolBuilder,
) -> None:
    env = make_env(school)
    amy = env.client("staff")
    sent = _post(
        env, amy, "/complaints/new", email="", channel="letter", received=date.today().isoformat()
    )
    assert sent.status_code == 200, sent.text
    (ref,) = set(DP_REF.findall(sent.text))
    (stored,) = _complaints(env)
    assert stored.channel == "letter" and stored.acknowledged_at is None
    assert env.outbox("complaint_ack") == []
    assert amy.get(f"/complaints/{ref}").status_code == 403
    head = env.client("head")
    token = csrf_of(head.get(f"/complaints/{ref}").text)
    done = head.post(
        f"/complaints/{ref}",
        data={"csrf_token": token, "action": "acknowledge", "how": "letter"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    again = head.post(
        f"/complaints/{ref}",
        data={"csrf_token": token, "action": "acknowledge", "how": "letter"},
        follow_redirects=False,
    )
    assert again.status_code == 422 and "was acknowledged" in again.text


def test_the_outcome_is_emailed_once_and_never_overwritten(school: SchoolBuilder) -> None:
    env = make_env(school)
    (ref,) = set(DP_REF.findall(_post(env, env.client()).text))
    dpo = env.client("dpo@oak.example")
    token = csrf_of(dpo.get(f"/complaints/{ref}").text)
    for status in (303, 422):
        answer = dpo.post(
            f"/complaints/{ref}",
            data={"csrf_token": token, "action": "outcome", "outcome": "We have apologised."},
            follow_redirects=False,
        )
        assert answer.status_code == status
    (outcome,) = env.outbox("complaint_outcome")
    assert list(outcome.recipients) == ["pat@home.example"]
    assert "We have apologised." in outcome.payload["text"] and TEXT not in outcome.payload["text"]
    assert ("dpo@oak.example", "complaint.outcome_recorded") in _actions(env, "complaint.")


def test_privacy_notice_and_report_form_link_to_the_complaint_form(school: SchoolBuilder) -> None:
    env = make_env(school)
    client = env.client()
    assert 'href="/complaint/oak"' in client.get("/privacy").text
    assert 'href="/complaint/oak"' in client.get("/report/oak").text


def test_counts_per_period_page_csv_and_command(school: SchoolBuilder) -> None:
    env = make_env(school)
    _post(env, env.client())
    head = env.client("head")
    page = head.get("/complaints/counts?period=month")
    assert page.status_code == 200 and "Acknowledged within 30 days" in page.text
    csv_text = head.get("/complaints/counts?period=year&csv_file=1").text
    year = str(_complaints(env)[0].received_at.year)
    assert csv_text.splitlines()[1].startswith(f"{year},1,1,0,0,0,0,1,")
    from bot.cli.main import app

    result = CliRunner().invoke(
        app,
        ["complaints", "counts", "--period", "year", "--csv"],
        env={"COMPLIANCE_BOT_HOME": str(school.home)},
    )
    assert result.exit_code == 0, result.output
    assert f"Oak Test School,{year},1,1," in result.output


def test_the_dashboard_shows_counts_and_never_content(school: SchoolBuilder) -> None:
    env = make_env(school)
    _post(env, env.client())
    page = env.client("dsl").get("/dashboard").text
    assert 'id="complaints"' in page and TEXT not in page
    assert "read by the data protection officer and the headteacher" in page


# --------------------------------------------------------------------------- the pure rules


def test_thirty_days_count_the_day_of_receipt() -> None:
    assert ack_due(date(2026, 12, 18)) == date(2027, 1, 16)


def test_a_warning_due_in_the_holidays_goes_on_the_last_school_day_before_them(
    school: SchoolBuilder,
) -> None:
    env = make_env(school)
    cal = env.school.model_copy(update={"holidays": [date(2026, 12, d) for d in range(21, 32)]})
    received = date(2026, 11, 20)
    due = ack_due(received)  # 19 December 2026, a Saturday
    stage = warning_stage(received, due, date(2026, 12, 18), cal, [10, 3, 1])
    assert stage == ("d1", date(2026, 12, 18))
    assert warning_stage(received, due, date(2026, 12, 20), cal, [10, 3, 1]) == (
        "overdue",
        date(2026, 12, 20),
    )
    assert warning_stage(received, due, date(2026, 12, 8), cal, [10, 3, 1]) is None


def test_counts_group_by_the_period_of_receipt() -> None:
    rows = [
        D(date(2026, 7, 1), date(2026, 7, 30), date(2026, 7, 1), date(2026, 7, 31), None),
        D(
            date(2026, 9, 30),
            date(2026, 10, 29),
            date(2026, 11, 2),
            date(2026, 10, 30),
            date(2026, 10, 10),
        ),
    ]
    quarters = count_by_period(rows, "quarter")
    assert [c.period for c in quarters] == ["2026 Q3"]
    (q,) = quarters
    assert (q.received, q.acknowledged_in_time, q.acknowledged_late, q.outcomes, q.open) == (
        2,
        1,
        1,
        1,
        1,
    )
    assert period_of(date(2026, 12, 31), "month") == "2026-12"


@pytest.mark.parametrize(
    "text,concern",
    [
        ("A stranger was grooming pupils online", True),
        ("My child is being bullied", True),
        ("You sent my address to the wrong parent", False),
        ("Harmless", False),
    ],
)
def test_safeguarding_words_are_spotted(text: str, concern: bool) -> None:
    assert reads_like_safeguarding(text) is concern


@pytest.mark.parametrize("country", NATIONS)
def test_the_form_cites_its_own_complaint_law_or_says_the_period_is_the_schools_target(
    school: SchoolBuilder, country: str
) -> None:
    """The form's "The law:" line links the jurisdiction's law on complaints, never the
    regulator's breach pages; where no law sets a period (the islands), it says the 30 days
    are the school's own target, and so does the readers' email."""
    from bot.web.app import create_app
    from tests.features.reports.test_support import configure, sync_people

    configure(school)
    school.school["country"] = country
    context = school.context(None, demo=True, base_url="http://testserver")
    sync_people(context)
    env = Env(context=context, app=create_app(context.settings, context), builder=school)
    try:
        pack = pack_for(country)
        line = env.client().get("/complaint/oak").text.split("The law:", 1)[1].split("</p>")[0]
        assert [s.url for s in pack.complaints.law] == re.findall(r'href="([^"]+)"', line)[:-1]
        breach = {
            s.url for k, s in pack.sources.items() if k in ("regulator", "data_protection_law")
        }
        assert not breach & set(re.findall(r'href="([^"]+)"', line))
        own = "the school's own target is 30 days" in line
        assert own is (pack.complaints.acknowledge_days is None) is (not pack.uk)
        _post(env, env.client())
        (alert,) = env.outbox("complaint_alert")
        assert ("The law asks the school" in alert.payload["text"]) is pack.uk
    finally:
        env.context.store.dispose()


ONCE = re.compile(r'name="once" value="([^"]+)"')


def test_the_same_complaint_form_sent_twice_is_one_complaint(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click, or Refresh and send again, files one complaint: the second post answers
    with the first one's reference, queues nothing and is not counted against the limit; so
    does a post that raced the first into the database (its key is taken, which is no
    reference clash to retry)."""
    env = make_env(school, database_url)
    client = env.client()
    (once,) = ONCE.findall(client.get("/complaint/oak").text)
    first = _post(env, client, once=once)
    (ref,) = set(DP_REF.findall(first.text))
    queued = len(env.outbox())
    for _ in range(5):  # more than the limit of 5: a repeat takes no turn
        again = _post(env, client, once=once)
        assert again.status_code == 200 and set(DP_REF.findall(again.text)) == {ref}
        assert "We have emailed you an acknowledgement" in again.text
    assert len(env.outbox()) == queued
    # both checked before either stored: the database's rule on the key answers the second
    looked: list[int] = []

    def first_look_finds_nothing(*args: Any) -> Complaint | None:
        looked.append(1)
        return None if len(looked) == 1 else sent_before(*args)

    monkeypatch.setattr(complaints_web, "sent_before", first_look_finds_nothing)
    raced = _post(env, client, once=once)
    assert raced.status_code == 200 and set(DP_REF.findall(raced.text)) == {ref}
    assert len(env.outbox()) == queued
    monkeypatch.undo()
    # another form (a new page, or a key no page of ours made) is another complaint
    (other,) = ONCE.findall(client.get("/complaint/oak").text)
    assert other != once
    assert set(DP_REF.findall(_post(env, client, once=other).text)) - {ref}
    assert _post(env, client, once="<not a key>").status_code == 200
    assert len(_complaints(env)) == 3
    # a refused form, or one stopped to ask about safeguarding, keeps its key
    (third,) = ONCE.findall(client.get("/complaint/oak").text)
    refused = _post(env, client, once=third, text="")
    assert refused.status_code == 422 and ONCE.findall(refused.text) == [third]
    asked = _post(env, client, once=third, text="A teacher hurt my daughter.")
    assert "may be about a child" in asked.text and ONCE.findall(asked.text) == [third]
