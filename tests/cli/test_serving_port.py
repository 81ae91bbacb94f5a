"""``run`` serves where the links in emails point (BASE_URL on this computer), unless told."""

from __future__ import annotations

from typing import Any

from bot.cli.serve import serving_port
from bot.core.deployment.settings import Settings, own_address


def _port(**given: Any) -> int:
    return serving_port(Settings(_env_file=None, **given))  # type: ignore[call-arg]


def test_a_local_base_url_names_the_port_served() -> None:
    assert _port(base_url="http://127.0.0.1:8102") == 8102
    assert _port(base_url="http://localhost:8123/") == 8123


def test_an_explicit_port_wins_and_a_public_address_says_nothing_of_it() -> None:
    assert _port(base_url="http://127.0.0.1:8102", port=8200) == 8200
    assert _port(base_url="https://compliance.school.example") == 8000
    assert _port(base_url="https://compliance.school.example:8443") == 8000
    assert _port() == 8000
    assert _port(base_url="http://127.0.0.1") == 8000


def test_init_s_address_and_port_agree() -> None:
    """What ``init`` writes: an own address's port is served; one without a port is given the
    port served; a public address (behind a proxy) is left as it is."""
    assert own_address("http://127.0.0.1:8102", 8000) == ("http://127.0.0.1:8102", 8102)
    assert own_address("http://localhost", 8000) == ("http://localhost:8000", 8000)
    assert own_address("http://[::1]/", 8080) == ("http://[::1]:8080", 8080)
    public = "https://compliance.school.example"
    assert own_address(public, 8000) == (public, 8000)
