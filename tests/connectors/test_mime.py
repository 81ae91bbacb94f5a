"""MIME building: the header registry that parses each repeated header once renders exactly
what the standard library's default policy renders, however often a header is reused; address
headers that every parser reads back as the names and addresses given (issue #40); and subjects
that decode back exactly as written, every subject the product writes with Welsh schools' names
in it (issue #78)."""

from __future__ import annotations

import ast
import email.policy
import itertools
import random
import re
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot
from bot.core.ports import Attachment, OutgoingEmail
from connectors import mime
from connectors.mime import address_header, mime_bytes, subject_header, to_mime
from tests.support.mail_names import NAMES, assert_read_back, postal_mime
from tests.support.speech import catalogue_in

# letters (accented and not), digits, spaces and the punctuation names and subjects carry
WORDS = st.text(alphabet=st.characters(categories=("L", "N", "Zs", "Po", "Pd", "Sm")), max_size=120)
ADDRESS = st.from_regex(r"\A[a-z]{1,12}@[a-z]{1,10}\.example\Z")


def _stable(raw: bytes) -> bytes:
    """The bytes without what differs on every build: date, message id, part boundary; and
    without the subject, which is folded here, not by the standard library (``_subjects``)."""
    raw = re.sub(rb"Subject: [^\r]*(\r\n [^\r]*)*", b"Subject: -", raw)
    raw = re.sub(rb"Date: [^\r]*", b"Date: -", raw)
    raw = re.sub(rb"Message-ID: <[^>]*>", b"Message-ID: -", raw)
    return re.sub(rb"={15}\d+==", b"boundary", raw)


def _both(message: OutgoingEmail, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    ours = [_stable(mime_bytes(to_mime(message, "bot@oak.example"))) for _ in range(2)]
    assert ours[0] == ours[1]  # the second build reuses parsed headers: nothing changes
    with monkeypatch.context() as patch:
        patch.setattr(mime, "_POLICY", email.policy.default)
        standard = _stable(mime_bytes(to_mime(message, "bot@oak.example")))
    return ours[0], standard


@settings(max_examples=40, deadline=None)
@given(subject=WORDS, name=WORDS, text=WORDS, to=st.lists(ADDRESS, min_size=1, max_size=3))
def test_headers_render_as_the_standard_policy_renders_them(
    subject: str, name: str, text: str, to: list[str]
) -> None:
    message = OutgoingEmail(
        idempotency_key="reminder:oak:1",
        to=tuple(to),
        cc=("dsl@oak.example",),
        subject=subject,
        text=text,
        html=f"<p>{text}</p>",
        from_name=name or None,
        reply_to="office@oak.example",
        attachments=(Attachment("review.ics", "text/calendar; method=PUBLISH", b"BEGIN:X\r\n"),),
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        ours, standard = _both(message, monkeypatch)
    assert ours == standard


def test_a_long_non_ascii_subject_is_encoded_and_folded_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = OutgoingEmail(
        idempotency_key="k",
        to=("zoe@oak.example",),
        subject="Relecture de la politique « sécurité en ligne » — école Sainte-Thérèse " * 3,
        text="Bonjour,\n" * 3,
        html="<p>Bonjour</p>",
        from_name="École Sainte-Thérèse",
    )
    ours, standard = _both(message, monkeypatch)
    assert ours == standard
    raw = mime_bytes(to_mime(message, "bot@oak.example"))
    assert b"=?utf-8?" in raw and b"\r\n " in raw  # encoded words, folded lines
    assert _subjects([raw]) == [message.subject]


# Welsh schools' names: ŵ ŷ â, commas, brackets, an apostrophe, hyphens, a dash, a long one
WELSH_SCHOOLS = (
    "Ysgol Gymraeg Tŷ Coch (Gŵyr)",
    "Ysgol Gynradd Gymraeg Tŷ Coch, Caerdydd",
    "Ysgol Gynradd Bro Ŵyr a'r Gŵyr, Abertawe",
    "Ysgol Gymraeg Gwaelod-y-Garth",
    "Ysgol Pen-y-Bryn, Bae Colwyn",
    "Ysgol Gyfun Gymraeg Bro Edern",
    "Ysgol Sant Ffransis (Y Barri)",
    "Ysgol Bryn Tabor — Coedpoeth",
    "Ysgol Gynradd Gymraeg Llanfair Pwllgwyngyll, Ynys Môn — Swyddfa'r Pennaeth",
)
_GETTEXT = {"_", "gettext", "ngettext", "N_", "Msg", "nmsg", "say", "nsay"}


def _said(node: ast.AST) -> list[tuple[str, ...]]:
    """The sentences inside ``node``: each gettext call's msgid (and plural), each f-string
    with its values as ``%(value)s``."""
    found: list[tuple[str, ...]] = []
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            name = getattr(call.func, "id", getattr(call.func, "attr", ""))
            args = [a.value for a in call.args if isinstance(a, ast.Constant)]
            if name in _GETTEXT and args and all(isinstance(a, str) for a in args[:2]):
                found.append(tuple(args[:2]))
        elif isinstance(call, ast.JoinedStr):
            found.append(
                (
                    "".join(
                        v.value if isinstance(v, ast.Constant) else "%(value)s" for v in call.values
                    ),
                )
            )
    return found


def _subject_in(node: ast.AST) -> ast.AST | None:
    """What of ``node`` makes a subject: a ``subject=`` argument, a ``subject = …``
    assignment, a ``"subject":`` entry, a function named ``…subject``; None when nothing."""
    if isinstance(node, ast.keyword):
        return node.value if node.arg == "subject" else None
    if isinstance(node, ast.Assign):
        named = {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        return node.value if "subject" in named else None
    if isinstance(node, ast.Dict):
        return next(
            (
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "subject"
            ),
            None,
        )
    return node if isinstance(node, ast.FunctionDef) and node.name.endswith("subject") else None


def subject_shapes() -> set[tuple[str, ...]]:
    """Every subject the product's code writes (``_subject_in``), as its sentences."""
    shapes: set[tuple[str, ...]] = set()
    for path in Path(bot.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (part := _subject_in(node)) is not None:
                shapes.update(_said(part))
    return shapes


def _filled(shape: tuple[str, ...], language: str, name: str) -> list[str]:
    """``shape`` said in ``language`` (a plural in each of Welsh's forms), ``name`` in every
    placeholder but a count."""
    tr = catalogue_in(language)
    said = (
        [tr.gettext(shape[0])]
        if len(shape) == 1
        else [tr.ngettext(shape[0], shape[1], n) for n in (0, 1, 2, 3, 6, 7)]
    )
    return [
        re.sub(r"%\((\w+)\)[sd]", lambda m: "3" if m[1] in ("num", "count") else name, text)
        for text in said
    ]


def _subjects(raws: list[bytes]) -> list[str]:
    """Each message's subject as CPython's strict parser reads it, no defect allowed, and the
    same from its default parser."""
    read = []
    for raw in raws:
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii() and all(len(line) <= 78 for line in head.split(b"\r\n")), head
        subjects = set()
        for policy in (email.policy.strict, email.policy.default):
            header = BytesParser(policy=policy).parsebytes(raw)["Subject"]
            assert header.defects == (), (str(header), header.defects)
            subjects.add(str(header))
        assert len(subjects) == 1
        read.append(subjects.pop())
    return read


def test_every_subject_shape_with_welsh_schools_names_decodes_back_exactly(
    node_modules: Path,
) -> None:
    """Every subject the code writes (found in it), in English, Welsh and both, with each
    Welsh school's name in it, through CPython's parser and postal-mime: the same text back,
    every letter and space (CPython 3.11's folder altered 7 of 72 such subjects)."""
    shapes = subject_shapes()
    assert len(shapes) >= 30 and ("Sign in to %(school)s's compliance pages",) in shapes
    welsh = catalogue_in("cy")
    translated = [s for s in shapes if welsh.gettext(s[0]) != s[0] or len(s) == 2]
    assert len(translated) >= 20  # the catalogue's own subjects, with their Welsh
    subjects = sorted(
        {
            text
            for shape, language, name in itertools.product(
                shapes, ("en", "cy", "cy+en"), WELSH_SCHOOLS
            )
            for text in _filled(shape, language, name)
        }
    )
    # the Subject as to_mime writes it (the hypothesis test below goes through to_mime)
    raws = [_message(f"Subject: {subject_header(subject)}") for subject in subjects]
    assert _subjects(raws) == subjects
    assert [parsed["subject"] for parsed in postal_mime(node_modules, raws)] == subjects
    print(f"\n{len(subjects)} subjects from {len(shapes)} shapes read back exactly")


@settings(max_examples=100, deadline=None)
@given(
    subject=st.text(
        alphabet=st.characters(categories=("L", "N", "Zs", "Po", "Pd", "Ps", "Pe", "Sm")),
        max_size=200,
    )
)
def test_any_subject_decodes_back_exactly(subject: str) -> None:
    """Any letters, spaces (several, leading, trailing) and punctuation: the same text back."""
    message = OutgoingEmail(
        idempotency_key="k", to=("amy@oak.example",), subject=subject, text="t", html="<p>t</p>"
    )
    assert _subjects([mime_bytes(to_mime(message, "office@oak.example"))]) == [subject]


def test_a_plain_subject_stays_readable_and_folds_at_its_spaces() -> None:
    plain = "Action needed: 3 things to do for Oak Test School " * 3
    folded = subject_header(plain.strip())
    assert "=?" not in folded and folded.replace("\n", "") == plain.strip()
    assert all(len(line) <= 78 - len("Subject: ") for line in folded.split("\n"))


def _headers(mailboxes: dict[str, list[tuple[str, str]]]) -> bytes:
    """A message of just these address headers, as ``address_header`` folds them."""
    return _message(
        *(f"{name}: {address_header(name, pairs)}" for name, pairs in mailboxes.items())
    )


def _message(*headers: str) -> bytes:
    """A message of just these headers (folded with LF: sent with CRLF) and a line of body."""
    return ("\r\n".join(headers).replace("\n ", "\r\n ") + "\r\n\r\nbody\r\n").encode()


def test_a_list_of_every_name_folds_and_reads_back(node_modules: Path) -> None:
    """All sixteen names in one To and one Cc (a list folded over many lines), one in Reply-To."""
    people = [(name, f"person{n}@oakfield.example") for n, name in enumerate(NAMES)]
    wanted = {
        "From": [(NAMES[0], "office@oakfield.example")],
        "To": people,
        "Cc": people[::-1],
        "Reply-To": [(NAMES[11], "head@oakfield.example")],
    }
    raw = _headers(wanted)
    assert raw.count(b"\r\n ") > 20  # folded
    assert_read_back([raw], [wanted], node_modules)


def test_the_stdlib_refolding_bug_is_not_ours() -> None:
    """The header gh-121284 broke: one mailbox, as written, and not refolded by the policy."""
    message = OutgoingEmail(
        idempotency_key="k",
        to=("amy@oak.example",),
        subject="s",
        text="t",
        html="<p>t</p>",
        from_name="Ysgol Gynradd Gymraeg Tŷ Coch, Caerdydd",
    )
    raw = mime_bytes(to_mime(message, "office@oak.example"))
    assert raw.startswith(
        b"From: =?utf-8?q?Ysgol_Gynradd_Gymraeg_T=C5=B7_Coch=2C_Caerdydd?=\r\n"
        b" <office@oak.example>\r\n"
    )


def _random_names(count: int) -> list[str]:
    """Names of Welsh, Irish and Gaelic letters, ASCII ones, and every special of RFC 5322."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ŵŷâŴŶáéíóúÁÓàèìòùÀÙ"
    punctuation = " ,()'\".:;<>@[]\\-—‘’!?=_&"
    chosen = random.Random(40)
    names = []
    while len(names) < count:
        text = "".join(
            chosen.choice(letters if chosen.random() < 0.75 else punctuation)
            for _ in range(chosen.randint(1, 90))
        )
        if " ".join(text.split()):
            names.append(" ".join(text.split()))
    return names


def test_any_name_reads_back_as_one_mailbox(node_modules: Path) -> None:
    """300 seeded random names: postal-mime reads each exactly. Python's parser reads each as
    one mailbox with no defect and the exact name, except that CPython 3.11 keeps the space
    between two adjacent encoded-words (gh-128110), which only a name with a long run of
    non-plain words needs: there it reads the name with spaces added, never other letters."""
    names = _random_names(300)
    raws = [_headers({"From": [(name, f"p{n}@oak.example")]}) for n, name in enumerate(names)]
    for n, (name, raw) in enumerate(zip(names, raws, strict=True)):
        header = BytesParser(policy=email.policy.strict).parsebytes(raw)["From"]
        assert header.defects == ()
        [mailbox] = header.addresses
        assert mailbox.addr_spec == f"p{n}@oak.example"
        assert mailbox.display_name.replace(" ", "") == name.replace(" ", "")
        if b"?=\r\n =?" not in raw and b"?= =?" not in raw:
            assert mailbox.display_name == name
    for n, (name, parsed) in enumerate(zip(names, postal_mime(node_modules, raws), strict=True)):
        assert [(m["name"], m["address"]) for m in parsed["from"]] == [(name, f"p{n}@oak.example")]


def test_an_address_that_is_not_ascii_is_written_in_utf8(node_modules: Path) -> None:
    """RFC 6532: an internationalised address can only be UTF-8 (never an encoded-word)."""
    message = OutgoingEmail(
        idempotency_key="k",
        to=("Siân Jones <siân@oak.example>", "bo@exämple.example"),
        subject="s",
        text="t",
        html="<p>t</p>",
        from_name="Ysgol Siân (Llanelli)",
    )
    raw = mime_bytes(to_mime(message, "office@oak.example"))
    to = "To: =?utf-8?q?Si=C3=A2n_Jones?= <siân@oak.example>, bo@exämple.example\r\n"
    assert to.encode() in raw
    [parsed] = postal_mime(node_modules, [raw])
    assert [(m["name"], m["address"]) for m in parsed["to"]] == [
        ("Siân Jones", "siân@oak.example"),
        ("", "bo@exämple.example"),
    ]
