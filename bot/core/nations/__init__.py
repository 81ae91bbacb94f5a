"""A nation is a pack: one file, the one place that knows a nation's words and law.

The promise: everything that differs between nations comes from the school's nation pack
(``bot/core/nations/<nation>.toml``, each word with its source): its name and bank holidays,
every word a person reads about the safeguarding roles, the inspectorate, the route for
concerns about staff and its clock, the governing body and the statutory guidance, and the
statutory year (what the guidance asks every year). A school's own overrides (``words:`` in
school.yaml) go on top. No other nation's word (LADO, KCSIE, DSL, Ofsted, principal) reaches a
school whose pack does not use it. A new ``.toml`` file here is a new nation (docs/developers.md:
"Adding a nation").

``england-and-wales`` (the older default country) keeps England's words: it names England's
and Wales' shared bank holidays for schools that set it before nations were packs; a school in
Wales chooses ``wales``.

Example::

    words = school_words_for("scotland", {"dsl": "Child Protection Co-ordinator"})
    words.dsl             # 'Child Protection Co-ordinator'
    words.staff_route     # 'council child protection (IRD)'
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "COUNTRIES",
    "DEFAULT_NATION",
    "EVENT_KINDS",
    "NATIONS",
    "OLDER_COUNTRY",
    "PROPRIETOR_WORDS",
    "WORD_KEYS",
    "ComplaintLaw",
    "EventKind",
    "Guidance",
    "LanguageCategory",
    "NationPack",
    "NationPackError",
    "ReviewAnswer",
    "ScrCheck",
    "Source",
    "StaffRoute",
    "StatutoryItem",
    "Words",
    "country_name",
    "pack_for",
    "posts_for",
    "role_table",
    "school_words_for",
]

HERE = Path(__file__).parent
# the nation when none is chosen yet (``init``'s default, words before a school is known)
DEFAULT_NATION = "england"
# every pack file beside this one is a nation (the default first)
NATIONS: tuple[str, ...] = tuple(
    sorted(
        (p.stem for p in HERE.glob("*.toml") if not p.stem.startswith("_")),
        key=lambda n: (n != DEFAULT_NATION, n),
    )
)
# the older country, read with England's pack (see the docstring): still the country of a
# school.yaml that names none, so a file written before nations were packs reads as it did
OLDER_COUNTRY = "england-and-wales"
_PACK_OF_COUNTRY = {OLDER_COUNTRY: DEFAULT_NATION}
# every value of a school's ``country``: the nations, and the older one
COUNTRIES: tuple[str, ...] = (*_PACK_OF_COUNTRY, *NATIONS)


class NationPackError(Exception):
    """A pack file is missing or invalid; ``str()`` names the file and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(_Strict):
    """Every nation-dependent word a page, email, CLI line or card may say."""

    dsl: str = Field(min_length=1, max_length=80)  # short, in running text: "DSL"
    dsl_full: str = Field(min_length=1, max_length=120)  # "Designated Safeguarding Lead"
    deputy_dsl: str = Field(min_length=1, max_length=80)
    deputy_dsl_full: str = Field(min_length=1, max_length=120)
    dsl_team: str = Field(min_length=1, max_length=80)  # "the DSL team"
    headteacher: str = Field(min_length=1, max_length=80)
    chair: str = Field(min_length=1, max_length=80)  # chair of the governing body
    governor: str = Field(min_length=1, max_length=80)
    governors: str = Field(min_length=1, max_length=80)  # "governors", in running text
    governors_of: str = Field(min_length=1, max_length=80)  # "governors'" before a noun
    clerk: str = Field(min_length=1, max_length=80)  # "clerk to the governors"
    safeguarding_governor: str = Field(min_length=1, max_length=120)
    governing_body: str = Field(min_length=1, max_length=120)  # "full governing body"
    governing_body_short: str = Field(min_length=1, max_length=80)  # "FGB"
    staff_route: str = Field(min_length=1, max_length=80)  # "LADO"
    staff_route_full: str = Field(min_length=1, max_length=200)
    staff_route_decision: str = Field(min_length=1, max_length=120)  # a clock's name
    social_care: str = Field(min_length=1, max_length=80)
    guidance: str = Field(min_length=1, max_length=200)  # the statutory guidance's title
    guidance_short: str = Field(min_length=1, max_length=120)
    inspectorate: str = Field(min_length=1, max_length=120)  # "Ofsted": who inspects schools
    local_authority: str = Field(min_length=1, max_length=80)  # "local authority", "council"
    # data protection: who a reportable personal data breach goes to, under which law, and
    # where a person complains ("ICO", "UK GDPR Article 33"; Jersey: "JOIC", its own Law)
    regulator: str = Field(min_length=1, max_length=80)  # "ICO": running text and labels
    regulator_full: str = Field(min_length=1, max_length=160)
    data_protection_law: str = Field(min_length=1, max_length=200)  # the breach rule's law
    regulator_complaints: str = Field(pattern=r"^https://", max_length=200)  # a URL


WORD_KEYS: tuple[str, ...] = tuple(Words.model_fields)


class Source(_Strict):
    """Where a word or rule comes from."""

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https://")


class StatutoryItem(_Strict):
    """One thing the nation's guidance asks every year: what, of whom, how often the source
    says ("not stated" where it does not), and the school.yaml requirement that asks it
    (``owners``: for a task, the school's named roles that own it). Its words may name the
    school's (``{governors}``; ``{Governors}`` to start a sentence): ``said`` fills them."""

    id: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    frequency: str = Field(min_length=1)
    source: Source
    requirement: dict[str, Any]
    owners: tuple[str, ...] = ()
    # offered, never chosen by default (a standard the guidance recommends, not the law)
    optional: bool = False
    # where the dates the requirement carries come from (its ``in_force``/``until``, an
    # audience's ``until``): a rule that starts or stops on a day says who says so
    dates_source: Source | None = None

    @model_validator(mode="after")
    def _dated(self) -> StatutoryItem:
        dated = any(k in self.requirement for k in ("in_force", "until")) or any(
            "until" in a for a in self.requirement.get("audiences", {}).values()
        )
        if dated and self.dates_source is None:
            raise ValueError("a requirement with dates (in_force, until) needs dates_source")
        return self

    def said(self, words: Words) -> StatutoryItem:
        """The item in a school's words (an independent school's: "proprietor body members"
        where a maintained school's says "governors")."""
        said = words.model_dump()
        table = said | {k[:1].upper() + k[1:]: v[:1].upper() + v[1:] for k, v in said.items()}
        return self.model_copy(
            update={
                "summary": self.summary.format_map(table),
                "requirement": _filled(self.requirement, table),
            }
        )


def _filled(value: Any, table: Mapping[str, str]) -> Any:
    """Every text in ``value`` (a requirement: texts, lists, tables) with its words filled."""
    if isinstance(value, str):
        return value.format_map(table)
    if isinstance(value, list):
        return [_filled(v, table) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, table) for k, v in value.items()}
    return value


class Guidance(Source):
    """The nation's statutory safeguarding guidance for schools (privacy text, pages)."""

    publisher: str = Field(min_length=1)


class RouteClock(_Strict):
    """How long the school has to decide on the staff route: the default of the report clock
    ``lado`` (written as school.yaml's ``reports.clocks.lado``, which overrides it)."""

    working_days: int | None = Field(default=None, ge=1, le=10)
    hours: int | None = Field(default=None, ge=1, le=720)
    # "next_working_day": made out of office hours, the clock runs to the end of the next
    # working day instead of counting hours (Wales' 24-hour rule)
    out_of_hours: Literal["next_working_day"] | None = None


# what a school records that opens a dated review of a recurring task (``review_on``)
EventKind = Literal[
    "new_technology", "working_practice", "incident", "provider", "guidance", "phone_guidance"
]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)


class ReviewAnswer(_Strict):
    """What a pack says of one kind of change: the statutory item whose review it opens (its
    requirement's ``review_on`` names the kind; the item's source is the answer's), or "not
    stated" with the search made."""

    opens: str | None = None
    searched: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> ReviewAnswer:
        if (self.opens is None) == (self.searched is None):
            raise ValueError("give opens (a statutory item's id) or searched (not stated)")
        return self


class StaffRoute(_Strict):
    """Where a concern about a member of staff goes, and its clock."""

    who: str = Field(min_length=1)
    clock: RouteClock
    note: str = ""


class ScrCheck(_Strict):
    """One check the single central record holds in this nation: its name in the nation's
    words, whom it applies to (``everyone``; ``teaching``: those doing teaching work;
    ``management``: management posts, where ``settings`` says; ``abroad``: people who lived or
    worked outside the country; ``agency``: agency and third-party supply staff; ``governors``:
    governors, trustees and members), whether the law asks for it (``statutory``), in which
    schools (``all``, or ``independent``: independent schools and academies), how many years
    it lasts before renewal (Scotland's PVG from 2026; None: not stated) and its source."""

    id: Literal[
        "identity",
        "barred_list",
        "criminal_record",
        "prohibition",
        "overseas",
        "qualifications",
        "right_to_work",
        "s128",
        "agency_confirmation",
    ]
    name: str = Field(min_length=1, max_length=120)
    applies: tuple[
        Literal["everyone", "teaching", "management", "abroad", "agency", "governors"], ...
    ] = ("everyone",)
    statutory: bool = True
    settings: Literal["all", "independent"] = "all"
    renew_years: int | None = Field(default=None, ge=1, le=10)
    source: Source
    # the check's own dates, with who says so: from ``in_force`` it opens gaps, from ``until``
    # none (an earlier check stays on the record, made under this rule)
    in_force: date | None = None
    until: date | None = None
    dates_source: Source | None = None

    @model_validator(mode="after")
    def _dated(self) -> ScrCheck:
        if (self.in_force or self.until) and self.dates_source is None:
            raise ValueError("a check with dates (in_force, until) needs dates_source")
        return self

    def in_force_on(self, day: date) -> bool:
        """Whether the check is asked on ``day``."""
        return (self.in_force is None or self.in_force <= day) and (
            self.until is None or day < self.until
        )


class ComplaintLaw(_Strict):
    """The law on a complaint to the school about how it handles personal data: its sources,
    and the days it gives to acknowledge one (None: no law sets them; the school's own target
    is ``bot.features.privacy``' 30 days)."""

    law: tuple[Source, ...] = Field(min_length=1)
    acknowledge_days: int | None = Field(default=None, ge=1, le=90)


class LanguageCategory(_Strict):
    """A school language category the law gives (Wales' 2025 Act): the language its people
    read unless the school says otherwise, and the one offered beside it."""

    id: str = Field(pattern=r"^[a-z-]+$")
    name: str = Field(min_length=1)
    language: Literal["en", "cy", "cy+en"]
    offered: Literal["en", "cy", "cy+en"] | None = None


class LanguageCategories(_Strict):
    """The nation's school language categories and their source."""

    source: Source
    category: tuple[LanguageCategory, ...] = Field(min_length=1)


# what a post in the role table gives (``JobRole`` in school.yaml's ``job_titles``)
PostRole = Literal[
    "staff", "governor", "safeguarding_governor", "clerk", "volunteer", "supply", "none"
]


class NationPack(_Strict):
    """One nation's pack, as its TOML file says it."""

    nation: str
    name: str
    # the bank holidays, by ISO 3166-2 code as the `holidays` library reads it: "GB-WLS", "JE"
    holidays: str = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    guidance_titles: tuple[str, ...] = ()  # national guidance staff read, never a policy
    words: Words
    staff_route: StaffRoute
    guidance: Guidance
    sources: dict[str, Source]
    # what the nation's guidance asks every year (``bot.features.setup.pack`` reads it)
    statutory: tuple[StatutoryItem, ...] = ()
    # the checks the single central record holds (``bot.features.scr``); none: not stated
    scr_checks: tuple[ScrCheck, ...] = ()
    # where the nation's list of vetting checks comes from, in the words its schools read
    scr_note: str = "Which checks the single central record holds here is not stated."
    # an independent school's words beyond every pack's (``PROPRIETOR_WORDS``): who inspects
    # independent schools here (``independent: true`` in school.yaml)
    independent: dict[str, str] = {}
    # the standards an independent school meets, named in its evidence pack (England's ISS)
    independent_standards: Source | None = None
    # the posts this nation's schools write that the built-in role table (bot/core/posts.toml)
    # does not, by the role each gives ("Depute Head Teacher", "Pennaeth")
    posts: dict[PostRole, tuple[str, ...]] = {}
    # False for a Crown dependency: UK law (UK GDPR, the Data Protection Act 2018) is not its
    # law, so nothing cites it there; its own law is ``sources.data_protection_law``
    uk: bool = True
    complaints: ComplaintLaw
    # the school language categories the nation's law gives (Wales); None: none
    language_categories: LanguageCategories | None = None
    # for each kind of change a school records, the review the nation's guidance opens then
    reviews: dict[EventKind, ReviewAnswer]

    def language_category(self, id_: str | None) -> LanguageCategory | None:
        """The category with this id (None: not stated, or not one of this nation's)."""
        found = self.language_categories.category if self.language_categories else ()
        return next((c for c in found if c.id == id_), None)


def _load(nation: str) -> NationPack:
    """Read and validate one pack file."""
    path = HERE / f"{nation}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        pack = NationPack.model_validate(data)
    except FileNotFoundError:
        raise NationPackError(f"{path}: nation pack not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise NationPackError(f"{path}: not valid TOML ({exc})") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise NationPackError(f"{path}: {problems}") from None
    if pack.nation != nation:
        raise NationPackError(f"{path}: nation = {pack.nation!r}, expected {nation!r}")
    unknown = set(pack.sources) - set(WORD_KEYS)
    if unknown:
        raise NationPackError(f"{path}: sources for unknown words: {', '.join(sorted(unknown))}")
    unknown = set(pack.independent) - set(WORD_KEYS)
    if unknown:
        raise NationPackError(f"{path}: independent: unknown words: {', '.join(sorted(unknown))}")
    _check_reviews(path, pack)
    return pack


def _check_reviews(path: Path, pack: NationPack) -> None:
    """Every kind of change answered; each review named is a statutory item opened by it."""
    if missing := [kind for kind in EVENT_KINDS if kind not in pack.reviews]:
        raise NationPackError(f"{path}: reviews: no answer for {', '.join(missing)}")
    items = {item.id: item for item in pack.statutory}
    for kind, answer in pack.reviews.items():
        opened = items.get(answer.opens or "")
        if answer.opens is not None and (
            opened is None or kind not in opened.requirement.get("review_on", ())
        ):
            raise NationPackError(
                f"{path}: reviews.{kind}: {answer.opens!r} is no statutory item whose "
                f"review_on names {kind}"
            )


# an independent school's words in place of the governing body's, in every pack (its own
# ``independent`` table on top): the proprietor body and its members (``_independent.toml``)
PROPRIETOR_WORDS: dict[str, str] = tomllib.loads(
    (HERE / "_independent.toml").read_text(encoding="utf-8")
)["words"]
if unknown_words := set(PROPRIETOR_WORDS) - set(WORD_KEYS):  # pragma: no cover - a typo
    raise NationPackError(f"_independent.toml: unknown words: {', '.join(sorted(unknown_words))}")


@lru_cache(maxsize=8)
def pack_for(country: str) -> NationPack:
    """The pack for a school's ``country`` (loaded once; ``england-and-wales`` is England's)."""
    nation = _PACK_OF_COUNTRY.get(country, country)
    if nation not in NATIONS:
        raise NationPackError(f"no nation pack for {country!r} (one of {', '.join(NATIONS)})")
    return _load(nation)


@lru_cache(maxsize=256)
def _merged(country: str, overrides: tuple[tuple[str, str], ...], independent: bool) -> Words:
    pack = pack_for(country)
    own = {**PROPRIETOR_WORDS, **pack.independent} if independent else {}
    return pack.words.model_copy(update={**own, **dict(overrides)})


def school_words_for(
    country: str, overrides: Mapping[str, str] | None = None, *, independent: bool = False
) -> Words:
    """The nation's words (an independent school's: the proprietor's in place of the governing
    body's) with the school's overrides on top."""
    return _merged(country, tuple(sorted((overrides or {}).items())), independent)


@lru_cache(maxsize=16)
def posts_for(country: str) -> dict[str, str]:
    """The built-in role table for a school of ``country``: every nation's posts
    (bot/core/posts.toml) and its own, each with the role it gives."""
    common = tomllib.loads((HERE.parent / "posts.toml").read_text(encoding="utf-8"))
    own = pack_for(country).posts
    return {
        post: role for table in (common, own) for role, posts in table.items() for post in posts
    }


def role_table(
    country: str, job_titles: Mapping[str, str], role_groups: Mapping[str, str]
) -> dict[str, str]:
    """The role table a school's job titles are read through: its own ``job_titles`` on top of
    the built-in table for its nation. Empty for a school whose roles come from groups alone
    (no table of its own): its titles are not read."""
    if role_groups and not job_titles:
        return {}
    return {**posts_for(country), **job_titles}


def country_name(country: str) -> str:
    """A country as people read it: the pack's name ("Northern Ireland"); the older
    ``england-and-wales`` is "England and Wales"."""
    return "England and Wales" if country == OLDER_COUNTRY else pack_for(country).name
