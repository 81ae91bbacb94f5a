"""The bot's fixtures (``support``)."""

from tests.features.teamsbot.support import bf_fixture, env_fixture

__all__ = ["bf_fixture", "env_fixture"]
