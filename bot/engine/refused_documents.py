"""A policy document in the school's folder that the bot cannot use: refused, and said once.

A file the settings name (``policies/online-safety.pdf``, kept by hand or by a SharePoint,
OneDrive or Google Drive sync) is checked as an upload is (``check_policy_document``) each
time its content changes. A file that is not what its name says, or cannot be read, becomes no
version: the version in force stays, nobody is asked to read anything, and the school's
administrators get one email for that file and content (its outbox key names the school, the
policy and the content's hash), naming the file and saying why in plain words.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.files.uploads import AttachmentError, check_policy_document
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Lazy, Msg
from bot.core.language.kept_text import from_data, to_data
from bot.core.models import ConnectorState, Policy
from bot.core.outbox import Urgency, enqueue_email
from bot.core.rendering.messages import notice

__all__ = ["NOT_USED", "REFUSED_PURPOSE", "refused"]

# the warning of a refused document (the reason: the file check's own sentence and values)
NOT_USED = N_("%(where)s.document: %(shown)s was not used: %(reason)s")

REFUSED_PURPOSE = "document_refused"
_STATE = "policy.refused:"  # ConnectorState key + policy key: the content last refused


def refused(
    session: Session,
    school: SchoolConfig,
    policy: Policy,
    shown: str,
    data: bytes,
    digest: str,
    where: str,
    warnings: list[Text],
) -> bool:
    """Whether the new content of a policy's document is refused (``shown``: the file as the
    school names it). A refusal is added to ``warnings``, audited, and told to the admins
    once; the same content is not checked again."""
    state_key = f"{_STATE}{policy.key}"[:120]
    state = ConnectorState.of(session, school.id, state_key)
    if state is not None and state.value.startswith(f"{digest} "):
        reason = _stored_reason(state.value.split(" ", 1)[1])
    else:
        try:
            check_policy_document(shown, data)
            return False
        except AttachmentError as exc:
            # why, without the file's name in front (the warning names the file)
            reason = _Why(exc.msg, shown.rsplit("/", 1)[-1])
            ConnectorState.put(session, school.id, state_key, f"{digest} {reason.stored()}")
            audit.record(
                session,
                actor="system:config",
                action="policy.document.refused",
                object_type="policy",
                object_id=policy.id,
                school_id=school.id,
                details={"document": shown[:300], "sha256": digest},
            )
    warnings.append(Msg(NOT_USED, where=where, shown=shown, reason=reason))
    _tell_admins(session, school, policy, shown, digest, reason)
    return True


class _Why(Lazy):
    """Why a file was refused: the file check's sentence without the file's name before it."""

    __slots__ = ("file", "refusal")

    def __init__(self, refusal: Lazy, file: str) -> None:
        self.refusal, self.file = refusal, file

    def said(self, language: str) -> str:
        """The refusal in ``language``, after the file's name."""
        return self.refusal.said(language).removeprefix(f"{self.file}: ")

    def stored(self) -> str:
        """As kept with the content refused: the sentence and values, and the file."""
        return json.dumps({"why": to_data(self.refusal), "file": self.file}, ensure_ascii=False)


def _stored_reason(stored: str) -> Text:
    """A refusal's reason as stored (``_Why.stored``); one stored before in English as it was."""
    try:
        data = json.loads(stored)
        refusal = from_data(data["why"])
    except (ValueError, TypeError, KeyError):
        return stored
    return _Why(refusal, str(data["file"])) if isinstance(refusal, Lazy) else str(refusal)


def _tell_admins(
    session: Session, school: SchoolConfig, policy: Policy, shown: str, digest: str, reason: Text
) -> None:
    """The one email for this file and content, to the school's administrators (else the
    head); its key makes a second sweep queue nothing."""
    current = max(policy.versions, key=lambda v: v.id, default=None)
    kept = (
        Msg(
            N_(
                "Staff are still asked to read the version in force (%(label)s); nobody has "
                "been asked to read the new file."
            ),
            label=current.label,
        )
        if current is not None
        else Msg(N_("The policy has no version yet, so nobody has been asked to read it."))
    )
    draft = notice(
        school=school,
        to=list(school.admins) or [school.headteacher],
        subject=Msg(N_("%(school)s: a policy document could not be used"), school=school.name),
        greeting=Msg(N_("Hello,")),
        paragraphs=[
            Msg(
                N_(
                    "The file %(file)s for the policy “%(title)s” has changed, but the bot "
                    "cannot use the new file: %(reason)s"
                ),
                file=shown,
                title=policy.title,
                reason=reason,
            )
            if current is not None
            else Msg(
                N_("The bot cannot use the file %(file)s for the policy “%(title)s”: %(reason)s"),
                file=shown,
                title=policy.title,
                reason=reason,
            ),
            kept,
            Msg(
                N_(
                    "Please put a readable copy of the policy in its place (open it first to "
                    "check), for example from the program it was written in. If the folder is "
                    "kept by SharePoint, OneDrive or Google Drive, check that the file was not "
                    "damaged when it was copied."
                )
            ),
        ],
        small=Msg(
            N_(
                "You receive this as an administrator of the bot for the school. You will "
                "not get this email again for the same file."
            )
        ),
    )
    enqueue_email(
        session,
        school_id=school.id,
        key=f"{REFUSED_PURPOSE}:{school.id}:{policy.key}:{digest[:32]}"[:200],
        purpose=REFUSED_PURPOSE,
        urgency=Urgency.WAITING,
        draft=draft,
    )
