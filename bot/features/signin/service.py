"""Sign-in links in the database: asked for, emailed through the outbox, used once, audited.

The address someone typed is never stored in clear: a person in the directory is named by their
id, anyone else only by a keyed hash (so repeated tries can be told apart, not read).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import OrgConfig, SchoolConfig
from bot.core.language.i18n import Msg, nmsg, person_language
from bot.core.models import Person, SignInLink, active_person
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.core.rendering.messages import notice
from bot.engine.web.auth import SOMEONE
from bot.features.signin.rules import (
    LINK_LIFETIME,
    MAX_CODE_ATTEMPTS,
    Secrets,
    format_code,
    hashed,
    new_secrets,
    normalise_code,
    refusal,
)

__all__ = ["PURPOSE", "Used", "refused", "request_link", "use_code", "use_token"]

PURPOSE = "signin_link"  # the outbox purpose: never held while a school is in preview


@dataclass(frozen=True)
class Used:
    """A link or code that has just signed a person in."""

    email: str
    next_path: str


def refused(
    session: Session, object_type: str, reason: str, link: SignInLink | None = None, **details: str
) -> None:
    """Audit a refused sign-in (nobody is signed in yet): of ``link`` when it is known."""
    audit.record(
        session,
        actor=SOMEONE,
        action="signin.refused",
        object_type=object_type,
        object_id=link.id if link else None,
        school_id=link.school_id if link else None,
        details={"reason": reason, **details},
    )


def request_link(
    session: Session,
    *,
    key: str,
    email: str,
    next_path: str,
    now: datetime,
    config: OrgConfig,
    base_url: str,
) -> None:
    """Email a one-time link and code to ``email`` if it belongs to an active person in the
    directory (older open links of theirs are closed); nothing is sent otherwise.

    The caller shows the same page either way, so nobody learns who is in the directory.
    """
    person = active_person(session, email)
    if person is None:
        audit.record(
            session,
            actor=SOMEONE,
            action="signin.requested",
            object_type="address",
            details={"known": False, "address": hashed(key, "address", email)},
        )
        return
    session.execute(
        update(SignInLink)
        .where(SignInLink.person_id == person.id, SignInLink.closed_at.is_(None))
        .values(closed_at=now, closed_reason="replaced")
    )
    fresh = new_secrets()
    link = SignInLink(
        school_id=person.school_id,
        person_id=person.id,
        token_hash=hashed(key, "token", fresh.token),
        code_hash=hashed(key, "code", fresh.code),
        next_path=next_path,
        created_at=now,
        expires_at=now + LINK_LIFETIME,
        attempts=0,
    )
    session.add(link)
    session.flush()
    enqueue_email(
        session,
        school_id=person.school_id,
        key=f"signin:{link.id}",
        purpose=PURPOSE,
        urgency=Urgency.WAITING,
        draft=_email(person, fresh, config.school(person.school_id), base_url),
    )
    audit.record(
        session,
        actor=SOMEONE,
        action="signin.requested",
        object_type="person",
        object_id=person.id,
        school_id=person.school_id,
        details={"known": True},
    )


def _email(person: Person, fresh: Secrets, school: SchoolConfig, base_url: str) -> EmailDraft:
    """The sign-in email: the link as a button, and the code for typing on another device."""
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    return notice(
        school=school,
        to=[person.email],
        subject=Msg(
            "Sign in to %(school)s's compliance pages", school=school.mail_from_name or school.name
        ),
        greeting=Msg("Dear %(person_name)s,", person_name=person.given_name or person.display_name),
        paragraphs=[
            Msg(
                "You asked to sign in. Press the button below, or type the code on the sign-in "
                "page if you are signing in on another device."
            ),
            nmsg(
                "The link and the code work once, for %(num)d minute. If you did not ask to "
                "sign in, you can ignore this email: nobody can sign in without it.",
                "The link and the code work once, for %(num)d minutes. If you did not ask to "
                "sign in, you can ignore this email: nobody can sign in without it.",
                minutes,
            ),
        ],
        facts=[(Msg("Code"), format_code(fresh.code))],
        button_url=f"{base_url}/signin/link/{fresh.token}",
        button_text=Msg("Sign in"),
        language=person_language(school.language, person.language),
    )


def _use(
    session: Session, link: SignInLink, via: str, now: datetime, typed: str | None = None
) -> Used | None:
    """Close ``link`` as used and say who it signs in; None (audited) when it cannot be used
    (``refusal``), the code ``typed`` (hashed) is wrong (counted against the link), or the
    person has left since."""
    reason = refusal(
        closed_reason=link.closed_reason,
        expires_at=link.expires_at,
        attempts=link.attempts,
        now=now,
    )
    if typed is not None and reason is None and not hmac.compare_digest(link.code_hash, typed):
        link.attempts += 1
        reason = "too_many_codes" if link.attempts >= MAX_CODE_ATTEMPTS else "wrong_code"
    person = session.get(Person, link.person_id) if reason is None else None
    if reason is not None or person is None or not person.active:
        if reason == "too_many_codes" and link.closed_at is None:  # closed for good
            link.closed_at, link.closed_reason = now, reason
        refused(session, "signin_link", reason or "left", link)
        return None
    link.closed_at, link.closed_reason = now, "used"
    audit.record(
        session,
        actor=person.email,
        action="signin.used",
        object_type="signin_link",
        object_id=link.id,
        school_id=link.school_id,
        details={"via": via},
    )
    return Used(email=person.email, next_path=link.next_path)


def use_token(session: Session, *, key: str, token: str, now: datetime) -> Used | None:
    """Sign in with the link's token, once; None (audited when the link is known) otherwise."""
    link = session.scalars(  # locked so two tabs cannot both use it
        select(SignInLink)
        .where(SignInLink.token_hash == hashed(key, "token", token))
        .with_for_update()
    ).first()
    if link is None:
        refused(session, "signin_link", "unknown")
        return None
    return _use(session, link, "email_link", now)


def use_code(session: Session, *, key: str, email: str, code: str, now: datetime) -> Used | None:
    """Sign in with the typed address and code of the person's newest link, once.

    A wrong code counts against that link; after ``MAX_CODE_ATTEMPTS`` it is closed and a new
    one must be asked for. None (audited) whenever the code does not sign in.
    """
    person = active_person(session, email)
    link = None
    if person is not None:  # their newest link, locked so two tabs cannot both use it
        link = session.scalars(
            select(SignInLink)
            .where(SignInLink.person_id == person.id)
            .order_by(SignInLink.id.desc())
            .limit(1)
            .with_for_update()
        ).first()
    if link is None:
        refused(session, "address", "no_link", address=hashed(key, "address", email))
        return None
    return _use(session, link, "email_code", now, hashed(key, "code", normalise_code(code)))
