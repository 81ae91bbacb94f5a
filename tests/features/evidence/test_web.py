"""The evidence pack's button on the web: the headteacher and the DSL team download a signed
zip (a POST with the form's token, audited); a teacher or governor gets 403, a post without the
token 403, someone signed out 401. The pack counts only the reports its maker may read, and
holds nothing of what any report says or who made it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import AuditEvent
from bot.core.rendering.signed import format_fingerprint
from bot.features.evidence.pack import key_fingerprint
from tests.conftest import isolated
from tests.features.reports.test_support import Env, csrf_of, make_env, submission
from tests.support.helpers import SchoolBuilder

NOW = datetime(2026, 10, 19, 9, 0, tzinfo=UTC)
SECRET_TEXT = "Perpetua Windlesham filmed it behind the Quarrendon pavilion"
SECRET_REPORTER = "Rowan Ashgrove-Teale"
SECRET_CHILD = "Isadora Penhallow"
SECRETS = (
    SECRET_TEXT,
    "Windlesham",
    "Quarrendon",
    SECRET_REPORTER,
    "Ashgrove",
    SECRET_CHILD,
    "Penhallow",
    "rowan@home.example",
)


def _web(school: SchoolBuilder, database_url: str) -> Iterator[Env]:
    """The reports test school on each database, with a report that must never be shown and
    a report about the headteacher."""
    env = make_env(school, database_url)
    env.store_report(
        submission(
            category="social_media",
            involved=(("pupil", SECRET_CHILD),),
            what_happened=SECRET_TEXT,
            location="Quarrendon pavilion",
            reporter_name=SECRET_REPORTER,
            reporter_email="rowan@home.example",
        ),
        NOW,
    )
    env.store_report(submission(category="staff_concern", about_headteacher=True), NOW)
    yield env
    env.context.store.dispose()


@pytest.fixture
def web(school: SchoolBuilder, database_url: str) -> Iterator[Env]:
    """The school (``_web``), for a test that makes a pack: its audit entry is counted."""
    yield from _web(school, database_url)


@pytest.fixture(name="no_pack", scope="module")
def no_pack_fixture(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[Env]:
    """The school (``_web``) once per backend, for the tests in which no pack is made: they
    are refused or only look (and the signed-out test checks that no pack was made at all)."""
    folder = tmp_path_factory.mktemp("evidence")
    with isolated(folder):
        yield from _web(SchoolBuilder(folder / "school"), module_database_url)


def _post(env: Env, who: str, *, token: bool = True) -> httpx.Response:
    client = env.client(who)
    page = client.get("/evidence")
    data = {"csrf_token": csrf_of(page.text)} if token and page.status_code == 200 else {}
    if token and not data:  # someone the page refuses: post with their session's own token
        data = {"csrf_token": csrf_of(client.get("/report/oak").text)}
    return client.post("/evidence/pack", data=data)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _counted(members: dict[str, bytes]) -> int:
    rows = members["concerns-by-category-and-outcome.csv"].decode("utf-8-sig").splitlines()[1:]
    return sum(int(row.rsplit(",", 1)[1]) for row in rows)


@pytest.mark.parametrize("who", ["head", "dsl", "deputy"])
def test_head_and_dsl_team_download_a_pack_that_verifies(
    web: Env, who: str, tmp_path: Path
) -> None:
    response = _post(web, who)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="evidence-oak-2')
    data = response.content
    path = tmp_path / "pack.zip"
    path.write_bytes(data)
    key = key_fingerprint(web.context.settings.signing_key())
    result = CliRunner().invoke(app, ["evidence", "verify", str(path), "--fingerprint", key])
    assert result.exit_code == 0 and "The pack verifies." in result.output, result.output
    members = _members(data)
    for name, content in members.items():
        for secret in SECRETS:
            assert secret.encode() not in content, (name, secret)
    # the head may not read the report about the headteacher, so it is not counted for them
    assert _counted(members) == (1 if who == "head" else 2)
    with web.context.store.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "evidence.pack_made")
        ).all()
    assert [(e.actor, e.details["via"]) for e in events] == [(f"{who}@oak.example", "web")]


@pytest.mark.parametrize("who", ["staff", "governor", "chair", "admin"])
def test_everyone_else_gets_403(no_pack: Env, who: str) -> None:
    web = no_pack
    assert web.client(who).get("/evidence").status_code == 403
    assert _post(web, who).status_code == 403


def test_signed_out_is_401_and_no_token_is_403(no_pack: Env) -> None:
    web = no_pack
    assert web.client().post("/evidence/pack").status_code == 401
    response = _post(web, "head", token=False)
    assert response.status_code == 403
    assert "This form has expired" in response.text
    bad = web.client("head").post("/evidence/pack", data={"csrf_token": "é" * 43})
    assert bad.status_code == 403
    with web.context.store.session() as session:
        made = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "evidence.pack_made")
        ).all()
    assert made == []


def test_the_button_is_on_the_dashboard_and_the_reports_list_for_them_only(no_pack: Env) -> None:
    web = no_pack
    spaced = format_fingerprint(key_fingerprint(web.context.settings.signing_key()))
    head = web.client("head")
    page = head.get("/evidence")
    assert page.status_code == 200 and spaced in page.text
    assert 'action="/evidence/pack"' in page.text
    for path in ("/dashboard", "/reports"):
        shown = head.get(path)
        assert shown.status_code == 200 and 'action="/evidence/pack"' in shown.text, path
    assert 'action="/evidence/pack"' in web.client("dsl").get("/reports").text
    assert 'action="/evidence/pack"' not in web.client("chair").get("/reports").text
    assert 'action="/evidence/pack"' not in web.client("admin").get("/dashboard").text
