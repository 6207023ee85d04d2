"""The case page's timeline bar: request to week 20 (or today, if later), each deadline,
what happened when, and exception periods shaded. Inline SVG, no script."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from domain.facts import ExceptionRecorded, Fact
from domain.timeline import CaseTimeline

WIDTH, LEFT, RIGHT = 960, 20, 20
STATUS_COLOURS = {"met": "#00703c", "pending": "#1d70b8", "overdue": "#d4351c",
                  "late": "#d4351c", "excepted": "#f47738", "not_applicable": "#b1b4b6"}


def timeline_bar(timeline: CaseTimeline, facts: list[Fact], today: date) -> str:
    if timeline.request_received is None:
        return ""
    start = timeline.request_received
    end = max(start + timedelta(days=150), min(today, start + timedelta(days=400)),
              *(d.due for d in timeline.deadlines.values()))
    span = max(1, (end - start).days)

    def x(day: date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * min(max((day - start).days, 0), span) / span

    parts = [f'<rect x="{LEFT}" y="70" width="{WIDTH - LEFT - RIGHT}" height="16" '
             f'fill="#f3f2f1" stroke="#b1b4b6"/>']
    for fact in facts:
        if isinstance(fact, ExceptionRecorded):
            last = fact.to or end
            parts.append(f'<rect class="exception" x="{x(fact.from_):.1f}" y="66" '
                         f'width="{max(2, x(last) - x(fact.from_)):.1f}" height="24" '
                         f'fill="#f47738" fill-opacity="0.35"><title>exception: '
                         f'{escape(fact.reason)} {fact.from_} to {fact.to or "open"}</title>'
                         '</rect>')
    for week in (6, 16, 20):
        day = start + timedelta(weeks=week)
        parts.append(f'<line x1="{x(day):.1f}" x2="{x(day):.1f}" y1="60" y2="96" '
                     f'stroke="#505a5f" stroke-dasharray="3 3"/><text x="{x(day):.1f}" y="112" '
                     f'font-size="12" text-anchor="middle">week {week}</text>')
    for row, deadline in enumerate(timeline.deadlines.values()):
        colour = STATUS_COLOURS.get(deadline.status, "#505a5f")
        y = 130 + 16 * row
        at = x(deadline.due)
        near_end = at > WIDTH * 0.6  # label to the left of the marker, inside the picture
        label_x, anchor = (at - 8, "end") if near_end else (at + 8, "start")
        parts.append(f'<g class="deadline"><line x1="{x(deadline.due):.1f}" '
                     f'x2="{x(deadline.due):.1f}" y1="86" y2="{y - 10}" stroke="{colour}"/>'
                     f'<circle cx="{x(deadline.due):.1f}" cy="{y - 4}" r="5" fill="{colour}"/>'
                     f'<text x="{label_x:.1f}" y="{y}" font-size="12" text-anchor="{anchor}">'
                     f'{escape(deadline.key)} due {deadline.due} — '
                     f'{escape(deadline.status.replace("_", " "))}</text></g>')
    for fact in facts:
        if not isinstance(fact, ExceptionRecorded) and fact.type != "correction":
            parts.append(f'<circle class="event" cx="{x(fact.on):.1f}" cy="78" r="5" '
                         f'fill="#0b0c0c"><title>{escape(fact.type)} on {fact.on}</title>'
                         '</circle>')
    parts.append(f'<line x1="{x(today):.1f}" x2="{x(today):.1f}" y1="50" y2="100" '
                 f'stroke="#d4351c" stroke-width="2"/><text x="{x(today):.1f}" y="44" '
                 f'font-size="12" text-anchor="middle" fill="#d4351c">today</text>')
    parts.append(f'<text x="{LEFT}" y="44" font-size="12">request {start}</text>')
    height = 140 + 16 * len(timeline.deadlines)
    return (f'<svg class="timeline-bar" role="img" aria-label="Timeline from the request to '
            f'week 20" viewBox="0 0 {WIDTH} {height}" width="100%" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')
