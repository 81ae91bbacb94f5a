"""The first-run setup (``/setup``), the school's settings pages (``/admin/...``: school
details, people in roles, where the settings are managed, the school.yaml export) and the
"Start sending" button that ends preview. Policies and editions are in ``web_policies``,
requirements in ``web_requirements``, term dates in ``web_terms``; people outside the
directory are on ``/admin/people``.

Every change is validated (a 422 naming the box, nothing stored), saved as a new version of the
settings, audited and applied at once. When school.yaml is the settings' home the pages show
the settings and say who changes them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from bot.core import audit
from bot.core.config import JOB_ROLES, SchoolConfig, load_config
from bot.core.config import store as config_store
from bot.core.config.per_school import SettingsProblem, settings_problems
from bot.core.days.clock import local_today
from bot.core.deployment import setup_state
from bot.core.guards.permissions import SETUP_EDITORS, TRUST_ADMINS
from bot.core.language.i18n import LANGUAGES, N_, language_name
from bot.core.language.words import said_words, school_words
from bot.core.models import Person, utcnow
from bot.core.nations import NATIONS, OLDER_COUNTRY, country_name, school_words_for
from bot.engine.directory_kept import posts_to_map
from bot.engine.settings_problems import describe as describe_settings
from bot.engine.step_failures import describe, failing_steps
from bot.engine.web.deps import ctx, require_roles
from bot.features.reading.api import without_edition
from bot.features.setup import web_policies, web_requirements, web_terms
from bot.features.setup.answers import LIST_ROLES, SchoolAnswers, post_role, refusal, role_boxes
from bot.features.setup.pages import (
    boxes,
    current_org,
    current_school,
    editor,
    failed,
    form_route,
    page_route,
    people_choices,
    saved,
    show,
    trust_wide,
    visible_org,
)
from bot.features.setup.rules import SetupError
from bot.features.setup.service import NOBODY_OWES, nobody_owes
from bot.features.setup.summary import summary_sections

__all__ = ["COUNTRY_NAMES", "router"]

router = APIRouter()
# what a school may choose: every pack, never the older ``england-and-wales`` (still read)
COUNTRY_NAMES = {country: country_name(country) for country in NATIONS}
# what a school's people may read (bot.core.language.i18n), each in its own words
LANGUAGE_NAMES = {language: language_name(language) for language in LANGUAGES}
_BOX = N_("%(box)s: %(problem)s.")  # a box's answer refused in the model's words (edit_school's)


# --------------------------------------------------------------------------- the setup page


@router.get("/setup", include_in_schema=False)
def setup_page(request: Request) -> Response:
    """What a new school sees first: the steps, what each has saved, and "Start sending"."""
    user = require_roles(request, SETUP_EDITORS)
    with ctx(request).store.session() as session:
        school = current_org(request, session).school(user.school_id)
        problems = settings_problems(session)
        data = {
            "school": school,
            "own_held": any(p.school_id == school.id for p in problems),
            "sections": summary_sections(
                school, local_today(utcnow()), source=setup_state.config_source(session)
            ),
            "failing_jobs": [describe(f) for f in failing_steps(session, school.id)],
            "settings_problems": [  # a file the trust's IT lead fixes: its lines are theirs
                (
                    describe_settings(p),
                    p.lines if not p.whole or user.role_names & TRUST_ADMINS else (),
                )
                for p in problems
                if p.school_id == school.id or user.role_names & TRUST_ADMINS
            ],
            "nobody_owes": NOBODY_OWES if nobody_owes(session, school) else None,
            "posts_to_map": sorted(posts_to_map(session, school.id).items()),
            "without_edition": without_edition(session, school, local_today(utcnow())),
            "trust_schools": _trust_schools(session, request, user, problems),
        }
    return show(request, "setup.html", data)


def _trust_schools(
    session: Session, request: Request, user: Person, problems: list[SettingsProblem]
) -> list[dict[str, Any]]:
    """For a trust-wide administrator of several schools: each school's name, whether it is
    sending and whether it is held on its last good settings, then each school held with
    settings that have never passed (empty for anyone else: they start their own school)."""
    schools = ctx(request).config.schools
    if not trust_wide(user) or len(schools) < 2:
        return []
    held = {p.school_id for p in problems}
    return [
        {
            "id": s.id,
            "name": s.name,
            "sending": setup_state.is_sending(session, s.id),
            "held": s.id in held,
        }
        for s in schools
    ] + [
        {"id": p.school_id, "name": p.name, "never_passed": True}
        for p in problems
        if p.held and all(s.id != p.school_id for s in schools)
    ]


@router.post("/setup/start-sending", include_in_schema=False)
def start_sending(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    school: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """End one school's preview: from now on the sweep queues the reminders it plans for that
    school (audited under the school, once). ``school``: the signed-in person's own when not
    given; another school (or ``*``, every school) only for a trust-wide administrator."""
    user = editor(request, csrf_token)
    schools = [s.id for s in ctx(request).config.schools]
    chosen = school or user.school_id
    if chosen != user.school_id and not trust_wide(user):
        raise HTTPException(
            403,
            N_(
                "You can start sending for your own school only: a "
                "trust-wide administrator can start the others."
            ),
        )
    if chosen != "*" and chosen not in schools:
        raise HTTPException(404, N_("There is no such school."))
    now = utcnow()
    with ctx(request).store.transaction() as session:
        for school_id in schools if chosen == "*" else [chosen]:
            setup_state.start_sending(session, school_id, by=user.email, now=now)
    where = "" if chosen in ("*", user.school_id) else f"&school={chosen}"
    return RedirectResponse(f"/dashboard?sending=started{where}", status_code=303)


# --------------------------------------------------------------------------- school details


SCHOOL_BOXES = {"name": 200, "country": 40, "reply_to": 320, "language": 10}  # the most each holds


def _school_data(form: dict[str, str], school: SchoolConfig | None = None) -> dict[str, Any]:
    """The school details form, its choices and (shown) its Welsh language category."""
    category = school and school.language_said
    return {
        "form": form,
        "limits": SCHOOL_BOXES,
        "fields": SchoolAnswers.model_fields,  # each box's question and help: the answers' own
        "countries": COUNTRY_NAMES,
        "languages": LANGUAGE_NAMES,
        "category": category,
    }


def _school_page(request: Request, user: Person) -> dict[str, Any]:
    """The school's name, nation (bank holidays) and the address replies go to."""
    school = current_school(request, user.school_id)
    form = {box: getattr(school, box) or "" for box in SCHOOL_BOXES}
    return _school_data(form, school)


def _school_saved(request: Request, user: Person, sent: FormData) -> Response:
    """Save the school details, checked by the answers' model (422 naming the box)."""
    form = boxes(sent, SCHOOL_BOXES)
    name, country, reply_to, language = form.values()

    def change(school: dict[str, Any]) -> None:
        chosen = language or str(school.get("language") or "en")  # a form without the box
        for box, given in (("name", name), ("country", country), ("language", chosen)):
            school[box], problem = refusal(SchoolAnswers, box, given)  # the answers' checks
            if problem is not None:
                label = SchoolAnswers.model_fields[box].title
                raise SetupError(box, _BOX, words=("box",), box=label, problem=problem)
        school["reply_to"] = reply_to.strip().lower() or None

    to, data = "/admin/school?saved=1", _school_data(form)
    note = "school details changed"
    return saved(request, user, change, note, to=to, template="admin_school.html", data=data)


# --------------------------------------------------------------------------- people in roles


def _roles_data(request: Request, user: Person) -> dict[str, Any]:
    """Head, safeguarding lead and deputies, DPO, clerk, chair and the bot's administrators."""
    with ctx(request).store.session() as session:
        school = current_org(request, session).school(user.school_id)
        people = people_choices(session, user.school_id)
        posts = posts_to_map(session, user.school_id)
    words = school_words(school)  # each said in the page's language where it is shown
    roles = role_boxes(words)
    return {
        "people": people,
        "roles": roles,
        "chosen": {b.key: _held(getattr(school, b.key)) for b in roles},
        "post_roles": [(r, post_role(r, words)) for r in JOB_ROLES],
        "posts": [(p, n) for p, n in sorted(posts.items()) if p not in school.job_titles],
    }


def _held(value: str | list[str] | None) -> list[str]:
    """Who holds a role, as a list (one person, several or nobody)."""
    return value if isinstance(value, list) else [value] if value else []


def _posts_saved(request: Request, user: Person, form: FormData) -> Response:
    """Save what each post to map gives (one choice each, for everyone holding it)."""
    chosen = dict(zip(map(str, form.getlist("post")), map(str, form.getlist("role")), strict=False))
    data = _roles_data(request, user)
    shown = {post for post, _names in data["posts"]}

    def change(school: dict[str, Any]) -> None:
        picked = {p: r for p, r in chosen.items() if r}
        if any(p not in shown or r not in JOB_ROLES for p, r in picked.items()):
            raise SetupError("posts", N_("Posts to map: choose a role from the list."))
        school["job_titles"] = {**(school.get("job_titles") or {}), **picked}

    return saved(
        request,
        user,
        change,
        "posts mapped",
        to="/admin/roles?saved=1#posts",
        template="admin_roles.html",
        data=data,
    )


def _roles_saved(request: Request, user: Person, form: FormData) -> Response:
    """Save the people in roles: each must be someone the directory lists."""
    data = _roles_data(request, user)
    picked = {b.key: [str(v) for v in form.getlist(b.key) if v] for b in data["roles"]}
    known = {email for email, _ in data["people"]}
    data["chosen"] = picked

    def change(school: dict[str, Any]) -> None:
        words = school_words_for(
            str(school.get("country") or OLDER_COUNTRY), school.get("words") or None
        )
        labels = {b.key: b.label for b in role_boxes(words)}
        for box, emails in picked.items():
            if any(e not in known for e in emails):
                raise SetupError(
                    box, N_("%(label)s: choose people from the list."), label=labels[box]
                )
        if not picked["headteacher"]:
            raise SetupError(
                "headteacher",
                N_("%(label)s: choose the %(head)s."),
                label=labels["headteacher"],
                head=said_words(words).headteacher,
            )
        if not picked["dsl"]:
            raise SetupError("dsl", N_("%(label)s: choose at least one."), label=labels["dsl"])
        if user.email not in picked["admins"] + picked["headteacher"] and not trust_wide(user):
            raise SetupError(
                "admins",
                N_(
                    "Administrators: you are not in the list, so you could no longer open these "
                    "pages. Keep yourself in it (or ask another administrator to make the change)."
                ),
            )
        school |= {k: v if k in LIST_ROLES else (v[0] if v else None) for k, v in picked.items()}

    return saved(
        request,
        user,
        change,
        "people in roles changed",
        to="/admin/roles?saved=1",
        template="admin_roles.html",
        data=data,
    )


# --------------------------------------------------------------------------- where settings live


def _settings_data(request: Request, user: Person) -> dict[str, Any]:
    """Where the settings are managed (these pages or school.yaml) and the school.yaml export:
    the move only to whoever may decide it for every school, the export of what they may see."""
    schools = len(ctx(request).config.schools)
    with ctx(request).store.session() as session:
        newest = config_store.latest(session)
    return {
        "newest": newest,
        "config_file": ctx(request).settings.config_path.name,
        "may_move": schools == 1 or trust_wide(user),
        "whole_trust": schools > 1 and trust_wide(user),
    }


def _source_moved(request: Request, user: Person, sent: FormData) -> Response:
    """Move the settings' home; the move carries the settings in force with it."""
    source = boxes(sent, {"source": 10})["source"]
    settings = ctx(request).settings
    if len(ctx(request).config.schools) > 1 and not trust_wide(user):
        raise HTTPException(
            403,
            N_(
                "Where the settings are managed is decided for the whole "
                "trust: ask a trust-wide administrator."
            ),
        )
    if source not in setup_state.SOURCES:
        return failed(
            request,
            "admin_settings.html",
            _settings_data(request, user),
            SetupError("source", N_("Where the settings are managed: choose one of the two.")),
        )
    now = utcnow()
    with ctx(request).store.transaction() as session:
        before = setup_state.config_source(session)
        org = current_org(request, session)
        if before == "file" and source == "web":
            # what school.yaml says now becomes the first version the pages edit
            org = load_config(settings.config_path)
            config_store.save(
                session,
                org,
                by=user.email,
                now=now,
                note="settings moved from school.yaml to the web pages",
            )
        config_store.set_source(
            session, source, by=user.email, now=now, schools=[s.id for s in org.schools]
        )
        if before == "web" and source == "file":
            settings.config_path.write_text(config_store.to_yaml(org), encoding="utf-8")
    return RedirectResponse("/admin/settings?saved=1", status_code=303)


@router.get("/admin/settings/school.yaml", include_in_schema=False)
def settings_export(request: Request) -> Response:
    """The settings in force as a commented school.yaml (audited download): the signed-in
    person's school only, the whole trust's for a trust-wide administrator."""
    user = require_roles(request, SETUP_EDITORS)
    now = utcnow()
    with ctx(request).store.transaction() as session:
        org = visible_org(current_org(request, session), user)
        web = setup_state.config_source(session) == "web"
        audit.record(
            session,
            actor=user.email,
            action="config.exported",
            object_type="config",
            school_id=user.school_id,
            details={"schools": [s.id for s in org.schools]},
        )
    text = config_store.to_yaml(org, config_store.export_header(now) if web else None)
    return Response(
        text,
        media_type="text/yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="school.yaml"'},
    )


router.get("/admin/school", include_in_schema=False)(page_route("admin_school.html", _school_page))
router.post("/admin/school", include_in_schema=False)(form_route(_school_saved))
router.get("/admin/roles", include_in_schema=False)(page_route("admin_roles.html", _roles_data))
router.post("/admin/roles", include_in_schema=False)(form_route(_roles_saved, max_fields=400))
router.post("/admin/roles/posts", include_in_schema=False)(form_route(_posts_saved, max_fields=402))
router.get("/admin/settings", include_in_schema=False)(
    page_route("admin_settings.html", _settings_data)
)
router.post("/admin/settings", include_in_schema=False)(form_route(_source_moved))
router.include_router(web_policies.router)
router.include_router(web_requirements.router)
router.include_router(web_terms.router)
