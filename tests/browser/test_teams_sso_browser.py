"""In Chromium: the dashboard opened as a Teams tab (in a frame, ``inTeams=1``) signs the
headteacher in silently — our teams-tab.js asks TeamsJS for a token and posts it, the server
checks it against the fake tenant's JWKS. Teams itself is the one stand-in: the vendored TeamsJS
file is answered by a stub whose getAuthToken returns a token the fake tenant signed. When Teams
gives no token, the sign-in page stays as it was, the Sign in button still there."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import pytest

from bot.core.models import AuditEvent
from tests.support.clock import FrozenClock
from tests.support.fakes.oidc import FakeOidc
from tests.support.helpers import SchoolBuilder
from tests.web.test_teams_sso import HEAD, TAB, TENANT, claims, sso_env

pytestmark = pytest.mark.browser


def teams_stub(token: str | None) -> str:
    """A stand-in for the Teams host as TeamsJS exposes it to our script."""
    auth = (
        f"Promise.resolve({json.dumps(token)})"
        if token
        else "Promise.reject(new Error('resourceRequiresConsent'))"
    )
    return (
        "window.microsoftTeams = {app: {initialize: () => Promise.resolve(), "
        "registerOnThemeChangeHandler: () => {}, "
        "getContext: () => Promise.resolve({app: {theme: 'dark'}})}, "
        f"authentication: {{getAuthToken: () => {auth}}}}};"
    )


def open_in_teams(page: Any, url: str, token: str | None) -> Any:
    """Load the tab in a frame of a page on the same origin (Teams frames it the same way)."""
    page.route(
        "**/static/vendor/teams-js/MicrosoftTeams.min.js",
        lambda route: route.fulfill(body=teams_stub(token), content_type="text/javascript"),
    )
    page.route(
        f"{url}/teams-host",
        lambda route: route.fulfill(
            body=f'<!doctype html><title>Teams</title><iframe name="tab" src="{TAB}" '
            'width="1000" height="700"></iframe>',
            content_type="text/html",
        ),
    )
    page.goto(f"{url}/teams-host")
    frame = page.frame(name="tab")
    assert frame is not None
    return frame


def test_the_tab_signs_the_headteacher_in_without_a_click(
    school: SchoolBuilder, live_server: Any, page: Any, frozen_clock: FrozenClock
) -> None:
    frozen_clock.at(date(2026, 10, 19), 9, 0)
    provider = FakeOidc()
    with live_server(provider.app) as idp:
        provider.issuer = idp.url
        env = sso_env(school, provider)
        token = provider.sign(claims(int(time.time()), iss=provider.tenant_issuer(TENANT)))
        with live_server(env.app) as server:
            frame = open_in_teams(page, server.url, token)
            frame.wait_for_selector("text=Please sign in", state="detached")
            frame.wait_for_load_state()
            assert "/dashboard" in frame.url and "inTeams=1" in frame.url
            assert frame.locator("#teams-sso").count() == 0
            assert frame.locator("h1").count() >= 1
    with env.context.store.session() as session:
        event = session.query(AuditEvent).filter_by(action="signed_in").one()
    assert (event.actor, event.details) == (HEAD, {"via": "teams_sso"})


def test_without_a_token_the_sign_in_button_stays(
    school: SchoolBuilder, live_server: Any, page: Any, frozen_clock: FrozenClock
) -> None:
    frozen_clock.at(date(2026, 10, 19), 9, 0)
    provider = FakeOidc()
    with live_server(provider.app) as idp:
        provider.issuer = idp.url
        env = sso_env(school, provider)
        with live_server(env.app) as server:
            frame = open_in_teams(page, server.url, None)
            # our script asked Teams (and was refused), then put the page back as it was
            frame.wait_for_function("() => sessionStorage.getItem('cb-teams-sso-tried') !== null")
            frame.wait_for_selector("#teams-sso-status", state="hidden")
            assert frame.locator("a.button", has_text="Sign in").is_visible()
            assert frame.locator("h1").inner_text() == "Please sign in"
    with env.context.store.session() as session:
        assert session.query(AuditEvent).filter_by(action="signed_in").count() == 0
