#!/usr/bin/env python3
"""Generate ``stream/core/extract/data/clubs.json`` from the openfootball data sets.

Why a build step: the service must never read ``../shared`` at run or test time, so the club,
venue and competition facts it needs are distilled here once, written as a small deterministic
JSON file and committed.  Re-running the script on the same input gives the same bytes.

Input (both public domain, CC0 1.0):

* ``SHARED/openfootball-clubs/``: per-country ``*.clubs.txt`` (canonical name, founding year,
  ``@ stadium``, city; ``| alias | alias`` lines; ``ii)`` reserve teams; ``#`` comments) and
  ``*.stadiums.txt`` (name, capacity, year, city, ``# home club`` comment, ``|`` aliases).
* ``SHARED/openfootball-results/SEASON/CODE.json``: fixtures with the team names leagues use.

Every team name found in the results must resolve to a club; names that match no
openfootball club are reported and kept as minimal clubs built from the results alone.

Usage::

    python scripts/build_kb.py [SHARED_DATA_DIR] [--out PATH] [--check]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent


def _load_kb_module() -> ModuleType:
    """Load kb.py by path: it is self-contained, and the package __init__ pulls in the rest
    of the extraction stage, which this build step does not need."""
    path = REPO / "stream" / "core" / "extract" / "kb.py"
    spec = importlib.util.spec_from_file_location("_stream_kb_for_build", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_kb = _load_kb_module()
normalise_alias = _kb.normalise_alias
slugify = _kb.slugify

DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "stream" / "core" / "extract" / "data" / "clubs.json"

HEADER = {
    "title": "Football clubs, venues and league competitions (generated)",
    "generated_by": "scripts/build_kb.py",
    "source": (
        "openfootball/clubs (football.db club and stadium lists) and openfootball/football.json "
        "(league fixtures 2024-25 and 2025-26), by the openfootball contributors"
    ),
    "license": (
        "Public domain: the source data is dedicated to the public domain under CC0 1.0 "
        "Universal (https://creativecommons.org/publicdomain/zero/1.0/); this derived file is "
        "offered under the same terms."
    ),
    "attribution": "Thanks to the openfootball project (https://github.com/openfootball).",
    "note": "Do not edit by hand: change scripts/build_kb.py or curated.json instead.",
}

# --------------------------------------------------------------------------------------------
# League codes in the results data -> competition facts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class League:
    """What the results file code means: competition identity and where its clubs live."""

    slug: str
    name: str
    country: str
    club_countries: tuple[str, ...]  # openfootball-clubs file prefixes to search
    tier: int
    aliases: tuple[str, ...] = ()


LEAGUES: dict[str, League] = {
    "at.1": League("austrian-bundesliga", "Austrian Bundesliga", "Austria", ("at",), 1,
                   ("Österreichische Bundesliga", "Admiral Bundesliga")),
    "at.2": League("austrian-2-liga", "Austrian 2. Liga", "Austria", ("at",), 2,
                   ("Österreichische 2. Liga",)),
    "au.1": League("a-league", "A-League Men", "Australia", ("au", "nz"), 1,
                   ("A-League", "A-Leagues", "Isuzu UTE A-League")),
    "be.1": League("belgian-pro-league", "Belgian Pro League", "Belgium", ("be",), 1,
                   ("Jupiler Pro League", "Belgian First Division A", "Pro League")),
    "de.1": League("bundesliga", "Bundesliga", "Germany", ("de",), 1,
                   ("German Bundesliga", "1. Bundesliga", "Fußball-Bundesliga")),
    "de.2": League("2-bundesliga", "2. Bundesliga", "Germany", ("de",), 2,
                   ("Zweite Bundesliga", "Bundesliga 2", "German 2. Bundesliga")),
    "dz.1": League("algerian-ligue-1", "Algerian Ligue Professionnelle 1", "Algeria", ("dz",), 1,
                   ("Ligue Professionnelle 1", "Algerian Ligue 1")),
    "eg.1": League("egyptian-premier-league", "Egyptian Premier League", "Egypt", ("eg",), 1,
                   ("Egyptian Premiership",)),
    "en.1": League("premier-league", "Premier League", "England", ("eng", "wal"), 1,
                   ("English Premier League", "EPL", "Barclays Premier League")),
    "en.2": League("efl-championship", "EFL Championship", "England", ("eng", "wal"), 2,
                   ("Sky Bet Championship", "English Championship")),
    "en.3": League("efl-league-one", "EFL League One", "England", ("eng", "wal"), 3,
                   ("League One", "Sky Bet League One", "English League One")),
    "en.4": League("efl-league-two", "EFL League Two", "England", ("eng", "wal"), 4,
                   ("League Two", "Sky Bet League Two", "English League Two")),
    "es.1": League("laliga", "LaLiga", "Spain", ("es",), 1,
                   ("La Liga", "LaLiga EA Sports", "Primera División", "Spanish Primera División",
                    "Spanish La Liga")),
    "es.2": League("laliga-2", "LaLiga Hypermotion", "Spain", ("es", "ad"), 2,
                   ("Segunda División", "LaLiga 2", "La Liga 2", "Spanish Segunda División")),
    "fr.1": League("ligue-1", "Ligue 1", "France", ("fr", "mc"), 1,
                   ("French Ligue 1", "Ligue 1 McDonald's")),
    "fr.2": League("ligue-2", "Ligue 2", "France", ("fr",), 2,
                   ("French Ligue 2", "Ligue 2 BKT")),
    "gr.1": League("greek-super-league", "Super League Greece", "Greece", ("gr",), 1,
                   ("Greek Super League", "Super League 1")),
    "it.1": League("serie-a", "Serie A", "Italy", ("it",), 1,
                   ("Italian Serie A", "Serie A Enilive")),
    "it.2": League("serie-b", "Serie B", "Italy", ("it",), 2,
                   ("Italian Serie B", "Serie BKT")),
    "ma.1": League("botola-pro", "Botola Pro", "Morocco", ("ma",), 1,
                   ("Botola Pro 1", "Moroccan Botola")),
    "mx.1": League("liga-mx", "Liga MX", "Mexico", ("mx",), 1,
                   ("Mexican Liga MX", "Liga BBVA MX")),
    "nl.1": League("eredivisie", "Eredivisie", "Netherlands", ("nl",), 1,
                   ("Dutch Eredivisie", "VriendenLoterij Eredivisie")),
    "pt.1": League("primeira-liga", "Primeira Liga", "Portugal", ("pt",), 1,
                   ("Liga Portugal", "Liga Portugal Betclic", "Portuguese Primeira Liga")),
    "sco.1": League("scottish-premiership", "Scottish Premiership", "Scotland", ("sco",), 1,
                    ("William Hill Premiership", "SPFL Premiership", "Scottish Premier League")),
    "tr.1": League("super-lig", "Süper Lig", "Turkey", ("tr",), 1,
                   ("Turkish Süper Lig", "Trendyol Süper Lig", "Turkish Super League")),
    "uefa.cl": League("uefa-champions-league", "UEFA Champions League", "Europe", (), 0,
                      ("Champions League",)),
}

#: Three-letter association codes used by the Champions League file -> club file prefixes.
UEFA_COUNTRIES = {
    "AUT": ("at",), "BEL": ("be",), "CRO": ("hr",), "CZE": ("cz",), "ENG": ("eng",),
    "ESP": ("es",), "FRA": ("fr",), "GER": ("de",), "ITA": ("it",), "MCO": ("mc",),
    "NED": ("nl",), "POR": ("pt",), "SCO": ("sco",), "SRB": ("rs",), "SUI": ("ch",),
    "SVK": ("sk",), "UKR": ("ua",),
}

#: Result names that are placeholders, not clubs ("N.N." = not yet known).
PLACEHOLDERS = frozenset({"N.N.", "Sieger EF"})

#: Result names the data truncates or spells so that no rule can match them:
#: (country prefix, result name) -> canonical openfootball name.  These are NOT made aliases.
RESULT_OVERRIDES: dict[tuple[str, str], str] = {
    ("eng", "AFC"): "AFC Wimbledon",  # truncated in the 2025-26 League One file
    ("eng", "Leyton"): "Leyton Orient FC",  # truncated in the same file
}

#: Result names that are real spellings but need a hint to find their club.
RESULT_HINTS: dict[tuple[str, str], str] = {
    ("at", "FC Admira Wacker"): "FC Admira Wacker Mödling",
    ("at", "SV Stripfing/Weiden"): "SV Stripfing",
    ("be", "FCV Dender EH"): "FCV Dender",
    ("be", "RAAL La Louviére"): "RAAL La Louvière",
    ("gr", "AE Kifisias"): "AE Kifisia FC",
    ("gr", "GS Kallithea"): "Kallithea FC",
    ("ma", "FAR de Rabat"): "AS FAR",
    ("ma", "FUS de Rabat"): "FUS Rabat",
    ("ma", "Maghrib de Fès"): "MAS Fès",
    ("ma", "Moghreb de Tétouan"): "MA Tétouan",
    ("ma", "Union de Touarga"): "Union Touarga",
    ("ma", "CR Khemis Zemamra"): "RCA Zemamra",
    ("ma", "Hassania US Agadir"): "HUS Agadir",
    ("ma", "Ittihad Tanger"): "IR Tanger",
    ("ma", "Olympique de Safi"): "OC Safi",
    ("eg", "Ghazl Al Mehalla"): "Ghazl El Mahalla",
    ("gr", "Olympiakos Piraeus"): "Olympiacos Piraeus FC",
    ("mx", "Gallos Blancos"): "Querétaro FC",
    ("nl", "Telstar 1963"): "SC Telstar",
}

#: Notable clubs outside the results leagues that news mentions often (file prefix, name).
EXTRA_CLUBS: tuple[tuple[str, str], ...] = (
    ("ar", "Boca Juniors"), ("ar", "River Plate"), ("ar", "Rosario Central"),
    ("br", "Flamengo RJ"), ("br", "Palmeiras SP"), ("br", "Santos SP"),
    ("ca", "Vancouver Whitecaps FC"), ("ch", "FC Basel"), ("cy", "Pafos FC"),
    ("cz", "SK Slavia Praha"), ("cz", "Viktoria Plzeň"), ("dk", "FC København"),
    ("dk", "FC Midtjylland"), ("hu", "Ferencvárosi TC"), ("kz", "FC Kairat Almaty"),
    ("no", "Bodø/Glimt"), ("pl", "Legia Warszawa"), ("rs", "FK Partizan Belgrade"),
    ("az", "Qarabağ FK"), ("sa", "Al-Hilal"), ("sa", "Al-Nassr"), ("sa", "Al-Ittihad"),
    ("sa", "Al-Ahli"), ("sa", "Al-Qadsiah"), ("se", "Malmö FF"), ("ua", "FC Dynamo Kyiv"),
    ("us", "Inter Miami CF"), ("us", "LA Galaxy"), ("us", "Los Angeles FC"),
    ("ru", "FC Zenit St. Petersburg"), ("ru", "FC Spartak Moskva"),
)

# --------------------------------------------------------------------------------------------
# Alias policy
# --------------------------------------------------------------------------------------------

#: Club-type affixes that news often leaves out ("FC Barcelona" -> "Barcelona").
AFFIXES = frozenset(
    (
        "fc", "cf", "ac", "afc", "sc", "sv", "fk", "sk", "cd", "ud", "sd", "rc", "rcd", "ca", "as",
        "ss", "ssc", "us", "acf", "bc", "cfc", "vfb", "vfl", "tsg", "tsv", "fsv", "spvgg", "kv",
        "krc", "kaa", "kvc", "rsc", "sl", "cp", "hsc", "osc", "ogc", "aj", "ea", "sm", "gd", "sco",
        "nk", "gnk", "pfc", "bsc", "ks", "if", "bk", "ik", "sfc", "fcv", "raal", "jk", "calcio",
        "club", "foot", "futbol", "football", "fútbol", "sad", "ssd", "spa",
        "association",
    )
)

#: Generic words and places that must never be a club alias on their own.
GENERIC = frozenset(
    normalise_alias(w)
    for w in (
        "real", "united", "city", "athletic", "athletico", "sporting", "club", "racing",
        "olympique", "olympic", "union", "town", "rovers", "wanderers", "county", "albion",
        "deportivo", "stade", "stadio", "sport", "sports", "football", "calcio", "academy",
        "association", "cultural", "standard", "nacional", "estrela", "future", "pyramids",
        "national bank", "al", "el", "de", "la", "le", "los", "new", "st", "saint", "san", "santa",
        "paris", "madrid", "berlin", "hamburg", "london", "munich", "münchen", "lisbon", "lisboa",
        "athens", "istanbul", "glasgow", "manchester", "milano", "mailand", "rome", "sydney",
        "melbourne", "austria", "andorra", "tirol", "südtirol", "linz", "wien", "vienna", "hellas",
        "virtus", "fortuna", "eintracht", "borussia", "america", "américa", "guadalajara", "león",
        "santos", "derby", "nancy", "rapid", "young boys", "dynamo", "dinamo", "spartak",
        "lokomotiv", "inter miami", "galaxy", "central", "orient", "star", "alger", "oran", "horn",
        "juárez", "first vienna", "red bull", "bank", "sc", "futbol club", "football club",
        "fussball club", "athletic club", "sporting club", "real club", "the arsenal", "amsterdam",
        "rotterdam", "eindhoven", "porto alegre", "buenos aires", "kärnten", "tsv", "river",
        "coliseum", "sociedad", "santander", "turin", "torino fc", "firenze", "florenz", "genua",
        "venedig", "padua", "vitoria", "vitória", "wellington", "vancouver", "adelaide",
        "brisbane", "auckland", "perth", "masr", "stadium", "arena", "bayer 04"
    )
)

#: Aliases that are also ordinary words: kept, but matched only as written (capitalised).
CASED_WORDS = frozenset(
    (
        "Reading", "Palace", "Forest", "Villa", "Wolves", "Rangers", "Hearts", "Hull", "Stoke",
        "Burton", "Barrow", "Nice", "Lens", "Sturm", "Atlas", "Excelsior", "Celtic", "Arsenal",
        "Bury", "Rayo", "Levante", "Tigres", "Pumas", "Como", "Porto", "Roma", "Lincoln", "Aris",
        "Sparta", "Saints", "Gent", "Inter", "Cittadella", "Venezia", "Salford", "Livingston",
        "Brest", "Lamia", "Ismaily", "Raja", "Volos", "Boca", "Burnley", "Chelsea", "Everton",
        "Fulham", "Barnet", "Crawley", "Boavista", "Estoril", "Sassuolo", "Spezia", "Cambridge",
        "Oxford", "Preston", "Wigan", "Bolton", "Orient", "Charlton", "Millwall", "Watford",
        "Luton", "Southampton", "Sunderland"
    )
)

#: When one alias fits several included clubs, the club news means by it (else it is dropped).
PREFER: dict[str, str] = {
    normalise_alias("Newcastle"): "Newcastle United FC",
    normalise_alias("Newcastle United"): "Newcastle United FC",
    normalise_alias("Red Star"): "Red Star Belgrade",
    normalise_alias("Salzburg"): "FC RB Salzburg",
    normalise_alias("Sparta"): "Sparta Rotterdam",
    normalise_alias("Inter"): "FC Internazionale Milano",
    normalise_alias("Atlético"): "Atlético Madrid",
    normalise_alias("Atletico"): "Atlético Madrid",
    normalise_alias("Dundee"): "Dundee FC",
    normalise_alias("Valencia"): "Valencia CF",
    normalise_alias("Barcelona"): "FC Barcelona",
    normalise_alias("Milan"): "AC Milan",
}

#: Aliases the data gives that prose uses for something else.
DROP: frozenset[str] = frozenset()

_LINKING_WORDS = frozenset({"de", "di", "del", "der"})
_ABBREV_TOKEN = re.compile(r"^(?!(?:St|Ste|Sta|Sv|Dr|Mt|Jr|Sr)\.$)[^\W\d_]+\.$")
_CONTRACTION = re.compile(r"\b[A-Z]'[a-z]")
_LANG_TAG = re.compile(r"\[[a-z]{2}\]")
_YEARS = re.compile(r"\(\s*(\d{4})?\s*-\s*(\d{4})?\s*\)")
_GERMAN_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe",
                                  "Ü": "Ue", "ß": "ss"})
_VENUE_PREFIX = re.compile(
    r"^(?:Estadio|Estadi|Estádio|Stadio|Stade|Stadion)\s+"
    r"(?:(?:de la|de|del|da|do|della|dello|di|du|des|d')\s+)?",
    re.IGNORECASE,
)


def clean_name(text: str) -> str:
    """Strip language tags, sponsor markers and extra spaces from a data name."""
    text = _LANG_TAG.sub("", text).replace("$", "")
    return " ".join(unicodedata.normalize("NFC", text).split())


def strip_comment(line: str) -> str:
    return line.split("#", 1)[0].rstrip()


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def is_table_abbreviation(alias: str) -> bool:
    """League-table shorthand ("Bayern Mün.", "U'haching") that prose never uses."""
    tokens = alias.split()
    if all(re.fullmatch(r"(?:[A-Za-z]\.)+", t) for t in tokens if "." in t) and (
        any(re.fullmatch(r"(?:[A-Za-z]\.){2,}", t) for t in tokens)
    ):
        return False  # dotted acronyms such as "A.C. Milan" are real prose forms
    return any(_ABBREV_TOKEN.match(t) for t in tokens) or bool(_CONTRACTION.search(alias))


def _is_affix(token: str) -> bool:
    norm = normalise_alias(token)
    return norm in AFFIXES or norm.isdigit() or norm == ""


def _strip_trailing(tokens: list[str]) -> list[str]:
    while len(tokens) > 1 and (_is_affix(tokens[-1]) or tokens[-1] in _LINKING_WORDS):
        tokens = tokens[:-1]
    return tokens


def affix_variants(alias: str) -> list[str]:
    """Forms with club-type affixes and founding years peeled off.

    Trailing affixes go all at once ("Real Madrid Club de Fútbol" -> "Real Madrid", never the
    half-way "Real Madrid Club"); leading ones one at a time, since the half-way forms are
    real ("1. FC Köln" -> "FC Köln" -> "Köln").
    """
    tokens = _strip_trailing(alias.split())
    out = [" ".join(tokens)]
    while len(tokens) > 1 and _is_affix(tokens[0]):
        tokens = _strip_trailing(tokens[1:])
        out.append(" ".join(tokens))
    return [v for v in dict.fromkeys(out) if v and v != alias]


def spelling_variants(alias: str, german: bool) -> list[str]:
    """Accent-free, "and"-for-"&" and (German-speaking countries) "oe"-for-"ö" spellings."""
    out = [fold_accents(alias)]
    if german:
        out.append(alias.translate(_GERMAN_TRANSLIT))
    if "&" in alias:
        out.append(" ".join(alias.replace("&", " and ").split()))
    return [v for v in out if v != alias]


# --------------------------------------------------------------------------------------------
# Parsing openfootball-clubs
# --------------------------------------------------------------------------------------------


@dataclass
class RawClub:
    name: str
    prefix: str
    country: str
    city: str
    stadium: str | None
    aliases: list[str] = field(default_factory=list)
    result_names: set[str] = field(default_factory=set)
    leagues: dict[str, set[str]] = field(default_factory=dict)  # code -> seasons

    @property
    def key(self) -> tuple[str, str]:
        return (self.prefix, self.name)


@dataclass
class RawStadium:
    name: str
    prefix: str
    country: str
    city: str
    capacity: str
    club_hints: list[str]
    aliases: list[str] = field(default_factory=list)


def _country_name(line: str) -> str:
    return line.strip("= \t").split("•")[0].strip()


def _parse_club_line(line: str) -> tuple[str, str, str | None, bool]:
    fields = [f.strip() for f in strip_comment(line).split(",")]
    raw_name = fields[0]
    defunct = bool((m := _YEARS.search(raw_name)) and m.group(2))
    name = clean_name(_YEARS.sub("", raw_name))
    stadium: str | None = None
    city = ""
    for f in fields[1:]:
        if not f or re.fullmatch(r"\d{4}", f):
            continue
        if f.startswith("@"):
            stadium = clean_name(f[1:])
        else:
            city = clean_name(re.sub(r"\(.*?\)", "", f.split("›")[0]))
    return name, city, stadium, defunct


def parse_clubs_file(path: Path) -> list[RawClub]:
    """Clubs of one ``*.clubs.txt`` file, reserve teams and defunct clubs left out."""
    prefix = path.name.split(".")[0]
    country = ""
    clubs: list[RawClub] = []
    current: RawClub | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("="):
            if not stripped.startswith("==") and not country:
                country = _country_name(stripped)
            continue
        if stripped.startswith("|"):
            if current is not None:
                for alias in strip_comment(stripped).split("|"):
                    alias = clean_name(alias)
                    if alias:
                        current.aliases.append(alias)
            continue
        if re.match(r"^[ivx]+\)", stripped) or "//" in stripped or raw[:1].isspace():
            current = None  # reserve team or address line
            continue
        name, city, stadium, defunct = _parse_club_line(stripped)
        current = None if defunct else RawClub(name, prefix, country, city, stadium)
        if current is not None:
            clubs.append(current)
    return clubs


def _stadium_hints(raw: str) -> list[str]:
    match = re.search(r"(?<!#)#(?!#)\s*(.+)$", raw)
    if not match:
        return []
    text = re.sub(r"^(?:teams?:)\s*", "", match.group(1).strip())
    return [clean_name(h) for h in text.split(",") if clean_name(h)]


def parse_stadiums_file(path: Path) -> list[RawStadium]:
    prefix = path.name.split(".")[0]
    country = ""
    out: list[RawStadium] = []
    current: RawStadium | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("="):
            if not stripped.startswith("==") and not country:
                country = _country_name(stripped)
            continue
        if stripped.startswith("|"):
            if current is not None:
                current.aliases += [clean_name(a) for a in strip_comment(stripped).split("|")
                                    if clean_name(a)]
            continue
        if raw[:1].isspace() or "//" in stripped:
            continue
        fields = [f.strip() for f in strip_comment(stripped).split(",")]
        if _YEARS.search(fields[0]):
            current = None  # demolished or renamed away
            continue
        capacity = next((f.replace("_", "") for f in fields[1:] if "_" in f), "")
        city = next((f for f in reversed(fields[1:]) if f and not re.fullmatch(r"[\d_]+", f)),
                    "")
        city = clean_name(re.sub(r"\(.*?\)", "", city.split("›")[0]))
        current = RawStadium(clean_name(fields[0]), prefix, country, city, capacity,
                             _stadium_hints(raw))
        out.append(current)
    return out


# --------------------------------------------------------------------------------------------
# Matching result names to clubs
# --------------------------------------------------------------------------------------------


class ClubIndex:
    """All parsed clubs, searchable by normalised alias within a set of countries."""

    def __init__(self, clubs: Iterable[RawClub]) -> None:
        self.clubs = list(clubs)
        self.exact: dict[str, dict[str, list[RawClub]]] = defaultdict(lambda: defaultdict(list))
        self.core: dict[str, dict[str, list[RawClub]]] = defaultdict(lambda: defaultdict(list))
        for club in self.clubs:
            for alias in (club.name, *club.aliases):
                self.exact[club.prefix][normalise_alias(alias)].append(club)
                for core in (alias, *affix_variants(alias)):
                    self.core[club.prefix][normalise_alias(core)].append(club)

    def by_name(self, prefix: str, name: str) -> RawClub | None:
        found = self._unique(self.exact, (prefix,), name)
        return found

    def _unique(
        self, table: dict[str, dict[str, list[RawClub]]], prefixes: Iterable[str], name: str
    ) -> RawClub | None:
        key = normalise_alias(name)
        hits = {id(c): c for p in prefixes for c in table.get(p, {}).get(key, [])}
        return next(iter(hits.values())) if len(hits) == 1 else None

    def match(self, prefixes: tuple[str, ...], name: str) -> RawClub | None:
        """Exact alias first, then affix-free forms; None when absent or ambiguous."""
        found = self._unique(self.exact, prefixes, name)
        if found is not None:
            return found
        for core in (name, *affix_variants(name)):
            found = self._unique(self.core, prefixes, core)
            if found is not None:
                return found
        return None


@dataclass
class ResultTeam:
    name: str
    code: str
    season: str
    prefixes: tuple[str, ...]
    country: str


def read_results(results_dir: Path) -> Iterator[ResultTeam]:
    for path in sorted(results_dir.glob("*/*.json")):
        season, code = path.parent.name, path.stem
        league = LEAGUES.get(code)
        if league is None:
            print(f"warning: unknown league code {code} in {path}", file=sys.stderr)
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        names = {m.get(k) for m in document.get("matches", []) for k in ("team1", "team2")}
        for name in sorted(n for n in names if isinstance(n, str)):
            prefixes, country = league.club_countries, league.country
            uefa = re.fullmatch(r"(.*?)\s*\(([A-Z]{3})\)", name)
            if uefa:
                name = uefa.group(1)
                prefixes = UEFA_COUNTRIES.get(uefa.group(2), ())
                country = ""
            yield ResultTeam(name, code, season, prefixes, country)


# --------------------------------------------------------------------------------------------
# Building the output
# --------------------------------------------------------------------------------------------


def resolve_results(
    index: ClubIndex, teams: Iterable[ResultTeam]
) -> tuple[dict[tuple[str, str], RawClub], list[str], list[str]]:
    """Attach every result team to a club; return (included clubs, synthesised, placeholders)."""
    included: dict[tuple[str, str], RawClub] = {}
    synthesised: list[str] = []
    placeholders: list[str] = []
    made: dict[tuple[str, str], RawClub] = {}
    for team in teams:
        if team.name in PLACEHOLDERS:
            placeholders.append(f"{team.season}/{team.code}: {team.name}")
            continue
        club: RawClub | None = None
        as_alias = True
        for prefix in team.prefixes:
            override = RESULT_OVERRIDES.get((prefix, team.name))
            hint = RESULT_HINTS.get((prefix, team.name))
            if override:
                club, as_alias = index.by_name(prefix, override), False
            elif hint:
                club = index.match((prefix,), hint)
            if club is not None:
                break
        if club is None:
            club = index.match(team.prefixes, team.name)
        if club is None:
            prefix = team.prefixes[0] if team.prefixes else "xx"
            club = made.get((prefix, normalise_alias(team.name)))
            if club is None:
                club = RawClub(team.name, prefix, team.country, "", None)
                made[(prefix, normalise_alias(team.name))] = club
                synthesised.append(f"{team.season}/{team.code}: {team.name}")
        if as_alias:
            club.result_names.add(team.name)
        club.leagues.setdefault(team.code, set()).add(team.season)
        included[club.key] = club
    return included, synthesised, placeholders


def club_aliases(club: RawClub) -> tuple[list[str], list[str]]:
    """(data aliases, generated aliases) for one club, before cross-club conflict checks."""
    german = club.prefix in {"de", "at", "ch"}
    data = [club.name, *club.aliases, *sorted(club.result_names)]
    data = [a for a in dict.fromkeys(data) if not is_table_abbreviation(a)]
    generated: list[str] = []
    for alias in data:
        for variant in affix_variants(alias):
            generated.append(variant)
        for variant in (alias, *affix_variants(alias)):
            generated.extend(spelling_variants(variant, german))
    generated = [g for g in dict.fromkeys(generated) if g not in data]
    return data, generated


def acceptable(alias: str, generated: bool) -> bool:
    norm = normalise_alias(alias)
    if not norm or norm in GENERIC or norm in DROP or norm.replace(" ", "").isdigit():
        return False
    if not re.search(r"[^\W\d_]", norm) or ":" in alias:
        return False
    if generated and len(norm) < 4:
        return False
    return not (len(norm) < 2)


def pick_aliases(clubs: list[RawClub]) -> tuple[dict[int, list[str]], list[str]]:
    """Aliases per club after dropping generic words and aliases shared by several clubs."""
    candidates: dict[int, list[tuple[str, bool]]] = {}
    owners: dict[str, set[int]] = defaultdict(set)
    for i, club in enumerate(clubs):
        data, generated = club_aliases(club)
        pairs = [(a, False) for a in data if acceptable(a, False) or a == club.name]
        pairs += [(a, True) for a in generated if acceptable(a, True)]
        candidates[i] = pairs
        for alias, _ in pairs:
            owners[normalise_alias(alias)].add(i)
    dropped: list[str] = []
    chosen: dict[int, list[str]] = {}
    for i, pairs in candidates.items():
        keep: list[str] = []
        for alias, _ in pairs:
            norm = normalise_alias(alias)
            shared = owners[norm]
            if alias == clubs[i].name or len(shared) == 1:
                keep.append(alias)
                continue
            preferred = PREFER.get(norm)
            if preferred is not None and preferred == clubs[i].name:
                keep.append(alias)
            elif preferred is None:
                names = sorted(clubs[j].name for j in shared)
                dropped.append(f"{alias!r} shared by {', '.join(names)}")
        chosen[i] = keep
    return chosen, sorted(set(dropped))


def venue_core(name: str) -> str | None:
    """The name without "Estadio"/"Stadio"/... when what is left still names the ground."""
    core = _VENUE_PREFIX.sub("", name).strip()
    if core == name or not core:
        return None
    if len(core.split()) >= 2 or len(normalise_alias(core)) >= 6:
        return core
    return None


@dataclass
class Venue:
    id: str
    name: str
    city: str
    country: str
    capacity: str
    aliases: list[str]
    clubs: list[str] = field(default_factory=list)


def build_venues(
    clubs: dict[str, RawClub], stadiums: list[RawStadium], index: ClubIndex
) -> dict[str, Venue]:
    """Venues for the included clubs, from ``@`` on club lines and ``# club`` stadium notes."""
    by_prefix: dict[str, list[RawStadium]] = defaultdict(list)
    for stadium in stadiums:
        by_prefix[stadium.prefix].append(stadium)
    club_ids = {club.key: cid for cid, club in clubs.items()}
    venues: dict[str, Venue] = {}

    def find_stadium(prefix: str, name: str) -> RawStadium | None:
        norm = normalise_alias(name)
        for stadium in by_prefix.get(prefix, []):
            if norm in {normalise_alias(a) for a in (stadium.name, *stadium.aliases)}:
                return stadium
        return None

    def add(cid: str, club: RawClub, name: str, stadium: RawStadium | None) -> None:
        display = stadium.name if stadium else name
        core = venue_core(display)
        vid = "venue:" + slugify(core or display)
        venue = venues.get(vid)
        if venue is None:
            aliases = [display, *(stadium.aliases if stadium else []), name]
            aliases += [c for c in (core, *(venue_core(a) for a in aliases)) if c]
            aliases = [a for a in dict.fromkeys(aliases) if normalise_alias(a) not in GENERIC]
            aliases += [v for a in aliases for v in spelling_variants(a, False)]
            venue = Venue(vid, display, stadium.city if stadium else club.city, club.country,
                          stadium.capacity if stadium else "", list(dict.fromkeys(aliases)))
            venues[vid] = venue
        if cid not in venue.clubs:
            venue.clubs.append(cid)

    for cid, club in sorted(clubs.items()):
        if club.stadium:
            add(cid, club, club.stadium, find_stadium(club.prefix, club.stadium))
    linked = {c for v in venues.values() for c in v.clubs}
    for stadium in stadiums:
        for hint in stadium.club_hints:
            home = index.match((stadium.prefix,), hint)
            home_id = club_ids.get(home.key) if home else None
            if home_id is not None and home is not None and home_id not in linked:
                add(home_id, home, stadium.name, stadium)
                linked.add(home_id)
    return venues


#: Display names for clubs whose openfootball canonical name is not the one news uses.
DISPLAY_NAMES: dict[str, str] = {
    "Saint-Gilloise": "Union Saint-Gilloise",
}

#: Ids where the affix-free slug reads badly or hides the name news uses (canonical name -> slug).
ID_OVERRIDES: dict[str, str] = {
    "Hamburger SV": "hamburger-sv",
    "Bayer 04 Leverkusen": "bayer-leverkusen",
    "Galatasaray İstanbul": "galatasaray",
    "Fenerbahçe İstanbul": "fenerbahce",
    "Beşiktaş İstanbul": "besiktas",
    "FC Internazionale Milano": "internazionale",
    "AC Milan": "ac-milan",
    "Ajax Amsterdam": "ajax",
    "PSV Eindhoven": "psv",
    "Feyenoord Rotterdam": "feyenoord",
    "Flamengo RJ": "flamengo",
    "Palmeiras SP": "palmeiras",
    "Santos SP": "santos",
    "Los Angeles FC": "los-angeles-fc",
    "Olympiacos Piraeus FC": "olympiacos",
    "Atalanta Bergamo": "atalanta",
    "Karlsruher SC": "karlsruher-sc",
    "Grazer AK": "grazer-ak",
    "Union Saint-Gilloise": "union-saint-gilloise",
}


def club_id_for(clubs: list[RawClub]) -> dict[int, str]:
    """Stable ids: slug of the affix-free name; clashes get the country prefix appended."""
    base: dict[int, str] = {}
    for i, club in enumerate(clubs):
        forms = [club.name, *affix_variants(club.name)]
        core = next((f for f in reversed(forms) if acceptable(f, True)), club.name)
        base[i] = ID_OVERRIDES.get(club.name) or slugify(core) or slugify(club.name)
    counts: dict[str, int] = defaultdict(int)
    for slug in base.values():
        counts[slug] += 1
    return {
        i: f"club:{slug}" if counts[slug] == 1 else f"club:{slug}-{clubs[i].prefix}"
        for i, slug in base.items()
    }


def latest_league(club: RawClub) -> str | None:
    domestic = [(max(s), code) for code, s in club.leagues.items() if LEAGUES[code].tier > 0]
    if not domestic:
        return None
    _, code = max(domestic, key=lambda x: (x[0], -LEAGUES[x[1]].tier))
    return "competition:" + LEAGUES[code].slug


def cased_subset(aliases: Iterable[str]) -> list[str]:
    return sorted({a for a in aliases if a in CASED_WORDS})


def entity(
    eid: str, etype: str, name: str, aliases: Iterable[str], attrs: dict[str, str],
    cased: Iterable[str] = (),
) -> dict[str, object]:
    rest = sorted({a for a in aliases if a != name}, key=lambda a: (normalise_alias(a), a))
    record: dict[str, object] = {"id": eid, "type": etype, "name": name, "aliases": rest}
    cased_list = sorted(set(cased))
    if cased_list:
        record["cased_aliases"] = cased_list
    record["attrs"] = {k: v for k, v in sorted(attrs.items()) if v}
    return record


def build(shared: Path) -> tuple[dict[str, object], dict[str, list[str]]]:
    clubs_dir = shared / "openfootball-clubs"
    raw_clubs = [c for p in sorted(clubs_dir.rglob("*.clubs.txt")) for c in parse_clubs_file(p)]
    stadiums = [s for p in sorted(clubs_dir.rglob("*.stadiums.txt"))
                for s in parse_stadiums_file(p)]
    index = ClubIndex(raw_clubs)
    teams = list(read_results(shared / "openfootball-results"))
    included, synthesised, placeholders = resolve_results(index, teams)
    missing_extra: list[str] = []
    for prefix, name in EXTRA_CLUBS:
        club = index.by_name(prefix, name) or index.match((prefix,), name)
        if club is None:
            missing_extra.append(f"{prefix}: {name}")
        else:
            included.setdefault(club.key, club)

    for club in included.values():
        if club.name in DISPLAY_NAMES:
            club.aliases.append(club.name)
            club.name = DISPLAY_NAMES[club.name]
        elif is_table_abbreviation(club.name) and club.result_names:
            club.aliases.append(club.name)
            club.name = sorted(club.result_names)[0]  # "Bor. Mönchengladbach" is table shorthand
    ordered = sorted(included.values(), key=lambda c: (c.prefix, c.name))
    ids = club_id_for(ordered)
    aliases, conflicts = pick_aliases(ordered)
    clubs_by_id = {ids[i]: club for i, club in enumerate(ordered)}
    venues = build_venues(clubs_by_id, stadiums, index)
    stadium_of = {cid: v.id for v in venues.values() for cid in v.clubs}

    records: list[dict[str, object]] = []
    for i, club in enumerate(ordered):
        cid = ids[i]
        attrs = {
            "country": club.country, "country_code": club.prefix, "city": club.city,
            "stadium": stadium_of.get(cid, ""), "league": latest_league(club) or "",
            "source": "openfootball-clubs" if club.key in {c.key for c in raw_clubs}
            else "openfootball-results",
        }
        records.append(entity(cid, "club", club.name, aliases[i], attrs,
                              cased_subset(aliases[i])))
    for venue in venues.values():
        attrs = {"city": venue.city, "country": venue.country, "capacity": venue.capacity,
                 "club": ",".join(venue.clubs)}
        records.append(entity(venue.id, "venue", venue.name, venue.aliases, attrs))
    seasons: dict[str, set[str]] = defaultdict(set)
    result_titles: dict[str, set[str]] = defaultdict(set)
    for path in sorted((shared / "openfootball-results").glob("*/*.json")):
        if path.stem in LEAGUES:
            seasons[path.stem].add(path.parent.name)
            title = json.loads(path.read_text(encoding="utf-8")).get("name", "")
            title = re.sub(r"\s*\d{4}/\d{2,4}$", "", title).split("|")[-1].strip()
            if title:
                result_titles[path.stem].add(title)
    for code, league in LEAGUES.items():
        if code not in seasons:
            continue
        extra = [t for t in result_titles[code] if normalise_alias(t) not in GENERIC]
        attrs = {"country": league.country, "code": code, "tier": str(league.tier),
                 "seasons": ",".join(sorted(seasons[code]))}
        records.append(entity("competition:" + league.slug, "competition", league.name,
                              [*league.aliases, *extra], attrs))
    order = {"competition": 0, "club": 1, "venue": 2}
    records.sort(key=lambda r: (order[str(r["type"])], str(r["id"])))
    report = {
        "synthesised_from_results": synthesised,
        "placeholders_skipped": placeholders,
        "extra_clubs_not_found": missing_extra,
        "aliases_dropped_as_shared": conflicts,
    }
    return {"header": HEADER, "entities": records}, report


def dump(document: dict[str, object]) -> str:
    """Compact but diff-friendly JSON: one entity per line, stable key order."""
    entities = document["entities"]
    assert isinstance(entities, list)
    lines = [json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in entities]
    header = json.dumps(document["header"], ensure_ascii=False, indent=1)
    return '{"header":' + header + ',\n"entities":[\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shared", nargs="?", type=Path, default=DEFAULT_SHARED,
                        help="folder holding openfootball-clubs/ and openfootball-results/")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the output would change")
    parser.add_argument("--verbose", "-v", action="store_true", help="list dropped aliases")
    args = parser.parse_args(argv)
    document, report = build(args.shared)
    text = dump(document)
    for key, items in report.items():
        if key == "aliases_dropped_as_shared" and not args.verbose:
            print(f"{key}: {len(items)} (use -v to list)")
            continue
        print(f"{key}: {len(items)}")
        for item in items:
            print(f"  {item}")
    counts: dict[str, int] = defaultdict(int)
    for record in document["entities"]:  # type: ignore[attr-defined]
        counts[record["type"]] += 1
    print("entities:", dict(sorted(counts.items())), f"bytes: {len(text.encode())}")
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        return 0 if current == text else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
