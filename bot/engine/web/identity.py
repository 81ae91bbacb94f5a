"""Who a school sign-in names: an address the provider vouches for, bound to the provider's
subject.

An address signs a person in only when the provider vouches for it: ``email_verified`` true,
or the token is from the school's own Entra ID tenant (``tid``) or Google Workspace domain
(``hd``), whose addresses are the directory's. ``preferred_username`` is never taken for an
address (any provider lets people choose it). The first sign-in ties the person to the
provider's subject (``iss``, ``sub`` and ``tid``/``hd``); another subject for the same address
is refused until an administrator unbinds it (``compliance-bot directory unbind-signin``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.models import Person
from bot.core.settings import Settings

__all__ = ["IdentityRefused", "Subject", "bind", "school_tenant", "unbind", "vouched_email"]

_ENTRA = re.compile(r"^https://login\.microsoftonline\.com/([0-9a-fA-F-]{36})/v2\.0/?$")
WORDS = {
    "not_in_directory": "Your account is not in the school's directory.",
    "unverified": "The school's sign-in service did not confirm that this email address is "
    "yours, so it cannot sign you in here. Ask whoever looks after your school's accounts to "
    "check it.",
    "no_email": "Your sign-in did not include an email address, so this system cannot tell who "
    "you are. Ask whoever looks after your school's accounts to check it.",
    "foreign": "This account belongs to another organisation, not to your school. Please sign "
    "in with your school account.",
    "another_subject": "This email address signs in here with a different account, so this "
    "one cannot. If your school account has been replaced, ask the school's administrator to "
    "reset your sign-in, then try again.",
}


class IdentityRefused(Exception):
    """The token does not name a person this school signs in; ``reason`` is a WORDS key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def words(self) -> str:
        """What the person is told."""
        return WORDS[self.reason]


@dataclass(frozen=True)
class Subject:
    """The provider's name for the person: issuer, subject, and the tenant or domain."""

    issuer: str
    subject: str
    org: str | None

    @classmethod
    def of(cls, claims: Mapping[str, Any]) -> Subject:
        """From a verified ID token's claims."""
        org = claims.get("tid") or claims.get("hd")
        return cls(str(claims["iss"]), str(claims["sub"]), str(org).lower() if org else None)


def school_tenant(settings: Settings) -> str | None:
    """The school's Entra ID tenant: ``m365.tenant_id``, else the one in the sign-in issuer."""
    entra = _ENTRA.match((settings.oidc_issuer or "").rstrip("/"))
    tenant = settings.m365.tenant_id or (entra.group(1) if entra else None)
    return tenant.lower() if tenant else None


def vouched_email(claims: Mapping[str, Any], *, tenant: str | None, domain: str | None) -> str:
    """The address the provider vouches for, lower-cased; IdentityRefused otherwise."""
    tid, hd = (str(claims.get(name) or "").lower() for name in ("tid", "hd"))
    if (tenant and tid and tid != tenant) or (domain and hd and hd != domain.lower()):
        raise IdentityRefused("foreign")
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise IdentityRefused("no_email")
    directory = (tenant and tid == tenant) or (domain and hd == domain.lower())
    if not directory and claims.get("email_verified") not in (True, "true"):
        raise IdentityRefused("unverified")
    return email.strip().lower()


def bind(person: Person, subject: Subject) -> bool:
    """Tie ``person`` to ``subject`` on first sign-in (True when it did so now); refuse
    (IdentityRefused) a subject other than the one they are tied to."""
    held = (person.signin_issuer, person.signin_subject, person.signin_org)
    if person.signin_subject is None:
        person.signin_issuer, person.signin_subject, person.signin_org = (
            subject.issuer, subject.subject, subject.org)
        return True
    if held != (subject.issuer, subject.subject, subject.org):
        raise IdentityRefused("another_subject")
    return False


def unbind(session: Session, person: Person, actor: str) -> bool:
    """Untie ``person`` from their subject, audited as ``actor``'s act (False when they were
    not tied): the next sign-in with their address ties them again."""
    if person.signin_subject is None:
        return False
    person.signin_issuer = person.signin_subject = person.signin_org = None
    audit.record(session, actor=actor, action="signin.unbound", object_type="person",
                 object_id=person.id, school_id=person.school_id)
    return True
