"""``gaps.html``: one self-contained page (inline CSS, no script, no external resource).

Sections: the totals; a bar chart of the top gaps with their trend; each new-article gap with
its evidence and its questions in a ``<details>`` block; the near misses with the alias to add;
the articles with the most "no" votes; the articles operators send most. Every text is escaped
with :func:`html.escape` (quotes too) after masking, so a ``<script>`` typed into a ticket is
shown as text and never runs.
"""

from __future__ import annotations

from html import escape

from kb_helpcenter.search.gaps.model import Gap, GapReport
from kb_helpcenter.search.gaps.report.context import ReportContext, trend_text
from kb_helpcenter.search.privacy import mask

CHART_TOP = 15

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:60rem;
padding:0 1rem;color:#1d1d1f}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.totals{display:flex;gap:1rem;flex-wrap:wrap}.totals div{background:#f4f5f7;border-radius:6px;padding:.5rem .8rem}
.totals b{display:block;font-size:1.3rem}
.chart{width:100%;border-collapse:collapse}.chart td{padding:.15rem .4rem;vertical-align:middle}
.chart .label{width:45%}.bar{background:#4f6bed;height:.9rem;border-radius:2px;min-width:2px}
.bar.alias{background:#9aa7c7}.up{color:#b3261e}.down{color:#1e7b34}
.gap{border:1px solid #e2e4e8;border-radius:6px;padding:.6rem .9rem;margin:.7rem 0}
.meta{color:#555;font-size:.9rem}.terms span{background:#eef1fb;border-radius:3px;padding:0 .3rem;margin-right:.3rem}
table.list{border-collapse:collapse}table.list td,table.list th{border-bottom:1px solid #eee;padding:.2rem .6rem;
text-align:left}summary{cursor:pointer}code{background:#f4f5f7;padding:0 .2rem}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _text(text: str) -> str:
    return _e(mask(text))


def _date(gap: Gap) -> str:
    first = gap.first_seen.strftime("%Y-%m-%d") if gap.first_seen else "?"
    last = gap.last_seen.strftime("%Y-%m-%d") if gap.last_seen else "?"
    return "" if first == last == "?" else f"seen {first} – {last}"


def _trend(gap: Gap) -> str:
    text = trend_text(gap)
    if not text:
        return ""
    css = "up" if text.startswith("+") or text == "new" else "down" if text.startswith("−") else ""
    return f'<span class="{css}">{_e(text)}</span>'


def _chart(report: GapReport) -> list[str]:
    top = list(report.gaps[:CHART_TOP])
    if not top:
        return ["<p>No gaps: every question was answered.</p>"]
    biggest = max(g.size for g in top) or 1
    rows = ['<table class="chart" aria-label="Top gaps by size">']
    for g in top:
        width = max(1, round(100 * g.size / biggest))
        css = "bar alias" if g.kind == "add-alias" else "bar"
        rows.append(
            f'<tr><td>{g.rank}</td><td class="label"><a href="#gap-{g.rank}">{_text(g.label)}</a></td>'
            f'<td style="width:40%"><div class="{css}" style="width:{width}%"></div></td>'
            f"<td>{g.size}</td><td>{_trend(g)}</td></tr>"
        )
    rows.append("</table>")
    return rows


def _gap_block(g: Gap) -> list[str]:
    sources = ", ".join(f"{_e(k)} {v}" for k, v in g.sources.items() if v)
    nearest = (f'nearest article: <code>{_e(g.nearest.id)}</code> {_e(g.nearest.title)} '
               f"(score {g.nearest.score:.2f})" if g.nearest else "no article comes close")
    trend = _trend(g)
    out = [
        f'<div class="gap" id="gap-{g.rank}"><h3>{g.rank}. {_text(g.label)}</h3>',
        f'<p class="meta">{g.size} questions ({sources}){" · " + _e(_date(g)) if _date(g) else ""}'
        f'{" · trend " + trend if trend else ""} · {nearest}</p>',
        '<p class="terms">' + "".join(f"<span>{_text(t)}</span>" for t in g.top_terms) + "</p>",
        f"<details><summary>{len(g.questions)} distinct questions</summary><table class=\"list\">",
    ]
    out += [f"<tr><td>{q.count}</td><td>{_text(q.text)}</td></tr>" for q in g.questions]
    out.append("</table></details></div>")
    return out


def render_html(report: GapReport, context: ReportContext) -> str:
    """The whole page as a string."""
    t = report.totals
    generated = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    period = f" · since {report.since.strftime('%Y-%m-%d')}" if report.since else ""
    body = [
        f"<h1>{_e(context.title)}</h1>",
        f'<p class="meta">Generated {_e(generated)}{_e(period)} · closeness by {_e(report.method.note)}</p>',
        '<div class="totals">'
        + "".join(f"<div><b>{t.get(k, 0):,}</b>{_e(name)}</div>" for k, name in (
            ("questions", "questions"), ("answered", "answered"), ("near_miss", "near misses"),
            ("unanswered", "unanswered")))
        + "</div>",
        "<h2>Top gaps</h2>", *_chart(report),
        "<h2>New articles needed</h2>",
    ]
    new = report.new_articles()
    body += [line for g in new for line in _gap_block(g)] or ["<p>None.</p>"]
    body.append("<h2>Near misses: add an alias</h2>")
    near = report.near_misses()
    if near:
        body.append('<table class="list"><tr><th>article</th><th>alias to add</th><th>questions</th></tr>')
        for g in near:
            article = f"<code>{_e(g.nearest.id)}</code> {_e(g.nearest.title)}" if g.nearest else "?"
            body.append(
                f'<tr id="gap-{g.rank}"><td>{article}</td><td>{_text(g.label)}<details><summary>all '
                f"{len(g.questions)}</summary>"
                + "<br>".join(f"{q.count}× {_text(q.text)}" for q in g.questions)
                + f"</details></td><td>{g.size}</td></tr>"
            )
        body.append("</table>")
    else:
        body.append("<p>None.</p>")
    body.append("<h2>Learned from operators and customers: make them aliases</h2>")
    if context.learned:
        body.append('<p class="meta">Search already counts these questions for their articles '
                    "(<code>kb learn</code>); add the good ones to the article's <code>aliases</code>, "
                    "reject a wrong one with <code>kb learn --reject ID QUESTION</code>.</p>")
        body.append('<table class="list"><tr><th>article</th><th>question</th><th>operators</th>'
                    "<th>customers: yes</th><th>no</th></tr>")
        for alias, title in context.learned:
            body.append(f"<tr><td><code>{_e(alias.article_id)}</code> {_e(title)}</td><td>{_text(alias.question)}</td>"
                        f"<td>{alias.operators}</td><td>{alias.customers}</td><td>{alias.against}</td></tr>")
        body.append("</table>")
    else:
        body.append("<p>Nothing learned yet.</p>")
    body += _articles("Articles with the most “no” votes", context.most_no_votes, ("no", "yes"))
    body += _articles("Articles operators send most", context.most_sent, ("sent",))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{_e(context.title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _articles(title: str, rows, columns: tuple[str, ...]) -> list[str]:
    out = [f"<h2>{_e(title)}</h2>"]
    if not rows:
        return out + ["<p>No events in this period.</p>"]
    out.append("<table class=\"list\"><tr><th>article</th>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>")
    for a in rows:
        values = (a.count, a.extra)[: len(columns)]
        out.append(f"<tr><td><code>{_e(a.id)}</code> {_e(a.title)}</td>"
                   + "".join(f"<td>{v}</td>" for v in values) + "</tr>")
    out.append("</table>")
    return out
