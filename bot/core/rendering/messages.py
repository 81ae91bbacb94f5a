"""Email rendering from Jinja2 templates: every email has an HTML and a plain-text part."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.config import SchoolConfig
from bot.core.guards.forms import Text
from bot.core.language import i18n
from bot.core.outbox import EmailDraft
from bot.core.ports import Attachment
from bot.core.rendering.rendered import Rendered

if TYPE_CHECKING:
    from jinja2 import Environment, Template

__all__ = ["joined", "notice", "render", "render_shared"]


TEMPLATES = Path(__file__).parent / "templates" / "email"


@cache
def _env(autoescape: bool) -> Environment:
    # lazy: a sweep that writes no email loads no template engine (~3% of its imports)
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html.j2"]) if autoescape else False,  # noqa: S701 - text part
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    i18n.install(env)
    return env


@cache
def _template(name: str) -> Template:
    """A compiled template, loaded once per process (no file check on every email)."""
    return _env(name.endswith(".html.j2")).get_template(name)


def render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render ``name``'s text and HTML templates with ``context`` in the active language
    (``speaking``); ``cy+en``: the whole email in Welsh, then the whole of it in English,
    joined once (``joined``): a ``Msg`` or a date in ``context`` is said in each half's own."""
    if i18n.spoken() != "cy+en":
        return _template(f"{name}.txt.j2").render(**context), _template(f"{name}.html.j2").render(
            **context
        )
    with i18n.speaking("cy"):
        welsh = render(name, context)
    with i18n.speaking("en"):
        english = render(name, context)
    return joined(welsh, english)


def joined(welsh: tuple[str, str], english: tuple[str, str]) -> tuple[str, str]:
    """An email's two halves, each whole in one language, joined once: the text's bodies one
    after the other, then its signature (after "-- ") in each; the HTML's English half inside
    ``<div lang="en">`` after the Welsh (WCAG 2.1 SC 3.1.2), in the Welsh document."""
    body, cut, signature = welsh[0].rpartition("\n-- \n")
    english_body, english_cut, english_signature = english[0].rpartition("\n-- \n")
    if cut and english_cut:
        text = f"{body}\n\n{english_body}\n-- \n{signature}{english_signature}"
    else:
        text = f"{welsh[0]}\n{english[0]}"
    html = english[1]
    inner = html[html.index(">", html.index("<body")) + 1 : html.rindex("</body>")]
    at = welsh[1].rindex("</body>")
    return text, f'{welsh[1][:at]}<div lang="en">{inner}</div>\n{welsh[1][at:]}'


def render_shared(name: str, context: dict[str, Any]) -> Rendered:
    """Render ``name`` once for many recipients; ``context`` carries ``slot`` markers.

    Only values shown as they are (``{{ value }}``, no filter or test on them) may be slots:
    what ``fill`` puts back must be what rendering the value would have produced.
    """
    return Rendered(*render(name, context))


def notice(
    *,
    school: SchoolConfig | str,
    to: Sequence[str],
    subject: Text,
    paragraphs: Sequence[Text],
    greeting: Text | None = None,
    facts: Sequence[tuple[Text, Text]] = (),
    button_url: str | None = None,
    button_text: Text = "Open",
    small: Text | None = None,
    cc: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
    reply_to: str | None = None,
    language: str | None = None,
) -> EmailDraft:
    """A short, general-purpose email (alerts, receipts, links) in both parts.

    ``reply_to`` (the school office, ``SchoolConfig.reply_address()``) becomes the Reply-To
    header, and only then does the footer invite a reply. ``school`` is the school (its sending
    name, its office as ``reply_to``, and its language: the email is said in it) or the
    sending name alone (said in the active language: a school whose settings have never been
    accepted); ``language``: the reader's own choice, where the school gives one (``cy+en``).
    The words are catalogue sentences with their values (``Msg``), said here.
    """
    if isinstance(school, str):
        school_name, said_in = school, i18n.spoken()
    else:
        school_name, reply_to = school.mail_from_name or school.name, school.reply_address()
        said_in = school.language
    language = language or said_in
    with i18n.speaking(language):
        text, html = render(
            "notice",
            {
                "school_name": school_name,
                "subject": subject,
                "greeting": greeting,
                "paragraphs": list(paragraphs),
                "facts": list(facts),
                "button_url": button_url,
                "button_text": button_text,
                "small": small,
                "reply_to": reply_to,
            },
        )
        said_subject = str(subject)
    return EmailDraft(
        to=tuple(to),
        cc=tuple(cc),
        subject=said_subject,
        text=text,
        html=html,
        attachments=tuple(attachments),
        from_name=school_name,
        reply_to=reply_to,
    )
