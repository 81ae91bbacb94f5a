"""``/me``: everything asked of the signed-in person, across features (policies to read,
accounts' AUPs, tasks), each with a fresh link, and what they finished lately."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.core import audit
from bot.core.days.clock import local_today
from bot.core.guards.links import make_token
from bot.core.language.i18n import N_
from bot.core.models import Duty, Person, Policy, PolicyVersion, Requirement, utcnow
from bot.engine.reminder_words import LINK_PURPOSE
from bot.engine.web.deps import check_csrf, ctx, current_user, render
from bot.features.accounts.service import holdings_of

__all__ = ["router"]

router = APIRouter()


@router.get("/me", include_in_schema=False)
def me(request: Request) -> Response:
    """The signed-in person's outstanding items, each with a fresh link."""
    user = current_user(request)
    if user is None:
        return RedirectResponse("/signin?next=/me", status_code=303)
    settings = ctx(request).settings
    today = local_today(utcnow())
    with ctx(request).store.session() as session:
        rows = session.execute(
            select(Duty, PolicyVersion, Policy)
            .outerjoin(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
            .outerjoin(Policy, Policy.id == PolicyVersion.policy_id)
            .where(Duty.person_id == user.id, Duty.status == "open")
            .order_by(Duty.due_on)
        ).all()
        items = []
        key = settings.signing_key()
        for duty, version, policy in rows:
            purpose = LINK_PURPOSE.get(duty.kind)
            items.append(
                {
                    "duty_id": duty.id,
                    "title": policy.title if policy else duty.requirement.title,
                    "version": version.label if version else None,
                    "kind": duty.kind,
                    "record_check": bool(duty.requirement.spec.get("record_check")),
                    "due": duty.due_on,
                    "overdue": duty.due_on < today,
                    "url": f"/{purpose}/"
                    f"{make_token(key, purpose, user.id, duty.id, duty.policy_version_id)}"
                    if purpose
                    else None,
                }
            )
        done = session.execute(
            select(Duty.kind, Duty.closed_on, Policy.title, PolicyVersion.label, Requirement.title)
            .join(Requirement, Requirement.id == Duty.requirement_id)
            .outerjoin(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
            .outerjoin(Policy, Policy.id == PolicyVersion.policy_id)
            .where(Duty.person_id == user.id, Duty.status == "done")
            .order_by(Duty.closed_on.desc())
            .limit(20)
        ).all()
        held = [(a.name, a.platform) for a in holdings_of(session, user.id)]
    school = ctx(request).config.school(user.school_id)
    choices = _LANGUAGE_CHOICES if school.language == "cy+en" else None
    return render(
        request,
        "me.html",
        {
            "items": items,
            "done": done,
            "held": held,
            "languages": choices,
            "chosen": user.language or "",
        },
    )


# what a person of a dual-language school may choose: Welsh, English, or both (the school's)
_LANGUAGE_CHOICES = {"cy": "Cymraeg", "en": "English", "": "Cymraeg / English"}


@router.post("/me/language", include_in_schema=False)
def choose_language(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    language: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A person of a dual-language (cy+en) school reads the bot in Welsh, English or both
    (audited); 400 in a school that does not offer the choice or for a language not offered."""
    user = current_user(request)
    if user is None:
        return RedirectResponse("/signin?next=/me", status_code=303)
    check_csrf(request, csrf_token)
    school = ctx(request).config.school(user.school_id)
    if school.language != "cy+en" or language not in _LANGUAGE_CHOICES:
        raise HTTPException(400, N_("Language: choose one of the languages the page offers."))
    with ctx(request).store.transaction() as session:
        person = session.get(Person, user.id)
        if person is not None:
            person.language = language or None
            audit.record(
                session,
                actor=user.email,
                action="person.language",
                object_type="person",
                object_id=person.id,
                school_id=user.school_id,
                details={"language": language or "cy+en"},
            )
    return RedirectResponse("/me", status_code=303)
