"""Deployment settings (environment, ``.env``): where data lives, which connector to use, the
schools' own connections and the keys (each platform's own settings: ``platform_settings``).

The school itself (people, policies, requirements, term dates) is described by the YAML
configuration file read by ``bot.core.config``; this module is only about the deployment.
Environment variables use the prefix ``COMPLIANCE_BOT_`` and ``__`` for nesting, e.g.
``COMPLIANCE_BOT_M365__CLIENT_SECRET``.
"""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

from bot.core.config import Role
from bot.core.deployment.platform_settings import (
    LOOPBACK_HOSTS,
    GoogleSettings,
    LocalSettings,
    M365Settings,
    MisSettings,
)
from bot.core.guards.keys import Keyring

__all__ = [
    "DEFAULT_HOME",
    "DEMO_HOME",
    "Connection",
    "RetentionSettings",
    "Settings",
    "SettingsError",
    "connection_key",
    "describe_invalid",
    "load_settings",
    "own_address",
]

DEFAULT_HOME = Path(".compliance-bot")
DEMO_HOME = Path(".compliance-bot-demo")
MIN_KEY_BYTES = 32  # a session cookie or emailed link signed with less can be forged
SHORT_KEY = (
    f"is shorter than {MIN_KEY_BYTES} bytes, so signed links and sign-in cookies could be "
    "forged; unset it to have one generated, or set a long random value, e.g. the output of "
    '`python -c "import secrets; print(secrets.token_urlsafe(48))"`'
)


class SettingsError(Exception):
    """Settings could not be read; ``str()`` is a one-line message naming the variable."""


class Connection(BaseModel):
    """A school's own Microsoft 365 tenant or Google Workspace domain (``connection:`` in the
    school's entry of school.yaml names it; deploy/README.md, "A trust across tenants").

    Set through the environment, e.g. ``COMPLIANCE_BOT_CONNECTIONS__TENANT_B__TENANT_ID``; its
    secrets there or in ``secrets_file`` (lines ``CLIENT_SECRET=...``, ``BOT_APP_SECRET=...``),
    never in school.yaml. What it leaves unset is the install's (``COMPLIANCE_BOT_M365__...``,
    ``COMPLIANCE_BOT_GOOGLE__...``): role groups, limits, the cloud's addresses.
    """

    model_config = ConfigDict(extra="forbid")

    # Microsoft 365
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    certificate_path: Path | None = None
    bot_app_id: str | None = None
    bot_app_secret: SecretStr | None = None
    teams_catalog_app_id: str | None = None
    # Google Workspace: the domain its people sign in from (the ID token's ``hd``)
    domain: str | None = None
    service_account_file: Path | None = None
    admin_subject: str | None = None
    # both: the mailbox or Gmail account the connection's schools send from
    sender: str | None = None
    secrets_file: Path | None = None
    # the tenant's or domain's own role groups (a Google group's address names its domain);
    # unset: the install's
    role_groups: dict[str, Role] | None = None
    # Google Workspace: the domain's own Chat app (its Cloud project; deploy/google.md, "Chat
    # app"): a domain starts without the install's project; audience and add-on, when unset,
    # are the install's
    chat_project_number: str | None = Field(default=None, pattern=r"^[0-9]{6,20}$")
    chat_audience: Literal["endpoint", "project"] | None = None
    chat_endpoint_url: str | None = None
    chat_addon: bool | None = None
    chat_addon_client_id: str | None = None

    def secrets(self) -> dict[str, SecretStr]:
        """The secrets set here or in ``secrets_file`` (the file's win; SettingsError when it
        cannot be read or names anything but CLIENT_SECRET and BOT_APP_SECRET)."""
        found: dict[str, SecretStr] = self.model_dump(
            include={"client_secret", "bot_app_secret"}, exclude_none=True
        )
        if self.secrets_file is None:
            return found
        try:
            lines = self.secrets_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SettingsError(f"{self.secrets_file}: cannot be read ({exc.strerror})") from None
        for number, line in enumerate(lines, start=1):
            name, sep, value = line.strip().partition("=")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if not sep or name.strip().upper() not in ("CLIENT_SECRET", "BOT_APP_SECRET"):
                raise SettingsError(
                    f"{self.secrets_file}, line {number}: expected CLIENT_SECRET=... or "
                    "BOT_APP_SECRET=..."
                )
            found[name.strip().lower()] = SecretStr(value.strip())
        return found


# what belongs to one tenant or domain: a connection starts without the install's
TENANT_OWN = (
    "tenant_id",
    "client_id",
    "client_secret",
    "certificate_path",
    "sender",
    "teams_webhook_url",
    "bot_app_id",
    "bot_app_secret",
    "teams_catalog_app_id",
    "site_id",
    "forms_list",
)
DOMAIN_OWN = (
    "service_account_file",
    "admin_subject",
    "sender",
    "chat_webhook_url",
    "spreadsheet_id",
    "form_id",
    "chat_project_number",
    "chat_endpoint_url",
    "chat_addon_client_id",
)


def connection_key(name: str) -> str:
    """How a connection's name is matched: ``tenant-b`` in school.yaml is the environment's
    ``TENANT_B`` (pydantic-settings lower-cases the variables' names)."""
    return name.strip().lower().replace("-", "_")


class RetentionSettings(BaseModel):
    """How long the bot keeps what it may drop by itself (``compliance-bot maintenance``)."""

    # rendered bodies of delivered messages; who, what, when, provider id and hash stay
    outbox_body_days: int = Field(default=30, ge=1, le=3650)
    # the log of sweep runs (the newest of each school is always kept)
    sweep_run_days: int = Field(default=90, ge=1, le=3650)


class Settings(BaseSettings):
    """Everything the deployment needs; built once by the CLI or app factory and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="COMPLIANCE_BOT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    home: Path = DEFAULT_HOME
    config_file: Path | None = None  # default: <home>/school.yaml
    database_url: str | None = None  # default: sqlite:///<home>/compliance-bot.db
    secret_key: SecretStr | None = None  # default: generated once into <home>/secret.key
    # the secret the audit log's key is derived from (default: <home>/audit.key once
    # 'audit rotate-key' made one, else the secret key); never stored in the database
    audit_key: SecretStr | None = None
    # earlier audit secrets, one a line, so 'audit verify' can check the log's older entries
    # (default: <home>/previous-audit-keys)
    previous_audit_keys_file: Path | None = None
    base_url: str = "http://127.0.0.1:8000"
    mail_from: str = "compliance-bot@school.example"
    connector: Literal["local", "m365", "google"] = "local"
    demo: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    link_max_age_days: int = 30
    # how often the scheduler checks its lock and beats; two beats missed and /readyz fails
    # and the dashboard says the bot's jobs have stopped (bot.core.deployment.scheduler_health)
    scheduler_beat_seconds: int = Field(default=60, ge=1, le=3600)
    # how long a sweep worker's claim on a school holds, renewed every third of it while it
    # sweeps (PostgreSQL): a killed worker's school is swept again at most this long after
    sweep_lease_seconds: int = Field(default=120, ge=3, le=3600)
    # the local hour from which each day's first sweep plans everyone's duties afresh (the
    # others plan only who changed or whose date came: bot.engine.attention), a safety net
    full_sweep_hour: int = Field(default=1, ge=0, le=23)
    oidc_issuer: str | None = None  # e.g. https://login.microsoftonline.com/<tenant>/v2.0
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    # Google Workspace sign-in: the school's domain (the ID token's ``hd``); its accounts' own
    # addresses sign in, another organisation's are refused (deploy/README.md#sign-in)
    oidc_domain: str | None = None
    # people outside the directory (governors on personal addresses, volunteers, supply staff),
    # in every mode; default: <home>/extra-people.csv when that file exists
    extra_people_file: Path | None = None
    # Teams tab single sign-on: the Entra app the manifest's webApplicationInfo names
    # (default: oidc_client_id); tokens must be for api://<base_url host>/<this id>
    teams_sso_client_id: str | None = None
    local: LocalSettings = LocalSettings()
    m365: M365Settings = M365Settings()
    google: GoogleSettings = GoogleSettings()
    retention: RetentionSettings = RetentionSettings()
    # the schools' own tenants or domains, by name (``connection:`` in a school's entry)
    connections: dict[str, Connection] = Field(default_factory=dict)

    @field_validator("connections")
    @classmethod
    def _connection_names(cls, value: dict[str, Connection]) -> dict[str, Connection]:
        return {connection_key(name): connection for name, connection in value.items()}

    mis: MisSettings = MisSettings()

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("secret_key", "audit_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # an empty COMPLIANCE_BOT_SECRET_KEY= is a mistake, never "no key": refuse it too
        if value is not None and len(value.get_secret_value().encode()) < MIN_KEY_BYTES:
            raise ValueError(f"the secret key {SHORT_KEY}")
        return value

    # ---- derived locations -------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        """The school configuration YAML."""
        return self.config_file or self.home / "school.yaml"

    @property
    def db_url(self) -> str:
        """SQLAlchemy URL of the store."""
        return self.database_url or _sqlite_url(
            self.home, "" if self.home.is_absolute() else os.getcwd()
        )

    @property
    def outbox_dir(self) -> Path:
        """Where the local connector writes .eml files."""
        return self.local.outbox_dir or self.home / "outbox"

    @property
    def uploads_dir(self) -> Path:
        """Uploaded files (certificates, report attachments): outside any web root."""
        return self.home / "uploads"

    @property
    def directory_file(self) -> Path:
        """The local directory CSV/YAML/workbook: the one set, else the home folder's
        directory.csv, or its directory.xlsx when setup copied the MIS's workbook there."""
        if self.local.directory_file is not None:
            return self.local.directory_file
        csv_file, workbook = self.home / "directory.csv", self.home / "directory.xlsx"
        return workbook if workbook.exists() and not csv_file.exists() else csv_file

    @property
    def extra_people_path(self) -> Path | None:
        """The extra people CSV/YAML: the one set, else the home folder's if it exists."""
        if self.extra_people_file is not None:
            return self.extra_people_file
        default = self.home / "extra-people.csv"
        return default if default.exists() else None

    def platform(self, connection: str | None) -> str:
        """The platform a school's mail, sign-in and directory run on (``local``, ``m365``,
        ``google``): its own connection's, or the install's."""
        return (self.for_connection(connection) if connection else self).connector

    def connection(self, name: str) -> Connection:
        """The connection a school names; SettingsError naming the variables when none is set."""
        key = connection_key(name)
        if key not in self.connections:
            raise SettingsError(
                f"the school's connection {name!r} is not set up: set "
                f"COMPLIANCE_BOT_CONNECTIONS__{key.upper()}__TENANT_ID (Microsoft 365) or "
                f"..._DOMAIN (Google Workspace) and the rest of its settings "
                '(deploy/README.md, "A trust across tenants")'
            )
        return self.connections[key]

    def for_connection(self, name: str) -> Settings:
        """These settings as the connection ``name`` sees them: its tenant or domain, app,
        credential, sender and bot; of the install's, only what is no tenant's own (role
        groups, limits, the cloud's addresses). The install's site, list, webhooks and bot
        belong to the install's tenant and are left out. SettingsError when it is not set up."""
        connection = self.connection(name)
        given: dict[str, Any] = (
            connection.model_dump(exclude_unset=True, exclude={"secrets_file", "domain"})
            | connection.secrets()
        )
        m365, google = self.m365, self.google
        if connection.tenant_id:
            m365 = m365.model_copy(
                update={k: None for k in TENANT_OWN}
                | {k: v for k, v in given.items() if k in M365Settings.model_fields}
            )
        if connection.domain:
            google = google.model_copy(
                update={k: None for k in DOMAIN_OWN}
                | {k: v for k, v in given.items() if k in GoogleSettings.model_fields}
            )
        update: dict[str, Any] = {"m365": m365, "google": google, "connections": {}}
        if connection.domain:
            update["oidc_domain"] = connection.domain.lower()
        return self.model_copy(update=update)

    def signing_key(self) -> str:
        """The key for signed links, sessions and CSRF; generated once and kept beside the
        database. Raises SettingsError when the key is shorter than 32 bytes."""
        if self.secret_key is not None:
            key = self.secret_key.get_secret_value()
            if len(key.encode()) < MIN_KEY_BYTES:
                raise SettingsError(f"COMPLIANCE_BOT_SECRET_KEY {SHORT_KEY}")
            return key
        key_file = self.home / "secret.key"
        if key_file.exists():
            return _checked_key_file(key_file)
        self.home.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        tmp = key_file.with_name(f".secret.key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
        try:
            os.link(tmp, key_file)  # atomic: if another process won the race, use its key
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        return _checked_key_file(key_file)

    @property
    def audit_key_file(self) -> Path:
        """Where 'audit rotate-key' keeps the audit secret it made."""
        return self.home / "audit.key"

    @property
    def previous_audit_keys_path(self) -> Path:
        """The file of earlier audit secrets, one a line."""
        return self.previous_audit_keys_file or self.home / "previous-audit-keys"

    def audit_secret(self) -> str:
        """The secret the audit key is derived from: COMPLIANCE_BOT_AUDIT_KEY, else the file
        'audit rotate-key' wrote, else the secret key."""
        if self.audit_key is not None:
            return self.audit_key.get_secret_value()
        if self.audit_key_file.exists():
            return _checked_key_file(self.audit_key_file)
        return self.signing_key()

    def previous_audit_secrets(self) -> list[str]:
        """The earlier audit secrets the school kept (none when the file does not exist)."""
        path = self.previous_audit_keys_path
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]

    def audit_keyring(self) -> Keyring:
        """The audit key in use and the earlier ones (derived, never stored in the database)."""
        return Keyring.from_secrets(self.audit_secret(), self.previous_audit_secrets())


@lru_cache(maxsize=64)
def _sqlite_url(home: Path, cwd: str) -> str:
    """The SQLite store's URL under ``home`` (relative: to ``cwd``), made once per home and
    working folder: resolving walks every folder on the path (an ``lstat`` each), and every
    page asked several times. A link in the path moved while the process runs is not followed
    again, as the store's engine, made from the first answer, never followed it either."""
    del cwd  # in the key: a relative home resolves against the folder the process is in
    return f"sqlite:///{(home / 'compliance-bot.db').resolve()}"


def _checked_key_file(key_file: Path) -> str:
    """The key kept in ``key_file``; SettingsError if it is too short to be safe."""
    key = key_file.read_text(encoding="utf-8").strip()
    if len(key.encode()) < MIN_KEY_BYTES:
        raise SettingsError(
            f"{key_file}: the secret key in this file {SHORT_KEY} (delete the file to have a "
            "new one generated; links already emailed will stop working)"
        )
    return key


def own_address(base_url: str, port: int) -> tuple[str, int]:
    """BASE_URL and the port to serve on, made to agree when BASE_URL is this computer's own
    address (``http://127.0.0.1:8102``): its port is the one served, and an own address with no
    port is given ``port``, so the links in emails reach the server. A public address (behind a
    proxy) says nothing of the port the bot listens on: both are returned as they are."""
    try:
        url = urlsplit(base_url)
        given = url.port
    except ValueError:
        return base_url, port
    if url.hostname is None or url.hostname not in LOOPBACK_HOSTS:
        return base_url, port
    if given is not None:
        return base_url, given
    host = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
    return urlunsplit(url._replace(netloc=f"{host}:{port}")).rstrip("/"), port


def default_home(cwd: Path | None = None) -> Path:
    """``./.compliance-bot`` if present, else the demo's ``./.compliance-bot-demo`` if present.

    The folder only says where the data lives: demo mode (password-free sign-in) is never
    switched on by a folder's name, only by ``compliance-bot demo`` or COMPLIANCE_BOT_DEMO."""
    base = cwd or Path.cwd()
    if (base / DEMO_HOME).exists() and not (base / DEFAULT_HOME).exists():
        return DEMO_HOME
    return DEFAULT_HOME


def _not_json(message: str) -> str:
    """Name the environment variable whose JSON value could not be parsed."""
    bad = []
    for name, value in os.environ.items():
        if name.startswith("COMPLIANCE_BOT_") and value.strip()[:1] in ("{", "["):
            try:
                json.loads(value)
            except ValueError:
                bad.append(name)
    where = ", ".join(sorted(bad)) or "a COMPLIANCE_BOT_ setting"
    return (
        f"{where}: not valid JSON — write it on one line with double quotes, e.g. "
        f'{{"Governors": "governor"}} ({message})'
    )


def describe_invalid(exc: ValidationError) -> str:
    """One line naming the first invalid setting's variable and what is wrong with it."""
    first = exc.errors()[0]
    where = "__".join(str(p) for p in first["loc"]).upper()
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"COMPLIANCE_BOT_{where}: {message}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment and ``.env``; raise SettingsError with a clear line."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_invalid(exc)) from None
    except SourceError as exc:  # a value that must be JSON is not (e.g. ROLE_GROUPS)
        raise SettingsError(_not_json(str(exc))) from None
    if "home" not in settings.model_fields_set:
        home = default_home()
        if home != settings.home:
            settings = settings.model_copy(update={"home": home})
    return settings
