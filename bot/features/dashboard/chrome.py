"""What every dashboard page shares: links keeping the theme and Teams flags, labels, the viewer
and the guard.

Every page works without JavaScript. Inside Teams (``?inTeams=1``) the page loads the vendored
TeamsJS library and a first-party script that follows Teams' theme changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from bot.core.guards.permissions import DASHBOARD_READERS, GOVERNORS
from bot.core.language.i18n import N_
from bot.engine.web.deps import ctx, current_user, render
from bot.engine.web.teams_sso import sso_setup
from bot.features.dashboard.viewer import NotAllowed, SignInNeeded, Viewer, school_roles

__all__ = [
    "CLOSED",
    "EVIDENCE_KINDS",
    "KIND_LABELS",
    "OPEN",
    "SOURCES",
    "THEMES",
    "chrome",
    "find_viewer",
    "guarded",
    "school_page",
]

THEMES = ("light", "dark", "contrast", "default")
# labels said in the page's language where shown (``|translated``); codes never shown
KIND_LABELS = {
    "acknowledge_policy": N_("Policy acknowledgements"),
    "complete_training": N_("Training"),
    "reading_campaign": N_("Guidance read each year"),
    "sign_aup": N_("AUP signatures"),
    "recurring_task": N_("Recurring tasks"),
    "review_policy": N_("Policy reviews"),
}
EVIDENCE_KINDS = {"aup_signature": N_("AUP signature"), "acknowledgement": N_("Acknowledgement")}
SOURCES = {  # where a training record came from
    "self": N_("Themselves"),
    "on_behalf": N_("Recorded on their behalf"),
    "csv": N_("Imported record"),
}
OPEN = N_("open")  # a duty's state while it is still owed (a word, not the verb "Open")
CLOSED = {  # why a duty is no longer open
    "done": N_("Done"),
    "superseded": N_("Superseded"),
    "not_read": N_("Not read"),
    "left": N_("Left"),
    "missed": N_("Missed"),
}


def chrome(request: Request) -> dict[str, Any]:
    """What every dashboard template needs: Teams mode and a link builder keeping the theme."""
    params = request.query_params
    keep = {
        k: params[k]
        for k, kept in (("theme", THEMES), ("inTeams", ("1",)))
        if params.get(k) in kept
    }

    def link(path: str, **extra: Any) -> str:
        """``path`` with the theme and Teams flags kept, plus ``extra`` (None drops a key)."""
        query = {**keep, **{k: v for k, v in extra.items() if v is not None and v != ""}}
        return f"{path}?{urlencode(query)}" if query else path

    def theme_link(theme: str) -> str:
        """This page again, in another theme."""
        query = {k: v for k, v in params.items() if k != "theme"}
        return f"{request.url.path}?{urlencode({**query, 'theme': theme})}"

    return {
        "in_teams": keep.get("inTeams") == "1",
        "link": link,
        "keep": keep,
        "theme_link": theme_link,
    }


def school_page(request: Request, template: str, viewer: Viewer, data: dict[str, Any]) -> Response:
    """A page about the viewer's school: the chrome, the viewer and the ``school`` query value
    kept in links (only in a trust)."""
    school = viewer.school.id if len(viewer.schools) > 1 else None
    return render(
        request, template, {**chrome(request), "viewer": viewer, "school_param": school, **data}
    )


def guarded(request: Request, build: Callable[[], Response]) -> Response:
    """Run a page builder, turning "not signed in" and "not allowed" into friendly pages."""
    try:
        response = build()
    except SignInNeeded:
        here = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
        return render(
            request,
            "dashboard_signin.html",
            {
                "next": request.url.path,
                "here": here,  # where Teams single sign-on comes back to (theme kept)
                "teams_sso": sso_setup(ctx(request).settings) is not None,
                **chrome(request),
            },
            status_code=401,
        )
    except NotAllowed as denied:
        return render(
            request,
            "dashboard_denied.html",
            {"governor": denied.governor, **chrome(request)},
            status_code=403,
        )
    theme = request.query_params.get("theme")
    if theme in THEMES:  # remember a chosen theme for the rest of the site (render() reads it)
        response.set_cookie(
            "cb_theme", theme, max_age=365 * 86400, httponly=True, samesite="lax", path="/"
        )
    return response


def find_viewer(request: Request, session: Session, school_id: str | None) -> Viewer:
    """Who is looking, at which school; raises for the sign-in and refusal pages."""
    user = current_user(request, session)
    if user is None:
        raise SignInNeeded()
    config = ctx(request).config
    others = [s for s in config.schools if s.id != user.school_id]  # their own school: ``user``
    roles = school_roles(session, others, user.email, config.organisation.trust_admins)
    roles[user.school_id] = set(user.role_names)  # signed in: a record here, still active
    allowed = tuple(s for s in config.schools if roles[s.id] & DASHBOARD_READERS)
    if not allowed:
        held = set().union(*roles.values()) | set(user.role_names)
        raise NotAllowed(governor=bool(held & GOVERNORS))
    if school_id:
        if not any(s.id == school_id for s in config.schools):
            raise HTTPException(404, N_("There is no such school."))
        chosen = next((s for s in allowed if s.id == school_id), None)
        if chosen is None:
            raise HTTPException(403, N_("You cannot open this school's dashboard."))
    else:
        chosen = next((s for s in allowed if s.id == user.school_id), allowed[0])
    return Viewer(user.email, frozenset(roles[chosen.id]), chosen, allowed, user)
