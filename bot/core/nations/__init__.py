"""A nation is a pack: one file, the one place that knows a nation's words and law.

The promise: everything that differs between nations comes from the school's nation pack
(``bot/core/nations/<nation>.toml``, each word with its source): its name and bank holidays,
every word a person reads about the safeguarding roles, the inspectorate, the route for
concerns about staff and its clock, the governing body and the statutory guidance, and the
statutory year (what the guidance asks every year). A school's own overrides (``words:`` in
school.yaml) go on top. No other nation's word (LADO, KCSIE, DSL, Ofsted, principal) reaches a
school whose pack does not use it. A new ``.toml`` file here is a new nation (README: "Adding a
nation").

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
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "COUNTRIES",
    "DEFAULT_NATION",
    "NATIONS",
    "OLDER_COUNTRY",
    "WORD_KEYS",
    "Guidance",
    "NationPack",
    "NationPackError",
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
    sorted((p.stem for p in HERE.glob("*.toml")), key=lambda n: (n != DEFAULT_NATION, n))
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
    (``owners``: for a task, the school's named roles that own it)."""

    id: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    frequency: str = Field(min_length=1)
    source: Source
    requirement: dict[str, Any]
    owners: tuple[str, ...] = ()


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


# what a post in the role table gives (``JobRole`` in school.yaml's ``job_titles``)
PostRole = Literal["staff", "governor", "safeguarding_governor", "clerk", "volunteer", "supply",
                   "none"]


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
    # an independent school's words in place of the governing body's (``independent: true`` in
    # school.yaml): the proprietor and the proprietor body, and who inspects independent schools
    independent: dict[str, str] = {}
    # the standards an independent school meets, named in its evidence pack (England's ISS)
    independent_standards: Source | None = None
    # the posts this nation's schools write that the built-in role table (bot/core/posts.toml)
    # does not, by the role each gives ("Depute Head Teacher", "Pennaeth")
    posts: dict[PostRole, tuple[str, ...]] = {}
    # False for a Crown dependency: UK law (UK GDPR, the Data Protection Act 2018) is not its
    # law, so nothing cites it there; its own law is ``sources.data_protection_law``
    uk: bool = True

    def data_protection_sources(self) -> tuple[tuple[str, str], ...]:
        """The nation's own data-protection law as (title, url) where it is not the UK's."""
        own = self.sources.get("data_protection_law")
        return ((own.title, own.url),) if own is not None else ()


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
    return pack


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
    own = pack.independent if independent else {}
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
    return {post: role for table in (common, own) for role, posts in table.items()
            for post in posts}


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
