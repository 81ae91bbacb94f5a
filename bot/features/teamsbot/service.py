"""The bot's side of the database: who a Teams user is, what they owe, and recording a press of
the card's button through the same services as the web pages (``policies.attest``)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.days.clock import local_today
from bot.core.deployment.settings import Settings
from bot.core.guards.links import make_token
from bot.core.language.i18n import say
from bot.core.language.words import version_name
from bot.core.models import Duty, Person, Policy, PolicyVersion
from bot.features.policies.api import (
    ProofNeededError,
    acknowledge,
    aup_consent,
    names_match,
    proof_for,
    sign_aup,
)
from bot.features.teamsbot.cards import (
    ACK_VERB,
    AUP_VERB,
    KINDS,
    REFRESH_VERB,
    NeedItem,
    needs_card,
)

__all__ = [
    "METHOD",
    "Pressed",
    "card_for",
    "open_needs",
    "person_for_user",
    "press",
    "record_press",
]

log = logging.getLogger(__name__)
METHOD = "teams"  # the attestation's ``method`` and the audit's: recorded "via Teams"
_LINK = {"acknowledge_policy": "ack", "sign_aup": "aup"}


@dataclass(frozen=True)
class Pressed:
    """What a press did: the refreshed card, and whether it recorded anything."""

    card: dict[str, Any]
    recorded: bool


def person_for_user(
    session: Session, user_id: str, schools: Collection[str] | None = None
) -> Person | None:
    """The active person whose directory id is this Entra object id (in one of ``schools``,
    the bot's tenant's, when given), or None."""
    if not user_id:
        return None
    query = select(Person).where(Person.external_id == user_id, Person.active.is_(True))
    if schools is not None:
        query = query.where(Person.school_id.in_(sorted(schools)))
    return session.scalar(query.order_by(Person.id).limit(1))


def open_needs(session: Session, settings: Settings, person: Person, today: date) -> list[NeedItem]:
    """The person's open acknowledgements, AUP signatures and training, soonest due first."""
    rows = session.execute(
        select(Duty, PolicyVersion, Policy)
        .outerjoin(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
        .outerjoin(Policy, Policy.id == PolicyVersion.policy_id)
        .where(Duty.person_id == person.id, Duty.status == "open", Duty.kind.in_(KINDS))
        .order_by(Duty.due_on, Duty.id)
    ).all()
    key = settings.signing_key()
    base = settings.base_url.rstrip("/")
    items: list[NeedItem] = []
    seen_aup: set[int] = set()
    for duty, version, policy in rows:
        if duty.kind == "complete_training":
            items.append(
                NeedItem(
                    kind=duty.kind,
                    duty_id=duty.id,
                    title=duty.requirement.title,
                    version_label=None,
                    due_on=duty.due_on,
                    overdue=duty.due_on < today,
                    read_url=f"{base}/me",
                )
            )
            continue
        if version is None or policy is None:
            continue
        if duty.kind == "sign_aup":
            if version.id in seen_aup:  # one signature closes every account's duty
                continue
            seen_aup.add(version.id)
            statement = aup_consent(policy.title, version.label)  # in the card's language
        else:
            statement = version.statement
        purpose = _LINK[duty.kind]
        items.append(
            NeedItem(
                kind=duty.kind,
                duty_id=duty.id,
                title=policy.title,
                version_label=version.label,
                due_on=duty.due_on,
                overdue=duty.due_on < today,
                read_url=f"{base}/{purpose}/"
                + make_token(key, purpose, person.id, duty.id, version.id),
                statement=statement,
                sha256=version.sha256,
                read_first=duty.kind == "acknowledge_policy" and proof_for(duty) is not None,
            )
        )
    return items


def card_for(
    session: Session,
    settings: Settings,
    school_name: str,
    person: Person,
    today: date,
    note: str | None = None,
) -> dict[str, Any]:
    """The person's card as it stands now, in the active language (the person's:
    ``bot.core.language.i18n.person_language``)."""
    return needs_card(
        school_name,
        person.given_name or person.display_name,
        open_needs(session, settings, person, today),
        user_id=person.external_id,
        me_url=f"{settings.base_url.rstrip('/')}/me",
        note=note,
    )


def _duty_for(session: Session, person: Person, data: dict[str, Any]) -> Duty | None:
    """The person's own duty named by the button, or None (someone else's, or no such duty)."""
    duty_id = data.get("duty")
    if isinstance(duty_id, bool) or not isinstance(duty_id, int | str):
        return None
    try:
        duty = session.get(Duty, int(duty_id))
    except (TypeError, ValueError):
        return None
    if duty is None or duty.person_id != person.id or duty.policy_version_id is None:
        return None
    return duty


def press(
    session: Session,
    settings: Settings,
    school_name: str,
    person: Person,
    verb: str,
    data: dict[str, Any],
    now: datetime,
) -> Pressed:
    """Act on one ``Action.Execute`` press and return the card to show in its place
    (:func:`record_press`, then the person's card as it now stands)."""
    note, recorded = record_press(
        session, person, verb, data, now, method=METHOD, user_agent="Microsoft Teams"
    )
    return Pressed(
        card_for(session, settings, school_name, person, local_today(now), note), recorded
    )


def record_press(
    session: Session,
    person: Person,
    verb: str,
    data: dict[str, Any],
    now: datetime,
    *,
    method: str,
    user_agent: str,
) -> tuple[str | None, bool]:
    """Act on one press of a card's button (Teams or Google Chat): (the line to show above the
    person's card, whether anything was recorded).

    ``acknowledge`` and ``sign_aup`` record exactly one attestation, bound to the version whose
    SHA-256 the button carries; a second press (a replay) records nothing; a press for a
    version since replaced records nothing and says so. ``method`` and ``user_agent`` say
    where it was pressed (the attestation's and the audit's); the line is in the active language.
    """
    if verb == REFRESH_VERB:
        return None, False
    if verb not in (ACK_VERB, AUP_VERB):
        return say("That button is no longer in use: here is what is waiting for you now."), False
    duty = _duty_for(session, person, data)
    version = session.get(PolicyVersion, duty.policy_version_id) if duty else None
    if duty is None or version is None:
        return say("That item is not one of yours: here is what is waiting for you."), False
    policy = session.get(Policy, version.policy_id)
    assert policy is not None
    if data.get("sha256") != version.sha256:
        return (
            say(
                "The %(policy)s has changed since this card was made: please read the "
                "current version below.",
                policy=policy.title,
            )
        ), False
    if duty.status != "open":
        return say(
            "Thank you: the %(policy)s was already recorded for you.", policy=policy.title
        ), False
    if verb == AUP_VERB:
        typed = str(data.get(f"name-{duty.id}") or "")
        if str(data.get(f"consent-{duty.id}") or "") != "yes":
            return say("Tick the box to agree, then press Sign."), False
        if not names_match(typed, person.display_name):
            return (
                say(
                    "The name you typed does not match the name the school has for you "
                    "(%(name)s). Type your full name as shown, then press Sign.",
                    name=person.display_name,
                )
            ), False
        result = sign_aup(
            session,
            person,
            version,
            policy.title,
            typed,
            method=method,
            ip=None,
            user_agent=user_agent,
            now=now,
        )
    else:
        try:
            result = acknowledge(
                session,
                person,
                duty,
                version,
                method=method,
                ip=None,
                user_agent=user_agent,
                now=now,
            )
        except ProofNeededError as exc:
            more = say('Press "Read and acknowledge" to open the %(policy)s.', policy=policy.title)
            return f"{exc.msg} {more}", False
    recorded = result.attestation is not None
    said = {"policy": policy.title, "version": version_name(version.label)}
    if not recorded:
        note = say("Thank you: the %(policy)s was already recorded for you.", **said)
    elif verb == AUP_VERB:
        note = say("Thank you: your signature of the %(policy)s (%(version)s) is recorded.", **said)
    else:
        note = say(
            "Thank you: your acknowledgement of the %(policy)s (%(version)s) is recorded.", **said
        )
    return note, recorded
