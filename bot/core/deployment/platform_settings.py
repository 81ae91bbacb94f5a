"""Each platform's deployment settings: the local connector (its files, an SMTP relay or a
webhook), Microsoft 365 through Graph, Google Workspace, and the schools' MIS (Wonde) — what
the install's connectors are built from (``bot.core.deployment.settings.Settings`` holds one of
each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from bot.core.config import Role

__all__ = [
    "LOOPBACK_HOSTS",
    "GoogleSettings",
    "LocalSettings",
    "M365Settings",
    "MisSettings",
    "SmtpSettings",
    "WondeSchool",
]

# where Microsoft publishes the Bot Connector's signing keys: the public cloud, US Government
BOT_FRAMEWORK_HOSTS = ("login.botframework.com", "login.botframework.azure.us")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class SmtpSettings(BaseModel):
    """An SMTP relay for the local connector."""

    host: str = "localhost"
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    security: Literal["starttls", "tls", "none"] = "starttls"


class LocalSettings(BaseModel):
    """The embedded default connector."""

    directory_file: Path | None = None  # default: <home>/directory.csv
    mail: Literal["eml", "smtp"] = "eml"
    outbox_dir: Path | None = None  # default: <home>/outbox
    smtp: SmtpSettings = SmtpSettings()
    webhook_url: SecretStr | None = None  # cards POSTed here when set
    webhook_flavour: Literal["teams", "chat"] = "teams"
    notify_file: Path | None = None  # default: <home>/channel.jsonl
    mirror_file: Path | None = None  # default: <home>/reports-mirror.csv
    forms_file: Path | None = None  # default: <home>/form-responses.jsonl


class M365Settings(BaseModel):
    """Microsoft 365 through Microsoft Graph (see deploy/m365.md)."""

    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    certificate_path: Path | None = None
    sender: str | None = None  # the mailbox mail is sent from
    authority_host: str = "https://login.microsoftonline.com"
    graph_endpoint: str = "https://graph.microsoft.com/v1.0"
    teams_webhook_url: SecretStr | None = None
    # the school's own single-tenant Azure Bot (deploy/teams/bot.md): its Microsoft App ID turns
    # on /api/messages; its secret (default: client_secret, when the bot shares the app
    # registration) gets the tokens the bot sends with
    bot_app_id: str | None = None
    bot_app_secret: SecretStr | None = None
    bot_openid_metadata: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    # where proactive messages start when no activity has named one yet (Teams' global address)
    bot_service_url: str = "https://smba.trafficmanager.net/teams/"
    # the app's id in the tenant's app catalog (``teamsApp@odata.bind``) to install it for staff
    teams_catalog_app_id: str | None = None
    site_id: str | None = None
    list_name: str = "Safeguarding reports"
    forms_list: str | None = None  # the list in site_id a Power Automate flow fills from a form
    role_groups: dict[str, Role] = Field(default_factory=dict)  # group display name -> role
    all_users: bool = False  # read every user, not only members of role_groups (pupils too)
    # guests (userType Guest) and accounts with no licence (shared mailboxes, service and room
    # accounts) are not staff: left out of the directory unless these bring them in
    include_guests: bool = False
    include_unlicensed: bool = False
    messages_per_minute: int = 30
    # of the mailbox's 30 a minute and 10,000 recipients a day, what routine mail (reminders,
    # digests) may never spend: kept for safeguarding alerts and people waiting on the bot
    urgent_reserve_per_minute: int = Field(default=1, ge=0)
    urgent_reserve_per_day: int = Field(default=300, ge=0)

    @field_validator("bot_openid_metadata")
    @classmethod
    def _bot_issuer(cls, value: str) -> str:
        """Microsoft's Bot Framework metadata, or a local issuer on this computer only (the
        smoke test, ``tools.teams_smoke``): anything else would let its owner sign
        the activities the bot acts on."""
        url = urlsplit(value)
        if url.scheme == "https" and url.hostname in BOT_FRAMEWORK_HOSTS:
            return value
        if url.scheme in ("http", "https") and url.hostname in LOOPBACK_HOSTS:
            return value
        raise ValueError(
            "COMPLIANCE_BOT_M365__BOT_OPENID_METADATA must be Microsoft's "
            f"(https://{BOT_FRAMEWORK_HOSTS[0]}/v1/.well-known/openidconfiguration, the "
            "default) or, for a smoke test, a local issuer on 127.0.0.1 or localhost; "
            f"got {value!r}"
        )

    @model_validator(mode="before")
    @classmethod
    def _no_workbook_route(cls, data: Any) -> Any:
        """Refuse the old Forms-workbook settings: Graph cannot read a workbook app-only."""
        if isinstance(data, dict):
            old = sorted(k for k in data if k in ("forms_drive_id", "forms_item_id", "forms_table"))
            if old:
                names = ", ".join(f"COMPLIANCE_BOT_M365__{k.upper()}" for k in old)
                raise ValueError(
                    f"{names}: the Forms workbook route is gone (Microsoft documents the workbook "
                    "calls as not supported with an application token); set "
                    "COMPLIANCE_BOT_M365__FORMS_LIST instead (deploy/m365.md, section 10)"
                )
        return data


class GoogleSettings(BaseModel):
    """Google Workspace through google-api-python-client (see deploy/google.md)."""

    service_account_file: Path | None = None
    admin_subject: str | None = None  # an admin the directory calls act as
    sender: str | None = None  # the Gmail account mail is sent from
    customer: str = "my_customer"
    chat_webhook_url: SecretStr | None = None
    spreadsheet_id: str | None = None
    sheet_name: str = "Reports"
    form_id: str | None = None
    role_groups: dict[str, Role] = Field(default_factory=dict)  # group email -> role
    # with role_groups named, only their members are read (pupils never), as for Microsoft 365;
    # all_users reads every user, narrowed by user_query if given
    all_users: bool = False
    user_query: str | None = None  # e.g. orgUnitPath='/Staff' so pupils' accounts are left out
    messages_per_minute: int = 60
    # of the account's 60 a minute and 2,000 messages a day, what routine mail may never spend
    urgent_reserve_per_minute: int = Field(default=1, ge=0)
    urgent_reserve_per_day: int = Field(default=100, ge=0)
    # the Chat app staff acknowledge in (deploy/google.md, "Chat app"): its Cloud project
    # number, and the authentication audience chosen in its Chat API configuration: "endpoint"
    # (HTTP endpoint URL: an ID token for chat_endpoint_url, by default base_url + /api/chat)
    # or "project" (project number: Chat's own JWT); chat_addon: built as a Workspace add-on
    chat_project_number: str | None = Field(default=None, pattern=r"^[0-9]{6,20}$")
    chat_audience: Literal["endpoint", "project"] = "endpoint"
    chat_endpoint_url: str | None = None
    chat_addon: bool = True
    # an add-on's OAuth client id (its deployment's Authorization): set, every add-on event
    # must carry the pressing person's own ID token for it (authorizationEventObject.userIdToken)
    chat_addon_client_id: str | None = None


class WondeSchool(BaseModel):
    """One school's approval of the app in Wonde (deploy/mis.md)."""

    school: str = Field(min_length=1)  # the school's Wonde id, e.g. A1930499544
    token: SecretStr  # the token Wonde issued for it: a secret like the others
    domain: str = "api.wonde.com"  # or the school's regional domain (GET /v1.0/schools)


class MisSettings(BaseModel):
    """The schools' MIS, read-only (deploy/mis.md): each school by its id in school.yaml."""

    wonde: dict[str, WondeSchool] = Field(default_factory=dict)
