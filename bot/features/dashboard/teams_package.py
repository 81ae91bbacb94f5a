"""The Microsoft Teams app package: manifest, icons and a reproducible zip to upload."""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageColor, ImageDraw

from bot.core.ports import TEAMS_APP_RSC

__all__ = [
    "ACCENT_COLOR",
    "MANIFEST_SCHEMA_URL",
    "MANIFEST_VERSION",
    "PACKAGE_FILES",
    "build_manifest",
    "build_teams_package",
    "color_icon",
    "outline_icon",
    "validate_hostname",
]

MANIFEST_VERSION = "1.30"  # newest numbered schema in @microsoft/app-manifest (tests/schemas)
MANIFEST_SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT_COLOR = "#1B5E7A"
PACKAGE_FILES = ("manifest.json", "color.png", "outline.png")
COLOR_SIZE = 192
OUTLINE_SIZE = 32
DEFAULT_FILENAME = "compliance-bot-teams.zip"
# Zip entries carry a timestamp; a fixed one makes rebuilds byte-identical.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_WHITE = (255, 255, 255)

# A shield with a tick, in unit coordinates (x, y from the top left).
_SHIELD = (
    (0.50, 0.06),
    (0.86, 0.19),
    (0.86, 0.47),
    (0.79, 0.66),
    (0.66, 0.82),
    (0.50, 0.94),
    (0.34, 0.82),
    (0.21, 0.66),
    (0.14, 0.47),
    (0.14, 0.19),
)
_TICK = ((0.33, 0.50), (0.45, 0.63), (0.68, 0.37))


def validate_hostname(hostname: str) -> str:
    """Return the hostname lower-cased, or raise ValueError saying what is wrong with it."""
    example = "for example: school.example.org"
    value = hostname.strip()
    if not value:
        raise ValueError(f"The Teams tab needs the host name the bot is served on ({example}).")
    for marks, what in (  # in this order: a scheme's "://" holds a path's "/" and a port's ":"
        (("://",), "only, without a scheme such as 'https://'"),
        (("/", "?", "#"), "only, without a path"),
        ((":",), "without a port: Teams loads tabs over HTTPS on port 443"),
        (("@",), "without a user name"),
    ):
        if any(mark in value for mark in marks):
            raise ValueError(f"Give the host name {what} ({example}); got {hostname!r}.")
    value = value.lower().rstrip(".")
    if len(value) > 253 or not all(_LABEL.match(label) for label in value.split(".")):
        raise ValueError(
            f"{hostname!r} is not a valid host name: use letters, digits, hyphens and dots, "
            f"at most 63 characters between dots ({example})."
        )
    return value


def _guid(value: str, what: str) -> str:
    """Return a GUID in canonical lower-case form, or raise ValueError naming `what`."""
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ValueError(
            f"{what} must be a GUID like 0f8fad5b-d9cb-469f-a165-70867728950e; got {value!r}."
        ) from None


def build_manifest(
    hostname: str,
    app_id: str,
    *,
    app_name: str = "Compliance Bot",
    developer_name: str = "Compliance Bot",
    entra_client_id: str | None = None,
    version: str = "1.0.0",
    bot_app_id: str | None = None,
) -> dict[str, Any]:
    """The Teams app manifest for a bot served at https://<hostname>/.

    Args:
        hostname: where the web app is served, e.g. ``school.example.org`` (no scheme, no path).
        app_id: the Teams app's own GUID (keep it: a new id is a new app in Teams).
        app_name: the name shown in Teams (30 characters at most).
        developer_name: who publishes the app, usually the school or trust (32 at most).
        entra_client_id: the one Entra app registration behind the Teams app: it exposes the
            API tab SSO asks a token for and, with a bot, sends the activity-feed
            notifications (Teams accepts them only from the app in ``webApplicationInfo``):
            ``COMPLIANCE_BOT_M365__CLIENT_ID``. Defaults to `bot_app_id`, else `app_id`.
        version: the app's semver; raise it for every re-upload of a changed package.
        bot_app_id: the school's Azure Bot (its Microsoft App ID): adds the bot for staff's
            personal chats and the activity-feed type a new concern uses (None: tab only).

    Returns:
        The manifest as a JSON-ready dict (schema `MANIFEST_VERSION`).
    """
    host = validate_hostname(hostname)
    app_guid = _guid(app_id, "The Teams app id")
    bot_guid = _guid(bot_app_id, "The bot's Microsoft App ID") if bot_app_id else None
    sso_guid = (
        _guid(entra_client_id, "The Entra client id") if entra_client_id else bot_guid or app_guid
    )
    name = " ".join(app_name.split())
    if not name or len(name) > 30:
        raise ValueError(f"The app name must be 1 to 30 characters; got {app_name!r}.")
    developer = " ".join(developer_name.split())
    if not developer or len(developer) > 32:
        raise ValueError(f"The developer name must be 1 to 32 characters; got {developer_name!r}.")
    if not _SEMVER.match(version):
        raise ValueError(f"The app version must look like 1.0.0; got {version!r}.")
    base = f"https://{host}"
    manifest: dict[str, Any] = {
        "$schema": MANIFEST_SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_guid,
        "developer": {
            "name": developer,
            "websiteUrl": f"{base}/",
            "privacyUrl": f"{base}/privacy",
            "termsOfUseUrl": f"{base}/terms",
        },
        "name": {"short": name, "full": f"{name} — safeguarding policy compliance"[:100]},
        "description": {
            "short": "Safeguarding and online-safety policy compliance at a glance.",
            "full": (
                "The compliance dashboard for your school's safeguarding and online-safety "
                "policies: who has acknowledged each policy version, training that is due, "
                "official account holders who have not signed the social media AUP, governor "
                "review dates, and open concern and breach reports with their clocks. "
                "Report contents are shown only to the school's safeguarding leads and its head."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT_COLOR,
        "staticTabs": [
            {
                "entityId": "dashboard",
                "name": "Dashboard",
                # Teams substitutes {theme} (default, dark, contrast) when it loads the tab.
                "contentUrl": f"{base}/dashboard?theme={{theme}}&inTeams=1",
                "websiteUrl": f"{base}/dashboard",
                "scopes": ["personal"],
            }
        ],
        "configurableTabs": [
            {
                "configurationUrl": f"{base}/teams/configure",
                "canUpdateConfiguration": True,
                "scopes": ["team", "groupChat"],
            }
        ],
        "permissions": ["identity"],
        "validDomains": [host],
        "webApplicationInfo": {"id": sso_guid, "resource": f"api://{host}/{sso_guid}"},
    }
    if bot_guid is not None:
        # personal scope only: the bot talks to one person at a time (their asks, DSL alerts)
        manifest["bots"] = [
            {
                "botId": bot_guid,
                "scopes": ["personal"],
                "supportsFiles": False,
                "isNotificationOnly": False,
            }
        ]
        manifest["activities"] = {
            "activityTypes": [
                {
                    "type": "newConcern",  # bot.features.reports.chat_alerts.CONCERN_ACTIVITY
                    "description": "A new concern or breach report for the DSL team",
                    "templateText": "New report {reference} ({urgency} urgency)",
                },
                {
                    "type": "needsReminder",  # bot.features.teamsbot.deliver.REMINDER_ACTIVITY
                    "description": "A reminder of what the school needs from you",
                    "templateText": "What {school} needs from you",
                },
            ]
        }
        # the least-privileged right to the activity feed: each person grants it to the app
        # by having it installed (resource-specific consent), so the tenant-wide
        # TeamsActivity.Send application permission is not needed (deploy/teams/bot.md)
        manifest["authorization"] = {
            "permissions": {
                "resourceSpecific": [{"name": name, "type": kind} for name, kind in TEAMS_APP_RSC]
            }
        }
    return manifest


def _scaled(points: tuple[tuple[float, float], ...], size: int) -> list[tuple[float, float]]:
    """Unit coordinates scaled to a `size`-pixel square."""
    return [(x * size, y * size) for x, y in points]


def _png(image: Image.Image) -> bytes:
    """PNG bytes with no timestamp or other varying chunk."""
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def color_icon() -> bytes:
    """The 192x192 full-colour icon: a white shield with a tick on the accent colour."""
    big = COLOR_SIZE * 4  # draw large and shrink: Pillow's polygons are not anti-aliased
    accent = ImageColor.getrgb(ACCENT_COLOR)
    image = Image.new("RGB", (big, big), accent)
    draw = ImageDraw.Draw(image)
    draw.polygon(_scaled(_SHIELD, big), fill=_WHITE)
    draw.line(_scaled(_TICK, big), fill=accent, width=big // 12, joint="curve")
    return _png(image.resize((COLOR_SIZE, COLOR_SIZE), Image.Resampling.LANCZOS))


def outline_icon() -> bytes:
    """The 32x32 outline icon: white on transparent, as Teams requires."""
    big = OUTLINE_SIZE * 8
    # Transparent *white*: resampling blends colours, so every pixel stays pure white.
    image = Image.new("RGBA", (big, big), (*_WHITE, 0))
    draw = ImageDraw.Draw(image)
    shield = _scaled(_SHIELD, big)
    draw.line([*shield, shield[0]], fill=(*_WHITE, 255), width=big // 14, joint="curve")
    draw.line(_scaled(_TICK, big), fill=(*_WHITE, 255), width=big // 12, joint="curve")
    small = image.resize((OUTLINE_SIZE, OUTLINE_SIZE), Image.Resampling.LANCZOS)
    # Resampling can leave near-white fringes; pin colour to white and keep only the alpha.
    # LANCZOS rings faintly around strokes; drop the near-invisible haze.
    alpha = small.getchannel("A").point(lambda value: 0 if value < 24 else value)
    result = Image.new("RGBA", small.size, (*_WHITE, 0))
    result.putalpha(alpha)
    return _png(result)


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry with fixed timestamp, permissions and compression."""
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever machine builds it
    info.external_attr = 0o644 << 16
    return info


def build_teams_package(hostname: str, app_id: str, out_path: Path, **manifest: Any) -> Path:
    """Write the Teams app zip (manifest.json, color.png, outline.png) and return its path.

    The zip is reproducible: the same arguments give byte-identical files. An `out_path`
    not ending in .zip is taken as a directory (created if needed) to hold
    compliance-bot-teams.zip. ``manifest`` holds ``build_manifest``'s keyword arguments.

    Example:
        >>> build_teams_package("school.example.org", str(uuid.uuid4()), Path("dist"))
        PosixPath('dist/compliance-bot-teams.zip')
    """
    manifest_json = json.dumps(
        build_manifest(hostname, app_id, **manifest), indent=2, ensure_ascii=False
    )
    contents = {
        "manifest.json": (manifest_json + "\n").encode(),
        "color.png": color_icon(),
        "outline.png": outline_icon(),
    }
    target = Path(out_path)
    if target.is_dir() or target.suffix.lower() != ".zip":
        target = target / DEFAULT_FILENAME
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a failed build never leaves half a zip.
    fd, tmp_name = tempfile.mkstemp(prefix=".teams-", suffix=".zip", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
            for name in PACKAGE_FILES:  # files at the root: Teams rejects a nested folder
                archive.writestr(_entry(name), contents[name])
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target
