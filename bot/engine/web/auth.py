"""Sign-in: OIDC (Entra ID / Google) where it is set up, else an emailed one-time link or code
(``bot.features.signin``); a people picker in demo mode only.

authlib is imported by the OIDC sign-in alone: it would add ~40 ms to the web app's start
(measured), and it warns on import (caught in ``_oauth``).
"""

from __future__ import annotations

import functools
import logging
import os
import ssl
import warnings
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import httpx
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from joserfc.errors import JoseError
from sqlalchemy import select, update

from bot.core import audit
from bot.core.deployment.setup_state import is_sending
from bot.core.guards.permissions import SETUP_EDITORS
from bot.core.language.i18n import N_
from bot.core.models import Person, PersonRole, active_person
from bot.engine.web.deps import check_csrf, ctx, current_user, render
from bot.engine.web.identity import (
    IdentityRefused,
    Subject,
    bind,
    issuer_accepted,
    organisations,
    school_organisations,
    vouched_email,
)

__all__ = ["SOMEONE", "refuse", "router", "safe_next", "start_session"]

router = APIRouter()
log = logging.getLogger(__name__)
HOME = "/me"
SOMEONE = "someone"  # the audit actor before anyone is signed in
NOT_COMPLETED = (
    "Signing in with your school account could not be completed. Please start again from the "
    "sign-in page; if it keeps happening, tell whoever looks after this system at your school."
)
EXPIRED = (
    "This sign-in had expired or was started in another browser or tab. Please start again "
    "from the sign-in page."
)
DECLINED = (
    "Your school account did not sign you in. If you cancelled, that is fine; otherwise please "
    "try again, or ask the school office to check your account."
)


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site, else the person's own page.

    Refuses absolute URLs, ``//host`` and ``/\\host`` (browsers read both as another site),
    schemes, and control characters (browsers drop tabs and newlines, so ``/<tab>/host`` is
    ``//host`` to them).
    """
    if not value or not value.startswith("/") or "\\" in value:
        return HOME
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or value.startswith("//"):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME
    return value


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    """Signed in: your page. Otherwise: what this is and how to sign in."""
    if current_user(request) is not None:
        return RedirectResponse("/me", status_code=303)
    return render(request, "home.html", {"schools": ctx(request).config.schools})


@functools.cache
def _tls(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """The TLS context httpx would build for the issuer's calls (certifi's roots, or the
    bundle ``SSL_CERT_FILE``/``SSL_CERT_DIR`` names), built once per process and per those
    variables (the arguments, the cache's key): building it reads the whole bundle (~30 ms
    of CPU), and authlib makes a client for each call to the issuer, three or four a sign-in."""
    return httpx.create_ssl_context()


def _oauth(request: Request) -> Any:
    """The authlib client for the configured OpenID Connect issuer."""
    # lazy: authlib adds ~40 ms to the web app's start (module docstring)
    import authlib.deprecate  # installs an "always" filter of its own, so before ours

    with warnings.catch_warnings():  # authlib announces its move to httpx2 on import
        warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
        from authlib.integrations.starlette_client import OAuth

    settings = ctx(request).settings
    oauth = OAuth()
    oauth.register(
        "school",
        server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value()
        if settings.oidc_client_secret
        else None,
        client_kwargs={
            "scope": "openid email profile",
            "code_challenge_method": "S256",
            "verify": _tls(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")),
        },
    )
    return oauth.school


@router.get("/signin", include_in_schema=False)
async def signin(request: Request) -> Response:
    """Start sign-in."""
    settings = ctx(request).settings
    if settings.demo:  # the people list is database work: on a page thread, not the loop
        return await run_in_threadpool(_demo_signin, request)
    if not settings.oidc_issuer:  # no Microsoft or Google sign-in: an emailed link instead
        asked = request.query_params.get("next")
        query = f"?{urlencode({'next': safe_next(asked)})}" if asked else ""
        return RedirectResponse(f"/signin/email{query}", status_code=303)
    request.session["next"] = safe_next(request.query_params.get("next"))
    try:
        return await _oauth(request).authorize_redirect(  # type: ignore[no-any-return]
            request, f"{settings.base_url}/auth/callback"
        )
    except (httpx.HTTPError, ValueError, KeyError) as exc:  # the issuer's metadata
        log.warning("sign-in: the sign-in service could not be reached (%s)", type(exc).__name__)
        raise HTTPException(
            503,
            N_("The school's sign-in service did not answer. Please try again in a few minutes."),
        ) from None


# the roles the demo's list names beside a person: whom to sign in as to see the leads' pages
DEMO_LEADS = ("headteacher", "dsl", "deputy_dsl", "clerk", "governor")


def _demo_signin(request: Request) -> Response:
    """Demo mode's sign-in page: the fictional people to sign in as, the leads with their roles
    (two reads of plain rows: each person loaded as a record with its roles cost seconds a view
    at 10,000 staff)."""
    with ctx(request).store.session() as session:
        people = session.execute(
            select(Person.id, Person.email, Person.display_name, Person.job_title)
            .where(Person.active.is_(True))
            .order_by(Person.display_name)
        ).all()
        leads: dict[int, set[str]] = {}
        for person_id, role in session.execute(
            select(PersonRole.person_id, PersonRole.role).where(PersonRole.role.in_(DEMO_LEADS))
        ):
            leads.setdefault(person_id, set()).add(role)
    return render(request, "signin_demo.html", {"people": people, "leads": leads})


@router.post("/signin", include_in_schema=False)
def signin_demo(
    request: Request, email: Annotated[str, Form()], csrf_token: Annotated[str, Form()] = ""
) -> Response:
    """Demo mode only: sign in as a fictional person."""
    check_csrf(request, csrf_token)
    if not ctx(request).settings.demo:
        raise HTTPException(404, N_("There is nothing at this address."))
    return start_session(request, email.strip().lower(), request.query_params.get("next"))


def refuse(
    request: Request,
    reason: str,
    words: str,
    email: str | None = None,
    *,
    via: str | None = "oidc",
    status: int = 403,
) -> HTTPException:
    """Audit a refused sign-in (the person the address names, if any; never the address of
    anyone else, nor the token) and return the page to raise."""
    with ctx(request).store.transaction() as session:
        person = active_person(session, email) if email else None
        audit.record(
            session,
            actor=SOMEONE,
            action="signin.refused",
            object_type="person" if person else "address",
            object_id=person.id if person else None,
            school_id=person.school_id if person else None,
            details={"reason": reason, "via": via} if via else {"reason": reason},
        )
    return HTTPException(status, words)


def _schools_of(request: Request, org: str | None) -> list[str] | None:
    """The schools a token of tenant or domain ``org`` may sign in to: every school but
    those of another organisation (None: any school, when the token names none)."""
    if org is None:
        return None
    app = ctx(request)
    return [
        school.id
        for school in app.config.schools
        if not (orgs := school_organisations(app.settings, school.connection)) or org in orgs
    ]


def start_session(
    request: Request,
    email: str,
    next_path: str | None,
    *,
    via: str | None = None,
    subject: Subject | None = None,
    org: str | None = None,
) -> Response:
    """Sign ``email`` in (an active person in the directory, else 403) and go to ``next_path``.

    ``via`` names how the identity was vouched for (e.g. ``teams_sso``) in the audit entry;
    ``subject`` is the provider's, which the person is tied to (``identity.bind``); ``org``
    the tenant or domain a token without a subject to bind (Teams SSO) was checked for: as a
    subject's, only a person of that organisation's schools is signed in.
    """
    schools = _schools_of(request, subject.org if subject is not None else org)
    with ctx(request).store.transaction() as session:
        person = active_person(session, email, schools)
        try:
            if person is None and schools is not None and active_person(session, email) is not None:
                raise IdentityRefused("foreign")  # in another organisation's school only
            if person is None:
                raise IdentityRefused("not_in_directory")
            bound = subject is not None and bind(person, subject)
        except IdentityRefused as exc:
            refused = exc
        else:
            request.session.clear()
            request.session.update(
                {"user": person.email, "school": person.school_id, "sv": person.session_version}
            )
            details = {**({"via": via} if via else {}), **({"bound": True} if bound else {})}
            audit.record(
                session,
                actor=person.email,
                action="signed_in",
                object_type="person",
                object_id=person.id,
                school_id=person.school_id,
                details=details or None,
            )
            # a school still in preview: its admins and headteacher land on the setup page
            first = (
                not next_path
                and person.role_names & SETUP_EDITORS
                and not is_sending(session, person.school_id)
            )
            return RedirectResponse("/setup" if first else safe_next(next_path), status_code=303)
    raise refuse(request, refused.reason, refused.words, email, via=via)


async def _verified_claims(request: Request) -> dict[str, Any]:
    """The claims of the provider's ID token (and, when it has no email, of its UserInfo
    endpoint, for the same subject); HTTPException (4xx, plain words) otherwise."""
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError

    if request.query_params.get("error"):  # the person cancelled, or the provider refused
        log.info("sign-in: the provider declined")
        raise HTTPException(403, DECLINED)
    client = _oauth(request)
    try:
        token = await client.authorize_access_token(
            request, claims_options=_id_token_checks(request, await client.load_server_metadata())
        )
        claims = dict(token.get("userinfo") or {})  # the ID token's, checked by authlib
        if not claims.get("email"):  # a spec-conformant provider serves it at UserInfo
            info = dict(await client.userinfo(token=token))
            if info.get("sub") != claims.get("sub"):
                raise await run_in_threadpool(
                    refuse, request, "userinfo_subject", NOT_COMPLETED, status=400
                )
            claims = info | claims
    except MismatchingStateError:
        raise HTTPException(400, EXPIRED) from None
    except JoseError as exc:  # the ID token's issuer, audience, signature, expiry or nonce
        reason = f"id_token_{getattr(exc, 'claim', None) or exc.error}"
        log.warning("sign-in: the ID token was refused (%s)", reason)
        raise await run_in_threadpool(refuse, request, reason, NOT_COMPLETED, status=400) from None
    except (OAuthError, AuthlibBaseError, httpx.HTTPError, ValueError, KeyError) as exc:
        # the type only: a provider's description may quote the person's details
        log.warning("sign-in: the callback failed (%s)", type(exc).__name__)
        raise HTTPException(400, NOT_COMPLETED) from None
    return claims


def _id_token_checks(request: Request, metadata: dict[str, Any]) -> dict[str, Any]:
    """What authlib checks of the ID token beyond signature, expiry and nonce: its audience is
    this app, and its issuer the discovery document's (per tenant for a multi-tenant app:
    ``identity.issuer_accepted``, for the tenants configured here)."""
    settings = ctx(request).settings
    tenants, _ = organisations(settings)
    discovered = str(metadata.get("issuer") or "")
    return {
        "iss": {
            "essential": True,
            "validate": lambda claims, iss: issuer_accepted(
                iss, discovered, claims.get("tid"), tenants
            ),
        },
        "aud": {"essential": True, "value": settings.oidc_client_id},
    }


@router.get("/auth/callback", include_in_schema=False)
async def callback(request: Request) -> Response:
    """OIDC redirect target: the address the provider vouches for must be a person in the
    directory, tied to the provider's subject (bot.engine.web.identity)."""
    next_path = request.session.pop("next", None)
    claims = await _verified_claims(request)
    settings = ctx(request).settings
    try:
        email = vouched_email(claims, settings=settings)
    except IdentityRefused as exc:
        address = claims.get("email")
        raise await run_in_threadpool(
            refuse,
            request,
            exc.reason,
            exc.words,
            address.lower() if isinstance(address, str) else None,
        ) from None
    # the person's record, their binding and the audit entry are a transaction: on a page
    # thread, so other pages' requests are not held while it runs
    return await run_in_threadpool(
        start_session, request, email, next_path, via="oidc", subject=Subject.of(claims)
    )


@router.post("/signout", include_in_schema=False)
def signout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """End the session here and on the server: every cookie of this person stops working."""
    check_csrf(request, csrf_token)
    person = current_user(request)
    if person is not None:
        with ctx(request).store.transaction() as session:
            session.execute(
                update(Person)
                .where(Person.id == person.id)
                .values(session_version=Person.session_version + 1)
            )
            audit.record(
                session,
                actor=person.email,
                action="signed_out",
                object_type="person",
                object_id=person.id,
                school_id=person.school_id,
            )
    request.session.clear()
    return RedirectResponse("/", status_code=303)
