"""Sign-in: OIDC (Entra ID / Google) for real deployments; a people picker in demo mode only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.core import audit
from bot.core.models import Person
from bot.web.deps import check_csrf, ctx, current_user, render

router = APIRouter()


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    """Signed in: your page. Otherwise: what this is and how to sign in."""
    if current_user(request) is not None:
        return RedirectResponse("/me", status_code=303)
    return render(request, "home.html", {"schools": ctx(request).config.schools})


def _oauth(request: Request) -> Any:
    """The authlib client for the configured OpenID Connect issuer."""
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
        client_kwargs={"scope": "openid email profile"},
    )
    return oauth.school


@router.get("/signin", include_in_schema=False)
async def signin(request: Request) -> Response:
    """Start sign-in."""
    settings = ctx(request).settings
    if settings.demo:
        with ctx(request).store.session() as session:
            people = session.scalars(
                select(Person).where(Person.active.is_(True)).order_by(Person.display_name)
            ).all()
            for p in people:
                _ = p.role_names
        return render(request, "signin_demo.html", {"people": people})
    if not settings.oidc_issuer:
        return render(
            request,
            "error.html",
            {
                "status": 503,
                "message": "Sign-in is not set up yet. An administrator needs to set "
                "COMPLIANCE_BOT_OIDC_ISSUER, _CLIENT_ID and _CLIENT_SECRET (see deploy/).",
            },
            status_code=503,
        )
    return await _oauth(request).authorize_redirect(  # type: ignore[no-any-return]
        request, f"{settings.base_url}/auth/callback"
    )


@router.post("/signin", include_in_schema=False)
def signin_demo(
    request: Request, email: Annotated[str, Form()], csrf_token: Annotated[str, Form()] = ""
) -> Response:
    """Demo mode only: sign in as a fictional person."""
    check_csrf(request, csrf_token)
    if not ctx(request).settings.demo:
        raise HTTPException(404, "There is nothing at this address.")
    return _start_session(request, email.strip().lower())


def _start_session(request: Request, email: str) -> Response:
    with ctx(request).store.transaction() as session:
        person = session.scalar(
            select(Person).where(Person.email == email, Person.active.is_(True))
        )
        if person is None:
            raise HTTPException(403, "Your account is not in the school's directory.")
        request.session.clear()
        request.session.update({"user": person.email, "school": person.school_id})
        audit.record(
            session,
            actor=person.email,
            action="signed_in",
            object_type="person",
            object_id=person.id,
            school_id=person.school_id,
        )
    return RedirectResponse(request.query_params.get("next") or "/me", status_code=303)


@router.get("/auth/callback", include_in_schema=False)
async def callback(request: Request) -> Response:
    """OIDC redirect target: the verified email must be a person in the directory."""
    token = await _oauth(request).authorize_access_token(request)
    claims = token.get("userinfo") or {}
    email = str(claims.get("email") or claims.get("preferred_username") or "").lower()
    if not email:
        raise HTTPException(403, "Your sign-in did not include an email address.")
    return _start_session(request, email)


@router.post("/signout", include_in_schema=False)
def signout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """End the session."""
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/", status_code=303)
