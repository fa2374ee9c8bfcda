"""Self-contained HTML pages for people: tables, and charts embedded as base64 PNG.

One file, no scripts, no fonts or stylesheets fetched from anywhere, so it opens offline, can be
mailed or attached to an issue, and renders the same in a headless browser. The building blocks
(:func:`page`, :func:`table`, :func:`figure`, :func:`evaluation_section`) serve both the
single-model report of ``asnclf evaluate --report DIR --html`` and the side-by-side page of
``asnclf bench``.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

REPORT_ID = "asnclf-report"
"""``id`` of the ``<main>`` element of every page (checked by ``benchmarks/render_report.py``)."""

_CSS = """
:root { --ink: #1d2330; --muted: #5b6474; --line: #d8dde6; --band: #f4f6f9; --accent: #2a5db0; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05em; margin: 22px 0 8px; }
p.lead, p.note, figcaption, .meta { color: var(--muted); }
p.note { font-size: 0.9em; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 0.92em; }
th, td { border: 1px solid var(--line); padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.ours td { background: #eef4ff; }
tr.published td { color: #333; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 10px 0 6px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 190px; background: #fff; }
.card .value { font-size: 1.5em; font-weight: 650; }
.card .label { color: var(--muted); font-size: 0.85em; }
figure { margin: 10px 0 18px; }
figure img { max-width: 100%; border: 1px solid var(--line); border-radius: 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 10px 18px; }
details { margin: 8px 0; }
summary { cursor: pointer; font-weight: 600; }
code { background: var(--band); padding: 0 3px; border-radius: 3px; }
"""


class Raw(str):
    """A string that is already HTML: table cells and sections pass it through unescaped."""


def esc(value: Any) -> str:
    """HTML-escape a value (``Raw`` passes through); None becomes a dash."""
    if isinstance(value, Raw):
        return str(value)
    return "-" if value is None else html.escape(str(value), quote=True)


def num(value: float | None, digits: int = 3, scale: float = 1.0) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}"


def interval(ci: Sequence[float] | None, digits: int = 3, scale: float = 1.0) -> str:
    return "-" if not ci else f"[{ci[0] * scale:.{digits}f}, {ci[1] * scale:.{digits}f}]"


def table(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    row_classes: Sequence[str] | None = None,
    numeric: Sequence[int] = (),
) -> str:
    """An HTML table; cells in the ``numeric`` column positions are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        css = f' class="{esc(row_classes[i])}"' if row_classes and row_classes[i] else ""
        cells = "".join(
            f'<td class="num">{esc(c)}</td>' if j in numeric else f"<td>{esc(c)}</td>" for j, c in enumerate(row)
        )
        body.append(f"<tr{css}>{cells}</tr>")
    return Raw(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def figure(png: bytes, caption: str, *, alt: str | None = None) -> str:
    """A ``<figure>`` with the PNG inlined as a data URI."""
    data = base64.b64encode(png).decode("ascii")
    return Raw(
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt or caption)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def cards(items: Sequence[tuple[str, str]]) -> str:
    """Headline numbers as cards: ``(value, label)`` pairs."""
    inner = "".join(
        f'<div class="card"><div class="value">{esc(v)}</div><div class="label">{esc(k)}</div></div>' for v, k in items
    )
    return Raw(f'<div class="cards">{inner}</div>')


def page(title: str, sections: Sequence[str], *, lead: str = "") -> str:
    """A complete, self-contained HTML document."""
    body = "\n".join(str(s) for s in sections)
    lead_html = f'<p class="lead">{esc(lead)}</p>' if lead else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>\n"
        f'<body><main id="{REPORT_ID}"><h1>{esc(title)}</h1>{lead_html}\n{body}\n</main></body></html>\n'
    )


# ---------------------------------------------------------------------------- one evaluation report
FIGURE_CAPTIONS = {
    "f1": "F1 per label with 95% bootstrap intervals.",
    "reliability": "Reliability diagram: observed frequency of a label against the mean predicted probability, "
    "per bin; on the diagonal the scores are calibrated.",
    "confusion": "Confusion heatmap: rows gold, columns predicted; colour is the share of the row, numbers are counts.",
    "thresholds": "Per-label threshold curves: F1 of a label when it is predicted at probability >= t.",
}


def evaluation_section(
    report: dict[str, Any], *, heading: str = "h2", figures: Sequence[str] | None = None, dpi: int = 80
) -> str:
    """Summary cards, the per-label table and the charts of one :func:`asnclf.evaluation.evaluate` report."""
    from asnclf.evaluation import FIGURES, render_png

    sentence = report["sentence"]
    items = [(num(sentence["macro_f1"]), "sentence macro-F1"), (num(sentence["micro_f1"]), "sentence micro-F1")]
    if sentence.get("indonlu"):
        items.insert(0, (num(sentence["indonlu"]["f1"]), "IndoNLU F1"))
    if "accuracy" in sentence:
        items.append((num(sentence["accuracy"]), "accuracy"))
    if report.get("article"):
        items.append((num(report["article"]["macro_f1"]), "article macro-F1"))
    items.append((f"{report['data']['sentences']}", "sentences scored"))
    rows = [
        [name, num(s["precision"]), num(s["recall"]), num(s["f1"]), interval(s["ci95"]), s["support"], s["predicted"]]
        for name, s in sentence["per_label"].items()
    ]
    rows.append(
        [
            "macro",
            num(sentence["macro_precision"]),
            num(sentence["macro_recall"]),
            num(sentence["macro_f1"]),
            interval(sentence["macro_f1_ci95"]),
            "",
            "",
        ]
    )
    parts = [
        cards(items),
        Raw(f"<{heading}>Per label (sentences)</{heading}>"),
        table(
            ["label", "precision", "recall", "F1", "F1 95% CI", "support", "predicted"], rows, numeric=(1, 2, 3, 5, 6)
        ),
    ]
    if sentence.get("indonlu"):
        indonlu = sentence["indonlu"]
        parts.append(
            Raw(
                f'<p class="note">IndoNLU F1 {num(indonlu["f1"])} {interval(indonlu["f1_ci95"])}, accuracy '
                f"{num(indonlu['accuracy'])} over {indonlu['pairs']} decisions: {esc(indonlu['definition'])}.</p>"
            )
        )
    names = [f for f in (figures or FIGURES) if f in FIGURES]
    charts = [figure(render_png(report, name, dpi=dpi), FIGURE_CAPTIONS.get(name, name)) for name in names]
    parts.append(Raw(f"<{heading}>Charts</{heading}>"))
    parts.append(Raw(f'<div class="grid">{"".join(charts)}</div>'))
    return Raw("\n".join(parts))


def render_evaluation(report: dict[str, Any]) -> str:
    """The whole single-model report as one HTML page."""
    model, data, prov = report["model"], report["data"], report["provenance"]
    provenance_rows = [
        ["model", model.get("kind", "model")],
        ["data", f"{data.get('source', '')} (sha256 {data.get('sha256', '')})"],
        ["git revision", prov.get("git_revision") or "unknown"],
        ["created", prov.get("created", "")],
        ["bootstrap", f"{prov.get('n_resamples')} resamples, seed {prov.get('seed')}"],
        ["versions", ", ".join(f"{k} {v}" for k, v in prov.get("versions", {}).items())],
    ]
    sections = [
        evaluation_section(report),
        Raw("<h2>Provenance</h2>"),
        table(["field", "value"], provenance_rows),
        Raw(
            "<details><summary>Model description (JSON)</summary><pre>"
            + esc(json.dumps(model, indent=1, ensure_ascii=False, default=str))
            + "</pre></details>"
        ),
    ]
    return page(
        f"asnclf evaluation: {model.get('kind', 'model')} on {data.get('source', '')}",
        sections,
        lead=f"{data['sentences']} sentences, {data['articles']} articles.",
    )


__all__ = ["REPORT_ID", "Raw", "cards", "esc", "evaluation_section", "figure", "page", "render_evaluation", "table"]
