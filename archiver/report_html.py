"""The report as ONE self-contained HTML page: no network needed, sortable, filterable.

Everything shown comes from untrusted documents (URLs, anchor texts), so every value is escaped
and nothing is ever placed inside the script. A Content-Security-Policy allows only this page's
own style and script (by hash) and no fetches at all: even a value that slipped through could
neither run nor load anything. The script reads ``#filter=TEXT&sort=COLUMN&dir=desc`` from the
address, so a view can be shared as a link (and tested in a headless browser).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from html import escape
from urllib.parse import urlsplit

from .report import (
    ARCHIVED, CHANGED, FAILED_WORD, HTTP_ERROR_WORD, UNCHANGED, LinkRow, Mention, Report,
)
from .replay import COLLECTION

_SYMBOLS = {ARCHIVED: "✓", UNCHANGED: "✓", CHANGED: "↻", HTTP_ERROR_WORD: "✗", FAILED_WORD: "✗"}
_CSS_CLASSES = {ARCHIVED: "ok", UNCHANGED: "ok", CHANGED: "changed", HTTP_ERROR_WORD: "bad",
                FAILED_WORD: "bad"}
# (key, heading, sort type) of the table's columns, in order.
_COLUMNS = (
    ("source", "Source document", "text"),
    ("url", "Original URL", "text"),
    ("status", "Status", "text"),
    ("last", "Last capture (UTC)", "text"),
    ("captures", "Captures", "number"),
    ("changed", "Changed", "number"),
    ("rotted", "Rotted", "text"),
    ("replay", "Replay", "text"),
)

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;color:#1a1a1a;background:#fff}
h1{font-size:1.5rem;margin:0 0 .3rem}
.meta,.note{color:#444;margin:.2rem 0}
.note{background:#f4f6fa;border-left:4px solid #5b7bb5;padding:.5rem .8rem;max-width:70rem}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
.summary{margin:.8rem 0}.summary li{margin:.1rem 0}
.controls{margin:1rem 0 .5rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
#filter{font-size:1rem;padding:.35rem .5rem;min-width:22rem;border:1px solid #888;border-radius:4px}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#eef0f4;position:sticky;top:0}
th button{all:unset;cursor:pointer;font-weight:600}
th button:focus-visible{outline:2px solid #5b7bb5}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
td.url{max-width:40rem;word-break:break-all}
td.num{text-align:right}
.badge{display:inline-block;padding:.1rem .45rem;border-radius:3px;font-weight:600;white-space:nowrap}
.badge.ok{background:#e3f4e6;color:#14532d;border:1px solid #4a9c5d}
.badge.changed{background:#fff5d6;color:#6b4b00;border:1px solid #c99a06}
.badge.bad{background:#fde4e4;color:#7f1d1d;border:1px solid #c24141}
.badge.rot{background:#fde4e4;color:#7f1d1d;border:1px solid #c24141}
details{margin-top:.3rem}summary{cursor:pointer;color:#2b4c8c}
details dl{margin:.3rem 0 .3rem .5rem}details dt{font-weight:600;margin-top:.3rem}
details dd{margin:0 0 0 1rem}
ol.chain{margin:.2rem 0;padding-left:1.4rem}
tr[hidden]{display:none}
"""

_SCRIPT = """
(function () {
  var table = document.getElementById("links");
  var body = table.tBodies[0];
  var input = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  function applyFilter() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var rows = body.rows, count = 0;
    for (var i = 0; i < rows.length; i++) {
      var text = rows[i].textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
      rows[i].hidden = !keep;
      if (keep) count++;
    }
    shown.textContent = count + " of " + rows.length + " links shown";
  }
  function sortBy(index, descending) {
    var numeric = heads[index].getAttribute("data-type") === "number";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-sort"), y = b.cells[index].getAttribute("data-sort");
      var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return descending ? -c : c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    heads.forEach(function (th, i) {
      if (i === index) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
  }
  heads.forEach(function (th, i) {
    th.querySelector("button").addEventListener("click", function () {
      sortBy(i, th.getAttribute("aria-sort") === "ascending");
    });
  });
  input.addEventListener("input", applyFilter);
  var wanted = new URLSearchParams(location.hash.slice(1));
  if (wanted.has("filter")) input.value = wanted.get("filter");
  heads.forEach(function (th) {
    // The same clicks a reader makes: once for ascending, twice for descending.
    if (th.getAttribute("data-key") !== wanted.get("sort")) return;
    th.querySelector("button").click();
    if (wanted.get("dir") === "desc") th.querySelector("button").click();
  });
  applyFilter();
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


_CSP = (
    f"default-src 'none'; style-src {_csp_hash(_STYLE)}; script-src {_csp_hash(_SCRIPT)}; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def _e(value: object) -> str:
    """``value`` as HTML text or attribute content: every markup character escaped."""
    return escape(str(value), quote=True)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _web_link(url: str, label: str) -> str:
    """A link to ``url`` only when it is http(s); any other scheme is shown as text, never linked."""
    if urlsplit(url).scheme.lower() in ("http", "https"):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(label)}</a>'
    return _e(label)


def render_html(report: Report) -> str:
    """The report as a complete HTML document (a str; write it with UTF-8)."""
    rows = [_row(section.path, link) for section in report.sections for link in section.links]
    totals = report.totals()
    head_cells = "".join(
        f'<th scope="col" data-key="{key}" data-type="{kind}"><button type="button">{_e(title)}</button></th>'
        for key, title, kind in _COLUMNS
    )
    replay_base = f"http://127.0.0.1:{report.replay_port}/{COLLECTION}/"
    redaction = ("Recipient e-mail addresses, message and tenant ids, and Proofpoint tokens and customer "
                 "ids found in wrapped links "
                 "are shown as REDACTED." if report.redacted else
                 "Not redacted: wrapped links are shown as found, with any recipient data they carry.")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Link archive report: {_e(report.archive)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>Link archive report</h1>
<p class="meta">Archive <code>{_e(report.archive)}</code>, report made {_e(_when(report.generated))} UTC.
{totals.get("links", 0)} link(s) in {len(report.sections)} source document(s). {_e(redaction)}</p>
<p class="note">The <strong>Replay</strong> links open captures at <code>{_e(replay_base)}</code>&hellip;:
they work while <code>archiver replay --archive {_e(report.archive)}</code> is running on this computer
(its default port is {report.replay_port}; a different <code>--port</code> needs the report made with the same
<code>--port</code>). Click a column heading to sort; type in the box to show only matching rows.</p>
</header>
<section class="summary" aria-label="Summary">
<ul>{_summary(report)}</ul>
</section>
<div class="controls">
<label for="filter">Filter</label>
<input id="filter" type="search" placeholder="URL, source, status, error&hellip;" autocomplete="off">
<span id="shown" aria-live="polite">{len(rows)} of {len(rows)} links shown</span>
</div>
<table id="links">
<thead><tr>{head_cells}</tr></thead>
<tbody>
{"".join(rows)}
</tbody>
</table>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def _summary(report: Report) -> str:
    items = []
    for section in report.sections:
        counts: dict[str, int] = {}
        for link in section.links:
            counts[link.status] = counts.get(link.status, 0) + 1
        rotted = sum(link.rotted for link in section.links)
        parts = ", ".join(f"{n} {word}" for word, n in sorted(counts.items()))
        items.append(f"<li><code>{_e(section.path)}</code>: {len(section.links)} link(s): {_e(parts)}"
                     + (f", {rotted} rotted" if rotted else "") + "</li>")
    return "".join(items) or "<li>The archive holds no captures yet.</li>"


def _row(source: str, link: LinkRow) -> str:
    badge_class = _CSS_CLASSES.get(link.status, "changed")
    badge = (f'<span class="badge {badge_class}">{_SYMBOLS.get(link.status, "?")} '
             f"{_e(link.status_text)}</span>")
    rotted = ('<span class="badge rot">⚠ rotted'
              + (f" since {_e(_when(link.first_rotted)[:10])}" if link.first_rotted else "")
              + "</span>") if link.rotted else "no"
    changed = f"yes ({link.changes}&times;)" if link.changes else "no"
    replay = (f'<a href="{_e(link.replay)}" rel="noopener noreferrer">replay</a>' if link.replay
              else "&mdash;")
    cells = [
        (source, f"<code>{_e(source)}</code>", ""),
        (link.url, _web_link(link.url, link.url) + _details(link), "url"),
        (f"{link.status} {link.http_status or ''}", badge, ""),
        (link.last_capture.isoformat(), _e(_when(link.last_capture)), ""),
        (str(link.captures), str(link.captures), "num"),
        (str(link.changes), changed, "num"),
        ("yes" if link.rotted else "no", rotted, ""),
        ("yes" if link.replay else "no", replay, ""),
    ]
    tds = "".join(
        f'<td data-sort="{_e(key)}"' + (f' class="{cls}"' if cls else "") + f">{html}</td>"
        for key, html, cls in cells
    )
    return f'<tr class="status-{badge_class}">{tds}</tr>\n'


def _details(link: LinkRow) -> str:
    parts = []
    if link.mentions:
        parts.append("<dt>Written in the document</dt>" + "".join(_mention(m) for m in link.mentions))
    if link.redirects:
        hops = "".join(f"<li>{_e(status)} <code>{_e(url)}</code></li>" for status, url in link.redirects)
        parts.append(f'<dt>Redirect chain (newest capture)</dt><dd><ol class="chain">{hops}</ol></dd>')
    if link.error:
        parts.append(f"<dt>Error</dt><dd>{_e(link.error)}"
                     + (f" ({_e(link.error_kind)})" if link.error_kind else "") + "</dd>")
    capture = [f"final URL <code>{_e(link.final_url)}</code>" if link.final_url else "",
               f"payload digest <code>{_e(link.payload_digest)}</code>" if link.payload_digest else "",
               f"block digest <code>{_e(link.block_digest)}</code>" if link.block_digest else "",
               f"record <code>{_e(link.record_id)}</code>" if link.record_id else "",
               f"in <code>{_e(link.warc_file)}</code> at offset {_e(link.warc_offset)}" if link.warc_file else ""]
    shown = "<br>".join(item for item in capture if item)
    if shown:
        parts.append(f"<dt>Newest capture</dt><dd>{shown}</dd>")
    return f"<details><summary>details</summary><dl>{''.join(parts)}</dl></details>"


def _mention(mention: Mention) -> str:
    where = f"line {mention.line}, column {mention.column}"
    anchor = f", link text &ldquo;{_e(mention.anchor)}&rdquo;" if mention.anchor else ""
    text = f"<dd>{where}{anchor}: <code>{_e(mention.written)}</code>"
    layers = mention.chain.get("layers") or []
    if layers:
        steps = "".join(
            f"<li>{_e(layer.get('kind', '?'))}: <code>{_e(layer.get('wrapped', ''))}</code></li>"
            for layer in layers
        )
        steps += f"<li>original: <code>{_e(mention.chain.get('url', ''))}</code></li>"
        repairs = "".join(f"<li>repaired: {_e(r)}</li>" for r in mention.chain.get("repairs") or [])
        text += (f"<details><summary>unwrapped {len(layers)} wrapper(s): "
                 f"{_e(', '.join(mention.wrappers))}</summary><ol class=\"chain\">{steps}{repairs}</ol></details>")
    return text + "</dd>"
