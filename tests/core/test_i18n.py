"""The school's language: the Welsh catalogue compiles and holds every sentence ``pybabel
extract`` finds, and the translated pages and emails rendered in ``cy`` for each kind of person
(staff, governor, DSP, head, reporter) have no English left in them.

"No English" is checked word by word, so a sentence nobody put in the catalogue is caught too:
every visible text node (and the attributes a person meets: ``alt``, ``aria-label``, ``title``,
``placeholder``) is split into words, the values the test itself filled in (names, titles,
dates, references) are taken out, and any word left that English uses and Welsh does not (the
words of the catalogue's English, and of its English-only entries, less those its Welsh also
uses, plus common English words) fails the test, naming the page and the text.
"""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment

from bot.core.config import SchoolConfig
from bot.core.deployment.settings import Settings
from bot.core.language import i18n
from bot.core.language.words import said_words, school_words
from bot.engine.reminder_email import Names as _Names
from bot.engine.reminder_email import Renderer as _Renderer
from bot.engine.reminders import Digest, OpenDuty, Recipient
from bot.engine.web.deps import templates
from bot.features.reports.rules import CATEGORIES, INVOLVED_ROLES, RELATIONSHIPS
from tests.engine.test_reminders import REQUIREMENTS

ROOT = Path(__file__).parents[2]
# what marks a sentence for the catalogue besides gettext's own (babel.cfg's command says them)
KEYWORDS = {
    "N_": None,
    "Msg": None,
    "say": None,
    "nmsg": (1, 2),
    "nsay": (1, 2),
    "N_plural": (1, 2),
}
PO = ROOT / "bot" / "locale" / "cy" / "LC_MESSAGES" / "messages.po"
TODAY = date(2026, 9, 16)
# fictional, and Welsh where a school would write Welsh: what the test fills in is taken out
SCHOOL_NAME = "Ysgol Gymraeg Bro Derw"
PERSON = "Alys Rhys"
POLICY = "Polisi Diogelu Plant"
FILLED = (
    SCHOOL_NAME,
    PERSON,
    "Alys",
    POLICY,
    "Cyfrif Facebook yr ysgol",
    "Facebook",
    "swyddfa@brodderw.example",
    "CR-2026-7KQ3M",
    "diogelu.pdf",
    "120 KB",
    "Dydd Mercher 16 Medi 2026",
    "Dydd Mawrth 15 Medi 2026",
)
# proper names and acronyms a Welsh sentence keeps as they are; "English" as a language
# chooser names it, in itself ("Cymraeg", "English", "Cymraeg / English": /me, /admin/school)
ALLOWED = {"dsp", "ico", "pdf", "jpeg", "png", "mb", "kb", "facebook", "estyn", "pm", "english"}
ENGLISH_COMMON = set(
    [
        "the",
        "and",
        "to",
        "of",
        "you",
        "your",
        "is",
        "are",
        "for",
        "with",
        "this",
        "that",
        "be",
        "not",
        "please",
        "will",
        "by",
        "on",
        "in",
        "it",
        "or",
        "was",
        "has",
        "have",
        "been",
        "what",
        "who",
        "when",
        "where",
        "how",
        "there",
        "here",
        "we",
        "our",
        "they",
        "them",
        "their",
        "its",
        "from",
        "can",
        "cannot",
        "do",
        "does",
        "done",
        "did",
        "any",
        "all",
        "each",
        "no",
        "yes",
        "if",
        "so",
        "than",
        "then",
        "only",
        "also",
        "more",
        "about",
    ]
)

ME = "https://oak.example/me"  # a person's own page (the needs card's "more" link)


def school(language: str) -> SchoolConfig:
    """A Welsh-medium primary in Wales, in ``language``."""
    return SchoolConfig.model_validate(
        {
            "id": "bro-derw",
            "name": SCHOOL_NAME,
            "country": "wales",
            "language": language,
            "headteacher": "pennaeth@brodderw.example",
            "reply_to": "swyddfa@brodderw.example",
        }
    )


@pytest.fixture(scope="module")
def catalogue() -> Any:
    with PO.open("rb") as po:
        return read_po(po, locale="cy")


@pytest.fixture(scope="module")
def english_words(catalogue: Any) -> set[str]:
    """Words English uses here and the Welsh catalogue does not."""
    english: set[str] = set(ENGLISH_COMMON)
    welsh: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            english |= _words(text)
        for text in strings:
            welsh |= _words(text)
    return english - welsh - ALLOWED


def _words(text: str) -> set[str]:
    text = re.sub(r"%\([a-z_]+\)[sd]|<[^>]+>|https?://\S+", " ", text)
    return {w.lower() for w in re.findall(r"[A-Za-zÀ-ÿŵŷŴŶ']+", text) if len(w) > 1}


class _Visible(HTMLParser):
    """The text a person reads: text nodes outside <style>/<script>, and labelling attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.lang: str | None = None
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in ("style", "script"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("alt", "aria-label", "title", "placeholder") and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(data)


def _english_left(texts: list[str], english: set[str]) -> list[str]:
    """Each text still holding a word English uses and Welsh does not (filled values out)."""
    left = []
    for text in texts:
        plain = text
        for value in FILLED:
            plain = plain.replace(value, " ")
        found = sorted(w for w in _words(plain) if w in english)
        if found:
            left.append(f"{text.strip()!r}: {', '.join(found)}")
    return left


def _page(name: str, context: dict[str, Any], language: str = "cy") -> tuple[str | None, list[str]]:
    with i18n.speaking(language):
        html = templates.env.get_template(name).render(context)
    parser = _Visible()
    parser.feed(html)
    return parser.lang, parser.texts


def _person(*roles: str) -> SimpleNamespace:
    return SimpleNamespace(
        display_name=PERSON,
        role_names=frozenset(roles),
        school_id="bro-derw",
        email="alys@brodderw.example",
    )


def _base(user: SimpleNamespace | None, language: str = "cy") -> dict[str, Any]:
    words = school_words(school(language))
    return {
        "user": user,
        "csrf_token": "t",
        "theme": "light",
        "demo": False,
        "words": said_words(words),
    }


# --------------------------------------------------------------------------- the catalogue


def test_the_welsh_catalogue_compiles_with_six_plural_forms_and_holds_every_sentence(
    catalogue: Any,
) -> None:
    assert i18n.Msg("Action needed: %(title)s", title="X").said("cy") == "Angen gweithredu: X"
    assert catalogue.num_plurals == 6
    forms = {
        n: i18n.nmsg(
            "There is one thing the school needs you to do:",
            "There are %(num)d things the school needs you to do:",
            n,
        ).said("cy")
        for n in (0, 1, 2, 3, 6, 7)
    }
    assert forms[1] == "Mae angen i chi wneud un peth i'r ysgol:"
    assert forms[2] == "Mae angen i chi wneud 2 o bethau i'r ysgol:"
    method_map, options_map = parse_mapping_cfg((ROOT / "babel.cfg").open())
    keywords = {**DEFAULT_KEYWORDS, **KEYWORDS}
    found = {
        msg if isinstance(msg, str) else msg[0]
        for source in ("bot", "connectors", "tools")  # as the README's extract command reads
        for _file, _line, msg, _comments, _context in extract_from_dir(
            ROOT / source, method_map, options_map, keywords=keywords
        )
    }
    held = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
    assert not sorted(found - held), "run pybabel extract and update (docs/school.md, Cymraeg)"


def test_every_unconfirmed_term_is_fuzzy_with_the_search_said_and_every_source_cited(
    catalogue: Any,
) -> None:
    for message in catalogue:
        if message.fuzzy and message.id:
            assert any("searched" in c for c in message.user_comments), message.id
        # translator comments (``# ``), which ``pybabel update`` keeps; wrapped over lines
        said = " ".join(message.user_comments)
        for source in said.split("Source:")[1:]:
            assert "https://" in source or "http://" in source, (message.id, source)
    assert i18n.Msg("Designated Safeguarding Person").said("cy") == "Person Diogelu Dynodedig"
    # a term not confirmed stays English, never invented
    assert i18n.Msg("Triage").said("cy") == "Triage"
    # and a term confirmed since is Welsh, with its source cited (the ICO's Welsh pages)
    assert i18n.Msg("Personal data breach").said("cy") == "Tor data personol"


def test_coverage_is_counted_and_printed(capsys: pytest.CaptureFixture[str]) -> None:
    cy = i18n.coverage("cy")
    assert 0 < cy.translated < cy.total and cy.fuzzy > 0
    print(
        f"Cymraeg catalogue: {cy.translated}/{cy.total} translated ({cy.share:.0%}), "
        f"{cy.fuzzy} unconfirmed terms"
    )
    assert "Cymraeg catalogue" in capsys.readouterr().out


def test_cy_and_en_dates_and_the_pair_in_a_dual_language_school() -> None:
    assert i18n.Day(date(2026, 12, 4)).said("cy") == "Dydd Gwener 4 Rhagfyr 2026"
    assert i18n.Day(date(2026, 12, 4)).said("en") == "Friday 4 December 2026"
    assert i18n.said_in("cy+en", i18n.Msg("Report received")) == (
        "Adroddiad wedi dod i law / Report received"
    )
    assert i18n.said_in("cy+en", i18n.Msg("Triage")) == "Triage"  # once, not twice


def test_a_sentence_and_its_values_are_said_in_the_active_language() -> None:
    due = date(2026, 12, 4)
    sentence = i18n.Msg("Due by %(due)s", due=i18n.Day(due))
    with i18n.speaking("en"):
        assert str(sentence) == "Due by Friday 4 December 2026"
    with i18n.speaking("cy"):
        assert str(sentence) == "Erbyn dydd Gwener 4 Rhagfyr 2026"
    # both: the Welsh sentence with its Welsh date, then the English with its English one
    with i18n.speaking("cy+en"):
        assert i18n.say("Due by %(due)s", due=due) == (
            "Erbyn dydd Gwener 4 Rhagfyr 2026 / Due by Friday 4 December 2026"
        )
        assert i18n.nsay("%(num)d day", "%(num)d days", 2) == "2 diwrnod / 2 days"
    assert len({i18n.Msg("Report received"), i18n.Msg("Report received")}) == 1


def test_one_message_is_built_in_welsh_then_in_english_and_joined_once() -> None:
    built: list[str] = []

    def lines() -> list[str]:
        built.append(i18n.spoken())
        return [i18n.say("Report received"), i18n.say("Due by %(due)s", due=date(2026, 12, 4))]

    with i18n.speaking("cy+en"):
        both = i18n.each_language(lines)
    assert built == ["cy", "en"]
    assert both[1] == "Erbyn dydd Gwener 4 Rhagfyr 2026 / Due by Friday 4 December 2026"
    with i18n.speaking("cy"):
        assert i18n.each_language(lines)[0] == "Adroddiad wedi dod i law"


def test_a_template_sentence_in_both_languages_says_each_value_in_its_own() -> None:
    env = Environment(autoescape=True)
    i18n.install(env)
    page = env.from_string("{% trans due=day|day_text %}Due by {{ due }}{% endtrans %}")
    with i18n.speaking("cy+en"):
        shown = page.render(day=date(2026, 12, 4))
    assert shown == "Erbyn dydd Gwener 4 Rhagfyr 2026 / Due by Friday 4 December 2026"


# --------------------------------------------------------------------------- emails


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> _Renderer:
    home = tmp_path_factory.mktemp("cy")
    settings = Settings(
        home=home, base_url="https://bot.example", secret_key="i18n-test-secret-0123456789-abcdef"
    )
    names = _Names({7: "3.1"}, {7: POLICY}, {})
    return _Renderer(settings, school("cy"), REQUIREMENTS, names, settings.signing_key(), TODAY)


def _duty(did: int, requirement: int, due: date) -> OpenDuty:
    return OpenDuty(
        id=did,
        person_id=1,
        requirement_id=requirement,
        cycle="v1",
        opened_on=date(2026, 9, 1),
        due_on=due,
        last_stage=-1,
        reminders_sent=0,
        version_id=7 if requirement == 1 else None,
        account_id=None,
    )


@pytest.mark.parametrize(
    ("shape", "escalated", "email"),
    [
        ((1,), (), "alys@brodderw.example"),  # a member of staff, one policy to read
        ((1, 2), ("line_manager", "headteacher"), "alys@brodderw.example"),  # late, copied
        ((2, 1), (), "alys@no-email.invalid"),  # asked of the office on someone's behalf
    ],
)
def test_a_staff_reminder_is_welsh_in_subject_html_and_text(
    renderer: _Renderer,
    english_words: set[str],
    shape: tuple[int, ...],
    escalated: tuple[str, ...],
    email: str,
) -> None:
    person = Recipient(1, email, PERSON, "Alys", None)
    items = tuple(_duty(n + 1, rid, date(2026, 9, 15 + n)) for n, rid in enumerate(shape))
    draft, _ = renderer.email(Digest(person, items, (), (), escalated))
    text, html = draft.parts()
    parser = _Visible()
    parser.feed(html)
    assert parser.lang == "cy"
    texts = [draft.subject, *parser.texts, *text.splitlines()]
    # the card title names the training as the school wrote it ("Safeguarding")
    texts = [t.replace("Safeguarding", " ") for t in texts]
    assert not _english_left(texts, english_words)
    assert "Annwyl" in text and "Anfonwyd gan fot cydymffurfio" in text


def test_a_dual_language_school_shows_welsh_first_then_english() -> None:
    both = school("cy+en")
    renderer = _Renderer(
        Settings(
            home=Path("/nonexistent-home"),
            base_url="https://bot.example",
            secret_key="i18n-test-secret-0123456789-abcdef",
        ),
        both,
        REQUIREMENTS,
        _Names({7: "3.1"}, {7: POLICY}, {}),
        "k" * 32,
        TODAY,
    )
    draft, _ = renderer.email(
        Digest(
            Recipient(1, "a@x.example", PERSON, "Alys", None),
            (_duty(1, 1, date(2026, 9, 20)),),
            (),
            (),
            (),
        )
    )
    assert draft.subject == (f"Angen gweithredu: {POLICY} / Action needed: {POLICY}")
    text, html = draft.parts()
    # the whole message in Welsh, then the whole of it in English (marked lang="en")
    assert text.index("Annwyl Alys,") < text.index("Dear Alys,")
    assert "Annwyl Alys, / Dear Alys," not in text
    assert '<html lang="cy"' in html and '<div lang="en">' in html
    assert html.index("Annwyl Alys,") < html.index('<div lang="en">') < html.index("Dear Alys,")


# --------------------------------------------------------------------------- pages


STAFF_ITEMS = [
    {
        "duty_id": 1,
        "title": POLICY,
        "version": "3.1",
        "kind": "acknowledge_policy",
        "record_check": False,
        "due": date(2026, 9, 15),
        "overdue": True,
        "url": "/ack/x",
    },
    {
        "duty_id": 2,
        "title": POLICY,
        "version": None,
        "kind": "complete_training",
        "record_check": False,
        "due": date(2026, 9, 16),
        "overdue": False,
        "url": None,
    },
    {
        "duty_id": 3,
        "title": POLICY,
        "version": None,
        "kind": "complete_training",
        "record_check": True,
        "due": date(2026, 9, 16),
        "overdue": False,
        "url": None,
    },
    {
        "duty_id": 4,
        "title": POLICY,
        "version": None,
        "kind": "sign_aup",
        "record_check": False,
        "due": date(2026, 9, 16),
        "overdue": False,
        "url": "/aup/x",
    },
    {
        "duty_id": 5,
        "title": POLICY,
        "version": None,
        "kind": "recurring_task",
        "record_check": False,
        "due": date(2026, 9, 16),
        "overdue": False,
        "url": "/task/x",
    },
]
PEOPLE = {  # each kind of person, by the roles the nav and pages read
    "staff": ("staff",),
    "governor": ("governor",),
    "dsp": ("staff", "dsl"),
    "head": ("staff", "headteacher"),
}


@pytest.mark.parametrize("kind", sorted(PEOPLE))
def test_me_is_welsh_for_each_kind_of_person(kind: str, english_words: set[str]) -> None:
    user = _person(*PEOPLE[kind])
    done = [("acknowledge_policy", date(2026, 9, 15), POLICY, "3.1", None)]
    lang, texts = _page(
        "me.html",
        {
            **_base(user),
            "items": STAFF_ITEMS,
            "done": done,
            "held": [("Cyfrif Facebook yr ysgol", "Facebook")],
        },
    )
    assert lang == "cy"
    assert not _english_left(texts, english_words)


def test_me_in_english_is_as_before() -> None:
    lang, texts = _page(
        "me.html",
        {**_base(_person("staff"), "en"), "items": STAFF_ITEMS, "done": [], "held": []},
        "en",
    )
    assert lang == "en-GB"
    assert "What the school is asking of you" in texts


@pytest.mark.parametrize("on_behalf", [None, f"Cofnodwyd gan y swyddfa ar ran {PERSON}."])
def test_the_acknowledgement_page_and_its_thank_you_are_welsh(
    on_behalf: str | None, english_words: set[str]
) -> None:
    version = SimpleNamespace(
        id=7, label="3.1", document_name="diogelu.pdf", statement=_statement()
    )
    context = {
        **_base(_person("staff")),
        "policy": SimpleNamespace(title=POLICY),
        "person": _person("staff"),
        "version": version,
        "overdue": True,
        "due_text": "Dydd Mawrth 15 Medi 2026",
        "token": "x",
        "on_behalf": on_behalf,
        "shown": SimpleNamespace(kind="pdf", pages=["Testun"], heights=[1400], html="", problem=""),
        "doc_query": "",
        "download_url": "/documents/7",
        "document_size": "120 KB",
    }
    lang, texts = _page("ack.html", context)
    assert lang == "cy"
    assert not _english_left(texts, english_words)
    for signed, already in ((False, False), (True, False), (False, True)):
        _, texts = _page("done.html", {**context, "signed": signed, "already": already})
        assert not _english_left(texts, english_words)


def _statement() -> str:
    from bot.engine.config_sync import default_statement

    return i18n.said_in("cy", i18n.Said(lambda: default_statement(POLICY, "3.1")))


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_concern_form_and_its_receipt_are_welsh_for_a_reporter(
    signed_in: bool, english_words: set[str], catalogue: Any
) -> None:
    welsh = school("cy")
    user = _person("staff") if signed_in else None
    form = {
        **_base(user),
        "school": welsh,
        "errors": {},
        "anchors": {},
        "action": "/report",
        "categories": {
            k: v
            for k, v in CATEGORIES.items()
            if k not in ("nude_images", "filtering", "data_breach")
        },
        "roles": INVOLVED_ROLES,
        "relationships": RELATIONSHIPS,
        "v": {},
        "involved": [],
        "team": [("x", PERSON)],
        "reporter": user,
        "allow_anonymous": True,
        "max_files": 5,
        "max_mb": 10,
    }
    lang, texts = _page("report_form.html", form)
    assert lang == "cy"
    # the three categories and the two hints that name nude images, filtering and a personal
    # data breach are Welsh since Hwb's and the ICO's Welsh pages confirmed the terms; any
    # term still held back (fuzzy) is the only English a page may show
    unconfirmed = _english_left(texts, english_words)
    assert not unconfirmed, unconfirmed
    held_back = set().union(
        *(
            _words(" ".join(m.id) if isinstance(m.id, tuple) else m.id)
            for m in catalogue
            if m.fuzzy and m.id
        )
    )
    for text in texts:
        assert {w for w in _words(text) if w in english_words} <= held_back, text
    intake = SimpleNamespace(
        reference="CR-2026-7KQ3M",
        suspected_illegal=True,
        immediate_risk=True,
        receipt=True,
        files_withheld=2,
        files_stored=1,
    )
    from bot.features.reports.rules import illegal_content_advice

    received = {
        **_base(user),
        "school": welsh,
        "intake": intake,
        "again": "/report",
        "advice": illegal_content_advice(school_words(welsh)),
    }
    lang, texts = _page("report_received.html", received)
    assert lang == "cy"
    assert not _english_left(texts, english_words)


def test_a_person_of_a_dual_language_school_gets_the_reminder_they_chose() -> None:
    settings = Settings(
        home=Path("/nonexistent-home"),
        base_url="https://bot.example",
        secret_key="i18n-test-secret-0123456789-abcdef",
    )
    renderer = _Renderer(
        settings,
        school("cy+en"),
        REQUIREMENTS,
        _Names({7: "3.1"}, {7: POLICY}, {}),
        "k" * 32,
        TODAY,
    )
    item = (_duty(1, 1, date(2026, 9, 20)),)
    welsh = Recipient(1, "a@x.example", PERSON, "Alys", None, None, "cy")
    english = Recipient(2, "b@x.example", PERSON, "Alys", None, None, "en")
    assert renderer.email(Digest(welsh, item, (), (), ()))[0].subject == (
        f"Angen gweithredu: {POLICY}"
    )
    assert renderer.email(Digest(english, item, (), (), ()))[0].subject == (
        f"Action needed: {POLICY}"
    )


def test_the_reporters_receipt_email_is_welsh(
    english_words: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from bot.features.reports import intake

    sent: list[Any] = []
    monkeypatch.setattr(intake, "enqueue_email", lambda session, **kw: sent.append(kw["draft"]))
    report = SimpleNamespace(
        reference="CR-2026-7KQ3M", created_at=datetime(2026, 9, 16, 9, 30, tzinfo=UTC)
    )
    intake._queue_receipt(None, school("cy"), report, "rhiant@example.com")  # type: ignore[arg-type]
    draft = sent[0]
    text, html = draft.parts()
    parser = _Visible()
    parser.feed(html)
    assert parser.lang == "cy" and "Dydd Mercher 16 Medi 2026, 10:30" in text
    texts = [draft.subject, *parser.texts, *text.splitlines()]
    assert not _english_left([t.replace("rhiant@example.com", " ") for t in texts], english_words)


@pytest.mark.parametrize("derived", [False, True])
def test_a_governors_review_digest_is_welsh(english_words: set[str], derived: bool) -> None:
    from datetime import UTC, datetime

    from bot.features.policies.alerts import Events, _digest_draft
    from bot.features.policies.rules import DigestEntry

    policies = [
        SimpleNamespace(
            key=key,
            title=POLICY,
            next_review_derived=derived,
            approving_body="governing body",
            next_review_due=due,
            review_event_due=None,
            review_event_sequence=0,
            review_cycle_months=12,
        )
        for key, due in (("a", date(2026, 8, 1)), ("b", date(2026, 10, 1)))
    ]
    entries = [
        (p, DigestEntry(p.key, p.next_review_due, 0, True, n == 0)) for n, p in enumerate(policies)
    ]
    for listed in (entries, entries[:1], entries[1:]):
        draft = _digest_draft(
            Events(school("cy"), datetime(2026, 9, 16, 8, tzinfo=UTC)),
            listed,  # type: ignore[arg-type]
            "gov@brodderw.example",
            TODAY,
            "https://bot.example",
        )
        text, html = draft.parts()
        parser = _Visible()
        parser.feed(html)
        assert parser.lang == "cy"
        texts = [draft.subject, *parser.texts, *text.splitlines()]
        texts = [t.replace("gov@brodderw.example", " ") for t in texts]
        assert not _english_left(texts, english_words), draft.subject


def test_a_welsh_subject_travels_rfc_2047_encoded_and_reads_back_the_same() -> None:
    from email import message_from_bytes, policy

    from bot.core.ports import OutgoingEmail
    from connectors.mime import mime_bytes, to_mime

    subject = "Rhoi gwybod am bryder — Ysgol Gymraeg Bro Derw: cyfrifon swyddogol, ŵyr a ŷd"
    email = OutgoingEmail(
        idempotency_key="k",
        to=("a@x.example",),
        subject=subject,
        text="Annwyl Alys,",
        html="<p>Annwyl Alys,</p>",
    )
    raw = mime_bytes(to_mime(email, "bot@x.example"))
    header = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in header.lower() and not any(b > 127 for b in header)
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject


def _card_texts(node: Any) -> list[str]:
    """Every string a person reads on an Adaptive Card: texts, titles, labels, errors."""
    if isinstance(node, dict):
        seen = [
            v
            for k, v in node.items()
            if k in ("text", "title", "label", "errorMessage", "placeholder") and isinstance(v, str)
        ]
        return seen + [t for v in node.values() for t in _card_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _card_texts(v)]
    return []


def test_the_teams_card_is_welsh(english_words: set[str]) -> None:
    from bot.features.teamsbot.cards import NeedItem, needs_card

    kinds = [
        ("acknowledge_policy", False),
        ("acknowledge_policy", True),
        ("sign_aup", False),
        ("complete_training", False),
    ]
    items = [
        NeedItem(
            kind,
            n,
            POLICY,
            "3.1",
            date(2026, 9, 15),
            n % 2 == 0,
            "https://bot.example",
            statement=_statement(),
            read_first=first,
        )
        for n, (kind, first) in enumerate(kinds)
    ]
    for listed in (items, items[:1], []):
        with i18n.speaking("cy"):
            card = needs_card(SCHOOL_NAME, "Alys", listed, user_id=None, me_url=ME)
        texts = [t.replace("3.1", " ") for t in _card_texts(card)]
        assert not _english_left(texts, english_words)
    english = needs_card(SCHOOL_NAME, "Alys", items[:1], user_id=None, me_url=ME)
    assert _card_texts(english)[0] == f"What {SCHOOL_NAME} needs from you"


def test_the_training_recorded_page_from_me_is_welsh(english_words: set[str]) -> None:
    message = i18n.Msg(
        "Your %(course)s training on %(day)s has been recorded.",
        course="Diogelu",
        day=date(2026, 9, 16),
    )
    lang, texts = _page(
        "info.html", {**_base(_person("staff")), "title": i18n.Msg("Thank you"), "message": message}
    )
    assert lang == "cy" and not _english_left(texts, english_words)


def test_a_stored_dual_language_text_splits_only_where_its_halves_can_be_told() -> None:
    """``halves``: a subject ``both`` joined, split at its one " / "; a text said once (no
    " / ") or with several (a value saying " / " itself) kept whole as each half."""
    subject = i18n.both("Angen gweithredu: Ysgol", "Action needed: Ysgol")
    assert i18n.halves(subject) == ("Angen gweithredu: Ysgol", "Action needed: Ysgol")
    assert i18n.halves("Action needed") == ("Action needed", "Action needed")
    several = i18n.both("Adolygu: A / B", "Review: A / B")
    assert i18n.halves(several) == (several, several)
