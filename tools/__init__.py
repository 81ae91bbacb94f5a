"""Tools for the person who sets the bot up, run from a checkout of this repository and not
installed with the product: the chat apps' smoke tests (``uv run python -m tools.teams_smoke``,
``uv run python -m tools.chat_smoke``; deploy/teams/smoke-test.md, deploy/google.md)."""
