"""``check m365`` and ``check google`` in the language of the schools on the tenant or
domain. Each row's name, verdict and fix are catalogue sentences: Welsh in ``cy``, Welsh first
then English in ``cy+en``, English as before in ``en`` (the existing check tests hold the
English). Microsoft's and Google's own words stay as they write them: permission names, scope
URLs, admin-centre menu names, PowerShell, and what the platform answered.

The scan cannot be fooled by a sentence left in English: every English word our check sentences
use that no Welsh sentence of theirs keeps (a menu name, a permission) is looked for in the
Welsh rows, over scenarios that make every kind of row (granted, refused, unreachable, not
configured). An AST guard fails on a row written in the check modules' own English.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.core.language.i18n import BETWEEN

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

import connectors.m365.check as m365_check
from bot.cli.main import app
from bot.core.language.i18n import LOCALE_DIR
from bot.core.ports import CheckRow
from connectors.google.check import run_checks as google_checks
from tests.connectors.contract.kit_google import google_settings, seeded_fake
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.google import no_real_http  # noqa: F401
from tests.support.fakes.graph import (
    CATALOG_APP_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    SENDER,
    TENANT_ID,
    WEBHOOK_URL,
    FakeGraph,
)
from tests.support.helpers import SchoolBuilder

pytestmark = pytest.mark.usefixtures("no_network", "no_real_http")

ROOT = Path(__file__).parents[2]
ENV = "COMPLIANCE_BOT_M365__"
SAID = [
    ROOT / "connectors/m365/check_said.py",
    ROOT / "connectors/google/check_said.py",
    ROOT / "connectors/checks.py",
    ROOT / "bot/cli/checks.py",
]


def _unreachable(request: httpx.Request) -> Exception:
    return httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)


# every kind of row: (what the fake does, the settings changed)
M365: dict[str, tuple[Callable[[FakeGraph], Any], dict[str, Any]]] = {
    "granted": (lambda fake: None, {}),
    "nothing granted": (lambda fake: fake.granted.clear(), {}),
    "sites refused": (lambda fake: fake.granted_sites.clear(), {}),
    "tenant-wide": (lambda fake: setattr(fake, "send_scope", None), {}),
    "wrong secret": (lambda fake: setattr(fake, "client_secret", "the-new-secret"), {}),
    "unreachable": (
        lambda fake: fake.fail("GET", r"openid-configuration", exception=_unreachable, times=5),
        {},
    ),
    "bad webhook": (
        lambda fake: None,
        {"teams_webhook_url": SecretStr("https://example.org/hook?sag=x")},
    ),
    "no sender": (lambda fake: None, {"sender": None}),
    "unknown sender": (lambda fake: None, {"sender": "nobody@oakfield.example"}),
    "unknown group": (lambda fake: None, {"role_groups": {"Governers": "governor"}}),
    "unknown list": (lambda fake: None, {"forms_list": "Another list"}),
    "nothing optional": (
        lambda fake: None,
        {"site_id": None, "forms_list": None, "teams_webhook_url": None, "role_groups": {}},
    ),
    "no settings": (lambda fake: None, {"tenant_id": None, "client_id": None}),
    "bad certificate": (lambda fake: None, {"certificate_path": Path("no-such-cert.pem")}),
    "bot": (lambda fake: None, {"bot_app_id": CLIENT_ID, "teams_catalog_app_id": CATALOG_APP_ID}),
    "bot without consent": (
        lambda fake: fake.granted.discard("TeamsAppInstallation.ReadWriteSelfForUser.All"),
        {"bot_app_id": CLIENT_ID, "teams_catalog_app_id": CATALOG_APP_ID},
    ),
    "bot not uploaded": (lambda fake: None, {"bot_app_id": CLIENT_ID}),
    "bot of its own": (
        lambda fake: None,
        {
            "bot_app_id": "00000000-0000-4000-8000-00000000b0b0",
            "teams_catalog_app_id": CATALOG_APP_ID,
        },
    ),
}


def _m365(tmp_path: Path, scenario: str, language: str) -> list[CheckRow]:
    fake = FakeGraph()
    fake.seed_population()
    prepare, overrides = M365[scenario]
    prepare(fake)
    return m365_check.run_checks(
        m365_settings(tmp_path, **overrides), transport=fake.transport, language=language
    )


GOOGLE: dict[str, tuple[Callable[[Any], Any], dict[str, Any]]] = {
    "granted": (lambda fake: None, {}),
    "nothing optional": (
        lambda fake: None,
        {"spreadsheet_id": None, "form_id": None, "chat_webhook_url": None, "role_groups": []},
    ),
    "no admin": (lambda fake: None, {"admin_subject": None, "sender": None}),
    "no key": (lambda fake: None, {"service_account_file": None}),
    "bad webhook": (
        lambda fake: None,
        {"chat_webhook_url": SecretStr("https://example.org/not-a-space")},
    ),
    "query": (lambda fake: None, {"user_query": "orgUnitPath='/Staff'", "role_groups": []}),
    "chat app": (lambda fake: None, {"chat_project_number": "123456789"}),
}


def _google(tmp_path: Path, scenario: str, language: str) -> list[CheckRow]:
    fake = seeded_fake()
    prepare, overrides = GOOGLE[scenario]
    prepare(fake)
    settings = google_settings(tmp_path)
    settings = settings.model_copy(update={"google": settings.google.model_copy(update=overrides)})
    return google_checks(settings, http=fake, language=language)


# --------------------------------------------------------------------------- what English is


def _msgids() -> list[str]:
    """Every sentence the checks say (``N_`` in their sentence tables, and the one plural)."""
    found = []
    for path in SAID:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "N_"
            ):
                found.append(node.args[0].value)  # type: ignore[attr-defined]
    return [*found, "%(count)s person read; left out: %(left_out)s"]


def _words(text: str) -> set[str]:
    """The words of ``text``, leaving out placeholders, names in quotes (a list's, a tab's)
    and identifiers (``ErrorInvalidRecipients``, ``Mail.Send``)."""
    text = re.sub(r"%\(\w+\)s|(?<!\w)'[^']*'(?!\w)", " ", text)
    return {w.casefold() for w in re.findall(r"(?<![\w.])[A-Za-z][a-z]{2,}\b(?!\.\w)", text)}


def _english_only() -> set[str]:
    """English words of our check sentences that no Welsh sentence of theirs keeps (a menu
    name, a permission, a variable stays English in the Welsh too, so it is not counted)."""

    from tests.support.speech import catalogue_in

    welsh = catalogue_in("cy")
    ours = _msgids()
    kept = set().union(*(_words(welsh.gettext(m)) for m in ours))
    return set().union(*(_words(m) for m in ours)) - kept


def _english_in(rows: list[CheckRow]) -> list[str]:
    """The English-only words in the Welsh rows, what the platform said left out."""
    forbidden = _english_only()
    return [
        f"{row.name}: {word}"
        for row in rows
        for text in (row.name, row.detail, row.fix or "")
        for word in sorted(_words(_ours(text)) & forbidden)
    ]


# what a row keeps as the platform or the shell has it: a command line (indented), an address
# or URL, a failed call's own account ("reading /users failed (HTTP 403 …) — …", the connector's
# words for every failure, everywhere), what Entra ID or Google said after a dash, an exception,
# the failure a missing permission's row names
_VALUES = re.compile(
    r"^\s.*$|\S+@\S+|https?://\S+|(?<=: )[^:\n]*? failed \(HTTP .*$| — .*$|\b\w+Error: .*$"
    r"|(?<= ar goll: ).*$",
    re.MULTILINE,
)


def _ours(text: str) -> str:
    return _VALUES.sub(" ", text)


# --------------------------------------------------------------------------- m365


# --------------------------------------------------------------------------- google


# --------------------------------------------------------------------------- the command


@pytest.fixture
def school(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SchoolBuilder:
    """A Welsh school whose install uses Microsoft 365 (the fake tenant, all granted)."""
    fake = FakeGraph()
    fake.seed_population()
    real = m365_check.run_checks
    monkeypatch.setattr(
        m365_check,
        "run_checks",
        lambda settings, **kw: real(settings, transport=fake.transport, **kw),
    )
    builder = SchoolBuilder(tmp_path / "home")
    builder.school["country"] = "wales"
    for name, value in {
        "COMPLIANCE_BOT_HOME": str(builder.home),
        "COMPLIANCE_BOT_CONNECTOR": "m365",
        f"{ENV}TENANT_ID": TENANT_ID,
        f"{ENV}CLIENT_ID": CLIENT_ID,
        f"{ENV}CLIENT_SECRET": CLIENT_SECRET,
        f"{ENV}SENDER": SENDER,
        f"{ENV}TEAMS_WEBHOOK_URL": WEBHOOK_URL,
        f"{ENV}ROLE_GROUPS": json.dumps({"Governors": "governor"}),
        "COLUMNS": "400",
    }.items():
        monkeypatch.setenv(name, value)
    return builder


def _check(school: SchoolBuilder, language: str, *others: dict[str, Any]) -> tuple[int, str]:
    school.school["language"] = language
    school.others = list(others)
    school.write()
    result = CliRunner().invoke(app, ["check", "m365"])
    return result.exit_code, result.output


def test_check_m365_speaks_the_schools_language(school: SchoolBuilder) -> None:
    code, out = _check(school, "cy")
    assert code == 0, out
    assert "Gwiriadau'r platfform" in out and "Gwiriad" in out and "Canlyniad" in out
    assert "Llwyddodd pob un o'r 15 gwiriad." in out
    assert "Iawn" in out and " OK " not in out and "All 15 checks passed" not in out
    code, out = _check(school, "cy+en")
    assert "Gwiriadau'r platfform / Platform checks" in out
    assert "Llwyddodd pob un o'r 15 gwiriad. / All 15 checks passed." in out
    assert "tocyn / token" in out
    code, out = _check(school, "en")
    assert "Platform checks" in out and "All 15 checks passed." in out and "tocyn" not in out


def test_a_refused_check_says_how_to_fix_it_in_welsh(
    school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(f"{ENV}SENDER")
    code, out = _check(school, "cy")
    assert code == 1
    assert "Methodd 1 o'r 13 gwiriad." in out and "Sut i'w drwsio" in out
    assert f"Gosodwch {ENV}SENDER i'r blwch post i anfon ohono" in out
    assert "ar goll (1)" in out


def test_schools_on_one_tenant_in_different_languages_are_checked_in_english(
    school: SchoolBuilder,
) -> None:
    elm = {**school.school, "id": "elm", "name": "Elm Primary", "language": "en"}
    code, out = _check(school, "cy", elm)
    assert code == 0, out
    assert (
        "read different languages (Oak Test School (cy), Elm Primary (en)): its checks are "
        "said in English." in " ".join(out.split())
    )
    assert "All 15 checks passed." in out and "tocyn" not in out


# --------------------------------------------------------------------------- the guard


_COMMAND = re.compile(r"^\s|-eq |compliance-bot|\{|\}|^[\w.:/-]*$")


def test_the_catalogue_holds_every_check_sentence_in_welsh() -> None:
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / "cy" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="cy")
    for sentence in _msgids():
        message = catalog.get(sentence) or next(
            m for m in catalog if isinstance(m.id, tuple) and m.id[0] == sentence
        )
        assert message.string and not message.fuzzy, sentence


# from tests/core/test_i18n_set_ad.py (main)
def test_a_refused_token_names_its_code_and_fix_in_welsh(tmp_path: Path) -> None:
    rows = _m365(tmp_path, "wrong secret", "cy")
    assert [r.name for r in rows] == ["gosodiadau", "tocyn"]
    assert rows[1].detail.startswith("Gwrthododd Entra ID y cais am docyn: AADSTS7000215")
    assert rows[1].fix is not None and rows[1].fix.startswith("Mae'r gyfrinach cleient yn anghywir")
    assert f"{ENV}CLIENT_SECRET" in rows[1].fix


# from tests/core/test_i18n_set_ad.py (main)
def test_google_keeps_its_menu_and_scopes_as_google_writes_them(tmp_path: Path) -> None:
    rows = {r.name: r for r in _google(tmp_path, "granted", "cy")}
    assert rows["Allwedd y cyfrif gwasanaeth"].ok
    assert rows["Anfon Gmail"].detail.startswith("rhoddwyd tocyn gmail.send ar gyfer ")
    assert rows["Google Forms"].ok  # the product's name
    rows = {r.name: r for r in _google(tmp_path, "no key", "cy")}
    assert rows["Allwedd y cyfrif gwasanaeth"].fix == (
        "gosodwch COMPLIANCE_BOT_GOOGLE__SERVICE_ACCOUNT_FILE i allwedd JSON y cyfrif gwasanaeth"
    )


# from tests/core/test_i18n_set_ad.py (main)
@pytest.mark.parametrize("scenario", list(GOOGLE))
def test_google_rows_are_welsh_in_cy(tmp_path: Path, scenario: str) -> None:
    english = _google(tmp_path, scenario, "en")
    welsh = _google(tmp_path, scenario, "cy")
    assert [r.ok for r in welsh] == [r.ok for r in english]
    assert _english_in(welsh) == []
    both = _google(tmp_path, scenario, "cy+en")
    for cy, en, pair in zip(welsh, english, both, strict=True):
        assert pair.detail == (
            en.detail if cy.detail == en.detail else f"{cy.detail}{BETWEEN}{en.detail}"
        )
        assert pair.fix == (en.fix if cy.fix == en.fix else f"{cy.fix}{BETWEEN}{en.fix}")


# from tests/core/test_i18n_set_ad.py (main)
@pytest.mark.parametrize("scenario", list(M365))
def test_m365_rows_are_welsh_in_cy(tmp_path: Path, scenario: str) -> None:
    english = _m365(tmp_path, scenario, "en")
    welsh = _m365(tmp_path, scenario, "cy")
    assert [r.ok for r in welsh] == [r.ok for r in english]
    assert _english_in(welsh) == []
    both = _m365(tmp_path, scenario, "cy+en")
    for cy, en, pair in zip(welsh, english, both, strict=True):
        # a row's name and verdict: Welsh, then " / " and the English (once when the same)
        assert pair.name == (en.name if cy.name == en.name else f"{cy.name}{BETWEEN}{en.name}")
        assert pair.detail == (
            en.detail if cy.detail == en.detail else f"{cy.detail}{BETWEEN}{en.detail}"
        )
        # a fix: its sentences in both, a command once, as PowerShell takes it
        for line in (en.fix or "").splitlines():
            assert line in (pair.fix or ""), (scenario, line)


# from tests/core/test_i18n_set_ad.py (main)
def test_the_welsh_rows_say_microsofts_words_as_microsoft_writes_them(tmp_path: Path) -> None:
    rows = {r.name: r for r in _m365(tmp_path, "nothing granted", "cy")}
    row = rows["User.Read.All"]
    assert row.detail.startswith("User.Read.All ar goll: ")
    assert row.fix == (
        f"Entra admin centre > App registrations > {CLIENT_ID} > API permissions > Add a "
        "permission > Microsoft Graph > Application permissions > User.Read.All, yna 'Grant "
        "admin consent'."
    )
    rows = {r.name: r for r in _m365(tmp_path, "tenant-wide", "cy")}
    scope = rows["cwmpas Mail.Send"]
    assert scope.detail.startswith("mae Mail.Send ar draws y tenant:")
    lines = (scope.fix or "").splitlines()
    assert lines[0].startswith(f"Rhowch Mail.Send i'r ap ar gyfer {SENDER} yn unig")
    assert "  Connect-ExchangeOnline" in lines  # PowerShell as it is typed
    assert lines[-1].startswith("Yna tynnwch y caniatâd ar draws y tenant")
    rows = {r.name: r for r in _m365(tmp_path, "granted", "cy")}
    assert rows["tocyn"].ok and rows["cyfeiriadur"].detail.startswith("darllenwyd ")
    assert rows["Mail.ReadBasic.All (dewisol)"].detail.startswith("caiff ddarllen Eitemau Anfonwyd")
    assert rows["cyflymder anfon"].detail.startswith("30 y funud a 10,000 o dderbynwyr y dydd")
