"""A post the role table does not know (a Forest School Leader) on the web pages: /setup says
it is to map and who holds it, People in roles maps it once (for everyone holding it, saved
in the settings, audited as every change), a role that is not one is refused (422) with
nothing stored, and the next sweep gives its holder the role."""

from __future__ import annotations

from pathlib import Path

import time_machine
from fastapi.testclient import TestClient

from bot.core.config import store as config_store
from bot.core.models import Person
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.features.setup.conftest import TODAY, Site, build_web_school
from tests.support.helpers import Row, SchoolBuilder, at


def test_a_post_to_map_is_mapped_once_on_the_web(tmp_path: Path, sqlite_url: str) -> None:
    school = SchoolBuilder(tmp_path / "school")
    school.people.append(
        Row("fern@oak.example", "Fern Leaf", "", "All Staff", title="Forest School Leader")
    )
    ctx = build_web_school(school, sqlite_url)
    with (
        time_machine.travel(at(TODAY), tick=True),
        TestClient(create_app(ctx.settings, ctx), base_url="http://testserver") as client,
    ):
        site = Site(ctx, client)
        site.sign_in("office@oak.example")
        setup = client.get("/setup").text
        assert "Post to map: the role table does not say what this post gives" in setup
        assert "Forest School Leader (Fern Leaf)" in setup
        token = site.csrf("/admin/roles")
        bad = client.post(
            "/admin/roles/posts",
            data={"csrf_token": token, "post": "Forest School Leader", "role": "astronaut"},
        )
        assert bad.status_code == 422 and "Posts to map: choose a role from the list" in bad.text
        good = client.post(
            "/admin/roles/posts",
            data={"csrf_token": token, "post": "Forest School Leader", "role": "staff"},
            follow_redirects=False,
        )
        assert good.status_code == 303
        with ctx.store.session() as session:
            mapped = config_store.load_org(ctx.settings, session).school("oak").job_titles
        assert mapped == {"Forest School Leader": "staff"}
        ctx.__dict__.pop("config", None)
        run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=TODAY,
            now=at(TODAY, 11),
            deliver=False,
        )
        assert "Post to map" not in client.get("/setup").text
    with ctx.store.session() as session:
        fern = session.query(Person).filter_by(email="fern@oak.example").one()
        assert fern.role_names == {"staff"}
    ctx.store.dispose()
