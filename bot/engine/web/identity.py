"""Who a school sign-in names: an address the provider vouches for, bound to the provider's
subject.

An address signs a person in only when the provider vouches for it: ``email_verified`` true,
or the token is from the school's own Entra ID tenant (``tid``) or Google Workspace domain
(``hd``), whose addresses are the directory's. In a trust across tenants each school's
people sign in from its own tenant or domain (its connection's, else the install's): a token
of one organisation never signs anyone in to another organisation's school.
``preferred_username`` is never taken for an address (any provider lets people choose it).
The first sign-in ties the person to the provider's subject (``iss``, ``sub`` and
``tid``/``hd``); another subject for the same address is refused until an administrator
unbinds it (``compliance-bot directory unbind-signin``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.deployment.settings import Settings, connection_key
from bot.core.models import Person

__all__ = [
    "TENANT_SLOT",
    "IdentityRefused",
    "Subject",
    "bind",
    "issuer_accepted",
    "organisations",
    "school_organisations",
    "school_tenant",
    "unbind",
    "vouched_email",
]

_ENTRA = re.compile(r"^https://login\.microsoftonline\.com/([0-9a-fA-F-]{36})/v2\.0/?$")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TENANT_SLOT = "{tenantid}"  # in the issuer of Entra's tenant-independent discovery document
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


def organisations(settings: Settings) -> tuple[frozenset[str], frozenset[str]]:
    """The Entra ID tenants and Google domains whose people sign in here: the install's and
    each connection's (``COMPLIANCE_BOT_CONNECTIONS__<NAME>__TENANT_ID`` / ``..._DOMAIN``)."""
    own = school_tenant(settings)
    tenants = {own} if own else set()
    domains = {settings.oidc_domain.lower()} if settings.oidc_domain else set()
    for connection in settings.connections.values():
        if connection.tenant_id:
            tenants.add(connection.tenant_id.lower())
        if connection.domain:
            domains.add(connection.domain.lower())
    return frozenset(tenants), frozenset(domains)


def issuer_accepted(iss: object, discovered: str, tid: object, tenants: frozenset[str]) -> bool:
    """Whether a token's ``iss`` is the issuer the discovery document names. Entra's
    tenant-independent document (a multi-tenant app) names ``.../{tenantid}/v2.0``: each token
    carries its own tenant's issuer, accepted when ``tid`` is a tenant GUID of ``tenants`` and
    the issuer is the template with that tid (Microsoft's documented multi-tenant check)."""
    if TENANT_SLOT not in discovered:
        return bool(discovered) and iss == discovered
    tenant = str(tid or "")
    return (
        bool(_GUID.match(tenant.lower()))
        and tenant.lower() in tenants
        and iss == discovered.replace(TENANT_SLOT, tenant)
    )


def school_organisations(settings: Settings, connection: str | None) -> frozenset[str]:
    """The tenant and domain a school's people sign in from: its connection's, else the
    install's (empty: none is configured). A connection not set up has one nobody matches."""
    if connection is None:
        own = (school_tenant(settings), settings.oidc_domain)
        return frozenset(org.lower() for org in own if org)
    held = settings.connections.get(connection_key(connection))
    if held is None:
        return frozenset({f"not set up: {connection}"})
    return frozenset(org.lower() for org in (held.tenant_id, held.domain) if org)


def vouched_email(claims: Mapping[str, Any], *, settings: Settings) -> str:
    """The address the provider vouches for, lower-cased; IdentityRefused otherwise. The
    tenants and domains are every one ``settings`` configures (``organisations``)."""
    tenants, domains = organisations(settings)
    tid, hd = (str(claims.get(name) or "").lower() for name in ("tid", "hd"))
    if (tenants and tid and tid not in tenants) or (domains and hd and hd not in domains):
        raise IdentityRefused("foreign")
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise IdentityRefused("no_email")
    directory = tid in tenants or hd in domains
    if not directory and claims.get("email_verified") not in (True, "true"):
        raise IdentityRefused("unverified")
    return email.strip().lower()


def bind(person: Person, subject: Subject) -> bool:
    """Tie ``person`` to ``subject`` on first sign-in (True when it did so now); refuse
    (IdentityRefused) a subject other than the one they are tied to."""
    held = (person.signin_issuer, person.signin_subject, person.signin_org)
    if person.signin_subject is None:
        person.signin_issuer, person.signin_subject, person.signin_org = (
            subject.issuer,
            subject.subject,
            subject.org,
        )
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
    audit.record(
        session,
        actor=actor,
        action="signin.unbound",
        object_type="person",
        object_id=person.id,
        school_id=person.school_id,
    )
    return True
