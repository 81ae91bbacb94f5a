"""GoogleFormSource over the fake Forms API: titles, filter string, paging, order, and
responses that cannot be read (skipped, flagged once by the bot, never blocking the rest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from bot.core.ports import FormSource, PermanentError, UnreadableResponse
from tests.connectors.contract.kit_google import FORM_ID, build_google, seeded_fake
from tests.features.reports.test_support import Env, env_fixture  # noqa: F401
from tests.support.fakes.google import SA_EMAIL, FakeGoogle, form_response, no_real_http  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_real_http")

LIST = "forms.forms.responses.list"


@pytest.fixture
def fake() -> FakeGoogle:
    return seeded_fake()


def forms_for(tmp_path: Path, fake: FakeGoogle) -> FormSource:
    forms = build_google(tmp_path, fake).forms
    assert forms is not None
    return forms


def test_all_responses_oldest_first_with_titles(fake: FakeGoogle, tmp_path: Path) -> None:
    found = forms_for(tmp_path, fake).responses(None)
    assert [r.response_id for r in found] == ["r-1", "r-2"]
    assert found[0].answers == {
        "Category": "Mobile device misuse",
        "What happened": "Fictional test text one",
    }
    assert found[0].submitted_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    get, listing = [r for r in fake.requests if r.method_id]
    assert (get.method_id, get.path) == ("forms.forms.get", f"/v1/forms/{FORM_ID}")
    assert listing.path == f"/v1/forms/{FORM_ID}/responses"
    assert "filter" not in listing.query
    assert listing.principal == SA_EMAIL


def test_since_becomes_an_rfc3339_zulu_filter(fake: FakeGoogle, tmp_path: Path) -> None:
    london = timezone(timedelta(hours=1))
    found = forms_for(tmp_path, fake).responses(datetime(2026, 11, 2, 13, 0, tzinfo=london))
    [listing] = fake.calls(LIST)
    assert listing.query["filter"] == "timestamp > 2026-11-02T12:00:00Z"
    assert [r.response_id for r in found] == ["r-2"]


def test_sub_second_since_keeps_its_fraction(fake: FakeGoogle, tmp_path: Path) -> None:
    forms_for(tmp_path, fake).responses(datetime(2026, 11, 2, 9, 30, 0, 250000, tzinfo=UTC))
    assert fake.calls(LIST)[0].query["filter"] == "timestamp > 2026-11-02T09:30:00.250000Z"


def test_pages_follow_next_page_token(fake: FakeGoogle, tmp_path: Path) -> None:
    form = fake.forms[FORM_ID]
    base = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)
    form.responses += [
        form_response(f"r-{i}", base + timedelta(minutes=i), {"7a1c": "Other"}) for i in range(3, 8)
    ]
    fake.forms_page_cap = 3
    found = forms_for(tmp_path, fake).responses(None)
    pages = fake.calls(LIST)
    assert len(pages) == 3
    assert "pageToken" not in pages[0].query
    assert all(p.query["pageToken"].startswith("pt-") for p in pages[1:])
    assert [r.response_id for r in found] == [f"r-{i}" for i in range(1, 8)]


def test_grids_checkboxes_files_and_nanosecond_times(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.forms[FORM_ID].form["items"] += [
        {
            "itemId": "grid",
            "title": "Who was involved",
            "questionGroupItem": {
                "questions": [
                    {"questionId": "g1", "rowQuestion": {"title": "Pupil"}},
                    {"questionId": "g2", "rowQuestion": {"title": "Staff"}},
                ],
                "grid": {"columns": {"type": "CHECKBOX", "options": [{"value": "Yes"}]}},
            },
        },
        {
            "itemId": "evidence",
            "title": "Evidence",
            "questionItem": {"question": {"questionId": "f1", "fileUploadQuestion": {}}},
        },
        {"itemId": "text-only", "title": "Thank you", "textItem": {}},
    ]
    fake.forms[FORM_ID].responses = [
        {
            "formId": FORM_ID,
            "responseId": "r-9",
            "createTime": "2026-11-05T10:00:00.123456789Z",
            "lastSubmittedTime": "2026-11-05T10:00:00.123456789Z",
            "respondentEmail": "parent@example.org",
            "answers": {
                "7a1c": {
                    "questionId": "7a1c",
                    "textAnswers": {"answers": [{"value": "Social media"}, {"value": "Other"}]},
                },
                "g1": {"questionId": "g1", "textAnswers": {"answers": [{"value": "Yes"}]}},
                "f1": {
                    "questionId": "f1",
                    "fileUploadAnswers": {
                        "answers": [{"fileId": "1abc", "fileName": "screenshot.png"}]
                    },
                },
            },
        }
    ]
    [response] = forms_for(tmp_path, fake).responses(None)
    assert response.answers == {
        "Category": "Social media; Other",
        "Who was involved - Pupil": "Yes",
        "Evidence": "screenshot.png",
    }
    assert response.submitted_at == datetime(2026, 11, 5, 10, 0, 0, 123456, tzinfo=UTC)
    assert response.respondent_email == "parent@example.org"


def test_unshared_form_is_permanent_and_says_share(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.forms[FORM_ID].shared_with.clear()
    with pytest.raises(PermanentError) as caught:
        forms_for(tmp_path, fake).responses(None)
    assert "share the form" in str(caught.value)
    assert "403" in str(caught.value)


def test_the_forms_scopes_are_the_least_the_discovery_document_accepts() -> None:
    """Each Forms method the connector calls accepts one of FORMS_SCOPES, and each of those
    scopes is the read-only one Google's own discovery document lists for that method."""
    import json

    from googleapiclient.discovery_cache import get_static_doc

    from connectors.google.client import FORMS_SCOPES

    doc = json.loads(get_static_doc("forms", "v1"))
    methods = {
        "forms.forms.get": doc["resources"]["forms"]["methods"]["get"],
        LIST: doc["resources"]["forms"]["resources"]["responses"]["methods"]["list"],
    }
    chosen = {name: set(m["scopes"]) & set(FORMS_SCOPES) for name, m in methods.items()}
    assert chosen == {
        "forms.forms.get": {"https://www.googleapis.com/auth/forms.body.readonly"},
        LIST: {"https://www.googleapis.com/auth/forms.responses.readonly"},
    }
    # no write scope and no Drive scope (which would reach every file shared with the account)
    assert all(s.endswith(".readonly") and "/drive" not in s for s in FORMS_SCOPES)


def test_a_response_that_cannot_be_read_is_skipped_never_blocking_the_rest(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    form = fake.forms[FORM_ID]
    timeless = form_response("r-0", datetime(2026, 11, 2, 8, 0, tzinfo=UTC), {"7a1c": "Other"})
    del timeless["createTime"], timeless["lastSubmittedTime"]
    nameless = form_response("", datetime(2026, 11, 2, 8, 5, tzinfo=UTC), {"7a1c": "Other"})
    del nameless["responseId"]
    form.responses = [timeless, nameless, *form.responses]
    found = forms_for(tmp_path, fake).responses(None)
    assert [getattr(r, "response_id", None) for r in found] == ["r-1", "r-2", None, None]
    first, second = found[2:]
    assert first == UnreadableResponse(
        "r-0",
        f"Google form {FORM_ID}, response r-0",
        "its submission time (lastSubmittedTime) is missing or not RFC 3339",
    )
    assert isinstance(second, UnreadableResponse) and second.key.startswith("google response ")
    assert second.problem == "the Forms API sent it without a responseId"
    again = forms_for(tmp_path, fake).responses(None)[3]
    assert again == second  # the same key every read: flagged once


def test_the_poll_stores_the_readable_google_responses_and_flags_the_other(
    env: Env, fake: FakeGoogle, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from bot.core.models import OutboxMessage, Report
    from bot.features.reports.forms import poll_forms

    timeless = form_response("r-0", datetime(2026, 11, 2, 8, 0, tzinfo=UTC), {"7a1c": "Other"})
    del timeless["createTime"], timeless["lastSubmittedTime"]
    fake.forms[FORM_ID].responses.insert(0, timeless)
    ctx, forms = env.context, forms_for(tmp_path, fake)
    now = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    for expected in ((2, 1, 1), (0, 0, 1)):
        polled = poll_forms(ctx.store, ctx.config, forms, now=now, base_url="")
        assert (polled.stored, polled.flagged, polled.problems) == expected
    with ctx.store.session() as session:
        refs = set(session.scalars(select(Report.source_ref)))
        flags = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like("form-unreadable:%"))
        ).all()
    assert refs == {"r-1", "r-2"} and len(flags) == 1
