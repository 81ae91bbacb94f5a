"""The secret key the tests' settings use, and the audit keyring derived from it: a store
built by a test writes the same keyed audit log as the test school's own context."""

from __future__ import annotations

from bot.core.guards.keys import Keyring

__all__ = ["TEST_KEYS", "TEST_SECRET"]

TEST_SECRET = "test-secret-key-0123456789-abcdefghij"
TEST_KEYS = Keyring.from_secrets(TEST_SECRET)
