"""The privacy notice and terms of use: public pages in the school's name (built-in text) or the
school's own Markdown from ``school.yaml``, sanitised; and every address in the generated Teams
manifest answers 200 — privacyUrl and termsOfUseUrl included."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.core.config import ConfigError, load_config
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.features.dashboard.teams_package import build_manifest
from bot.features.reports.intake import link_token
from bot.web.app import create_app
from tests.features.reports.test_support import Env, TestClient, configure, env_fixture  # noqa: F401 - env_fixture is ``env``
from tests.support.helpers import SchoolBuilder

APP_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def test_built_in_pages_speak_in_the_schools_name(env: Env) -> None:
    client = env.client()
    privacy = client.get("/privacy")
    assert privacy.status_code == 200
    assert "<h1>Privacy notice</h1>" in privacy.text
    assert "Oak Test School uses this service" in privacy.text
    assert "is the data controller" in privacy.text
    assert "deleted after 365 days" in privacy.text  # the school's visitor_retention_days
    assert "{school}" not in privacy.text and "{contact}" not in privacy.text
    terms = client.get("/terms")
    assert terms.status_code == 200
    assert "<h1>Terms of use</h1>" in terms.text
    assert "provided by Oak Test School" in terms.text
    # every page links to both
    home = client.get("/")
    assert 'href="/privacy"' in home.text and 'href="/terms"' in home.text


def _client(builder: SchoolBuilder, *extra_schools: dict[str, Any], **fields: Any) -> TestClient:
    """The app for the builder's school with ``fields`` in its school.yaml (and more schools)."""
    configure(builder)
    builder.school.update(fields)
    builder.write()
    if extra_schools:
        config = builder.home / "school.yaml"
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["schools"] += [{**builder.school, **extra} for extra in extra_schools]
        config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    settings = Settings(
        home=builder.home,
        demo=True,
        base_url="http://testserver",
        secret_key="test-secret-key-0123456789-abcdefghij",
    )
    context = AppContext(settings)
    return TestClient(create_app(settings, context))


def test_the_schools_own_text_is_shown_sanitised(school: SchoolBuilder) -> None:
    client = _client(
        school,
        privacy_notice="# Our privacy notice\n\nRead the full notice on "
        "[our website](https://oak.example/p).\n\n<script>alert(1)</script>\n\n"
        "[bad](javascript:alert(2))",
        terms_of_use="Be kind.",
    )
    page = client.get("/privacy").text
    assert "<h2>Our privacy notice</h2>" in page  # below the page's own h1
    assert 'href="https://oak.example/p"' in page
    assert "<script>alert" not in page and 'href="javascript' not in page  # shown as text
    assert "uses this service" not in page  # the built-in text is replaced, not appended
    assert "Be kind." in client.get("/terms").text


def test_a_trust_shows_each_schools_text(school: SchoolBuilder) -> None:
    client = _client(
        school, {"id": "elm", "name": "Elm Test School", "terms_of_use": "The Elm terms apply."}
    )
    page = client.get("/terms").text
    assert "<h2>Oak Test School</h2>" in page and "<h2>Elm Test School</h2>" in page
    assert "provided by Oak Test School" in page and "The Elm terms apply." in page
    assert "Data Protection Officer (dpo@oak.example)" in page


def test_a_text_too_long_is_refused_naming_the_field(school: SchoolBuilder) -> None:
    configure(school)
    school.school["privacy_notice"] = "x" * 20001
    school.write()
    with pytest.raises(ConfigError, match="privacy_notice"):
        load_config(school.home / "school.yaml")


def _urls(value: Any) -> list[str]:
    """Every https:// address anywhere in the manifest."""
    if isinstance(value, dict):
        return [u for v in value.values() for u in _urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in _urls(v)]
    return [value] if isinstance(value, str) and value.startswith("https://") else []


def test_every_address_in_the_teams_manifest_answers(env: Env) -> None:
    manifest = build_manifest("testserver", APP_ID)
    urls = _urls(manifest)
    urls.remove(manifest["$schema"])  # Microsoft's schema, not ours
    assert {urlsplit(u).path for u in urls} >= {
        "/privacy",
        "/terms",
        "/dashboard",
        "/teams/configure",
        "/",
    }
    client = env.client("head@oak.example")  # the headteacher, as in the personal tab
    for url in urls:
        parts = urlsplit(url.replace("{theme}", "dark"))
        assert parts.netloc == "testserver"
        response = client.get(parts.path, params=parts.query or None, follow_redirects=True)
        assert response.status_code == 200, url


# --------------------------------------------------------------------------- in Welsh

LEGAL_TEXTS = Path(__file__).parents[2] / "bot" / "web" / "legal_texts"
# proper names and the English terms a Welsh text keeps in brackets where no Welsh public
# source gives one (each file's sources comment says which)
_KEPT = re.compile(r"\([^)]*\)|Microsoft 365|Microsoft Teams|Google Workspace|Teams|TG")


@pytest.fixture(scope="module")
def english_only() -> set[str]:
    """Words English uses and the Welsh catalogue does not (``tests/core/test_i18n.py``)."""
    from babel.messages.pofile import read_po

    from tests.core.test_i18n import PO, english_words

    with PO.open("rb") as po:
        return english_words.__wrapped__(read_po(po, locale="cy"))  # type: ignore[attr-defined]


def _texts(page: str) -> dict[str, str]:
    """Each legal text on the page by its ``lang``, as plain words."""
    found = re.findall(r'<div class="legal-text" lang="([^"]+)">(.*?)</div>', page, re.DOTALL)
    return {lang: unescape(re.sub(r"<[^>]+>", " ", html)) for lang, html in found}


@pytest.mark.parametrize("kind", ["privacy", "terms"])
def test_a_welsh_schools_notice_is_welsh_and_says_the_english_governs(
    school: SchoolBuilder, kind: str, english_only: set[str]
) -> None:
    client = _client(school, country="wales", language="cy", dpo="dpo@oak.example")
    page = client.get(f"/{kind}").text
    assert page.count('<html lang="cy"') == 1
    texts = _texts(page)
    assert list(texts) == ["cy"]  # Welsh alone
    welsh = texts["cy"]
    assert "Oak Test School" in welsh and "{" not in welsh
    assert "y fersiwn Saesneg sy'n cael blaenoriaeth" in welsh
    assert f'href="/{kind}?school=oak&amp;lang=en"' in page
    assert "Swyddog Diogelu Data yr ysgol (dpo@oak.example)" in welsh
    assert "Person Diogelu Dynodedig" in welsh  # Wales's words, said in Welsh
    left = sorted(
        w
        for w in re.findall(r"[A-Za-z']+", _KEPT.sub(" ", welsh))
        if w.lower() in english_only and w not in ("Oak", "Test", "School")
    )
    assert not left, left
    # the link: the English text, marked as English, inside the Welsh page's frame
    english = client.get(f"/{kind}?school=oak&lang=en").text
    assert list(_texts(english)) == ["en-GB"]
    assert "Data Protection Officer (dpo@oak.example)" in _texts(english)["en-GB"]


def test_the_welsh_privacy_notice_names_the_regulator_and_guidance_in_welsh(
    school: SchoolBuilder,
) -> None:
    welsh = _texts(_client(school, country="wales", language="cy").get("/privacy").text)["cy"]
    assert "Cadw dysgwyr yn ddiogel" in welsh
    assert "gallwch gyflwyno cwyn i Swyddfa'r Comisiynydd Gwybodaeth (ICO)" in welsh
    assert "https://ico.org.uk/make-a-complaint/" in welsh
    assert "ar ôl 365 diwrnod" in welsh  # the school's visitor_retention_days


def test_a_dual_language_school_shows_the_welsh_then_the_english(school: SchoolBuilder) -> None:
    page = _client(school, country="wales", language="cy+en").get("/terms").text
    assert '<html lang="cy"' in page
    assert list(_texts(page)) == ["cy", "en-GB"]  # Welsh first
    assert page.index("Darperir y gwasanaeth hwn gan Oak Test School") < page.index(
        "This service is provided by Oak Test School"
    )


def test_an_english_schools_notice_is_as_before(env: Env) -> None:
    page = env.client().get("/privacy").text
    assert list(_texts(page)) == ["en-GB"] and "Cyfieithiad" not in page


@pytest.mark.parametrize("kind", ["privacy", "terms"])
def test_the_welsh_text_keeps_the_english_texts_facts(kind: str) -> None:
    """The same sections, the same list of promises, the same values filled in."""
    english = (LEGAL_TEXTS / f"{kind}.md").read_text(encoding="utf-8")
    welsh = (LEGAL_TEXTS / f"{kind}.cy.md").read_text(encoding="utf-8")
    welsh = welsh[welsh.index("-->") + 3 :]
    for pattern in (r"^## ", r"^- ", r"\*\*[^*]+\*\*"):
        assert len(re.findall(pattern, welsh, re.M)) == len(re.findall(pattern, english, re.M))
    assert set(re.findall(r"\{\w+\}", welsh)) == set(re.findall(r"\{\w+\}", english)) | {
        "{english_url}"
    }
    for number in re.findall(r"\b\d+\b", english):
        assert number in welsh


# ------------------------------------------------------------------ a trust: each school's own

TRUST_SCHOOLS = {  # id: (its entry, its head, the words only its notice has, its page's lang)
    "oak": ({}, "head@oak.example", "Designated Safeguarding Lead", "en-GB"),
    "llan": (
        {"name": "Ysgol Llan", "country": "wales", "language": "cy+en"},
        "pennaeth@llan.example",
        "Person Diogelu Dynodedig",
        "cy",
    ),
    "birch": (
        {"name": "Birch House School", "independent": True},
        "head@birch.example",
        "Birch House School uses this service",
        "en-GB",
    ),
}


@pytest.fixture(name="trust")
def trust_fixture(school: SchoolBuilder) -> Env:
    """Oak (England), Ysgol Llan (Wales, cy+en) and Birch House (an independent school) on
    one install, each with its own headteacher."""
    from tests.features.reports.test_support import sync_people
    from tests.support.helpers import Row

    configure(school)
    school.people = [Row(**{**r.__dict__, "school": "oak"}) for r in school.people]
    for school_id, (entry, head, _, _) in TRUST_SCHOOLS.items():
        if school_id == "oak":
            continue
        school.others.append(
            {
                "id": school_id,
                "headteacher": head,
                "dsl": [head],
                "reports": {"allow_anonymous": True},
                **entry,
            }
        )
        school.people.append(Row(head, "Pat Head", "staff", "All Staff", school=school_id))
    context = school.context(None, demo=True, base_url="http://testserver")
    sync_people(context)
    return Env(context=context, app=create_app(context.settings, context), builder=school)


def _only_school(page: str, school_id: str) -> None:
    """The page is ``school_id``'s notice alone: its name, no other school's."""
    names = {"oak": "Oak Test School", "llan": "Ysgol Llan", "birch": "Birch House School"}
    assert names[school_id] in page
    assert [n for s, n in names.items() if s != school_id and n in page] == []


@pytest.mark.parametrize("school_id", sorted(TRUST_SCHOOLS))
@pytest.mark.parametrize("kind", ["privacy", "terms"])
def test_each_schools_people_and_reporters_read_their_own_schools_notice(
    trust: Env, school_id: str, kind: str
) -> None:
    _, head, words, lang = TRUST_SCHOOLS[school_id]
    staff = trust.client(head)
    page = staff.get(f"/{kind}").text
    _only_school(page, school_id)
    assert f'<html lang="{lang}"' in page
    if kind == "privacy":
        assert words in page
    # a reporter: the school's concern form links to that school's notice, which they read
    key = trust.context.settings.signing_key()
    form = trust.client().get(f"/report/{school_id}/{link_token(key, school_id)}")
    assert form.status_code == 200, form.text
    assert f'href="/{kind}?school={school_id}"' in form.text
    public = trust.client().get(f"/{kind}?school={school_id}").text
    _only_school(public, school_id)
    assert f'<html lang="{lang}"' in public
    if kind == "privacy":
        assert words in public


def test_a_visitor_naming_no_school_reads_each_schools_and_an_unknown_school_is_404(
    trust: Env,
) -> None:
    page = trust.client().get("/privacy").text
    for name in ("Oak Test School", "Ysgol Llan", "Birch House School"):
        assert f"<h2>{name}</h2>" in page
    assert trust.client().get("/privacy?school=nowhere").status_code == 404
