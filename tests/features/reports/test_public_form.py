"""The site's own "Report a concern" needs no account: the single school's public form, a
choice when there are several, the same rate limit and anonymous option as the public link."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from sqlalchemy import event, select

from bot.core.models import AuditEvent, Report
from bot.features.reports import web_intake
from bot.features.reports.intake import Intake, received_before
from tests.features.reports.test_support import REF, Env, csrf_of, make_env
from tests.support.helpers import SchoolBuilder


def test_home_page_report_button_opens_the_public_form(school: SchoolBuilder) -> None:
    env = make_env(school)
    client = env.client()
    home = client.get("/").text
    assert 'href="/report"' in home and "without an account" in home
    form = client.get("/report")
    assert form.status_code == 200
    assert "Oak Test School" in form.text
    assert 'action="/report/oak"' in form.text
    assert 'name="reporter_name"' in form.text  # a visitor is asked who they are
    response = env.submit(client, "/report/oak")
    assert response.status_code == 200 and "Report received" in response.text
    (ref,) = set(REF.findall(response.text))
    report = env.report(ref)
    assert (report.school_id, report.reporter_name) == ("oak", "Pat Parent")
    with env.context.store.session() as session:
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "report.created")
        ).all()
    assert actors == ["public-link"]


def test_anonymous_option_is_the_schools_as_today(school: SchoolBuilder) -> None:
    env = make_env(school)
    client = env.client()
    response = env.submit(client, "/report/oak", anonymous="yes", reporter_name=None)
    assert response.status_code == 200
    (ref,) = set(REF.findall(response.text))
    assert env.report(ref).reporter_name is None

    strict = make_env(SchoolBuilder(school.home.parent / "strict"), allow_anonymous=False)
    refused = strict.submit(strict.client(), "/report/oak", anonymous="yes", reporter_name=None)
    assert refused.status_code == 422 and "name" in refused.text.lower()
    with strict.context.store.session() as session:
        assert session.scalars(select(Report)).all() == []


def test_the_open_form_and_the_public_link_share_one_rate_limit(school: SchoolBuilder) -> None:
    env = make_env(school)
    client = env.client()
    for path in ("/report/oak", env.public_path) * 2 + ("/report/oak",):
        assert env.submit(client, path).status_code == 200
    refused = env.submit(client, "/report/oak")
    assert refused.status_code == 429 and "10 minutes" in refused.text
    assert env.submit(client, env.public_path).status_code == 429
    with env.context.store.session() as session:
        assert len(session.scalars(select(Report)).all()) == 5


def _three_schools(builder: SchoolBuilder) -> Env:
    """Oak and Elm take public reports; Ash has switched its public form off."""
    env = make_env(builder)
    data = yaml.safe_load((builder.home / "school.yaml").read_text(encoding="utf-8"))
    for school_id, name, public in (("elm", "Elm Academy", True), ("ash", "Ash Infants", False)):
        data["schools"].append(
            {
                "id": school_id,
                "name": name,
                "headteacher": "head@oak.example",
                "dsl": ["dsl@oak.example"],
                "reports": {"public_link": public},
            }
        )
    (builder.home / "school.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    env.context.forget_config()
    return env


def test_several_schools_offer_a_choice(school: SchoolBuilder) -> None:
    env = _three_schools(school)
    client = env.client()
    chooser = client.get("/report")
    assert chooser.status_code == 200
    assert 'href="/report/oak"' in chooser.text and 'href="/report/elm"' in chooser.text
    assert "Oak Test School" in chooser.text and "Elm Academy" in chooser.text
    assert "Ash Infants" not in chooser.text and "/report/ash" not in chooser.text
    elm = client.get("/report/elm")
    assert elm.status_code == 200 and "Elm Academy" in elm.text
    assert 'action="/report/elm"' in elm.text
    closed = client.get("/report/ash")
    assert closed.status_code == 404 and "sign in" in closed.text
    token = csrf_of(elm.text)
    posted = client.post("/report/ash", data={"csrf_token": token, "category": "other"})
    assert posted.status_code == 404


def test_a_signed_in_person_still_reports_as_themselves(school: SchoolBuilder) -> None:
    env = make_env(school)
    staff = env.client("staff")
    page = staff.get("/report").text
    assert 'action="/report"' in page
    response = env.submit(staff, "/report", reporter_name=None)
    (ref,) = set(REF.findall(response.text))
    assert env.report(ref).reporter_email == "amy@oak.example"


def test_no_public_form_anywhere_asks_to_sign_in(school: SchoolBuilder) -> None:
    env = make_env(school, public_link=False)
    response = env.client().get("/report")
    assert response.status_code == 401 and "sign in" in response.text.lower()
    assert env.client().get("/report/oak").status_code == 404


def test_showing_the_public_form_again_asks_the_database_nothing(
    school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form is what a reporter waits for when many report at once: once a web process has
    shown it, showing it again reads neither the configuration's stamp (shared for a moment)
    nor the team's names (read once a minute) from the database."""
    import bot.core.config.store as config_store

    monkeypatch.setattr(config_store, "SHARED_FOR", 3600.0)  # a slow machine: still "a moment"
    env = make_env(school)
    client = env.client()
    assert client.get(env.public_path).status_code == 200
    statements: list[str] = []
    engine = env.context.store.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        again = client.get(env.public_path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert again.status_code == 200 and "Dee Lead" in again.text
    assert statements == []


ONCE = re.compile(r'name="once" value="([^"]+)"')


def test_the_same_form_sent_twice_is_one_report(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click, or Refresh and send again, files one report: the second post answers
    with the first one's reference, alerts nobody again and is not counted against the limit;
    so does a second post that raced the first into the database (its key is taken)."""
    env = make_env(school, database_url)
    client = env.client()
    page = client.get("/report/oak").text
    (once,) = ONCE.findall(page)
    first = env.submit(client, "/report/oak", once=once)
    alerts = len(env.outbox())
    again = env.submit(client, "/report/oak", once=once)
    assert first.status_code == again.status_code == 200
    assert REF.findall(first.text) == REF.findall(again.text) != []
    assert len(env.outbox()) == alerts
    # both checked before either stored: the database's rule on the key answers the second
    looked: list[int] = []

    def first_look_finds_nothing(*args: Any) -> Intake | None:
        looked.append(1)
        return None if len(looked) == 1 else received_before(*args)

    monkeypatch.setattr(web_intake, "received_before", first_look_finds_nothing)
    raced = env.submit(client, "/report/oak", once=once)
    assert raced.status_code == 200 and REF.findall(raced.text) == REF.findall(first.text)
    assert len(env.outbox()) == alerts  # no "could not be saved" alert either
    # another form (a new page, or no key from an older page) is another report
    (other,) = ONCE.findall(client.get("/report/oak").text)
    assert other != once
    assert REF.findall(env.submit(client, "/report/oak", once=other).text) != REF.findall(
        first.text
    )
    assert env.submit(client, "/report/oak", once="<not a key>").status_code == 200
    with env.context.store.session() as session:
        assert len(session.scalars(select(Report)).all()) == 3
    # the refused form keeps its key, so the corrected one is still the same form
    refused = env.submit(client, "/report/oak", once=other, what_happened="")
    assert refused.status_code == 422 and ONCE.findall(refused.text) == [other]
