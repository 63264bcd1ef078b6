"""The `buzz --html` report: one self-contained page (inline SVG and CSS, no script, no CDN).

Why SVG drawn here rather than a charting library: the page must open offline, from a mail
attachment, years later; a few polylines need no dependency. Two charts share the time axis:

- volume: tweets scored and negative tweets per window, with their expected values (dashed);
- negative share: the window's share, the baseline share ``p0`` and, shaded between them, the
  band up to the share at which a window of that volume would reach the alert threshold;

windows in alert are shaded red on both. Below, one card per alert: start, end, peak surprise,
its themes (log-odds z-scores) and example tweets.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tweet_sentiment.buzz import BuzzParams, WindowReport

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 1100, 220, 56, 28, 12
STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#1b1b1b;max-width:1160px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
svg{background:#fafafa;border:1px solid #ddd}
.legend span{margin-right:16px}.sw{display:inline-block;width:18px;height:3px;vertical-align:middle}
.card{border:1px solid #e0b4b4;background:#fff7f7;border-radius:6px;padding:10px 14px;margin:12px 0}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}
blockquote{margin:6px 0;padding-left:10px;border-left:3px solid #c33;color:#333}
"""


@dataclass(frozen=True)
class Alert:
    """One alert, from its windows: when, how big, and what it was about (its last window)."""

    alert_id: int
    windows: list[WindowReport]

    @property
    def start(self) -> str:
        return _time(self.windows[0].start)

    @property
    def end(self) -> str:
        return _time(self.windows[-1].end)

    @property
    def peak(self) -> float:
        return max(w.surprise for w in self.windows)

    @property
    def negative(self) -> int:
        return sum(w.negative for w in self.windows)

    @property
    def expected(self) -> float:
        return sum(w.expected_share * w.scored for w in self.windows)


def alerts_of(windows: Sequence[WindowReport]) -> list[Alert]:
    grouped: dict[int, list[WindowReport]] = {}
    for window in windows:
        if window.alert_id is not None:
            grouped.setdefault(window.alert_id, []).append(window)
    return [Alert(i, w) for i, w in sorted(grouped.items())]


def render(windows: Sequence[WindowReport], params: BuzzParams, title: str) -> str:
    alerts = alerts_of(windows)
    scored = sum(w.scored for w in windows)
    negative = sum(w.negative for w in windows)
    span = f"{_time(windows[0].start)} to {_time(windows[-1].end)}" if windows else "no windows"
    minutes = params.window.total_seconds() / 60
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Bad buzz report: {html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Bad buzz report: {html.escape(title)}</h1>",
        f"<p>{span}: {scored:,} tweets scored, {negative:,} negative, in {len(windows):,} "
        f"windows of {minutes:g} min; <b>{len(alerts)} alert(s)</b> (surprise ≥ "
        f"{params.on_threshold:g} to start, below {params.off_threshold:g} for "
        f"{params.release_windows} windows to end).</p>",
        "<h2>Volume per window</h2>",
        _legend(
            [
                ("#333", "scored"),
                ("#c33", "negative"),
                ("#888", "expected, dashed"),
                ("#f4c7c7", "alert"),
            ]
        ),
        _chart(
            windows,
            [
                (lambda w: w.scored, "#333", ""),
                (lambda w: w.negative, "#c33", ""),
                (lambda w: w.expected_scored, "#333", "5,4"),
                (lambda w: w.expected_negative, "#c33", "5,4"),
            ],
            band=None,
            percent=False,
        ),
        "<h2>Negative share</h2>",
        _legend(
            [
                ("#c33", "negative share"),
                ("#2a6", "baseline share"),
                ("#cfe8d6", "band up to the alert threshold for the window's volume"),
                ("#f4c7c7", "alert"),
            ]
        ),
        _chart(
            windows,
            [(lambda w: w.negative_share, "#c33", ""), (lambda w: w.expected_share, "#2a6", "")],
            band=(lambda w: w.expected_share if w.scored else None, lambda w: w.threshold_share),
            percent=True,
        ),
        f"<h2>Alerts ({len(alerts)})</h2>",
        *(_card(a) for a in alerts),
        "" if alerts else "<p>No alert: no window was surprising enough.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _time(when: object) -> str:
    return str(when).replace("+00:00", "Z")[:16].replace("T", " ") + " UTC"


def _legend(items: list[tuple[str, str]]) -> str:
    spans = "".join(
        f"<span><i class='sw' style='background:{c}'></i> {html.escape(t)}</span>" for c, t in items
    )
    return f"<p class='legend'>{spans}</p>"


Series = Callable[[WindowReport], float | None]


def _chart(
    windows: Sequence[WindowReport],
    lines: list[tuple[Series, str, str]],
    band: tuple[Series, Series] | None,
    percent: bool,
) -> str:
    if not windows:
        return "<p>(no data)</p>"
    values = [v for f, _, _ in lines for w in windows if (v := f(w)) is not None]
    top = 1.0 if percent else max([*values, 1.0]) * 1.1
    n = len(windows)
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(i: float) -> float:
        return PAD_LEFT + plot_w * i / max(n, 1)

    def y(v: float) -> float:
        return PAD_TOP + plot_h * (1 - min(v, top) / top)

    out = [f"<svg viewBox='0 0 {WIDTH} {HEIGHT}' width='100%' role='img'>"]
    for i, w in enumerate(windows):
        if w.alert:
            out.append(
                f"<rect class='alert' x='{x(i):.1f}' y='{PAD_TOP}' "
                f"width='{max(x(i + 1) - x(i), 1):.1f}' height='{plot_h}' fill='#f4c7c7'/>"
            )
    if band is not None:
        low, high = band
        upper = [(x(i + 0.5), y(h)) for i, w in enumerate(windows) if (h := high(w)) is not None]
        lower = [(x(i + 0.5), y(lo)) for i, w in enumerate(windows) if (lo := low(w)) is not None]
        if upper and lower:
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in upper + lower[::-1])
            out.append(f"<polygon points='{points}' fill='#cfe8d6' opacity='0.8'/>")
    for f, colour, dash in lines:
        out.append(_polyline([(i, f(w)) for i, w in enumerate(windows)], x, y, colour, dash))
    for k in range(5):
        v = top * k / 4
        label = f"{100 * v:.0f}%" if percent else f"{v:,.0f}"
        out.append(
            f"<text x='{PAD_LEFT - 6}' y='{y(v) + 4:.1f}' font-size='11' "
            f"text-anchor='end'>{label}</text>"
        )
        out.append(
            f"<line x1='{PAD_LEFT}' x2='{WIDTH - 8}' y1='{y(v):.1f}' y2='{y(v):.1f}' "
            "stroke='#e4e4e4'/>"
        )
    for k in range(6):
        i = min(n - 1, round(k * (n - 1) / 5))
        out.append(
            f"<text x='{x(i):.1f}' y='{HEIGHT - 8}' font-size='11' text-anchor='middle'>"
            f"{_time(windows[i].start)[:16]}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _polyline(
    points: list[tuple[int, float | None]],
    x: Callable[[float], float],
    y: Callable[[float], float],
    colour: str,
    dash: str,
) -> str:
    """One polyline per run of known values (a gap in the data is a gap in the line)."""
    runs: list[list[str]] = [[]]
    for i, v in points:
        if v is None:
            runs.append([])
        else:
            runs[-1].append(f"{x(i + 0.5):.1f},{y(v):.1f}")
    style = f" stroke-dasharray='{dash}'" if dash else ""
    return "".join(
        f"<polyline points='{' '.join(run)}' fill='none' stroke='{colour}' stroke-width='1.4'"
        f"{style}/>"
        for run in runs
        if run
    )


def _card(alert: Alert) -> str:
    last = alert.windows[-1]
    themes = last.themes or []
    rows = "".join(
        f"<tr><td>{html.escape(t.term)}</td><td>{t.z:.1f}</td><td>{t.alert_count}</td>"
        f"<td>{t.baseline_count:.0f}</td></tr>"
        for t in themes
    )
    examples = "".join(f"<blockquote>{html.escape(e)}</blockquote>" for e in last.examples or [])
    return (
        f"<div class='card' id='alert-{alert.alert_id}'><b>Alert {alert.alert_id}</b>: "
        f"{alert.start} to {alert.end}, peak surprise {alert.peak:.1f}, {alert.negative:,} "
        f"negative tweets where the baseline share predicts {alert.expected:,.0f}."
        + (
            "<table><tr><th>theme</th><th>z</th><th>in the alert's negative tweets</th>"
            f"<th>in the baseline's (decayed)</th></tr>{rows}</table>"
            if rows
            else "<p>No term stands out from the baseline.</p>"
        )
        + examples
        + "</div>"
    )
