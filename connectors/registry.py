"""Name -> connector registry with lazy imports: the local and Google modes never load msgraph.

The m365 and Google connectors are imported when their mode is chosen: each is an optional
extra that may be missing, and msgraph costs ~0.3-0.7 s to import (PLATFORM-FACTS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core.config import EXTRA_ROLES
from connectors.base import ChatBot, Directory, FormSource, ListMirror, Mailer, Notifier
from connectors.local.connector import (
    CsvListMirror,
    EmlMailer,
    FileDirectory,
    FileNotifier,
    LocalFormSource,
    SmtpMailer,
    WebhookNotifier,
)

if TYPE_CHECKING:
    from bot.core.settings import Settings

__all__ = ["Connectors", "build_connectors", "extra_people_file"]


@dataclass
class Connectors:
    """The set of platform services one deployment talks to."""

    name: str
    directory: Directory
    mailer: Mailer
    notifier: Notifier | None
    mirror: ListMirror | None
    forms: FormSource | None
    # people outside the directory, merged in by the sync in every mode (None: no file)
    extra_people: Directory | None = None
    # the school's own Teams bot (m365 with a bot set up): cards in a person's chat
    chat: ChatBot | None = None
    # a mailer like ``mailer`` sending from another mailbox (a school's own: its ``sender``)
    mailer_for: Callable[[str], Mailer] | None = None
    mailers: dict[str, Mailer] = field(default_factory=dict)  # built by ``mailer_for``, kept


def build_connectors(settings: Settings) -> Connectors:
    """Build the connectors named by ``settings.connector`` (``local``, ``m365`` or ``google``),
    with the extra people file whatever the mode."""
    connectors = _build_platform(settings)
    connectors.extra_people = extra_people_file(settings)
    return connectors


def extra_people_file(settings: Settings) -> Directory | None:
    """The extra people file as a directory of its own (its roles checked), or None."""
    path = settings.extra_people_path
    return FileDirectory(path, allowed_roles=frozenset(EXTRA_ROLES)) if path is not None else None


def _build_platform(settings: Settings) -> Connectors:
    """The platform's own connectors."""
    # Neither module imports its SDK (the optional extra) before its first call, so importing
    # one never fails for want of it.
    if settings.connector == "m365":
        from connectors.m365.connector import build as build_m365  # lazy: module docstring

        return build_m365(settings)
    if settings.connector == "google":
        from connectors.google.connector import build as build_google  # lazy: module docstring

        return build_google(settings)
    return build_local(settings)


def build_local(settings: Settings) -> Connectors:
    """The embedded default: directory file, .eml outbox or SMTP, file or webhook cards."""
    local = settings.local

    def mailer_for(sender: str) -> Mailer:
        if local.mail == "smtp":
            return SmtpMailer(
                host=local.smtp.host,
                port=local.smtp.port,
                sender=sender,
                username=local.smtp.username,
                password=local.smtp.password.get_secret_value() if local.smtp.password else None,
                security=local.smtp.security,
            )
        return EmlMailer(folder=settings.outbox_dir, sender=sender)

    notifier: Notifier
    if local.webhook_url is not None:
        notifier = WebhookNotifier(
            url=local.webhook_url.get_secret_value(), flavour=local.webhook_flavour
        )
    else:
        notifier = FileNotifier(path=local.notify_file or settings.home / "channel.jsonl")
    return Connectors(
        name="local",
        directory=FileDirectory(settings.directory_file),
        mailer=mailer_for(settings.mail_from),
        mailer_for=mailer_for,
        notifier=notifier,
        mirror=CsvListMirror(local.mirror_file or settings.home / "reports-mirror.csv"),
        forms=LocalFormSource(local.forms_file or settings.home / "form-responses.jsonl"),
    )
