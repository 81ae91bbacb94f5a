"""The school configuration file (YAML): the organisation, its schools, their people with
roles, calendar (terms, holidays, the sending window) and words (what is owed is in ``owed``,
the report settings and clocks in ``reports``). Invalid files give one clear line naming file,
key and line."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.config.complaints import ComplaintSettings
from bot.core.config.directory import DirectoryRules as DirectoryRules
from bot.core.config.fields import CalendarDate, Email, JobRole, RetentionKind, Role, Slug
from bot.core.config.owed import (
    DEFAULT_CADENCE,
    AccountConfig,
    Cadence,
    PolicyConfig,
    RequirementConfig,
)
from bot.core.config.reading import ConfigError as ConfigError  # raised here, said there
from bot.core.config.reading import read_config_file as read_config_file
from bot.core.config.reading import yaml_problems
from bot.core.config.reports import ClockRule, ReportSettings
from bot.core.config.said import CheckError, counted
from bot.core.config.terms import terms_question
from bot.core.days.calendar import Country, add_working_days, is_working_day
from bot.core.language.i18n import Language, Msg
from bot.core.nations import (
    OLDER_COUNTRY,
    WORD_KEYS,
    LanguageCategory,
    NationPackError,
    pack_for,
    role_table,
    school_words_for,
)
from bot.core.nations.inspectorates import default_inspectorate, inspectorates_of


class _Strict(BaseModel):
    """As every part of school.yaml: unknown keys refused, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Strict):
    """A term (or half term): school days run from start to end, weekends excepted."""

    name: str
    start: CalendarDate
    end: CalendarDate

    @model_validator(mode="after")
    def _order(self) -> Term:
        if self.end < self.start:
            raise CheckError("term_order", name=self.name)
        return self


class SendingWindow(_Strict):
    """Reminders are sent between these local times on school days, and each person gets at
    most ``reminders_per_week`` reminder emails in any 7 days (everything they owe in each;
    safeguarding and urgent messages are never counted or held)."""

    start: time = time(8, 0)
    end: time = time(17, 0)
    school_days_only: bool = True
    reminders_per_week: int = Field(default=2, ge=1, le=7)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        if isinstance(value, int | float):  # bool is an int too
            raise CheckError("time", value=repr(value))
        return value

    @model_validator(mode="after")
    def _order(self) -> SendingWindow:
        if self.end <= self.start:
            raise CheckError("window_order", end=f"{self.end:%H:%M}", start=f"{self.start:%H:%M}")
        return self


class SchoolConfig(_Strict):
    """One school: its people with special roles, policies, requirements and calendar."""

    id: Slug
    name: str = Field(min_length=1, max_length=200)
    # the nation: its bank holidays close the school and stop statutory clocks' working days,
    # and its pack (bot/core/nations) gives the words; ``words`` overrides any of them
    country: Country = OLDER_COUNTRY  # a file that names none reads as it always did
    # an independent school: the proprietor holds the duties, so the proprietor body's words
    # replace the governing body's and its members are the board, who approve its policies
    # (bot/core/nations/_independent.toml), and the evidence pack names its standards
    independent: bool = False
    # an independent school's proprietor: a company, a trust or an individual (None: not said)
    proprietor: Literal["company", "trust", "individual"] | None = None
    # an academy (England): its trust is the proprietor, so the trust's members and trustees
    # are on its single central record and s128 applies to its management posts, as in an
    # independent school; its governors keep their words (a trust with many schools may be a
    # local authority's too, so belonging to one is not taken to mean an academy)
    academy: bool = False
    # who inspects it (bot/core/nations/inspectorates); unset: ``inspected_by``'s default
    inspectorate: str | None = None
    # the language its people read: en, cy (Welsh) or cy+en (Welsh first, English beside it);
    # the nation pack's words stay the law's, this is the sentences around them
    # (bot.core.language.i18n)
    language: Language = "en"
    # a Welsh school's language category (the Welsh Language and Education (Wales) Act 2025:
    # primarily-welsh, dual-language or primarily-english): ``language`` follows from it unless
    # written (cy, cy+en, en with cy+en offered)
    language_category: str | None = None
    # with cy+en, each person may choose cy or en for themselves on /me
    words: dict[
        str, Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    ] = {}
    headteacher: Email
    dsl: list[Email] = []
    deputy_dsl: list[Email] = []
    dpo: Email | None = None
    chair_of_governors: Email | None = None
    clerk: Email | None = None
    admins: list[Email] = []
    role_groups: dict[str, Role] = {}
    job_titles: dict[str, JobRole] = {}  # the school's words for what people do -> a role
    policies: list[PolicyConfig] = []
    requirements: list[RequirementConfig] = []
    cadences: dict[str, Cadence] = {}
    terms: list[Term] = []
    holidays: list[CalendarDate] = []
    inset_days: list[CalendarDate] = []
    # days the school is open although the nation's calendar closes it (a bank holiday such as
    # St Andrew's Day, which many Scottish councils teach through)
    open_days: list[CalendarDate] = []
    sending_window: SendingWindow = SendingWindow()
    # where the school asks its staff (school_yaml_comments.toml says how each works); the
    # reminder rules are the same whatever the channel
    asks_in: Literal["email", "teams", "chat"] = "email"
    official_accounts: list[AccountConfig] = []
    reports: ReportSettings = ReportSettings()
    complaints: ComplaintSettings = ComplaintSettings()
    directory: DirectoryRules = DirectoryRules()
    mail_from_name: str | None = None
    # the school's own sending mailbox (Microsoft 365) or Gmail account (Google), paced and
    # reserved on its own; None: the install's (COMPLIANCE_BOT_M365__SENDER, ..._GOOGLE__SENDER)
    sender: Email | None = None
    # the school's own Microsoft 365 tenant or Google Workspace domain: the name of a connection
    # whose settings (and secrets) the deployment holds (COMPLIANCE_BOT_CONNECTIONS__<NAME>__...);
    # None: the install's. Its directory, mail, sign-in and bot serve this school's people only
    connection: Slug | None = None
    # where replies to the bot's emails go (the school office); None: the first admin's address
    reply_to: Email | None = None
    # who keeps the single central record (an office person): with the headteacher, the only
    # person who sees its gaps by name on /scr, and who gets the new ones in a weekly email
    scr_owner: Email | None = None
    # the public visitor page (/visit/<school id>): the rules shown (None: a built-in text)
    # and how long visitors' confirmations are kept before the sweep deletes them
    visitor_rules: str | None = Field(default=None, max_length=10000)
    visitor_retention_days: int = Field(default=365, ge=1, le=3650)
    # the school's own retention periods, in years, by kind of record (in place of the
    # schedule's defaults, each with its source: ``bot.features.privacy.retention``)
    retention: dict[RetentionKind, Annotated[int, Field(ge=1, le=100)]] = {}
    # the /privacy and /terms pages (Markdown; None: the built-in text, in the school's name)
    privacy_notice: str | None = Field(default=None, max_length=20000)
    terms_of_use: str | None = Field(default=None, max_length=20000)

    @property
    def role_table(self) -> dict[str, str]:
        """The posts its people's job titles are read through: the built-in table for its
        nation under its own ``job_titles`` (none for a school whose roles come from groups
        alone: ``bot.core.nations.role_table``)."""
        return role_table(self.country, self.job_titles, self.role_groups)

    @property
    def teams_first(self) -> bool:
        """Whether the school asks in Teams first (``asks_in: teams``)."""
        return self.asks_in == "teams"

    @model_validator(mode="before")
    @classmethod
    def _older_teams_first(cls, data: Any) -> Any:
        """``teams_first: true`` (written before ``asks_in``) reads as ``asks_in: teams``."""
        if not isinstance(data, dict) or "teams_first" not in data:
            return data
        data, older = dict(data), data["teams_first"]
        del data["teams_first"]
        if not isinstance(older, bool) or (older and data.get("asks_in") not in (None, "teams")):
            raise CheckError("teams_first")
        return {**data, "asks_in": "teams"} if older else data

    @model_validator(mode="before")
    @classmethod
    def _language_of_category(cls, data: Any) -> Any:
        """A school that states its language category and no language reads the category's."""
        if not isinstance(data, dict) or data.get("language") or not data.get("language_category"):
            return data
        try:
            found = pack_for(str(data.get("country") or OLDER_COUNTRY)).language_category(
                str(data["language_category"])
            )
        except NationPackError:
            return data  # the field validators name the problem
        return {**data, "language": found.language} if found is not None else data

    @property
    def language_said(self) -> LanguageCategory | None:
        """The language category the school's language follows, where it states one."""
        return pack_for(self.country).language_category(self.language_category)

    @property
    def inspected_by(self) -> str | None:
        """Who inspects the school: the one it names, else its nation's for its kind."""
        return self.inspectorate or default_inspectorate(self.country, independent=self.independent)

    @model_validator(mode="before")
    @classmethod
    def _approving_body(cls, data: Any) -> Any:
        """A policy that names no approving body is approved by the whole governing body, in
        the nation's words (England's FGB; Northern Ireland's Board of Governors)."""
        if not isinstance(data, dict) or not isinstance(data.get("policies"), list):
            return data
        try:
            words = school_words_for(
                str(data.get("country") or OLDER_COUNTRY),
                data.get("words") if isinstance(data.get("words"), dict) else None,
                independent=data.get("independent") is True,
            )
        except (NationPackError, ValueError, TypeError):
            return data  # the field validators name the problem
        body = words.governing_body_short.removeprefix("the ")
        policies = [
            {**p, "approving_body": body}
            if isinstance(p, dict) and p.get("approving_body") is None
            else p
            for p in data["policies"]
        ]
        return {**data, "policies": policies}

    @field_validator("words")
    @classmethod
    def _known_words(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(WORD_KEYS))
        if unknown:
            raise CheckError("unknown_word", unknown=", ".join(unknown), known=", ".join(WORD_KEYS))
        return value

    @model_validator(mode="after")
    def _kind(self) -> SchoolConfig:
        """An academy is a state school of England: never also independent, nor elsewhere."""
        if self.academy and self.independent:
            raise CheckError("academy_independent")
        if self.proprietor is not None and not self.independent:
            raise CheckError("proprietor_independent")
        if self.language_category is not None and self.language_said is None:
            categories = pack_for(self.country).language_categories
            raise CheckError(
                "language_category",
                given=self.language_category,
                known=", ".join(c.id for c in categories.category) if categories else "none",
            )
        if self.inspectorate not in (None, *(known := inspectorates_of(self.country))):
            raise CheckError("inspectorate", given=str(self.inspectorate), known=", ".join(known))
        if self.academy and self.country not in ("england", OLDER_COUNTRY):
            raise CheckError("academy_england", country=self.country)
        return self

    @model_validator(mode="after")
    def _references(self) -> SchoolConfig:
        policy_ids = [p.id for p in self.policies]
        if len(set(policy_ids)) != len(policy_ids):
            raise CheckError("policy_ids")
        requirement_ids = [r.id for r in self.requirements]
        if len(set(requirement_ids)) != len(requirement_ids):
            raise CheckError("requirement_ids")
        for req in self.requirements:
            if req.policy and req.policy not in policy_ids:
                raise CheckError("unknown_policy", id=req.id, policy=req.policy)
            if req.cadence != "standard" and req.cadence not in self.cadences:
                raise CheckError("unknown_cadence", id=req.id, cadence=req.cadence)
        closed = self.non_school_days()
        for day in self.open_days:
            if day in closed:
                raise CheckError("open_and_holiday", day=day.isoformat())
        for account in self.official_accounts:
            if account.aup_policy and account.aup_policy not in policy_ids:
                raise CheckError("account_policy", id=account.id, policy=account.aup_policy)
        return self

    def reply_address(self) -> str | None:
        """The Reply-To of every email: ``reply_to``, else the first admin, else none."""
        return self.reply_to or (self.admins[0] if self.admins else None)

    def cadence(self, name: str) -> Cadence:
        """The named cadence, with a sensible built-in ``standard``."""
        return self.cadences.get(name) or DEFAULT_CADENCE

    def non_school_days(self) -> set[date]:
        """Configured holidays and INSET days (bank holidays come from ``country``)."""
        return set(self.holidays) | set(self.inset_days)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a bank holiday in the school's nation (statutory clocks)."""
        return is_working_day(self.country, day)

    def add_working_days(self, day: date, count: int) -> date:
        """The date ``count`` working days after ``day`` (school holidays do not stop it)."""
        return add_working_days(self.country, day, count)

    def clock_rule(self, kind: str, urgency: str) -> ClockRule:
        """A report clock's rule: the school's ``reports.clocks``, and for concerns about staff
        (``lado``) not written there, its nation pack's staff-route clock."""
        route = pack_for(self.country).staff_route.clock.model_dump(exclude_none=True)
        return self.reports.clock_rule(kind, urgency, ClockRule.model_validate(route))

    def is_school_day(self, day: date) -> bool:
        """A working day (or one of ``open_days``), inside a term when terms are configured,
        not a holiday or INSET day."""
        if day in self.holidays or day in self.inset_days:  # ``non_school_days``, unbuilt
            return False
        if not self.is_working_day(day) and day not in self.open_days:
            return False
        if self.terms:
            return any(t.start <= day <= t.end for t in self.terms)
        return True

    def is_sending_day(self, day: date) -> bool:
        """A day reminders and alerts go out: a school day, or any day when the sending window
        is not for school days only."""
        return self.is_school_day(day) or not self.sending_window.school_days_only

    def last_term_end(self) -> date | None:
        """The last day of the last configured term (None without terms)."""
        return max((t.end for t in self.terms), default=None)

    def term_dates_question(self, today: date) -> Msg | None:
        """Ask for next year's term dates when the configured ones are running out
        (``terms_question``): past the last configured term no day is a school day, so nothing
        is chased and no termly task is set until the dates are added."""
        return terms_question(self.last_term_end(), today)

    def next_school_day(self, day: date) -> date:
        """``day`` itself when it is a school day, else the next one (within a year)."""
        for offset in range(366):
            candidate = day + timedelta(days=offset)
            if self.is_school_day(candidate):
                return candidate
        return day

    def add_school_days(self, day: date, count: int) -> date:
        """The date ``count`` school days after ``day``."""
        for _ in range(count):
            day = self.next_school_day(day + timedelta(days=1))
        return day


class Organisation(_Strict):
    """The trust or the single school's organisation."""

    name: str
    timezone: str = "Europe/London"
    # the trust-wide administrators: in every school they are a person of, they administer
    # the school and see the whole trust's settings (a school's own admins see only theirs)
    trust_admins: list[Email] = []
    # the trust's safeguarding leads: they see each school's headline counts on /trust and in
    # a weekly email (never a report's content or subject), in no school's own pages (#54)
    trust_safeguarding_leads: list[Email] = []
    # the trust board's pack lists a school whose training, acknowledgement or statutory
    # reading rate is below this share (per cent) among its exceptions (#81)
    board_threshold_pct: int = Field(default=90, ge=0, le=100)


class OrgConfig(_Strict):
    """The whole configuration file."""

    organisation: Organisation
    schools: list[SchoolConfig] = Field(min_length=1)
    base_dir: Path = Path(".")
    # how the schools in force were chosen, one by one (``per_school.Standing``), when they were
    _standing: Any = PrivateAttr(default=None)

    def school(self, school_id: str | None = None) -> SchoolConfig:
        """The school with this id (the first when None)."""
        if school_id is None:
            return self.schools[0]
        for school in self.schools:
            if school.id == school_id:
                return school
        raise KeyError(school_id)

    def resolve(self, path: Path) -> Path:
        """A path from the file, relative to the file's folder."""
        return path if path.is_absolute() else self.base_dir / path


def load_config(path: Path) -> OrgConfig:
    """Read and validate the configuration; raise ConfigError naming file, key, line and
    problem for every error found (one per line, in file order)."""
    text, data = read_config_file(path)
    try:
        config = OrgConfig.model_validate({**data, "base_dir": path.parent})
    except ValidationError as exc:
        problems: list[Msg] = [message for _line, message in yaml_problems(path, text, exc)]
        if len(problems) > 1:
            problems.insert(0, counted(path, len(problems)))
        raise ConfigError(*problems) from None
    return config
