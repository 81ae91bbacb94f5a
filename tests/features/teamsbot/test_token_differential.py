"""Differential test of the inbound bot token checks: Microsoft's own validator (the Teams SDK
for Python's ``InboundActivityTokenValidator``, a dev dependency) and ours
(:func:`bot.engine.web.bot_framework.verify_activity`) judge the same generated corpus of
tokens, both fetching keys from the same local Bot Framework and Entra endpoints
(``tests/support/fakes/botframework.py`` on 127.0.0.1; Microsoft's validator is pointed there
by a ``CloudEnvironment``, its own extension point, nothing patched).

Every claim is varied (aud, iss, exp/nbf/iat edges and types, serviceurl, tid, azp/appid), and
the key (good, forged under a published kid, unknown kid, no kid, a key not endorsed for
Teams, the other issuer's key), the algorithm and the signature. Ours may never accept what
Microsoft refuses; where ours refuses what Microsoft accepts, the case must carry a tag of
``STRICTER`` — a check of ours that the table names, with the reason — or the test fails.
Midway Microsoft rotates its keys: a card press signed with the new key is accepted through
``/api/messages`` after exactly one refetch, and the corpus is judged again with the retired
key among the bad ones.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import dataclasses
import hashlib
import hmac
import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from jwt import PyJWKClientConnectionError

from bot.core.models import Attestation
from bot.engine.web.bot_framework import (
    AGENT_365_PLATFORM,
    BOT_KEYS,
    BotAuthError,
    BotSetup,
    verify_activity,
)
from bot.engine.web.teams_sso import KEYS_REFRESH_AFTER
from bot.features.teamsbot.cards import ACK_VERB
from tests.features.teamsbot.support import AMY_ID, BOT_APP_ID, TENANT, BotEnv
from tests.support.fakes.botframework import (
    _ENTRA_KEY,
    _KEY,
    _OTHER_CHANNEL_KEY,
    BOT_ISSUER,
    SERVICE_URL,
    FakeBotFramework,
    invoke_activity,
)

teams_auth = pytest.importorskip(
    "microsoft_teams.apps.auth", reason="the Teams SDK is a dev dependency (uv sync)"
)
cloud_environment = pytest.importorskip("microsoft_teams.api.auth.cloud_environment")

OTHER_TENANT = "5b0e2c1d-7a6f-4e3b-9d8c-1f2e3d4c5b6a"  # fictional
STRANGER = RSAKey.generate_key(2048, parameters={"kid": "bf-key-1", "use": "sig"})
MISSING = object()  # a claim left out
reasons: Counter[str] = Counter()  # Microsoft's reasons for refusing, shown when a tally fails

# Where ours refuses and Microsoft's validator accepts: the checks of ours that say why.
STRICTER = {
    "endorsement": "the Bot Framework publishes the channels each key may sign for; ours "
    "takes only a key endorsed for msteams, Microsoft's validator ignores it",
    "no exp": "ours requires exp: a token that never expires is refused (PyJWT checks exp "
    "only when present)",
    "numeric string": "exp, nbf and iat must be JSON numbers (RFC 7519 NumericDate); PyJWT "
    "int()s a numeric string",
    "tenant": "only the school's tenant: Microsoft's Bot Framework path checks no tenant, and "
    "its Entra path trusts the tenant the token names",
    "channel": "ours acts only on msteams activities; the validator does not read the activity",
    "entra service url": "an Entra token carries no serviceurl; ours then requires the "
    "activity's serviceUrl to be the Bot Connector's (the bot sends its "
    "own token there)",
}


@dataclass(frozen=True)
class Case:
    """One token and the activity it comes with; ``tags`` name our stricter checks it meets."""

    name: str
    token: str
    activity: dict[str, Any]
    tags: frozenset[str]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(claims: dict[str, Any], key: RSAKey | None, kid: str | None, alg: str) -> str:
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    body = {k: v for k, v in claims.items() if v is not MISSING}
    if alg in ("none", "HS256"):  # forged by hand: joserfc rightly will not make these
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(body).encode())}"
        if alg == "none":
            return signing + "."
        assert key is not None  # the key-confusion attack: the public key as an HMAC secret
        secret = key.as_pem(private=False)
        mac = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
        return f"{signing}.{_b64(mac)}"
    assert key is not None
    return jwt.encode(header, body, key, algorithms=[alg])


class Corpus:
    """Tokens for this bot, varied one claim (or several, at random) at a time."""

    def __init__(
        self,
        bf: FakeBotFramework,
        now: int,
        bf_key: tuple[str, RSAKey],
        entra_key: tuple[str, RSAKey],
        retired: tuple[str, RSAKey] | None = None,
    ):
        self.bf, self.now = bf, now
        self.bf_key, self.entra_key, self.retired = bf_key, entra_key, retired
        entra_v2 = f"{bf.authority}/{TENANT}/v2.0"
        now_ = now
        app = BOT_APP_ID
        self.dimensions: dict[str, list[tuple[str, Any, frozenset[str]]]] = {
            "aud": [
                ("app id", app, frozenset()),
                ("api://", f"api://{app}", frozenset()),
                ("api://botid-", f"api://botid-{app}", frozenset()),
                ("another app", "another-bot", frozenset()),
                ("api:// another", "api://another-bot", frozenset()),
                ("list with ours", [app, "another-bot"], frozenset()),
                ("list without", ["another-bot"], frozenset()),
                ("missing", MISSING, frozenset()),
                ("a number", 5, frozenset()),
                ("upper case", app.upper(), frozenset()),
            ],
            "exp": [
                ("in an hour", now_ + 3600, frozenset()),
                ("expired within leeway", now_ - 299, frozenset()),
                ("expired", now_ - 301, frozenset()),
                ("missing", MISSING, frozenset({"no exp"})),
                ("a numeric string", str(now_ + 3600), frozenset({"numeric string"})),
                ("a float", now_ + 3600.5, frozenset()),
            ],
            "nbf": [
                ("just before", now_ - 10, frozenset()),
                ("ahead within leeway", now_ + 299, frozenset()),
                ("ahead", now_ + 301, frozenset()),
                ("missing", MISSING, frozenset()),
                ("a numeric string", str(now_ - 10), frozenset({"numeric string"})),
            ],
            "iat": [
                ("just before", now_ - 10, frozenset()),
                ("missing", MISSING, frozenset()),
                ("ahead within leeway", now_ + 299, frozenset()),
                ("ahead", now_ + 301, frozenset()),
                ("a numeric string", str(now_ - 10), frozenset({"numeric string"})),
            ],
            "tid": [
                ("missing", MISSING, frozenset()),
                ("ours", TENANT, frozenset()),
                ("another", OTHER_TENANT, frozenset({"tenant"})),
                ("ours in capitals", TENANT.upper(), frozenset()),
            ],
            "serviceurl": [
                ("the activity's", SERVICE_URL, frozenset()),
                ("without the slash", SERVICE_URL.rstrip("/"), frozenset()),
                ("another", "https://smba.evil.example/teams/", frozenset()),
                ("missing", MISSING, frozenset()),
            ],
            "caller": [
                ("Agent 365 (azp)", ("azp", AGENT_365_PLATFORM), frozenset()),
                ("Agent 365 (appid)", ("appid", AGENT_365_PLATFORM), frozenset()),
                ("another app (azp)", ("azp", "another-app"), frozenset()),
                ("none", ("azp", MISSING), frozenset()),
            ],
            "key": [
                ("good", "good", frozenset()),
                ("forged under our kid", "forged", frozenset()),
                ("unknown kid", "unknown", frozenset()),
                ("no kid", "no kid", frozenset()),
                ("webchat-only key", "webchat", frozenset({"endorsement"})),
                ("the other issuer's key", "crossed", frozenset()),
            ]
            + ([("retired key", "retired", frozenset())] if retired else []),
            "alg": [
                ("RS256", "RS256", frozenset()),
                ("RS512", "RS512", frozenset()),
                ("PS256", "PS256", frozenset()),
                ("none", "none", frozenset()),
                ("HS256 with the public key", "HS256", frozenset()),
            ],
            "tamper": [
                ("none", None, frozenset()),
                ("payload changed", "payload", frozenset()),
                ("signature cut", "signature", frozenset()),
            ],
            "activity": [
                ("ours", None, frozenset()),
                ("another tenant", "tenant", frozenset({"tenant"})),
                ("webchat", "channel", frozenset({"channel"})),
                ("another service URL", "service", frozenset({"entra service url"})),
            ],
        }
        self.issuers = {
            "bf": [
                ("Bot Framework", BOT_ISSUER, frozenset()),
                ("Bot Framework with a slash", BOT_ISSUER + "/", frozenset()),
                ("missing", MISSING, frozenset()),
            ],
            "entra": [
                ("Entra v2.0", entra_v2, frozenset()),
                ("Entra v1.0", f"https://sts.windows.net/{TENANT}/", frozenset()),
                (
                    "another tenant's v2.0",
                    f"{bf.authority}/{OTHER_TENANT}/v2.0",
                    frozenset({"tenant"}),
                ),
                (
                    "another tenant's v1.0",
                    f"https://sts.windows.net/{OTHER_TENANT}/",
                    frozenset({"tenant"}),
                ),
            ],
        }
        self.base = {
            "bf": {
                "aud": 0,
                "exp": 0,
                "nbf": 0,
                "iat": 0,
                "tid": 0,
                "serviceurl": 0,
                "key": 0,
                "alg": 0,
                "tamper": 0,
                "activity": 0,
                "iss": 0,
            },
            "entra": {
                "aud": 2,
                "exp": 0,
                "nbf": 0,
                "iat": 0,
                "tid": 1,
                "caller": 0,
                "key": 0,
                "alg": 0,
                "tamper": 0,
                "activity": 0,
                "iss": 0,
            },
        }

    def options(self, family: str, dimension: str) -> list[tuple[str, Any, frozenset[str]]]:
        return self.issuers[family] if dimension == "iss" else self.dimensions[dimension]

    def case(self, family: str, choice: dict[str, int]) -> Case:
        picked = {d: self.options(family, d)[i] for d, i in choice.items()}
        tags: set[str] = set()
        for _, _, t in picked.values():
            tags |= t
        claims: dict[str, Any] = {
            d: picked[d][1] for d in ("aud", "exp", "nbf", "iat", "tid", "iss") if d in picked
        }
        if family == "bf":
            claims["serviceurl"] = picked["serviceurl"][1]
        else:
            name, value = picked["caller"][1]
            claims[name] = value
        own_kid, own_key = self.bf_key if family == "bf" else self.entra_key
        other = self.entra_key if family == "bf" else self.bf_key
        kid: str | None
        kid, key = {
            "good": (own_kid, own_key),
            "forged": (own_kid, STRANGER),
            "unknown": ("never-published", own_key),
            "no kid": (None, own_key),
            "webchat": ("bf-key-webchat", _OTHER_CHANNEL_KEY),
            "crossed": other,
            "retired": self.retired or other,
        }[picked["key"][1]]
        if family == "entra" and picked["key"][1] == "webchat":
            tags.discard("endorsement")  # Entra's keys carry no endorsements: not ours to add
        token = _sign(claims, key, kid, picked["alg"][1])
        tamper = picked["tamper"][1]
        head, body, sig = token.split(".")
        if tamper == "payload":
            altered = {**json.loads(base64.urlsafe_b64decode(body + "==")), "aud": "x"}
            token = f"{head}.{_b64(json.dumps(altered).encode())}.{sig}"
        elif tamper == "signature":
            token = f"{head}.{body}.{sig[:-8]}"
        activity = invoke_activity(
            user_id=AMY_ID, tenant_id=TENANT, bot_app_id=BOT_APP_ID, verb=ACK_VERB, data={}
        )
        change = picked["activity"][1]
        if change == "tenant":
            activity["conversation"] = {**activity["conversation"], "tenantId": OTHER_TENANT}
            activity["channelData"] = {**activity["channelData"], "tenant": {"id": OTHER_TENANT}}
        elif change == "channel":
            activity["channelId"] = "webchat"
        elif change == "service":
            activity["serviceUrl"] = "https://smba.evil.example/teams/"
        if family == "bf" or change != "service":
            tags.discard("entra service url")  # the Bot Framework's is checked by both
        name = f"{family}: " + ", ".join(
            f"{d} {picked[d][0]}" for d in sorted(choice) if choice[d] != self.base[family][d]
        )
        return Case(name, token, activity, frozenset(tags))

    def cases(self, randomised: int, seed: int) -> list[Case]:
        """The base token of each family, each single change from it, then random mixes."""
        found = []
        for family, base in self.base.items():
            found.append(self.case(family, dict(base)))
            for dimension in base:
                for index in range(len(self.options(family, dimension))):
                    if index != base[dimension]:
                        found.append(self.case(family, {**base, dimension: index}))
        rng = random.Random(seed)
        for _ in range(randomised):
            family = rng.choice(sorted(self.base))
            base = self.base[family]
            choice = {
                d: (i if rng.random() < 0.7 else rng.randrange(len(self.options(family, d))))
                for d, i in base.items()
            }
            found.append(self.case(family, choice))
        return found


def microsoft(bf: FakeBotFramework) -> Any:
    """Microsoft's validator for this bot, pointed at the local endpoints."""
    cloud = dataclasses.replace(
        cloud_environment.PUBLIC,
        login_endpoint=bf.authority,
        openid_metadata_url=bf.metadata_url,
        token_issuer=BOT_ISSUER,
    )
    return teams_auth.InboundActivityTokenValidator(BOT_APP_ID, cloud=cloud)


def judge(cases: list[Case], validator: Any, setup: BotSetup) -> list[str]:
    """Both verdicts for each case; the disagreements that are not a named stricter check."""
    problems: list[str] = []
    counts: Counter[str] = Counter()
    for case in cases:
        theirs, why = _microsofts_verdict(validator, case)
        ours = _our_verdict(case, setup)
        counts[f"{'accept' if theirs else 'refuse'}/{'accept' if ours else 'refuse'}"] += 1
        if theirs and ours:
            counts[f"both accept {case.name.split(':')[0]}"] += 1
        if ours and not theirs:
            problems.append(f"ours accepts what Microsoft refuses ({why}): {case.name}")
        elif theirs and not ours and not case.tags & set(STRICTER):
            problems.append(f"ours refuses what Microsoft accepts, unnamed: {case.name}")
        elif theirs and not ours:
            counts.update(f"stricter: {t}" for t in case.tags & set(STRICTER))
    print(dict(counts))  # the tally, shown with -s
    # the corpus holds good tokens of both kinds too
    assert counts["both accept bf"] >= 5 and counts["both accept entra"] >= 5, (counts, reasons)
    return problems


def _in_own_thread(coroutine: Any) -> Any:
    """Run a coroutine on a thread of its own: Playwright's sync API (another test in this
    worker) leaves an event loop running on the main thread, where asyncio.run refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _our_verdict(case: Case, setup: BotSetup) -> bool:
    """Whether ours accepts the case; a key set not fetched is no verdict (asked again)."""
    for _ in range(3):
        try:
            verify_activity(f"Bearer {case.token}", case.activity, setup, BOT_KEYS)
            return True
        except BotAuthError as exc:
            if str(exc) != "the signing keys could not be read":
                return False
    reasons["ours: the signing keys could not be read"] += 1
    return False


def _microsofts_verdict(validator: Any, case: Case) -> tuple[bool, str]:
    """Whether Microsoft's validator accepts the case's token, and why not. A key set it could
    not fetch (a busy machine's slow answer) is no verdict: asked again, up to three times."""
    for _ in range(3):
        try:
            _in_own_thread(validator.validate_token(case.token, case.activity.get("serviceUrl")))
            return True, ""
        except PyJWKClientConnectionError as exc:
            why = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # the Teams SDK's server answers 401 to any failure here
            why = f"{type(exc).__name__}: {exc}"
            break
    reasons[why.split(":")[0]] += 1
    return False, why


def test_ours_and_microsofts_validator_agree_but_for_named_stricter_checks(
    env: BotEnv, time_machine: Any
) -> None:
    bf = env.bf
    setup = BotSetup(BOT_APP_ID, bf.metadata_url, TENANT, bf.authority)
    validator = microsoft(bf)
    now = env.now
    corpus = Corpus(bf, now, ("bf-key-1", _KEY), ("entra-key-1", _ENTRA_KEY))
    problems = judge(corpus.cases(randomised=250, seed=41), validator, setup)
    assert problems == []

    # Microsoft rolls its keys over; time passes beyond our refetch limit
    new_bf, new_entra = bf.rotate()
    time_machine.move_to(time.time() + KEYS_REFRESH_AFTER + 60, tick=False)
    env.now = int(time.time())
    duty, sha, _ = env.duty("amy@oak.example", "acknowledge_policy")
    press = invoke_activity(
        user_id=AMY_ID,
        tenant_id=TENANT,
        bot_app_id=BOT_APP_ID,
        verb=ACK_VERB,
        data={"duty": duty, "sha256": sha},
    )
    fetched = BOT_KEYS.fetches
    token = bf.token(press, app_id=BOT_APP_ID, now=env.now, key=new_bf, kid="bf-key-2")
    answer = env.post(press, token=token)
    assert answer.status_code == 200 and answer.json()["statusCode"] == 200, answer.text
    assert env.count(Attestation) == 1  # the press is not lost
    assert BOT_KEYS.fetches == fetched + 1  # after exactly one refetch

    # Microsoft's validator keeps its key set 5 minutes and refetches for an unknown key id
    # at most every 30 seconds, both on time.monotonic(), which time-machine does not move: a
    # new one is the old one as it would be after those minutes (nothing cached, no cooldown)
    validator = microsoft(bf)
    corpus = Corpus(
        bf, env.now, ("bf-key-2", new_bf), ("entra-key-2", new_entra), retired=("bf-key-1", _KEY)
    )
    problems = judge(corpus.cases(randomised=120, seed=42), validator, setup)
    assert problems == []


def test_every_named_stricter_check_is_met_by_the_corpus(env: BotEnv) -> None:
    """The table names only checks the corpus exercises (a stale row would excuse nothing)."""
    corpus = Corpus(env.bf, env.now, ("bf-key-1", _KEY), ("entra-key-1", _ENTRA_KEY))
    met: set[str] = set()
    for case in corpus.cases(randomised=0, seed=0):
        met |= case.tags
    assert set(STRICTER) <= met, set(STRICTER) - met


def test_an_unknown_key_id_is_a_plain_401_and_refetches_at_most_once_a_while(env: BotEnv) -> None:
    """Never an error page: a token under a key id nobody published gets 401 with a plain
    sentence; asking again at once does not fetch the keys again (rate limited)."""
    activity = invoke_activity(
        user_id=AMY_ID, tenant_id=TENANT, bot_app_id=BOT_APP_ID, verb=ACK_VERB, data={}
    )
    assert env.post(activity).status_code == 200  # the keys are read once
    fetched = BOT_KEYS.fetches
    for n in range(3):
        token = env.bf.token(activity, app_id=BOT_APP_ID, now=env.now, kid=f"unknown-{n}")
        answer = env.post(activity, token=token)
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("text/plain")
        assert "did not come from Microsoft Teams" in answer.text
    assert BOT_KEYS.fetches == fetched  # the last fetch was just now: no refetch storm


def test_a_press_under_an_entra_token_for_the_school_is_recorded(
    school: Any, sqlite_url: str, bf: FakeBotFramework, frozen_clock: Any
) -> None:
    """An Entra-registered bot's press: the school's tenant's Entra (``AUTHORITY_HOST``) signs
    for ``api://botid-{app id}`` at Microsoft's platform's request. Another tenant's is not."""
    from bot.web.app import create_app
    from tests.features.teamsbot.support import MONDAY, bot_school

    ctx = bot_school(school, sqlite_url, bf, authority_host=bf.authority)
    frozen_clock.at(MONDAY, 10, 0)
    env = BotEnv(ctx, create_app(ctx.settings, ctx), bf, int(time.time()))
    duty, sha, _ = env.duty("amy@oak.example", "acknowledge_policy")
    press = invoke_activity(
        user_id=AMY_ID,
        tenant_id=TENANT,
        bot_app_id=BOT_APP_ID,
        verb=ACK_VERB,
        data={"duty": duty, "sha256": sha},
    )

    def entra(tenant: str) -> str:
        return jwt.encode(
            {"alg": "RS256", "kid": "entra-key-1", "typ": "JWT"},
            {
                "iss": f"{bf.authority}/{tenant}/v2.0",
                "aud": f"api://botid-{BOT_APP_ID}",
                "tid": tenant,
                "azp": AGENT_365_PLATFORM,
                "iat": env.now - 10,
                "nbf": env.now - 10,
                "exp": env.now + 3600,
            },
            _ENTRA_KEY,
        )

    assert env.post(press, token=entra(OTHER_TENANT)).status_code == 401
    assert env.count(Attestation) == 0
    answer = env.post(press, token=entra(TENANT))
    assert answer.status_code == 200 and answer.json()["statusCode"] == 200, answer.text
    assert env.count(Attestation) == 1
