"""Google Chat's bearer tokens, as the core sees them: what a request to ``/api/chat`` must be
for (:class:`ChatAudience`), the port that checks it (:class:`ChatTokens`, the Google
connector's verifier) and its one error. The constants are Google's own ("Verify requests from
Google Chat"), shared by the verifier and the local issuer of ``tools.chat_smoke``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "ADDON_SIGNER",
    "CHAT_CERTS",
    "CHAT_ISSUER",
    "GOOGLE_CERTS",
    "ChatAudience",
    "ChatAuthError",
    "ChatTokens",
]

# the project-number form: its issuer and its certificates
CHAT_ISSUER = "chat@system.gserviceaccount.com"
CHAT_CERTS = f"https://www.googleapis.com/service_accounts/v1/metadata/x509/{CHAT_ISSUER}"
# the endpoint-URL form: Google's OAuth 2.0 certificates, and the signer of an add-on's ID token
GOOGLE_CERTS = "https://www.googleapis.com/oauth2/v1/certs"
ADDON_SIGNER = "service-{project}@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"


class ChatAuthError(ValueError):
    """A Google Chat request that must not be acted on (401); ``str()`` names the failed check,
    never the token."""


@dataclass(frozen=True)
class ChatAudience:
    """What a Google Chat request's token must be for: the app's authentication audience
    (``endpoint``: an ID token for ``endpoint_url``; ``project``: Chat's JWT for the Cloud
    project number), the project number, and whether the app is a Workspace add-on."""

    form: str  # "endpoint" | "project"
    project_number: str
    endpoint_url: str | None = None
    addon: bool = True
    addon_client_id: str | None = None  # the add-on's OAuth client id: user ID tokens' audience


@runtime_checkable
class ChatTokens(Protocol):
    """Checks the bearer token of a request to ``/api/chat``, and an add-on event's own token
    for the person who pressed (``authorizationEventObject.userIdToken``)."""

    def verify(self, authorization: str | None) -> Mapping[str, Any]:
        """The token's claims when Google Chat sent it for this app; else ``ChatAuthError``."""
        ...

    def verify_user(self, token: str | None) -> Mapping[str, Any]:
        """The claims of Google's ID token for the person an add-on event is from (``sub``:
        their Google id), issued for the add-on's OAuth client; else ``ChatAuthError``."""
        raise ChatAuthError("no user ID token is checked for this Chat app")
