"""What a platform's failure is to the bot: the ``ConnectorError`` subclasses every adapter
raises, each telling the outbox what it may safely do next (try again, wait for the setup to be
fixed, ask a person, give up)."""

from __future__ import annotations

from bot.core.guards.forms import SaidError


class ConnectorError(SaidError):
    """Base of every connector's error: ``str()`` safe to log, ``msg`` said where shown."""


class RetryableError(ConnectorError):
    """The platform did not process the request (429, connection refused): safe to try again.

    It says "not now" about the platform, not about the message: the outbox spends no attempt
    on it, never turns the message ``failed`` for it, and pauses the whole channel until
    ``retry_after`` (or a growing backoff) has passed.

    Args:
        message: what happened, safe to log.
        retry_after: seconds the platform asked us to wait, when it said so (else ``wait``).
    """

    wait: float | None = None  # how long to wait when the platform did not say

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = self.wait if retry_after is None else retry_after


class SetupError(RetryableError):
    """The platform refused *us*, not this message (expired secret, permission withdrawn).

    Nothing was sent. The message waits, without spending its attempts, until the setup is
    fixed; the mailer stays paused meanwhile (``ready_in``) so only one message a while asks.
    """

    wait: float = 15 * 60.0  # how long mail pauses after the platform refused our setup


class DeliveryUnknownError(ConnectorError):
    """The request may have been processed (503/504/reset after sending): never resend blindly.

    The outbox flags the message for a person to check and pauses the channel, so a struggling
    platform costs one uncertain message, not the whole queue.

    Args:
        message: what happened, safe to log.
        retry_after: seconds the platform asked us to wait (``Retry-After`` on a 503).
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """The request will not succeed as it is (a bad recipient, a message too big, a bad file).

    When sending, problems with *our* setup (permissions, secrets, the sender, a webhook URL)
    are ``SetupError``s instead: every message would meet them, so none should fail for them.
    """
