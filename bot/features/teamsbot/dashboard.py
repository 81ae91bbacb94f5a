"""The headteacher's dashboard card in their chat with the bot: the weekly card refreshes
itself whenever they open the chat (``refresh`` with ``Action.Execute``, ``userIds`` the head),
so it shows the live figures, not last Monday's. Schools without a bot keep the weekly card in
a channel (``dashboard.digest``, a Workflows webhook).

Whoever asks for the figures is checked as the web dashboard checks a viewer (a dashboard role
in that school: ``dashboard.viewer.school_roles``), and each answer is audited; anyone else
gets a polite card with no figures. Counts only, never a report's contents.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import OrgConfig, SchoolConfig
from bot.core.days.clock import LONDON, local_today
from bot.core.deployment.settings import Settings
from bot.core.guards.permissions import DASHBOARD_READERS
from bot.core.language.i18n import Day, Msg, said_in, say, speaking
from bot.core.language.words import said_words, school_words
from bot.core.models import Person
from bot.core.outbox import Urgency, enqueue_chat_card
from bot.core.rendering.cards import new_card, text_block
from bot.engine import snapshot
from bot.features.dashboard.api import (
    Viewer,
    adaptive_card,
    dashboard_url,
    digest_figures,
    for_viewer,
    head_chat,
    read_figures,
    school_roles,
    week_key,
)
from bot.features.teamsbot.cards import refreshed

__all__ = [
    "DASHBOARD_VERB",
    "PURPOSE",
    "dashboard_answer",
    "live_card",
    "queue_head_card",
    "refused_card",
    "viewer_of",
]

DASHBOARD_VERB = "dashboard.refresh"
PURPOSE = "teams_dashboard"


def viewer_of(session: Session, config: OrgConfig, school: SchoolConfig, email: str) -> Viewer:
    """``email`` as the web dashboard sees them in ``school`` (their roles there)."""
    roles = school_roles(session, [school], email, config.organisation.trust_admins)[school.id]
    return Viewer(email, frozenset(roles), school, (school,))


def live_card(
    session: Session,
    settings: Settings,
    config: OrgConfig,
    viewer: Viewer,
    user_id: str,
    now: datetime,
) -> dict[str, Any]:
    """The dashboard card from the figures as they are now, counted for ``viewer`` as the web
    dashboard counts them (a deputy DSL's open reports are the ones they may read), refreshing
    for ``user_id``."""
    school = viewer.school
    today = local_today(now)
    if snapshot.ensure(session, school.id, today)[1]:
        session.flush()
    figures = read_figures(session, school.id, today, now=now)
    for_viewer(session, viewer, figures, today, now)
    figures.calendar_question = school.term_dates_question(today)
    url = dashboard_url(settings.base_url, school.id, several_schools=len(config.schools) > 1)
    local = now.astimezone(LONDON)
    with speaking(school.language):  # the card, its figures' lines and its dates in it
        card = adaptive_card(digest_figures(figures, school.name, url))
        card["body"][0]["text"] = say("Compliance dashboard")
        card["body"][1]["text"] = say(
            "%(school)s · as of %(time)s on %(day)s",
            school=school.name,
            time=f"{local:%H:%M}",
            day=Day(local),
        )
    return refreshed(card, DASHBOARD_VERB, {"school": school.id}, user_id)


def refused_card(school: SchoolConfig | None) -> dict[str, Any]:
    """What anyone without a dashboard role sees instead of the figures (in the school's
    language; English when no school is known)."""
    with speaking(school.language if school else "en"):
        if school is None:
            said = say(
                "Sorry, the school's compliance figures are only shown to the school's leaders "
                "and the school's leadership team. If you think you should see them, ask the "
                "school office."
            )
        else:
            said = say(
                "Sorry, %(school)s's compliance figures are only shown to the %(head)s and the "
                "school's leadership team. If you think you should see them, ask the school "
                "office.",
                school=school.name,
                head=said_words(school_words(school)).headteacher,
            )
        title = say("Compliance dashboard")
    return new_card(
        [text_block(title, size="Large", weight="Bolder", style="heading"), text_block(said)]
    )


def dashboard_answer(
    session: Session,
    settings: Settings,
    config: OrgConfig,
    person: Person | None,
    user_id: str,
    data: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The card a refresh (or a press of Refresh) gets: the live figures for a dashboard
    reader of the school the card names, audited; a polite refusal for anyone else."""
    school = next((s for s in config.schools if s.id == data.get("school")), None)
    if person is None or school is None:
        return refused_card(school)
    viewer = viewer_of(session, config, school, person.email)
    allowed = bool(viewer.roles & DASHBOARD_READERS)
    audit.record(
        session,
        actor=person.email,
        action="dashboard.viewed" if allowed else "dashboard.refused",
        object_type="dashboard",
        object_id=school.id,
        school_id=school.id,
        details={"via": "teams"},
    )
    if not allowed:
        return refused_card(school)
    return live_card(session, settings, config, viewer, user_id, now)


def queue_head_card(
    session: Session,
    settings: Settings,
    config: OrgConfig,
    school: SchoolConfig,
    today: date,
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Queue this week's dashboard card in the head's chat (once a week); False when the bot
    does not reach the head or the card is already queued."""
    chat = head_chat(session, school)
    if chat is None:
        return False
    head = session.get(Person, chat.person_id)
    assert head is not None
    return enqueue_chat_card(
        session,
        school_id=school.id,
        key=f"teams-dashboard:{school.id}:{week_key(today)}",
        purpose=PURPOSE,
        urgency=Urgency.ROUTINE,
        recipient=head.email,
        title=said_in(
            school.language, Msg("Compliance dashboard — %(school)s", school=school.name)
        ),
        text="",
        chat_id=chat.chat_id,
        service_url=chat.service_url,
        card=live_card(
            session,
            settings,
            config,
            viewer_of(session, config, school, head.email),
            chat.user_id,
            now,
        ),
        not_before=not_before or now,
    )
