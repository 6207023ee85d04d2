"""The case page's timeline bar: request to week 20 (or today, or the last deadline, if
later), each deadline labelled with its name, due date and status in words, what happened
when, and exception periods shaded. Inline SVG, no script. The page lists the same deadlines
and events in tables: the picture is never the only way to read them."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from domain import wording
from domain.facts import Fact
from domain.timeline import CaseTimeline

WIDTH, LEFT, RIGHT = 960, 20, 20
WEEK_LABEL_GAP = 60  # "week 16" is about 45 units wide at font-size 12, and a space
STATUS_COLOURS = {"met": "#00703c", "pending": "#1d70b8", "overdue": "#d4351c",
                  "late": "#d4351c", "excepted": "#f47738", "not_applicable": "#505a5f"}


def _day(day: date) -> str:
    return wording.date_text(day)


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
             f'fill="#f3f2f1" stroke="#505a5f"/>']
    for fact in facts:
        if fact.type == "exception_recorded":
            first, last = fact.from_, fact.to or end  # type: ignore[attr-defined]
            reason = wording.EXCEPTION_REASONS.get(fact.reason, fact.reason)  # type: ignore[attr-defined]
            until = _day(fact.to) if fact.to else "ongoing"  # type: ignore[attr-defined]
            parts.append(f'<rect class="exception" x="{x(first):.1f}" y="66" '
                         f'width="{max(2, x(last) - x(first)):.1f}" height="24" '
                         f'fill="#f47738" fill-opacity="0.35"><title>Exception, '
                         f'{escape(reason)}: {_day(first)} to {until}</title></rect>')
    labelled: list[float] = []
    for week in (20, 16, 6):  # week 20 first: on a long case's scale the three crowd together
        at = x(start + timedelta(weeks=week))
        parts.append(f'<line x1="{at:.1f}" x2="{at:.1f}" y1="60" y2="96" '
                     'stroke="#505a5f" stroke-dasharray="3 3"/>')
        if all(abs(at - other) >= WEEK_LABEL_GAP for other in labelled):
            labelled.append(at)
            parts.append(f'<text x="{at:.1f}" y="112" font-size="12" '
                         f'text-anchor="middle">week {week}</text>')
    for row, deadline in enumerate(timeline.deadlines.values()):
        colour = STATUS_COLOURS.get(deadline.status, "#505a5f")
        y = 130 + 16 * row
        at = x(deadline.due)
        near_end = at > WIDTH * 0.6  # label to the left of the marker, inside the picture
        label_x, anchor = (at - 8, "end") if near_end else (at + 8, "start")
        label = (f"{wording.deadline_label(deadline.key)}, due {_day(deadline.due)}: "
                 f"{wording.status_label(deadline.status)}")
        parts.append(f'<g class="deadline"><line x1="{at:.1f}" x2="{at:.1f}" y1="86" '
                     f'y2="{y - 10}" stroke="{colour}"/><circle cx="{at:.1f}" cy="{y - 4}" '
                     f'r="5" fill="{colour}"/><text x="{label_x:.1f}" y="{y}" font-size="12" '
                     f'text-anchor="{anchor}">{escape(label)}</text></g>')
    for fact in facts:
        if fact.type != "exception_recorded":
            parts.append(f'<circle class="event" cx="{x(fact.on):.1f}" cy="78" r="5" '
                         f'fill="#0b0c0c"><title>{escape(wording.event_label(fact.type))}, '
                         f'{_day(fact.on)}</title></circle>')
    parts.append(f'<line x1="{x(today):.1f}" x2="{x(today):.1f}" y1="50" y2="100" '
                 f'stroke="#d4351c" stroke-width="2"/><text x="{x(today):.1f}" y="44" '
                 f'font-size="12" text-anchor="middle" fill="#d4351c">today</text>')
    parts.append(f'<text x="{LEFT}" y="28" font-size="12">request received {_day(start)}'
                 '</text>')
    height = 140 + 16 * len(timeline.deadlines)
    return (f'<svg class="timeline-bar" role="img" aria-labelledby="timeline-title" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="system-ui, sans-serif" '
            'xmlns="http://www.w3.org/2000/svg">'
            '<title id="timeline-title">Timeline of the case from the request: its deadlines '
            f'and events, listed in the tables on this page</title>{"".join(parts)}</svg>')
