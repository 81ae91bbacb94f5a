"""Google forms: Google Forms responses, answers keyed by question title, oldest first; a
response that cannot be read comes back as an ``UnreadableResponse`` and never stops the rest."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core.ports import FormResponse, PermanentError, UnreadableResponse
from connectors.google.client import GoogleApi
from connectors.google.errors import read_once, read_pages

__all__ = ["GoogleFormSource"]


def _parse_time(value: str) -> datetime:
    """RFC 3339 from Google (``Z``, up to nanoseconds: Python 3.11 reads both) -> aware."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rfc3339(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


class GoogleFormSource:
    """Reads Google Forms responses, answers keyed by question title, oldest first."""

    def __init__(self, api: GoogleApi, form_id: str) -> None:
        self._api = api
        self._form_id = form_id

    @functools.cached_property
    def _forms(self) -> Any:
        return self._api.resource.forms()  # built once: resources are costly

    @functools.cached_property
    def _responses(self) -> Any:
        return self._forms.responses()

    def responses(
        self, since: datetime | None = None
    ) -> Sequence[FormResponse | UnreadableResponse]:
        """Responses last submitted after ``since`` (all when None), oldest first; then the
        ones that cannot be read (no id or time, answers not in the documented shape)."""
        params: dict[str, Any] = {"formId": self._form_id}
        if since is not None:
            params["filter"] = f"timestamp > {_rfc3339(since)}"
        try:
            titles = self._titles(
                read_once(self._api, self._forms.get(formId=self._form_id), "Forms forms.get")
            )
            pages = list(
                read_pages(
                    self._api,
                    self._responses,
                    self._responses.list(**params),
                    "Forms responses.list",
                )
            )
        except PermanentError as exc:
            raise PermanentError(
                f"{exc} (share the form with the service account, and check "
                "COMPLIANCE_BOT_GOOGLE__FORM_ID)"
            ) from exc
        found: list[FormResponse] = []
        bad: list[UnreadableResponse] = []
        for raw in [raw for page in pages for raw in page.get("responses", [])]:
            response = self._response(raw, titles)
            if isinstance(response, UnreadableResponse):
                bad.append(response)
            elif since is None or response.submitted_at > since:
                found.append(response)
        return [*sorted(found, key=lambda r: (r.submitted_at, r.response_id)), *bad]

    @staticmethod
    def _titles(form: Mapping[str, Any]) -> dict[str, str]:
        titles: dict[str, str] = {}
        used: set[str] = set()

        def add(question_id: Any, title: str) -> None:
            if not question_id:
                return
            base = title.strip() or str(question_id)
            name, n = base, 2
            while name in used:  # two questions with one title must not overwrite each other
                name, n = f"{base} ({n})", n + 1
            used.add(name)
            titles[str(question_id)] = name

        for item in form.get("items", []):
            title = str(item.get("title") or "")
            question = (item.get("questionItem") or {}).get("question") or {}
            add(question.get("questionId"), title)
            for row in (item.get("questionGroupItem") or {}).get("questions", []):
                row_title = str((row.get("rowQuestion") or {}).get("title") or "")
                add(row.get("questionId"), f"{title} - {row_title}" if row_title else title)
        return titles

    def _response(self, raw: Any, titles: Mapping[str, str]) -> FormResponse | UnreadableResponse:
        """One response as the bot reads it, or why it cannot be read (never its values)."""
        raw = raw if isinstance(raw, Mapping) else {}
        response_id = str(raw.get("responseId") or "").strip()
        submitted = raw.get("lastSubmittedTime") or raw.get("createTime")
        where = f"Google form {self._form_id}"
        if not response_id:
            # no id to name it by: a digest of the response stands in (content-free, stable)
            digest = hashlib.sha256(
                json.dumps(raw, sort_keys=True, default=str).encode()
            ).hexdigest()[:16]
            return UnreadableResponse(
                key=f"google response {digest}",
                where=f"{where}, a response without an id",
                problem="the Forms API sent it without a responseId",
            )
        where += f", response {response_id}"
        try:
            moment = _parse_time(str(submitted)) if submitted else None
        except ValueError:
            moment = None
        if moment is None:
            return UnreadableResponse(
                key=response_id,
                where=where,
                problem="its submission time (lastSubmittedTime) is missing or not RFC 3339",
            )
        try:
            answers: dict[str, str] = {}
            for question_id, answer in (raw.get("answers") or {}).items():
                parts = [
                    str(a.get("value", ""))
                    for a in (answer.get("textAnswers") or {}).get("answers", [])
                ]
                parts += [
                    str(a.get("fileName", ""))
                    for a in (answer.get("fileUploadAnswers") or {}).get("answers", [])
                ]
                answers[titles.get(str(question_id), str(question_id))] = "; ".join(parts)
        except (AttributeError, TypeError):
            return UnreadableResponse(
                key=response_id,
                where=where,
                problem="its answers are not in the shape the Forms API documents",
            )
        email = raw.get("respondentEmail")
        return FormResponse(
            response_id=response_id,
            submitted_at=moment,
            answers=answers,
            respondent_email=str(email) if email else None,
        )
