"""End-to-end benchmark on the real broker: ``stream worker`` against the pipeline a user
would otherwise write (``bench/reference_pipeline.py``: Faust + trafilatura + datasketch).

What is measured, for each pipeline, on the same generated articles:

* **sustained throughput** (saturation): all articles of a phase are produced as fast as
  the producer goes, and the clock runs from the first send to the moment the last
  article's output record is consumed (articles/s = articles / that time). Three corpora:
  plain text only, HTML only, and a mix (60 % plain / 40 % HTML).
* **latency** produce-to-output at fixed input rates (50 and 100 articles/s) and at
  saturation: from the moment the record is handed to the producer (``send``) to the
  moment its output record (``articles.enriched`` or ``articles.duplicates``; the
  reference's output topic) is consumed, matched by the record key (the article id).
* **CPU seconds per article**: user + system CPU of the worker processes and their live
  descendants (the analysis pool) over a phase (``/proc/PID/stat``), divided by the
  articles of the phase. The broker's and this script's CPU are not included.

Articles are written for the project: football reports generated from templates and word
lists with a fixed seed, plain text and HTML (with navigation, cookie banner, scripts,
related links), 2-8 KB, with exact copies (syndication: same body, other source and URL),
near copies (a sentence edited, a paragraph added) and HTML re-publications of plain
originals. Each phase has its own articles (ids), so phases do not see each other's ids.

Every run uses its own topic prefix and consumer groups and deletes its topics at the end.
Targets are printed next to the figures, never asserted.

Usage::

    python bench/e2e.py [--articles N] [--quick] [--brokers HOST:PORT] [--profile DIR]

``--profile`` needs py-spy (``pip install py-spy``); it samples the worker, so the
figures of a profiled run are a little lower.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stream.core.ids import article_id  # noqa: E402
from stream.kafka import create_topics  # noqa: E402
from stream.settings import Settings  # noqa: E402

TARGET_PLAIN_PER_SECOND = 500.0
TARGET_P99_AT_100_MS = 250.0
TARGET_RATIO = 3.0
MAX_MESSAGE = 26214400

# ------------------------------------------------------------------------------ corpus

CLUBS = [
    "Arsenal", "Chelsea", "Liverpool", "Everton", "Tottenham Hotspur", "Manchester United",
    "Manchester City", "Newcastle United", "Aston Villa", "Brighton", "Brentford", "Fulham",
    "West Ham United", "Crystal Palace", "Wolverhampton Wanderers", "Nottingham Forest",
    "Real Madrid", "Barcelona", "Atletico Madrid", "Sevilla", "Valencia", "Real Sociedad",
    "Juventus", "Inter", "AC Milan", "Napoli", "Roma", "Lazio", "Bayern Munich",
    "Borussia Dortmund", "Bayer Leverkusen", "RB Leipzig", "Paris Saint-Germain", "Marseille",
    "Lyon", "Monaco", "Ajax", "PSV Eindhoven", "Feyenoord", "Benfica", "Porto", "Celtic",
]
VENUES = [
    "the Emirates Stadium", "Stamford Bridge", "Anfield", "Goodison Park", "Old Trafford",
    "the Etihad Stadium", "St James' Park", "Villa Park", "the Amex Stadium", "Craven Cottage",
    "the Bernabeu", "the Camp Nou", "Mestalla", "the Allianz Arena", "Signal Iduna Park",
    "the San Siro", "the Stadio Olimpico", "the Parc des Princes", "the Johan Cruyff Arena",
    "the Estadio da Luz", "Celtic Park", "the Vélodrome",
]
COMPETITIONS = ["the Premier League", "La Liga", "Serie A", "the Bundesliga", "Ligue 1",
                "the Champions League", "the Europa League", "the FA Cup", "the League Cup",
                "the Eredivisie", "the Conference League"]
FIRST = ["Marco", "Luis", "James", "Kai", "Mateo", "Noah", "Lucas", "Ethan", "Oliver", "Jonas",
         "Theo", "Rafael", "Andrei", "Tomas", "Samuel", "Ibrahim", "Youssef", "Niklas",
         "Dario", "Felix", "Hugo", "Emil", "Victor", "Leon", "Adam", "Ruben", "Pedro", "Ilya"]
LAST = ["Moreno", "Hartley", "Okafor", "Lindqvist", "Brennan", "Costa", "Weber", "Dubois",
        "Rossi", "Novak", "Fischer", "Almeida", "Kowalski", "Haddad", "Mensah", "Jansen",
        "Petrov", "Sorensen", "Vidal", "Keane", "Ferreira", "Bianchi", "Schultz", "Marchetti",
        "Obi", "Laurent", "Andersen", "Quinn", "Navarro", "Eriksen", "Delaney", "Ortega"]
SITES = ["north-london-daily", "wire-sport", "iberia-football-mirror", "the-terrace-post",
         "matchday-herald", "continental-kickoff", "touchline-times", "derby-day-digest",
         "stoppage-time-weekly", "far-post-gazette"]
OPENERS = ["", "", "", "On a cold evening, ", "Once again, ", "For long spells, ",
           "In front of a sell-out crowd, ", "Early in the second half, ", "Before the break, ",
           "Against the run of play, ", "Moments after the restart, ", "Late on, ",
           "To the frustration of the away end, ", "With the rain hammering down, "]
SUBJECTS = ["the hosts", "the visitors", "{club}", "{player}", "the home side", "{coach}'s side",
            "the captain", "the substitute {player}", "the young winger {player}",
            "the veteran centre-back {player}", "the goalkeeper {player}", "the midfield",
            "the back three", "the travelling supporters", "the referee"]
VERBS = ["pressed relentlessly", "sat deep", "struggled to keep possession",
         "carved out the better chances", "hit the woodwork twice", "looked short of ideas",
         "dominated the flanks", "switched to a back four", "lost their shape",
         "kept a clean sheet for the {nth} time this season", "pushed for a winner",
         "were booed off at half-time", "responded well", "survived a late scare",
         "wasted a glorious opportunity", "forced three fine saves",
         "won the ball back high up the pitch", "conceded from a set piece",
         "found space between the lines", "never recovered from the early setback"]
TAILS = ["", "", "", " despite the absence of {player}", " after {minute} minutes",
         " as the temperature dropped", " in a frantic final quarter",
         " with {count} shots on target", " before {coach} made a double change",
         " to the delight of {venue}", " in what was their {nth} away game in {count} weeks",
         " under the lights at {venue}", " while {player} warmed up on the touchline"]
RESULTS = [
    "{home} beat {away} {hg}-{ag} at {venue} on {day}, with {player} scoring the decisive goal "
    "in the {minute}th minute.",
    "{home} and {away} drew {hg}-{hg} at {venue} on {day} in {comp}.",
    "{away} won {ag}-{hg} away at {home} on {day}, their {nth} win in {comp} this season.",
    "A goal from {player} after {minute} minutes gave {home} a {hg}-{ag} victory over {away} "
    "on {day}.",
]
QUOTES = [
    "\"We showed character today and the players deserve the credit,\" {coach} said after the "
    "game.",
    "\"I thought we controlled the game for long periods, but football punishes mistakes,\" "
    "{coach} told reporters.",
    "\"It is only {count} points, nothing is decided yet,\" said {player}.",
    "\"The supporters pushed us over the line in the last ten minutes,\" {player} said.",
    "{coach} admitted: \"We were not good enough in the first half and I told them so.\"",
]
BOILER_TEXT = ["Support independent sports journalism. Subscribe to our newsletter.",
               "Share this article", "Trending", "You might also like", "Read more",
               "Advertisement", "Sign up for the daily briefing"]
DAYS = ["Saturday", "Sunday", "Tuesday night", "Wednesday evening", "Friday", "Monday night"]


@dataclass(frozen=True, slots=True)
class Article:
    key: str
    value: bytes
    kind: str  # "plain" or "html"
    role: str  # "original", "exact", "near", "html-copy"
    size: int


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


class _Story:
    """One match report: who played, and the sentences that tell it."""

    def __init__(self, rng: random.Random, target_bytes: int) -> None:
        home, away = rng.sample(CLUBS, 2)
        self.slots = {
            "home": home, "away": away, "hg": str(rng.randint(0, 4)), "ag": str(rng.randint(0, 3)),
            "venue": rng.choice(VENUES), "comp": rng.choice(COMPETITIONS), "day": rng.choice(DAYS),
            "coach": _name(rng),
        }
        verb = rng.choice(["edge", "beat", "hold", "stun", "frustrate"])
        where = rng.choice(["at", "in a tense night at", "after a late twist at"])
        self.title = f"{home} {verb} {away} {where} {self.slots['venue']}"
        self.paragraphs: list[str] = [self._fill(rng, rng.choice(RESULTS))]
        size = len(self.paragraphs[0])
        while size < target_bytes:
            sentences = [self._sentence(rng) for _ in range(rng.randint(3, 6))]
            if rng.random() < 0.35:
                quote = self._fill(rng, rng.choice(QUOTES))
                sentences.insert(rng.randint(0, len(sentences)), quote)
            paragraph = " ".join(sentences)
            self.paragraphs.append(paragraph)
            size += len(paragraph) + 2

    def _fill(self, rng: random.Random, template: str) -> str:
        values = {**self.slots, "player": _name(rng), "minute": str(rng.randint(3, 94)),
                  "nth": rng.choice(["second", "third", "fifth", "seventh", "tenth"]),
                  "count": str(rng.randint(2, 12)), "club": rng.choice(CLUBS)}
        return template.format(**values)

    def _sentence(self, rng: random.Random) -> str:
        text = self._fill(rng, rng.choice(OPENERS) + rng.choice(SUBJECTS) + " "
                          + rng.choice(VERBS) + rng.choice(TAILS) + ".")
        return text[0].upper() + text[1:]


def _plain(story: _Story, paragraphs: list[str], rng: random.Random, date: datetime) -> str:
    parts = [story.title, f"date {date.date().isoformat()}"]
    for index, paragraph in enumerate(paragraphs):
        parts.append(paragraph)
        if index == 1:
            parts.append(rng.choice(BOILER_TEXT))
    parts.append(rng.choice(BOILER_TEXT))
    return "\n\n".join(parts)


def _html(story: _Story, paragraphs: list[str], rng: random.Random, site: str,
          date: datetime) -> str:
    nav = "".join(f'<li><a href="/{s}">{s.title()}</a></li>'
                  for s in ("news", "football", "transfers", "results", "tables", "video"))
    headlines = ["signs new deal", "ruled out for weeks", "wants move"]
    related = "".join(f'<li><a href="/football/{rng.randint(1000, 99999)}">{_name(rng)} '
                      f"{rng.choice(headlines)}</a></li>" for _ in range(rng.randint(3, 7)))
    body = []
    for index, paragraph in enumerate(paragraphs):
        body.append(f"<p>{paragraph}</p>")
        if index == 1:
            body.append(f'<figure><img src="/img/{rng.randint(1, 10**6)}.jpg" alt="">'
                        f"<figcaption>{_name(rng)} celebrates (Getty Images)</figcaption></figure>")
        if index == 2:
            body.append('<div class="ad-slot" data-slot="mpu">Advertisement</div>')
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{story.title} | {site}</title>"
        f'<meta property="og:title" content="{story.title}">'
        f'<meta property="article:published_time" content="{date.isoformat()}">'
        f"<script>window.dataLayer=window.dataLayer||[];dataLayer.push({{'page':'article',"
        f"'id':{rng.randint(1, 10**7)}}});</script>"
        f"<style>body{{font-family:sans-serif}}.nav li{{display:inline}}</style></head><body>"
        f'<header><nav class="nav"><ul>{nav}</ul></nav></header>'
        f'<div class="cookie-banner">We use cookies to improve your experience. '
        f"<button>Accept all</button></div>"
        f"<main><article><h1>{story.title}</h1>"
        f'<p class="byline">By {_name(rng)} | {date.strftime("%d %B %Y")}</p>'
        f'{"".join(body)}</article>'
        f'<aside class="related"><h3>More football</h3><ul>{related}</ul></aside></main>'
        f"<footer><p>&copy; 2025 {site}. All rights reserved.</p>"
        f'<a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer></body></html>')


def _record(site: str, url: str, kind: str, body: str, date: datetime, role: str) -> Article:
    value = {"source": site, "url": url, "content_type": "text/html" if kind == "html"
             else "text/plain", "published_at": date.isoformat(), "body": body}
    encoded = orjson.dumps(value)
    return Article(article_id(site, url, body), encoded, kind, role, len(encoded))


def make_corpus(count: int, *, seed: int, tag: str, html_share: float,
                copy_share: float = 0.15) -> list[Article]:
    """``count`` articles: originals plus exact / near / cross-format copies of earlier ones.

    Body sizes: plain text 2-8 KB; HTML pages 3-8 KB (the story is shorter, the page
    around it makes up the rest).
    """
    rng = random.Random(seed)
    now = datetime(2025, 11, 9, 20, 0, tzinfo=UTC)
    articles: list[Article] = []
    stories: list[tuple[_Story, str, datetime]] = []
    for index in range(count):
        site = rng.choice(SITES)
        url = f"https://{site}.example/{tag}/football/{index}"
        kind = "html" if rng.random() < html_share else "plain"
        if stories and rng.random() < copy_share:
            story, plain_body, date = rng.choice(stories)
            role = rng.choice(["exact", "near", "html-copy"])
            if role == "exact":
                articles.append(_record(site, url, "plain", plain_body, date, role))
            elif role == "near":
                paragraphs = list(story.paragraphs)
                paragraphs[-1] = story._sentence(rng) + " " + paragraphs[-1]
                body = _plain(story, paragraphs, rng, date)
                articles.append(_record(site, url, "plain", body, date, role))
            else:
                body = _html(story, story.paragraphs, rng, site, date)
                articles.append(_record(site, url, "html", body, date, role))
            continue
        date = now - timedelta(hours=rng.randint(0, 240))
        target = rng.randint(1800, 7000) if kind == "plain" else rng.randint(1200, 5200)
        story = _Story(rng, target)
        plain_body = _plain(story, story.paragraphs, rng, date)
        stories.append((story, plain_body, date))
        body = plain_body if kind == "plain" else _html(story, story.paragraphs, rng, site, date)
        articles.append(_record(site, url, kind, body, date, "original"))
    return articles


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants (the analysis pool), from
    /proc: a worker's CPU per article must count the processes working for it."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
                ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += ticks.get(current, 0)
        todo.extend(children.get(current, []))
    return total / os.sysconf("SC_CLK_TCK")


class Worker:
    def __init__(self, command: list[str], env: dict[str, str], log: Path,
                 ready_url: str | None) -> None:
        self.command, self.env, self.log, self.ready_url = command, env, log, ready_url
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(self.command, cwd=REPO, env={**os.environ, **self.env},
                                     stdout=handle, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early, see {self.log}")
            if self.ready_url is None:
                return
            try:
                with urllib.request.urlopen(self.ready_url, timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"worker not ready in {timeout}s, see {self.log}")

    @property
    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid) if self.proc else 0.0

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


# ------------------------------------------------------------------------- measurement


class Outputs:
    """Reads the output topics from the start; remembers when each key was first seen."""

    def __init__(self, brokers: str, topics: dict[str, str],
                 classify: Callable[[str, bytes], str]) -> None:
        self.brokers, self.topics, self.classify = brokers, topics, classify
        self.seen: dict[str, float] = {}
        self.outcome: dict[str, str] = {}
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *self.topics, bootstrap_servers=self.brokers, auto_offset_reset="earliest",
            enable_auto_commit=False, group_id=None, fetch_max_wait_ms=50,
            max_partition_fetch_bytes=MAX_MESSAGE, fetch_max_bytes=2 * MAX_MESSAGE)
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            now = time.monotonic()
            for records in batch.values():
                for record in records:
                    key = record.key.decode() if record.key else ""
                    if key not in self.seen:
                        self.seen[key] = now
                        self.outcome[key] = self.classify(self.topics[record.topic],
                                                          record.value or b"")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()


@dataclass
class PhaseResult:
    name: str
    articles: int
    seconds: float
    latencies_ms: list[float]
    cpu: float
    outcomes: Counter[str] = field(default_factory=Counter)
    missing: int = 0

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    @property
    def cpu_ms_per_article(self) -> float:
        return 1000 * self.cpu / self.articles if self.articles else float("nan")


async def run_phase(name: str, producer: AIOKafkaProducer, topic: str, outputs: Outputs,
                    articles: list[Article], workers: list[Worker], *, rate: float | None,
                    timeout: float) -> PhaseResult:
    cpu_before = sum(w.cpu for w in workers)
    sent: dict[str, float] = {}
    start = time.monotonic()
    for index, article in enumerate(articles):
        if rate is not None:
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        sent[article.key] = time.monotonic()
        await producer.send(topic, article.value, key=article.key.encode())
    await producer.flush()
    pending = set(sent)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        pending = {key for key in pending if key not in outputs.seen}
    cpu = sum(w.cpu for w in workers) - cpu_before
    done = [key for key in sent if key in outputs.seen]
    finished = max((outputs.seen[k] for k in done), default=time.monotonic())
    result = PhaseResult(
        name=name, articles=len(done), seconds=finished - start,
        latencies_ms=[1000 * (outputs.seen[k] - sent[k]) for k in done], cpu=cpu,
        outcomes=Counter(outputs.outcome[k] for k in done), missing=len(pending))
    flag = f" MISSING {len(pending)}" if pending else ""
    print(f"  {name:<14} {len(done):>5} articles in {result.seconds:6.2f}s = "
          f"{result.rate:7.1f}/s  p50 {result.pct(50):7.0f} ms  p99 {result.pct(99):7.0f} ms  "
          f"cpu {result.cpu_ms_per_article:5.1f} ms/article  {dict(result.outcomes)}{flag}",
          flush=True)
    return result


# ---------------------------------------------------------------------------- pipelines


@dataclass
class Plan:
    saturation: int
    rate_seconds: float
    rates: tuple[float, ...] = (50.0, 100.0)
    warmup: int = 40
    phase_timeout: float = 300.0
    #: Saturation corpora to run (plain, html, mixed), for A/B runs on one of them.
    kinds: tuple[str, ...] = ("plain", "html", "mixed")


@dataclass
class Run:
    label: str
    workers: int
    phases: dict[str, PhaseResult]


class Bench:
    def __init__(self, brokers: str, partitions: int, workdir: Path,
                 profile: Path | None, py_spy: str = "py-spy") -> None:
        self.brokers, self.partitions, self.workdir = brokers, partitions, workdir
        self.profile, self.py_spy = profile, py_spy
        self.extra_env: dict[str, str] = {}
        self.prefix = f"e2e{uuid.uuid4().hex[:8]}"

    @staticmethod
    def corpora(plan: Plan) -> Iterator[tuple[str, list[Article], float | None]]:
        """The phases of one configuration: (name, articles, rate or None). Every
        configuration gets the same articles (each has its own topics and memory)."""
        yield "warm-up", make_corpus(plan.warmup, seed=11, tag="w", html_share=0.4), None
        for rate in plan.rates:
            count = int(rate * plan.rate_seconds)
            yield (f"rate {rate:.0f}/s",
                   make_corpus(count, seed=int(rate), tag=f"r{rate:.0f}", html_share=0.4), rate)
        for seed, name, share in ((7, "sat plain", 0.0), (8, "sat html", 1.0),
                                  (9, "sat mixed", 0.4)):
            if name[4:] not in plan.kinds:
                continue
            yield name, make_corpus(plan.saturation, seed=seed, tag=name[4:], html_share=share,
                                    copy_share=0.0 if share == 1.0 else 0.15), None

    # -- the service
    def service_env(self, label: str) -> tuple[dict[str, str], Settings]:
        p = f"{self.prefix}-{label}"
        env = {
            "STREAM_BROKERS": self.brokers, "STREAM_APP_ID": f"{p}-app",
            "STREAM_TOPIC_RAW": f"{p}.raw", "STREAM_TOPIC_ANALYSED": f"{p}.analysed",
            "STREAM_TOPIC_ENRICHED": f"{p}.enriched", "STREAM_TOPIC_DUPLICATES": f"{p}.duplicates",
            "STREAM_TOPIC_MATCH_RESULTS": f"{p}.match_results",
            "STREAM_TOPIC_QUOTES": f"{p}.quotes", "STREAM_TOPIC_DLQ": f"{p}.dlq",
            "STREAM_PARTITIONS": str(self.partitions),
            "STREAM_DATA_DIR": str(self.workdir / label / "state"),
            "STREAM_SESSION_TIMEOUT_SECONDS": "10", "STREAM_LOG_LEVEL": "INFO",
            **self.extra_env,
        }
        settings = Settings(**{k.removeprefix("STREAM_").lower(): v for k, v in env.items()})
        return env, settings

    async def run_service(self, plan: Plan, workers: int, *, rates: bool) -> Run:
        label = f"svc{workers}"
        env, settings = self.service_env(label)
        await create_topics(settings)
        procs = []
        for index in range(workers):
            port = free_port()
            command = [sys.executable, "-m", "stream.cli", "worker"]
            procs.append(Worker(command, {**env, "STREAM_WEB_PORT": str(port),
                                          "STREAM_DATA_DIR": f"{env['STREAM_DATA_DIR']}-{index}"},
                                self.workdir / f"{label}-{index}.log",
                                f"http://127.0.0.1:{port}/readyz"))
        topics = {settings.topic_enriched: "enriched", settings.topic_duplicates: "duplicate",
                  settings.topic_dlq: "dlq"}
        return await self._run(f"stream-news x{workers}", procs, settings.topic_raw,
                               Outputs(self.brokers, topics, lambda kind, _v: kind), plan, rates)

    # -- the reference
    async def run_reference(self, plan: Plan) -> Run:
        p = f"{self.prefix}-ref"
        topic_in, topic_out = f"{p}.raw", f"{p}.out"
        admin = AIOKafkaAdminClient(bootstrap_servers=self.brokers)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(t, self.partitions, 1, topic_configs={
                "max.message.bytes": str(MAX_MESSAGE)}) for t in (topic_in, topic_out)])
        finally:
            await admin.close()
        port = free_port()
        env = {"REF_BROKER": self.brokers, "REF_APP_ID": f"{p}-app", "REF_TOPIC_IN": topic_in,
               "REF_TOPIC_OUT": topic_out, "REF_PARTITIONS": str(self.partitions),
               "REF_DATA_DIR": str(self.workdir / "ref-state")}
        command = [sys.executable, str(REPO / "bench" / "reference_pipeline.py"), "worker",
                   "-l", "warn", "--web-port", str(port)]
        worker = Worker(command, env, self.workdir / "ref.log", f"http://127.0.0.1:{port}/")

        def classify(_kind: str, value: bytes) -> str:
            return ("duplicate" if b'"duplicate_of"' in value
                    else "error" if value.startswith(b'{"error"') else "enriched")

        return await self._run("reference x1", [worker], topic_in,
                               Outputs(self.brokers, {topic_out: "out"}, classify), plan, True)

    async def _run(self, label: str, workers: list[Worker], topic: str, outputs: Outputs,
                   plan: Plan, rates: bool) -> Run:
        print(f"\n== {label}", flush=True)
        producer = AIOKafkaProducer(bootstrap_servers=self.brokers, max_request_size=MAX_MESSAGE,
                                    linger_ms=2)
        await producer.start()
        await outputs.start()
        phases: dict[str, PhaseResult] = {}
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.wait_ready()
            current = replace(plan, rates=plan.rates if rates else ())
            for name, articles, rate in self.corpora(current):
                spy = self.spy(label, name, workers)
                try:
                    phases[name] = await run_phase(
                        name, producer, topic, outputs, articles, workers, rate=rate,
                        timeout=180.0 if name == "warm-up" else plan.phase_timeout)
                finally:
                    if spy is not None:
                        spy.send_signal(signal.SIGINT)
                        spy.wait(30)
                if name == "warm-up" and len(workers) > 1:
                    await asyncio.sleep(3)  # let the group settle after the second join
        finally:
            for worker in workers:
                worker.stop()
            await outputs.stop()
            await producer.stop()
        return Run(label, len(workers), phases)

    def spy(self, label: str, phase: str, workers: list[Worker]
            ) -> subprocess.Popen[bytes] | None:
        """py-spy on the single worker of a run during its saturation phases (--profile)."""
        if self.profile is None or len(workers) != 1 or not phase.startswith("sat"):
            return None
        assert workers[0].proc is not None
        self.profile.mkdir(parents=True, exist_ok=True)
        name = f"{label.split()[0]}-{phase.replace(' ', '-')}"
        spy = subprocess.Popen(
            [self.py_spy, "record", "--pid", str(workers[0].proc.pid), "--rate", "200",
             "--idle", "--format", "raw", "-o", str(self.profile / f"{name}.txt")],
            stdout=subprocess.DEVNULL, stderr=(self.workdir / f"{name}.spy.log").open("wb"))
        time.sleep(0.5)
        return spy

    async def cleanup(self) -> list[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.brokers)
        await admin.start()
        try:
            mine = [t for t in await admin.list_topics() if t.startswith(self.prefix)]
            if mine:
                await admin.delete_topics(mine)
            return mine
        finally:
            await admin.close()


# ------------------------------------------------------------------------------ report


def _fmt(value: float, digits: int = 0) -> str:
    return "-" if value != value else f"{value:.{digits}f}"  # NaN -> "-"


def plan_kinds(*runs: Run) -> list[str]:
    """The saturation corpora every one of ``runs`` measured."""
    return [k for k in ("plain", "html", "mixed") if all(f"sat {k}" in r.phases for r in runs)]


def report(runs: list[Run]) -> None:
    print("\n" + "=" * 118)
    print("Throughput at saturation (articles/s, first send to last output consumed) and CPU")
    head = (f"{'pipeline':<18}{'plain/s':>9}{'html/s':>9}{'mixed/s':>9}"
            f"{'cpu ms/art plain':>18}{'html':>7}{'mixed':>7}")
    print(head)
    print("-" * len(head))
    for run in runs:
        sat = {n.split()[1]: r for n, r in run.phases.items() if n.startswith("sat")}
        print(f"{run.label:<18}" + "".join(f"{_fmt(sat[k].rate if k in sat else float('nan')):>9}"
                                           for k in ("plain", "html", "mixed"))
              + f"{_fmt(sat['plain'].cpu_ms_per_article, 1) if 'plain' in sat else '-':>18}"
              + "".join(f"{_fmt(sat[k].cpu_ms_per_article, 1) if k in sat else '-':>7}"
                        for k in ("html", "mixed")))
    print("\nLatency produce -> output consumed (ms), mixed corpus (60 % plain, 40 % HTML)")
    head = f"{'pipeline':<18}{'phase':<12}{'n':>6}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}"
    print(head)
    print("-" * len(head))
    for run in runs:
        for name, result in run.phases.items():
            if name.startswith("rate") or name == "sat mixed":
                print(f"{run.label:<18}{name:<12}{result.articles:>6}"
                      f"{_fmt(result.pct(50)):>8}{_fmt(result.pct(95)):>8}"
                      f"{_fmt(result.pct(99)):>8}{_fmt(max(result.latencies_ms, default=0)):>8}")
    service = next((r for r in runs if r.label.startswith("stream") and r.workers == 1), None)
    reference = next((r for r in runs if r.label.startswith("reference")), None)
    print("\nAgainst the targets (reported, not asserted)")
    if service is not None and "sat plain" in service.phases:
        plain = service.phases["sat plain"].rate
        print(f"  plain text, 1 worker: {plain:.0f}/s (target >= {TARGET_PLAIN_PER_SECOND:.0f}/s)"
              f" -> {'met' if plain >= TARGET_PLAIN_PER_SECOND else 'NOT met'}")
        if "rate 100/s" in service.phases:
            p99 = service.phases["rate 100/s"].pct(99)
            print(f"  p99 at 100/s: {p99:.0f} ms (target <= {TARGET_P99_AT_100_MS:.0f} ms) -> "
                  f"{'met' if p99 <= TARGET_P99_AT_100_MS else 'NOT met'}")
    if service is not None and reference is not None:
        for kind in plan_kinds(service, reference):
            ratio = service.phases[f"sat {kind}"].rate / reference.phases[f"sat {kind}"].rate
            ours = service.phases[f"sat {kind}"].cpu_ms_per_article
            theirs = reference.phases[f"sat {kind}"].cpu_ms_per_article
            print(f"  vs reference, {kind:<5}: throughput x{ratio:.2f} (target >= "
                  f"x{TARGET_RATIO:.0f}) -> {'met' if ratio >= TARGET_RATIO else 'NOT met'}; "
                  f"CPU per article {ours:.1f} ms vs {theirs:.1f} ms")
    two = next((r for r in runs if r.label.startswith("stream") and r.workers == 2), None)
    if service is not None and two is not None and "sat mixed" in two.phases:
        scale = two.phases["sat mixed"].rate / service.phases["sat mixed"].rate
        print(f"  scaling 1 -> 2 workers (mixed): x{scale:.2f}"
              f" on {os.cpu_count()} CPUs shared with the broker and this client")


async def main_async(args: argparse.Namespace) -> int:
    plan = (Plan(saturation=args.articles or 400, rate_seconds=6.0, warmup=30,
                 phase_timeout=120.0)
            if args.quick else Plan(saturation=args.articles or 2000, rate_seconds=20.0))
    if args.only:
        plan.kinds = tuple(args.only.split(","))
    if args.no_rates:
        plan.rates = ()
    workdir = Path(tempfile.mkdtemp(prefix="stream-e2e-"))
    bench = Bench(args.brokers, args.partitions, workdir, args.profile, args.py_spy)
    bench.extra_env = dict(item.split("=", 1) for item in args.set)
    sample = make_corpus(300, seed=1, tag="size", html_share=0.4)
    sizes = sorted(a.size for a in sample)
    roles = Counter(a.role for a in sample)
    print(f"prefix {bench.prefix}, broker {args.brokers}, {args.partitions} partitions, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; logs in {workdir}")
    if bench.extra_env:
        print(f"service environment: {bench.extra_env}")
    print(f"corpus: message sizes {sizes[0]}-{sizes[-1]} B (median {sizes[len(sizes) // 2]}), "
          f"roles {dict(roles)}")
    runs: list[Run] = []
    started = time.monotonic()
    try:
        runs.append(await bench.run_service(plan, 1, rates=True))
        if not args.skip_two:
            runs.append(await bench.run_service(plan, 2, rates=not args.quick))
        if not args.skip_reference:
            runs.append(await bench.run_reference(plan))
    finally:
        deleted = await bench.cleanup()
        print(f"\ndeleted {len(deleted)} topics with prefix {bench.prefix}")
        if not args.keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
    report(runs)
    print(f"\ntotal {time.monotonic() - started:.0f}s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=None,
                        help="articles per saturation phase (default 2000, quick 400)")
    parser.add_argument("--quick", action="store_true", help="small run, under 3 minutes")
    parser.add_argument("--brokers", default=os.environ.get("STREAM_BROKERS", "127.0.0.1:9092"))
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--skip-two", action="store_true", help="no two-worker run")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--only", default="", metavar="KINDS",
                        help="saturation corpora to run, comma-separated (plain,html,mixed)")
    parser.add_argument("--no-rates", action="store_true",
                        help="skip the fixed-rate latency phases")
    parser.add_argument("--set", action="append", default=[], metavar="STREAM_X=VALUE",
                        help="extra environment for the service workers (repeatable), e.g. "
                             "--set STREAM_VALIDATE_OUTPUT=false")
    parser.add_argument("--profile", type=Path, default=None,
                        help="record py-spy profiles (collapsed stacks, idle included) of the "
                             "1-worker service and the reference during the saturation phases "
                             "into this directory")
    parser.add_argument("--py-spy", default="py-spy", help="py-spy executable for --profile")
    args = parser.parse_args()
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
