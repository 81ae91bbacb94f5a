"""A digest rendered once and shared by everyone with the same items reads exactly as its own."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.config import SchoolConfig
from bot.core.deployment.settings import Settings
from bot.core.guards.emails import no_email_key
from bot.core.rendering.messages import render
from bot.engine.reminder_email import Names as _Names
from bot.engine.reminder_email import Renderer as _Renderer
from bot.engine.reminder_words import escalated_lead, escalated_names, escalated_told, footnote
from bot.engine.reminders import Digest, OpenDuty, Recipient
from tests.engine.test_reminders import REQUIREMENTS
from tests.support.helpers import SchoolBuilder, sweep

TODAY = date(2026, 9, 16)
SCHOOL = SchoolConfig.model_validate(
    {
        "id": "s",
        "name": "St Mary's & All Saints",
        "headteacher": "head@x.org",
        "reply_to": "office@x.org",
    }
)


def _renderer(tmp_path: Path) -> _Renderer:
    settings = Settings(
        home=tmp_path,
        base_url="https://bot.example/school?a=1&b=2",
        secret_key="render-test-secret-0123456789-abcdef",
    )
    names = _Names({7: "2.1"}, {7: "Online safety <draft>"}, {})
    return _Renderer(settings, SCHOOL, REQUIREMENTS, names, settings.signing_key(), TODAY)


def _duty(did: int, person: int, requirement: int, due: date) -> OpenDuty:
    return OpenDuty(
        id=did,
        person_id=person,
        requirement_id=requirement,
        cycle="v1",
        opened_on=date(2026, 9, 1),
        due_on=due,
        last_stage=-1,
        reminders_sent=0,
        version_id=7 if requirement == 1 else None,
        account_id=None,
    )


def _direct(renderer: _Renderer, digest: Digest) -> tuple[str, str, str]:
    """The digest rendered on its own, every value in place (what the shared render must equal)."""
    items = [{**renderer.face(d), "url": renderer.url(digest.person.id, d)} for d in digest.items]
    kinds = [renderer.requirements[d.requirement_id].kind for d in digest.items]
    escalated = [escalated_names(SCHOOL)[flag] for flag in digest.escalated]
    subject = renderer.subject(items)
    text, html = render(
        "reminder",
        {
            "school_name": SCHOOL.name,
            "subject": subject,
            "person_name": digest.person.given_name or digest.person.display_name,
            "intro": (
                "There is one thing the school needs you to do:"
                if len(items) == 1
                else f"There are {len(items)} things the school needs you to do:"
            ),
            "items": items,
            "escalated_to": bool(escalated),
            "escalated_told": escalated_told(escalated_lead(digest), escalated),
            "footnote_html": footnote(kinds, renderer.settings.link_max_age_days, "button"),
            "footnote_text": footnote(kinds, renderer.settings.link_max_age_days, "link"),
            "reply_to": SCHOOL.reply_address(),
        },
    )
    return subject, text, html


NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(NAMES, min_size=1, max_size=4),
    shapes=st.lists(st.sampled_from([(1,), (2,), (1, 2), (2, 1)]), min_size=1, max_size=4),
    escalated=st.sampled_from([(), ("line_manager",), ("line_manager", "headteacher")]),
)
def test_a_shared_render_equals_each_persons_own(
    names: list[str], shapes: list[tuple[int, ...]], escalated: tuple[str, ...]
) -> None:
    renderer = _renderer(Path("/nonexistent-home"))
    # the links are signed with the time: both renders must sign in the same second
    with time_machine.travel("2026-09-16 08:00:00+00:00", tick=False):
        _compare_each(renderer, names, shapes, escalated)


def _compare_each(
    renderer: _Renderer, names: list[str], shapes: list[tuple[int, ...]], escalated: tuple[str, ...]
) -> None:
    for pid, name in enumerate(names, start=1):
        for requirements in shapes:
            person = Recipient(pid, f"p{pid}@x.org", name, name if pid % 2 else None, None)
            items = tuple(
                _duty(pid * 10 + n, pid, rid, date(2026, 9, 15 + n))
                for n, rid in enumerate(requirements)
            )
            digest = Digest(person, items, (), ("line@x.org",) if escalated else (), escalated)
            draft, titles = renderer.email(digest)
            subject, text, html = _direct(renderer, digest)
            assert (draft.subject, *draft.parts()) == (subject, text, html)
            assert len(titles) == len(items)
            assert "\x00" not in "".join(draft.parts())


def test_names_and_links_are_escaped_in_the_html_part_only(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path)
    person = Recipient(1, "o@x.org", "Seán O'Brien <Head> & Co", None, None)
    draft, _ = renderer.email(Digest(person, (_duty(1, 1, 1, TODAY),), (), (), ()))
    text, html = draft.parts()
    assert "Dear Seán O'Brien <Head> & Co," in text
    assert "Dear Seán O&#39;Brien &lt;Head&gt; &amp; Co," in html
    assert "https://bot.example/school?a=1&b=2/ack/" in text
    assert 'href="https://bot.example/school?a=1&amp;b=2/ack/' in html
    assert "Online safety &lt;draft&gt; <span" in html


# (subject, text, html) of three digests as sent, as SHA-256 of the three joined by NUL: an
# item alone; two items, one overdue, the line manager and head told; a person without an email
# address, asked of their line manager. A change of wording changes these on purpose; a change
# of how digests are rendered (#60: shapes, links worked out once) must not.
PINNED = {
    "one item": "02d7d2543a68c392561b0bdb75f60ad52b1f573463383612af139dee61a3eeb9",
    "escalated": "2e146d406f5c8eac310ae0a11e86a916c2edfb56375c82241abe756199b1b3d0",
    "on behalf": "7b6845de1709eb6bd5055c45bc78e8f6d2acd8da515f0ba102461a8539e93058",
}


def test_three_digests_are_sent_byte_for_byte_as_pinned() -> None:
    line = Recipient(2, "line@x.org", "Lena Line", "Lena", None)
    people = {2: line}
    renderer = _renderer(Path("/nonexistent-home"))
    renderer = _Renderer(
        renderer.settings, SCHOOL, REQUIREMENTS, renderer.names, renderer.secret, TODAY, people
    )
    cases = {
        "one item": Digest(
            Recipient(1, "amy@x.org", "Amy Able", "Amy", 2), (_duty(11, 1, 1, TODAY),), (), (), ()
        ),
        "escalated": Digest(
            Recipient(3, "ben@x.org", "Ben Brook", None, 2),
            (_duty(31, 3, 1, date(2026, 9, 1)), _duty(32, 3, 2, TODAY)),
            (),
            ("line@x.org", "head@x.org"),
            ("line_manager", "headteacher"),
        ),
        "on behalf": Digest(
            Recipient(4, no_email_key("Isla Grant"), "Isla Grant", "Isla", 2),
            (_duty(41, 4, 1, TODAY), _duty(42, 4, 2, TODAY)),
            (),
            (),
            (),
        ),
    }
    found = {}
    with time_machine.travel("2026-09-16 08:00:00+00:00", tick=False):  # links carry the time
        for name, digest in cases.items():
            draft, _ = renderer.email(digest)
            sent = "\x00".join((draft.subject, *draft.parts(), *draft.to))
            found[name] = hashlib.sha256(sent.encode()).hexdigest()
            assert draft.to == ("line@x.org" if name == "on behalf" else digest.person.email,)
    assert found == PINNED


def test_links_are_signed_only_for_the_emails_queued(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 91: every planned digest signed its links, queued or not (a dry run, a school in
    preview, a digest already queued). Now a dry run lists everyone and signs nothing, a sweep
    signs each queued email's links once, and a second sweep the same day signs none."""
    from bot.engine import reminder_email

    school.policy("online-safety", "1.0")
    school.staff_acknowledge()
    school.staff_train()
    ctx = school.context(sqlite_url)
    signed: list[str] = []

    def counted(*args: Any) -> str:
        signed.append(args[1])
        return make_token(*args)

    make_token = reminder_email.make_token
    monkeypatch.setattr(reminder_email, "make_token", counted)
    day = date(2026, 11, 23)
    [dry], _ = sweep(ctx, day, write=False, deliver=False)
    assert len(dry.reminders) == 4 and not any(r.queued for r in dry.reminders)
    assert signed == []  # was 4: one acknowledgement link each, for emails never queued
    [run], _ = sweep(ctx, day, deliver=False)
    assert sum(r.queued for r in run.reminders) == 4
    assert sorted(signed) == ["ack"] * 4  # training links to the person's own page, unsigned
    sweep(ctx, day, deliver=False)
    assert len(signed) == 4
