"""Email rendering from Jinja2 templates: every email has an HTML and a plain-text part."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from bot.core import i18n
from bot.core.config import SchoolConfig
from bot.core.outbox import EmailDraft
from bot.core.ports import Attachment
from bot.core.rendered import Rendered
from bot.core.words import human_date

__all__ = ["human_date", "lines_in", "notice", "render", "render_shared"]

TEMPLATES = Path(__file__).parent / "templates" / "email"


@cache
def _env(autoescape: bool) -> Environment:
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


def lines_in(language: str, say: Callable[[str], list[str]]) -> list[str]:
    """The lines ``say`` writes in ``language`` (``en`` or ``cy``); in ``cy+en`` each line
    whole in Welsh, then `` / `` and its English (a date or a value inside said in each)."""
    if language != "cy+en":
        return say(language)
    return [i18n.both(welsh, english) for welsh, english in zip(say("cy"), say("en"), strict=True)]


def render(name: str, context: dict[str, Any], language: str = "en") -> tuple[str, str]:
    """Render ``name``'s text and HTML templates with ``context``, in ``language``."""
    with i18n.speaking(language):
        text = _template(f"{name}.txt.j2").render(**context)
        html = _template(f"{name}.html.j2").render(**context)
    return text, html


def render_shared(name: str, context: dict[str, Any], language: str = "en") -> Rendered:
    """Render ``name`` once for many recipients; ``context`` carries ``slot`` markers.

    Only values shown as they are (``{{ value }}``, no filter or test on them) may be slots:
    what ``fill`` puts back must be what rendering the value would have produced.
    """
    return Rendered(*render(name, context, language))


def notice(
    *,
    school: SchoolConfig | str,
    to: Sequence[str],
    subject: str,
    paragraphs: Sequence[str],
    greeting: str | None = None,
    facts: Sequence[tuple[str, str]] = (),
    button_url: str | None = None,
    button_text: str = "Open",
    small: str | None = None,
    cc: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
    reply_to: str | None = None,
    language: str | None = None,
) -> EmailDraft:
    """A short, general-purpose email (alerts, receipts, links) in both parts.

    ``reply_to`` (the school office, ``SchoolConfig.reply_address()``) becomes the Reply-To
    header, and only then does the footer invite a reply. ``school`` is the school (its sending
    name, its office as ``reply_to`` and its language for the email's own words: the caller
    gives the subject and paragraphs in it) or the sending name alone; ``language`` says the
    email's own words in another (a school whose settings have never been accepted).
    """
    said = "en"
    if isinstance(school, str):
        school_name = school
    else:
        school_name, reply_to = school.mail_from_name or school.name, school.reply_address()
        said = school.language
    language = language or said
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
        language,
    )
    return EmailDraft(
        to=tuple(to),
        cc=tuple(cc),
        subject=subject,
        text=text,
        html=html,
        attachments=tuple(attachments),
        from_name=school_name,
        reply_to=reply_to,
    )
