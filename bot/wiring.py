"""What the app hands the engine and the core at start-up: the features' sweep steps and
retention rules, and the connectors (the adapters behind ``bot.core.ports``).

The engine sits below the features and never imports them, and no module of ``bot`` but this
one imports ``connectors``; the app's entry points (the CLI's main, the web app factory, the
scheduler's jobs) call ``install`` so the sweep and maintenance run the features' steps and
``AppContext.connectors`` builds the deployment's connectors. The list is plain imports, so
renaming a feature's step is an import error here, not a silently skipped step.

The m365 and Google connectors are imported when their mode is chosen: each is an optional
extra that may be missing, and msgraph costs ~0.3-0.7 s to import (PLATFORM-FACTS).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.core.config import EXTRA_ROLES, SchoolConfig
from bot.core.deployment.context import Adapters, register_adapters
from bot.core.deployment.settings import Settings, SettingsError, connection_key
from bot.core.guards.chat_tokens import ChatAudience, ChatTokens
from bot.core.language.i18n import N_, say, shared_language, speaking
from bot.core.ports import CheckRow, Connectors, Directory, Mailer, Notifier, PlatformCheck
from bot.engine.chasing import chasing_stopped_step
from bot.engine.remind import ChatRoute
from bot.engine.steps import FeatureSteps, Step, register
from bot.features.accounts.step import handovers_step
from bot.features.chatbot.deliver import ChatDigests
from bot.features.dashboard.digest import digest_step
from bot.features.decisions.step import decision_reminders_step
from bot.features.policies.step import governor_alerts
from bot.features.privacy.api import dispose_due
from bot.features.privacy.step import complaints_step
from bot.features.reports.step import report_sweep
from bot.features.scr.owner import OwnerNotes
from bot.features.scr.step import scr_step
from bot.features.tasks.step import tasks_step
from bot.features.teamsbot.deliver import TeamsDigests
from bot.features.teamsbot.step import head_dashboard_step, teams_needs_step
from bot.features.trust.step import trust_digest_step
from bot.features.visitors.service import purge_visitors
from bot.features.visitors.step import visitors_step
from connectors.local.connector import (
    CsvListMirror,
    EmlMailer,
    FileDirectory,
    FileNotifier,
    LocalFormSource,
    SmtpMailer,
    WebhookNotifier,
)

__all__ = [
    "FEATURE_STEPS",
    "FIRST",
    "STEPS",
    "TITLES",
    "build_connectors",
    "build_local",
    "chat_tokens",
    "extra_people_file",
    "install",
    "platform_checks",
]

# the report deadlines run first for every school, before anything else can fail (#40)
FIRST: tuple[Step, ...] = (report_sweep,)
STEPS: tuple[Step, ...] = (
    chasing_stopped_step,  # right after the reminders: capped duties reach the line manager
    governor_alerts,
    digest_step,
    head_dashboard_step,  # with the digest: the head's card in their chat, when the bot has one
    trust_digest_step,  # the trust's overview, queued once a week by the first sweep due
    complaints_step,
    decision_reminders_step,  # the order of the last three is the old single "extras" step's
    tasks_step,
    visitors_step,
    scr_step,  # after the people and training are as the sweep leaves them
    handovers_step,
    teams_needs_step,  # last: the day's asks as they stand after every other step
)

# each step in the words the head and the admin read when it fails (status, dashboard, /setup)
TITLES = {
    report_sweep.__name__: N_("warning about the deadlines of concerns and breaches"),
    chasing_stopped_step.__name__: N_("telling line managers about reminders that have stopped"),
    governor_alerts.__name__: N_("sending the policy review alerts"),
    digest_step.__name__: N_("sending the weekly digest"),
    head_dashboard_step.__name__: N_("sending the headteacher's dashboard card"),
    trust_digest_step.__name__: N_("sending the trust's weekly safeguarding overview"),
    complaints_step.__name__: N_("warning about data protection complaints falling due"),
    decision_reminders_step.__name__: N_("reminding about decisions due for review"),
    tasks_step.__name__: N_("setting recurring tasks"),
    visitors_step.__name__: N_("tidying the visitors' confirmations"),
    scr_step.__name__: N_("checking the single central record for gaps"),
    handovers_step.__name__: N_("chasing official account handovers"),
    teams_needs_step.__name__: N_("reaching staff in Teams or Google Chat"),
}


def chat_route(settings: Settings, platform: str) -> ChatRoute:
    """Where the reminder run sends the digests of the people a school's bot reaches: Google
    Chat cards for a Chat app, Teams cards for the Teams bot."""
    return ChatDigests(settings) if platform == "chat" else TeamsDigests(settings)


FEATURE_STEPS = FeatureSteps(
    sweep=STEPS,
    first=FIRST,
    titles=TITLES,
    # a concern's deadlines must reach the DSL whatever stage the setup is at
    run_in_preview=frozenset({report_sweep}),
    purge_visitors=lambda session, school, today: purge_visitors(
        session, school, today, write=True
    ),
    dispose=dispose_due,
    chat_route=chat_route,
    digest_notes=OwnerNotes(),  # the SCR owner's new gaps, in their reminder email
)


def build_connectors(settings: Settings) -> Connectors:
    """Build the connectors named by ``settings.connector`` (``local``, ``m365`` or ``google``),
    with the extra people file and each school's MIS whatever the mode."""
    connectors = _build_platform(settings)
    connectors.sender = connectors.sender or _sender(settings)
    connectors.extra_people = extra_people_file(settings)
    connectors.build_connection = lambda name: _build_connection(settings, name)
    if settings.mis.wonde:
        from connectors.wonde.connector import build_mis  # lazy: only schools with an MIS

        connectors.mis = build_mis(settings)
    return connectors


def _build_connection(settings: Settings, name: str) -> Connectors:
    """The connectors of a school's own tenant or domain (``connection:`` in its entry), on
    the install's platform with the connection's settings; the extra people are the install's."""
    own = settings.for_connection(name)
    sender = settings.connection(name).sender
    if own.connector == "local" and sender:  # the install's files, the connection's sender
        own = own.model_copy(update={"mail_from": sender})
    connectors = _build_platform(own)
    connectors.sender = connectors.sender or _sender(own)
    return connectors


def _sender(settings: Settings) -> str:
    """The address the platform's mailer sends from."""
    if settings.connector == "m365" and settings.m365.sender:
        return settings.m365.sender
    if settings.connector == "google" and settings.google.sender:
        return settings.google.sender
    return settings.mail_from


def extra_people_file(settings: Settings) -> Directory | None:
    """The extra people file as a directory of its own (its roles checked), or None."""
    path = settings.extra_people_path
    return FileDirectory(path, allowed_roles=frozenset(EXTRA_ROLES)) if path is not None else None


def _build_platform(settings: Settings) -> Connectors:
    """The platform's own connectors."""
    # Neither module imports its SDK (the optional extra) before its first call, so importing
    # one never fails for want of it.
    if settings.connector == "m365":
        from connectors.m365.connector import build as build_m365  # lazy: msgraph, ~0.5 s

        return build_m365(settings)
    if settings.connector == "google":
        from connectors.google.connector import build as build_google  # lazy: an extra

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


# a connection whose settings cannot be read: its one row
_SETTINGS, _TRUST_ACROSS = N_("settings"), N_('See deploy/README.md, "A trust across tenants".')


def tenant_schools(
    settings: Settings, trust: Sequence[SchoolConfig]
) -> dict[str, list[SchoolConfig]]:
    """The schools on each tenant or domain ``check m365``/``check google`` covers: the
    install's own (key ``""``: the schools with no connection of their own), then each
    connection's, by its name."""
    groups: dict[str, list[SchoolConfig]] = {"": [s for s in trust if not s.connection]}
    for name in sorted(settings.connections):
        groups[name] = [s for s in trust if s.connection and connection_key(s.connection) == name]
    return groups


def platform_checks(platform: str) -> Callable[..., list[CheckRow]]:
    """``compliance-bot check m365`` / ``check google``: the platform's checks (its module is
    imported only now, as its connectors are), for the install and then for each connection
    (a school's own tenant or domain), its rows named for it and said in the language of the
    schools on it (``shared_language``)."""
    run_checks: PlatformCheck
    if platform == "m365":
        from connectors.m365.check import run_checks as m365_checks  # lazy: msgraph, ~0.5 s

        run_checks = m365_checks
    else:
        from connectors.google.check import run_checks as google_checks  # lazy: an extra

        run_checks = google_checks

    def every_connection(
        settings: Settings,
        *,
        schools: Mapping[str, str] | None = None,
        trust: Sequence[SchoolConfig] = (),
    ) -> list[CheckRow]:
        groups = tenant_schools(settings, trust)
        language = shared_language(s.language for s in groups[""])
        rows = list(run_checks(settings, schools=schools, language=language))
        for name in sorted(settings.connections):
            language = shared_language(s.language for s in groups[name])
            own = {s.name: s.sender for s in groups[name] if s.sender}
            try:
                found = list(
                    run_checks(settings.for_connection(name), schools=own, language=language)
                )
            except SettingsError as exc:
                with speaking(language):
                    found = [CheckRow(say(_SETTINGS), False, str(exc), say(_TRUST_ACROSS))]
            label = name.replace("_", "-")
            rows += [replace(row, name=f"{label}: {row.name}") for row in found]
        return rows

    return every_connection


def _microsoft_form(settings: Settings) -> tuple[str, list[str]]:
    from connectors.m365.forms import setup_form_list  # lazy: msgraph, ~0.5 s

    return setup_form_list(settings.m365)


def chat_tokens(settings: Settings, keys: Any = None) -> ChatTokens | None:
    """The checker of ``/api/chat``'s tokens for the school's Google Chat app (None: no app
    set up, no project number); ``keys`` the certificates' cache (the smoke test's local
    issuer; the process's own by default)."""
    google = settings.google
    if not google.chat_project_number:
        return None
    from connectors.google.chat_tokens import KEYS, ChatTokenVerifier  # lazy: the google extra

    endpoint = google.chat_endpoint_url or f"{settings.base_url.rstrip('/')}/api/chat"
    audience = ChatAudience(
        google.chat_audience,
        google.chat_project_number,
        endpoint,
        google.chat_addon,
        google.chat_addon_client_id,
    )
    return ChatTokenVerifier(audience, keys or KEYS)


ADAPTERS = Adapters(
    build=build_connectors,
    staff_file=FileDirectory,
    microsoft_form=_microsoft_form,
    chat_tokens=chat_tokens,
)


def install() -> None:
    """Register the features' steps with the engine and the connectors' adapters with the core
    (safe to repeat)."""
    register(FEATURE_STEPS)
    register_adapters(ADAPTERS)
