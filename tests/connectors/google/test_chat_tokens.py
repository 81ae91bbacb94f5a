"""The Chat app's token checks (``connectors.google.chat_tokens``) against a local issuer in
both of Google's forms (keys made here, published as Google publishes them, served through the
key cache's injected fetch), and a differential test: on a generated corpus of mutated tokens,
ours never accepts one that google-auth's own verification (``id_token.verify_oauth2_token``
for the ID token, ``id_token.verify_token`` with Chat's certificates for the JWT, as Google's
samples verify them) refuses."""

from __future__ import annotations

import base64
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.core.guards.chat_tokens import (
    ADDON_SIGNER,
    CHAT_CERTS,
    CHAT_ISSUER,
    GOOGLE_CERTS,
    ChatAudience,
)
from bot.core.guards.chat_tokens import ChatAuthError as Refused
from tools.chat_issuer import LocalGoogle, LocalKey

pytest.importorskip("google.auth", reason="google-auth is the google extra (uv sync)")
from google.auth import exceptions as google_errors
from google.oauth2 import id_token

from connectors.google.chat_tokens import REFETCH_AFTER, ChatKeys, ChatTokenVerifier

PROJECT = "123456789012"  # fictional
OTHER_PROJECT = "210987654321"
ENDPOINT = "https://bot.school.example/api/chat"
FORGER = LocalKey("never-published")  # a key Google never published (made once: RSA is slow)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def google() -> LocalGoogle:
    return LocalGoogle(PROJECT, ENDPOINT)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(google: LocalGoogle, clock: Clock) -> ChatKeys:
    return ChatKeys(fetch=google.fetch, clock=clock)


def verifier(keys: ChatKeys, form: str, *, addon: bool = True) -> ChatTokenVerifier:
    return ChatTokenVerifier(ChatAudience(form, PROJECT, ENDPOINT, addon), keys)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    """``alg: none``: no signature at all."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def test_both_good_forms_are_accepted(google: LocalGoogle, keys: ChatKeys) -> None:
    claims = verifier(keys, "endpoint").verify(bearer(google.id_token()))
    assert claims["email"] == ADDON_SIGNER.format(project=PROJECT)
    assert verifier(keys, "project").verify(bearer(google.chat_token()))["iss"] == CHAT_ISSUER
    # a classic HTTP Chat app's ID token names Chat's own account
    classic = google.google.sign(google.id_claims(addon=False))
    assert verifier(keys, "endpoint", addon=False).verify(bearer(classic))["email"] == CHAT_ISSUER


@pytest.mark.parametrize(
    ("form", "make", "why"),
    [
        ("endpoint", lambda g: g.id_token(aud="https://other.example/api/chat"), "google-auth"),
        ("endpoint", lambda g: g.id_token(email=CHAT_ISSUER), "not signed for this Chat app"),
        (
            "endpoint",
            lambda g: g.id_token(email=ADDON_SIGNER.format(project=OTHER_PROJECT)),
            "not signed for this Chat app",
        ),
        ("endpoint", lambda g: g.id_token(email_verified=False), "not signed for this Chat app"),
        ("endpoint", lambda g: g.id_token(iss=CHAT_ISSUER), "not from accounts.google.com"),
        (
            "endpoint",
            lambda g: g.id_token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
            "google-auth",
        ),
        ("endpoint", lambda g: unsigned(g.id_claims()), "not signed with RS256"),
        ("endpoint", lambda g: g.chat_token(aud=ENDPOINT), "signing key is not Google's"),
        ("project", lambda g: g.chat_token(aud=OTHER_PROJECT), "google-auth"),
        ("project", lambda g: g.chat_token(iss="accounts.google.com"), "not from Google Chat"),
        (
            "project",
            lambda g: g.chat_token(exp=int(time.time()) - 60, iat=int(time.time()) - 3660),
            "google-auth",
        ),
        ("project", lambda g: unsigned(g.chat_claims()), "not signed with RS256"),
        ("project", lambda g: FORGER.sign(g.chat_claims(), kid=g.chat.kid), "google-auth"),
        ("project", lambda g: g.id_token(aud=PROJECT), "signing key is not Google's"),
    ],
    ids=[
        "wrong audience",
        "wrong signer",
        "other project's signer",
        "unverified email",
        "wrong issuer",
        "expired",
        "unsigned",
        "chat key for an ID token",
        "other project's number",
        "wrong issuer (jwt)",
        "expired (jwt)",
        "unsigned (jwt)",
        "forged under a published kid",
        "google key for the jwt",
    ],
)
def test_bad_tokens_are_refused(
    google: LocalGoogle, keys: ChatKeys, form: str, make: Callable[[LocalGoogle], str], why: str
) -> None:
    with pytest.raises(Refused) as refused:
        verifier(keys, form).verify(bearer(make(google)))
    assert why in str(refused.value)
    assert "eyJ" not in str(refused.value)  # never the token


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Bearer a.b", "Bearer x.y.z"])
def test_what_is_not_a_token_is_refused(keys: ChatKeys, header: str | None) -> None:
    with pytest.raises(Refused):
        verifier(keys, "endpoint").verify(header)


def test_keys_are_kept_as_long_as_cache_control_says(
    google: LocalGoogle, keys: ChatKeys, clock: Clock
) -> None:
    check = verifier(keys, "project")
    for _ in range(3):
        check.verify(bearer(google.chat_token()))
    assert keys.fetches == 1
    clock.now += google.max_age + 1  # past max-age: fetched again
    check.verify(bearer(google.chat_token()))
    assert keys.fetches == 2


def test_an_unknown_key_id_refetches_at_most_once_a_minute(clock: Clock) -> None:
    google = LocalGoogle(PROJECT, ENDPOINT)  # its own: this test rotates the key
    keys = ChatKeys(fetch=google.fetch, clock=clock)
    check = verifier(keys, "project")
    check.verify(bearer(google.chat_token()))
    stranger = FORGER
    for _ in range(20):  # a stream of forged key ids: one fetch a minute, no more
        with pytest.raises(Refused):
            check.verify(bearer(stranger.sign(google.chat_claims())))
    assert keys.fetches == 1  # fetched within the minute already: the forged kid costs nothing
    clock.now += REFETCH_AFTER
    google.rotate("chat-jwt-2")  # Google rolls its keys over
    check.verify(bearer(google.chat_token()))  # the new key id: fetched once, accepted
    assert keys.fetches == 2
    for _ in range(5):
        with pytest.raises(Refused):
            check.verify(bearer(stranger.sign(google.chat_claims())))
    assert keys.fetches == 2


# ---------------------------------------------------------------------------- differential


class GoogleRequest:
    """google-auth's ``transport.Request``, answered by the local issuer."""

    def __init__(self, google: LocalGoogle) -> None:
        self.google = google

    def __call__(self, url: str, method: str = "GET", **_: Any) -> Any:
        status, headers, body = self.google.fetch(url)
        return type("Answer", (), {"status": status, "headers": headers, "data": body})()


# Where ours refuses and google-auth (as Google's samples call it) accepts: the claim ours checks
STRICTER = {
    # verify_token checks no issuer: ours takes the JWT form from Chat's own account only
    "project": "iss",
    # Google's sample compares the e-mail alone; ours also wants it verified (as an ID token's
    # e-mail counts only when the issuer vouches for it, DESIGN.md §8)
    "endpoint": "email_verified",
}


def google_accepts(google: LocalGoogle, form: str, token: str) -> bool:
    """What Google's samples do with google-auth: the ID token through
    ``verify_oauth2_token`` (Google's OAuth 2.0 certificates, its issuers) and then the signer
    e-mail; the JWT through ``verify_token`` with Chat's certificates and the project number."""
    try:
        if form == "endpoint":
            claims = id_token.verify_oauth2_token(
                token, GoogleRequest(google), ENDPOINT, clock_skew_in_seconds=10
            )
            return bool(claims.get("email") == ADDON_SIGNER.format(project=PROJECT))
        id_token.verify_token(
            token, GoogleRequest(google), PROJECT, certs_url=CHAT_CERTS, clock_skew_in_seconds=10
        )
        return True
    except (google_errors.GoogleAuthError, ValueError, TypeError, KeyError):
        return False


def _mutations(google: LocalGoogle, rng: random.Random) -> Iterator[tuple[str, str, str]]:
    """(form, what was changed, token): a corpus of good and bad tokens of both forms."""
    now = int(time.time())
    values: dict[str, list[Any]] = {
        "aud": [
            ENDPOINT,
            PROJECT,
            OTHER_PROJECT,
            ENDPOINT + "/",
            "",
            None,
            [ENDPOINT],
            123456789012,
        ],
        "iss": [
            "https://accounts.google.com",
            "accounts.google.com",
            CHAT_ISSUER,
            "https://evil.example",
            None,
        ],
        "email": [
            ADDON_SIGNER.format(project=PROJECT),
            ADDON_SIGNER.format(project=OTHER_PROJECT),
            CHAT_ISSUER,
            "someone@school.example",
            None,
        ],
        "email_verified": [True, False, "true", None],
        "exp": [now + 3600, now - 3600, now + 5, now - 5, str(now + 3600), None],
        "iat": [now, now + 3600, now - 100, str(now), None],
    }
    signers: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("good key", lambda c: google.google.sign(c)),
        ("chat key", lambda c: google.chat.sign(c)),
        ("forged key, published kid", lambda c: FORGER.sign(c, kid=google.google.kid)),
        ("unknown kid", lambda c: FORGER.sign(c)),
        ("unsigned", unsigned),
    ]
    for n in range(220):
        form = "endpoint" if n % 2 else "project"
        claims = google.id_claims() if form == "endpoint" else google.chat_claims()
        if form == "project":
            signers[0] = ("good key", lambda c: google.chat.sign(c))
            signers[1] = ("google key", lambda c: google.google.sign(c))
        else:
            signers[0] = ("good key", lambda c: google.google.sign(c))
            signers[1] = ("chat key", lambda c: google.chat.sign(c))
        changed = []
        for claim in rng.sample(sorted(values), k=rng.randint(0, 2)):
            value = rng.choice(values[claim])
            if value is None:
                claims.pop(claim, None)
            else:
                claims[claim] = value
            changed.append(f"{claim}={value!r}")
        name, sign = signers[0] if rng.random() < 0.6 else rng.choice(signers)
        token = sign(claims)
        if rng.random() < 0.08:  # one character of the signature changed
            head, body, signature = token.split(".")
            flipped = "A" if signature[:1] != "A" else "B"
            token = f"{head}.{body}.{flipped}{signature[1:]}"
            name += ", signature altered"
        yield form, f"{name}; {', '.join(changed) or 'claims as sent'}", token


def test_ours_never_accepts_what_google_auth_refuses() -> None:
    google = LocalGoogle(PROJECT, ENDPOINT)
    keys = ChatKeys(fetch=google.fetch)
    tally: Counter[str] = Counter()
    stricter: Counter[str] = Counter()  # by the claim that made ours stricter
    wrong = []
    for form, what, token in _mutations(google, random.Random(58)):
        ours = True
        try:
            verifier(keys, form).verify(bearer(token))
        except Refused:
            ours = False
        theirs = google_accepts(google, form, token)
        tally[
            f"ours {'accepts' if ours else 'refuses'}, google-auth "
            f"{'accepts' if theirs else 'refuses'}"
        ] += 1
        if ours and not theirs:
            wrong.append(f"{form}: {what}")
        if theirs and not ours:  # ours stricter: only where STRICTER says why
            reason = STRICTER[form]
            stricter[reason] += 1
            if f"{reason}=" not in what:
                wrong.append(f"{form}: {what} (refused by ours alone, with no reason of ours)")
    print(dict(tally), dict(stricter))
    assert not wrong, wrong
    # the corpus holds both verdicts, or it proves nothing
    assert tally["ours accepts, google-auth accepts"] >= 20
    assert sum(n for k, n in tally.items() if k.startswith("ours refuses")) >= 50
    assert keys.fetches <= 2 + 220 // 60  # the cache held (one fetch per URL, bounded refetches)
    assert GOOGLE_CERTS in google.fetched and CHAT_CERTS in google.fetched


def test_google_unreachable_keeps_the_keys_held_and_asks_again_a_minute_later(
    google: LocalGoogle, clock: Clock
) -> None:
    down = {"now": False}

    def fetch(url: str) -> tuple[int, Any, bytes]:
        if down["now"]:
            raise OSError("unreachable")
        return google.fetch(url)

    keys = ChatKeys(fetch=fetch, clock=clock)
    check = verifier(keys, "project")
    check.verify(bearer(google.chat_token()))
    down["now"] = True
    clock.now += google.max_age + 1  # out of date, and Google does not answer
    for _ in range(10):
        check.verify(bearer(google.chat_token()))  # the keys held still verify
    assert keys.fetches == 2  # one try, not one per request
    clock.now += REFETCH_AFTER
    down["now"] = False
    check.verify(bearer(google.chat_token()))
    assert keys.fetches == 3
