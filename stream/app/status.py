"""The status page: what the worker did lately, for people (``/status`` and ``/status.json``).

The Sender calls ``StatusBoard.observe`` for every record it publishes; the board keeps
short summaries only (ids, titles, sources, score lines, quote excerpts, dead-letter
reasons and coordinates), never article bodies or the original bytes of a dead letter,
and a fixed-size window of per-interval counts for the chart. Totals come from the
Prometheus metrics, so the page and /metrics never disagree.

The page is one self-contained HTML document (inline CSS and JS, no CDN: operators'
machines may have no internet), allowed by a Content-Security-Policy that names the
inline script and style by hash. Everything dynamic is set with ``textContent``, so a
title holding markup is shown, not run.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import faust
import orjson
from prometheus_client import Metric

from stream import __version__
from stream.app.health import is_ready
from stream.core.models import OutRecord
from stream.core.records import entity_count
from stream.metrics import Metrics

RECENT = 20
#: The chart: counts per BUCKET_SECONDS over the last BUCKETS intervals (5 minutes).
BUCKET_SECONDS = 5
BUCKETS = 60
OUTPUTS = ("enriched", "duplicates", "match_results", "quotes", "dlq")
_TEXT_CHARS = 240

Summary = dict[str, Any]


def _cut(value: Any, limit: int = _TEXT_CHARS) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _name(ref: Any) -> str | None:
    return ref.get("name") if isinstance(ref, Mapping) else None


def _enriched(value: Mapping[str, Any]) -> Summary:
    return {"article_id": value.get("article_id"), "source": value.get("source"),
            "title": _cut(value.get("title")), "published_at": value.get("published_at"),
            "language": value.get("language"), "entities": entity_count(value),
            "match_events": len(value.get("match_event_ids") or []),
            "quote_events": len(value.get("quote_event_ids") or [])}


def _duplicate(value: Mapping[str, Any]) -> Summary:
    return {"article_id": value.get("article_id"), "source": value.get("source"),
            "title": _cut(value.get("title")), "duplicate_of": value.get("duplicate_of"),
            "kind": value.get("kind"), "similarity": value.get("similarity")}


def _match(value: Mapping[str, Any]) -> Summary:
    line = (f"{_name(value.get('home'))} {value.get('home_goals')}–"
            f"{value.get('away_goals')} {_name(value.get('away'))}")
    return {"event_id": value.get("event_id"), "score_line": line, "date": value.get("date"),
            "competition": _name(value.get("competition")), "venue": _name(value.get("venue")),
            "articles": len(value.get("article_ids") or [])}


def _quote(value: Mapping[str, Any]) -> Summary:
    return {"event_id": value.get("event_id"), "speaker": _name(value.get("speaker")),
            "text": _cut(value.get("text")), "articles": len(value.get("article_ids") or [])}


def _dead_letter(value: Mapping[str, Any]) -> Summary:
    # Neither ``detail`` nor ``original_b64``: both can carry pieces of the input.
    return {"reason": value.get("reason"), "source_topic": value.get("source_topic"),
            "partition": value.get("partition"), "offset": value.get("offset"),
            "size": value.get("original_size")}


_SUMMARISE: dict[str, Callable[[Mapping[str, Any]], Summary]] = {
    "enriched": _enriched, "duplicates": _duplicate, "match_results": _match,
    "quotes": _quote, "dlq": _dead_letter,
}
#: Events are re-published as more articles report them: show each once, latest state.
_REPLACE_BY = {"match_results": "event_id", "quotes": "event_id"}


class StatusBoard:
    """Bounded memory of what the worker published lately (no article bodies)."""

    def __init__(self, size: int = RECENT, clock: Callable[[], float] = time.time) -> None:
        self.size = size
        self.clock = clock
        self.started = clock()
        self.recent: dict[str, deque[Summary]] = {o: deque(maxlen=size) for o in OUTPUTS}
        self._buckets: deque[tuple[int, dict[str, int]]] = deque(maxlen=BUCKETS)

    def observe(self, record: OutRecord) -> None:
        """Remember one published record's summary and count it in the current interval."""
        self._count(record.output)
        if record.value is None:  # tombstone of a retired event: it leaves the page
            self._drop(record.output, "event_id", record.key)
            return
        summary = _SUMMARISE[record.output](record.value)
        field = _REPLACE_BY.get(record.output)
        if field is not None:
            self._drop(record.output, field, summary[field])
        self.recent[record.output].append(summary)

    def _drop(self, output: str, field: str, value: Any) -> None:
        recent = self.recent[output]
        kept = [s for s in recent if s.get(field) != value]
        if len(kept) != len(recent):
            recent.clear()
            recent.extend(kept)

    def _count(self, output: str) -> None:
        start = int(self.clock()) // BUCKET_SECONDS * BUCKET_SECONDS
        if not self._buckets or self._buckets[-1][0] != start:
            self._buckets.append((start, dict.fromkeys(OUTPUTS, 0)))
        counts = self._buckets[-1][1]
        counts[output] = counts.get(output, 0) + 1

    def series(self) -> dict[str, Any]:
        """Counts per interval for the last BUCKETS intervals, oldest first, gaps as 0."""
        now = int(self.clock()) // BUCKET_SECONDS * BUCKET_SECONDS
        first = now - (BUCKETS - 1) * BUCKET_SECONDS
        by_start = {start: counts for start, counts in self._buckets}
        starts = range(first, now + 1, BUCKET_SECONDS)
        return {"step_seconds": BUCKET_SECONDS, "start": first,
                "counts": {o: [by_start.get(s, {}).get(o, 0) for s in starts] for o in OUTPUTS}}

    def snapshot(self, metrics: Metrics, ready: bool) -> dict[str, Any]:
        """Everything the page shows, as one JSON-ready dict (newest records first)."""
        lag = _by_labels(metrics.consumer_lag.collect(), "", ("topic", "partition"))
        return {
            "version": __version__,
            "generated_at": self.clock(),
            "uptime_seconds": round(self.clock() - self.started, 1),
            "ready": ready,
            "totals": _totals(metrics),
            "lag": lag,
            "lag_total": sum(lag.values()),
            "table_keys": _by_labels(metrics.table_keys.collect(), "", ("table",)),
            "series": self.series(),
            "recent": {o: list(reversed(self.recent[o])) for o in OUTPUTS},
        }


def _by_labels(families: Iterable[Metric], suffix: str,
               labels: tuple[str, ...]) -> dict[str, float]:
    """Samples of one metric family keyed by their label values joined with '/'."""
    values: dict[str, float] = {}
    for family in families:
        for sample in family.samples:
            if sample.name == family.name + suffix:
                values["/".join(sample.labels[k] for k in labels)] = sample.value
    return values


def _totals(metrics: Metrics) -> dict[str, Any]:
    def counter(metric: Any, *labels: str) -> dict[str, float]:
        return _by_labels(metric.collect(), "_total", labels)

    return {
        "in": counter(metrics.messages_in, "stage"),
        "out": counter(metrics.messages_out, "stage", "output"),
        "dead_letters": counter(metrics.dead_letters, "reason"),
        "duplicates": counter(metrics.duplicates, "kind"),
        "events": counter(metrics.events, "type"),
        "extraction_empty": sum(counter(metrics.extraction_empty).values()),
    }


# -- the page -------------------------------------------------------------------------

def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def _json_for_script(data: Any) -> str:
    """JSON safe inside <script type="application/json">: no "</script>" can close it."""
    text = orjson.dumps(data).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(snapshot: Mapping[str, Any]) -> str:
    """The full page with the first snapshot inside, so it shows data before any poll."""
    return (PAGE_TEMPLATE.replace("/*STYLE*/", PAGE_STYLE)
            .replace("/*SCRIPT*/", PAGE_SCRIPT)
            .replace("/*INITIAL*/", _json_for_script(snapshot)))


def page_headers() -> dict[str, str]:
    """Lock the page down: only its own inline script and style run, only /status.json
    is fetched, and it cannot be framed."""
    policy = (f"default-src 'none'; script-src {_csp_hash(PAGE_SCRIPT)}; "
              f"style-src {_csp_hash(PAGE_STYLE)}; connect-src 'self'; img-src 'self' data:; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def register_status(app: faust.App, board: StatusBoard, metrics: Metrics) -> None:
    """Serve /status (the page) and /status.json (what it polls every two seconds)."""

    @app.page("/status")
    async def status_page(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        body = render_page(board.snapshot(metrics, is_ready(app)))
        return web.html(body, headers=page_headers())

    @app.page("/status.json")
    async def status_json(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return web.bytes(orjson.dumps(board.snapshot(metrics, is_ready(app))),
                         content_type="application/json",
                         headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


PAGE_STYLE = """
:root { --bg:#f5f6f8; --card:#fff; --ink:#1d2330; --mute:#667085; --line:#e3e6ec;
  --ok:#12805c; --bad:#c4321f; --enriched:#2f6fde; --duplicates:#e0a100;
  --match_results:#12805c; --quotes:#8a4bd6; --dlq:#c4321f; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 "Liberation Sans", Arial, sans-serif; background:var(--bg);
  color:var(--ink); }
header { display:flex; align-items:center; gap:16px; padding:12px 20px; background:#1d2330;
  color:#fff; }
header h1 { font-size:18px; margin:0; font-weight:600; }
header .meta { color:#c9cfdb; font-size:13px; }
.pill { padding:2px 10px; border-radius:12px; font-weight:600; font-size:12px; }
.pill.ok { background:var(--ok); } .pill.bad { background:var(--bad); }
main { padding:16px 20px; display:grid; gap:16px; grid-template-columns:repeat(12, 1fr); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:12px 14px; min-width:0; }
.card h2 { font-size:14px; margin:0 0 8px; color:var(--mute); font-weight:600; }
.kpis { grid-column:span 12; display:grid; grid-template-columns:repeat(7, 1fr); gap:12px; }
.kpi .v { font-size:24px; font-weight:700; } .kpi .l { color:var(--mute); font-size:12px; }
.chart { grid-column:span 8; } .side { grid-column:span 4; }
.wide { grid-column:span 12; } .half { grid-column:span 6; }
table { width:100%; border-collapse:collapse; table-layout:fixed; }
th, td { text-align:left; padding:4px 6px; border-bottom:1px solid var(--line);
  overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
th { color:var(--mute); font-weight:600; font-size:12px; }
td.wrap { white-space:normal; }
code { font-size:12px; color:#475467; }
.legend span { display:inline-flex; align-items:center; gap:4px; margin-right:12px;
  font-size:12px; color:var(--mute); }
.legend i { width:10px; height:10px; border-radius:2px; display:inline-block; }
.empty { color:var(--mute); font-style:italic; }
#error { color:var(--bad); font-weight:600; }
"""

PAGE_SCRIPT = """
(function () {
  "use strict";
  var OUTPUTS = ["enriched", "duplicates", "match_results", "quotes", "dlq"];
  var COLORS = {enriched: "#2f6fde", duplicates: "#e0a100", match_results: "#12805c",
                quotes: "#8a4bd6", dlq: "#c4321f"};
  var LABELS = {enriched: "enriched", duplicates: "duplicates", match_results: "match results",
                quotes: "quotes", dlq: "dead letters"};
  var SVG = "http://www.w3.org/2000/svg";
  var previous = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function sum(obj) {
    var total = 0;
    for (var k in obj) { if (Object.prototype.hasOwnProperty.call(obj, k)) { total += obj[k]; } }
    return total;
  }
  function pick(obj, suffix) {
    var total = 0;
    for (var k in obj) { if (k.slice(-suffix.length) === suffix) { total += obj[k]; } }
    return total;
  }
  function fmt(n) { return Math.round(n).toLocaleString("en-GB"); }

  function table(id, columns, rows, emptyText) {
    var target = $(id);
    target.textContent = "";
    if (!rows.length) { target.appendChild(el("p", emptyText, "empty")); return; }
    var t = el("table"), head = el("tr");
    columns.forEach(function (c) {
      var th = el("th", c[0]); if (c[2]) { th.style.width = c[2]; } head.appendChild(th);
    });
    t.appendChild(head);
    rows.forEach(function (row) {
      var tr = el("tr");
      columns.forEach(function (c) {
        var value = c[1](row), td = el("td", value === null || value === undefined ? "–" : value);
        if (c[3]) { td.className = c[3]; }
        td.title = td.textContent;
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    target.appendChild(t);
  }

  function chart(series) {
    var svg = $("chart"), width = 760, height = 220, pad = 30;
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var n = series.counts.enriched.length, totals = [], max = 1;
    for (var i = 0; i < n; i++) {
      var t = 0;
      OUTPUTS.forEach(function (o) { t += series.counts[o][i]; });
      totals.push(t); if (t > max) { max = t; }
    }
    var barW = (width - pad) / n;
    function line(x1, y1, x2, y2) {
      var l = document.createElementNS(SVG, "line");
      l.setAttribute("x1", x1); l.setAttribute("y1", y1);
      l.setAttribute("x2", x2); l.setAttribute("y2", y2);
      l.setAttribute("stroke", "#e3e6ec"); svg.appendChild(l);
    }
    function label(x, y, text, anchor) {
      var tx = document.createElementNS(SVG, "text");
      tx.setAttribute("x", x); tx.setAttribute("y", y); tx.setAttribute("font-size", "11");
      tx.setAttribute("fill", "#667085"); tx.setAttribute("text-anchor", anchor || "start");
      tx.textContent = text; svg.appendChild(tx);
    }
    line(pad, height - 20, width, height - 20);
    line(pad, 8, width, 8);
    label(pad - 4, 12, fmt(max), "end");
    label(pad - 4, height - 20, "0", "end");
    label(pad, height - 4, "-" + Math.round(n * series.step_seconds / 60) + " min");
    label(width, height - 4, "now", "end");
    for (var j = 0; j < n; j++) {
      var y = height - 20;
      OUTPUTS.forEach(function (o) {
        var v = series.counts[o][j];
        if (!v) { return; }
        var h = v / max * (height - 28);
        var r = document.createElementNS(SVG, "rect");
        r.setAttribute("x", pad + j * barW + 1); r.setAttribute("width", Math.max(1, barW - 2));
        r.setAttribute("y", y - h); r.setAttribute("height", h);
        r.setAttribute("fill", COLORS[o]);
        r.setAttribute("data-output", o);
        var tip = document.createElementNS(SVG, "title");
        tip.textContent = LABELS[o] + ": " + v; r.appendChild(tip);
        svg.appendChild(r);
        y -= h;
      });
    }
  }

  function rate(data) {
    var now = {at: data.generated_at, in: pick(data.totals.in, "analyse"),
               out: pick(data.totals.out, "/enriched")};
    var text = "–";
    if (previous && now.at > previous.at) {
      var dt = now.at - previous.at;
      text = ((now.in - previous.in) / dt).toFixed(1) + " in/s · " +
             ((now.out - previous.out) / dt).toFixed(1) + " enriched/s";
    }
    previous = now;
    return text;
  }

  function render(data) {
    var ready = $("ready");
    ready.textContent = data.ready ? "ready" : "not ready";
    ready.className = "pill " + (data.ready ? "ok" : "bad");
    var updated = new Date(data.generated_at * 1000).toLocaleTimeString("en-GB");
    $("meta").textContent = "v" + data.version + " · up " + fmt(data.uptime_seconds) +
      " s · lag " + fmt(data.lag_total) + " · updated " + updated;
    $("rate").textContent = rate(data);
    var t = data.totals;
    $("k-in").textContent = fmt(pick(t.in, "analyse"));
    $("k-enriched").textContent = fmt(pick(t.out, "/enriched"));
    $("k-duplicates").textContent = fmt(sum(t.duplicates));
    $("k-events").textContent = fmt(sum(t.events));
    $("k-dlq").textContent = fmt(sum(t.dead_letters));
    $("k-empty").textContent = fmt(t.extraction_empty);
    $("k-tables").textContent = fmt(sum(data.table_keys));
    chart(data.series);
    var r = data.recent;
    table("articles", [["Title", function (a) { return a.title || "(untitled)"; }, "46%"],
                       ["Source", function (a) { return a.source; }, "18%"],
                       ["Article id", function (a) { return a.article_id; }, "24%"],
                       ["Entities", function (a) { return a.entities; }, "12%"]],
          r.enriched, "No article published yet.");
    table("duplicates", [["Title", function (d) { return d.title || "(untitled)"; }, "34%"],
                         ["Source", function (d) { return d.source; }, "16%"],
                         ["Kind", function (d) { return d.kind; }, "10%"],
                         ["Similarity", function (d) { return d.similarity; }, "12%"],
                         ["Duplicate of", function (d) { return d.duplicate_of; }, "28%"]],
          r.duplicates, "No duplicate yet.");
    table("matches", [["Result", function (m) { return m.score_line; }, "52%", "wrap"],
                      ["Date", function (m) { return m.date; }, "16%"],
                      ["Venue", function (m) { return m.venue; }, "20%"],
                      ["Articles", function (m) { return m.articles; }, "12%"]],
          r.match_results, "No match result yet.");
    table("quotes", [["Speaker", function (q) { return q.speaker; }, "24%"],
                     ["Quote", function (q) { return "“" + q.text + "”"; }, "64%", "wrap"],
                     ["Articles", function (q) { return q.articles; }, "12%"]],
          r.quotes, "No quote yet.");
    var reasons = Object.keys(t.dead_letters).filter(function (k) { return t.dead_letters[k] > 0; })
      .sort().map(function (k) { return {reason: k, count: t.dead_letters[k]}; });
    table("dlq-reasons", [["Reason", function (d) { return d.reason; }, "70%"],
                          ["Count", function (d) { return fmt(d.count); }, "30%"]],
          reasons, "No dead letter.");
    table("dlq-recent", [["Reason", function (d) { return d.reason; }, "36%"],
                         ["Topic", function (d) { return d.source_topic; }, "34%"],
                         ["Part.", function (d) { return d.partition; }, "12%"],
                         ["Offset", function (d) { return d.offset; }, "18%"]],
          r.dlq, "No dead letter.");
  }

  function poll() {
    fetch("status.json", {cache: "no-store"}).then(function (reply) {
      if (!reply.ok) { throw new Error("HTTP " + reply.status); }
      return reply.json();
    }).then(function (data) { $("error").textContent = ""; render(data); })
      .catch(function (err) {
        $("error").textContent = "worker unreachable (" + err.message + ")";
      });
  }

  var legend = $("legend");
  OUTPUTS.forEach(function (o) {
    var s = el("span"), i = el("i"); i.style.background = COLORS[o];
    s.appendChild(i); s.appendChild(document.createTextNode(LABELS[o])); legend.appendChild(s);
  });
  render(JSON.parse($("initial").textContent));
  setInterval(poll, 2000);
})();
"""

PAGE_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stream-news worker status</title>
<style>/*STYLE*/</style></head>
<body>
<header><h1>stream-news worker</h1><span id="ready" class="pill">…</span>
<span id="meta" class="meta"></span><span id="rate" class="meta"></span>
<span id="error"></span></header>
<main>
<section class="kpis">
 <div class="card kpi"><div class="v" id="k-in">–</div><div class="l">articles in</div></div>
 <div class="card kpi"><div class="v" id="k-enriched">–</div><div class="l">enriched</div></div>
 <div class="card kpi"><div class="v" id="k-duplicates">–</div><div class="l">duplicates</div></div>
 <div class="card kpi"><div class="v" id="k-events">–</div><div class="l">event records</div></div>
 <div class="card kpi"><div class="v" id="k-dlq">–</div><div class="l">dead letters</div></div>
 <div class="card kpi"><div class="v" id="k-empty">–</div><div class="l">no entity found</div></div>
 <div class="card kpi"><div class="v" id="k-tables">–</div><div class="l">table keys</div></div>
</section>
<section class="card chart"><h2>Published per 5 s, last 5 minutes</h2>
 <svg id="chart" viewBox="0 0 760 220" width="100%" role="img"
  aria-label="records published per interval"></svg><div id="legend" class="legend"></div></section>
<section class="card side"><h2>Dead letters by reason</h2><div id="dlq-reasons"></div>
 <h2>Recent dead letters</h2><div id="dlq-recent"></div></section>
<section class="card wide"><h2>Recent articles</h2><div id="articles"></div></section>
<section class="card half"><h2>Match results</h2><div id="matches"></div></section>
<section class="card half"><h2>Quotes</h2><div id="quotes"></div></section>
<section class="card wide"><h2>Duplicates</h2><div id="duplicates"></div></section>
</main>
<script id="initial" type="application/json">/*INITIAL*/</script>
<script>/*SCRIPT*/</script>
</body></html>
"""
