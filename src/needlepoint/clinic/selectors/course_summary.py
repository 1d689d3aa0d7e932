"""A course's summary: sessions that took place, depths per area, the scales' series and the
sentences that say what changed."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from needlepoint.clinic.models import (
    AdverseEvent,
    Assessment,
    CheckIn,
    Course,
    Flag,
    Outcome,
    SessionStatus,
    TreatmentSession,
)
from needlepoint.clinical.scales import GAIS_LABELS, GOODMAN_BARON_GRADES
from needlepoint.words import human_date


@dataclass(frozen=True)
class SeriesPoint:
    date: dt.date
    value: float
    label: str  # "baseline" or "session 3" / "after the course"


@dataclass(frozen=True)
class CourseSummary:
    """What happened in a course. `sessions` are all of its sessions (for the counts); the
    depths, adverse events and check-ins are those of the sessions that took place (signed)."""

    course: Course
    sessions: list[TreatmentSession]
    areas: list[str]
    depths: list[tuple[str, list[Any]]]  # area → AreaTreatment (or None) per signed session
    adverse_events: list[AdverseEvent]
    check_ins: list[CheckIn]
    flags: list[Flag]
    outcomes: list[Outcome]
    baseline: Assessment | None
    series: dict[str, list[SeriesPoint]]
    sentences: list[str] = field(default_factory=list)

    @property
    def signed(self) -> list[TreatmentSession]:
        return [s for s in self.sessions if s.status == SessionStatus.SIGNED]

    @property
    def cancelled(self) -> list[TreatmentSession]:
        return [s for s in self.sessions if s.status == SessionStatus.CANCELLED]

    def as_json(self) -> dict[str, Any]:
        """Return the summary stored on a completed course (plain JSON)."""
        return {
            "sessions": {
                "signed": len(self.signed),
                "cancelled": len(self.cancelled),
                "total": len(self.sessions),
                "took_place": [s.number for s in self.signed],
            },
            "depths_mm": {area: [_depth(cell) for cell in cells] for area, cells in self.depths},
            "adverse_events": [
                {"session": e.session.number, "kind": e.kind, "severity": e.severity}
                for e in self.adverse_events
            ],
            "check_ins": {
                "received": len(self.check_ins),
                "flagged": sum(not c.expected for c in self.check_ins),
            },
            "series": {
                name: [{"date": p.date.isoformat(), "value": p.value, "label": p.label} for p in points]
                for name, points in self.series.items()
            },
            "text": self.sentences,
        }


def _depth(cell: Any) -> str | None:
    return None if cell is None else str(Decimal(cell.depth_mm).normalize())


def _local(at: dt.datetime) -> dt.date:
    return timezone.localdate(at, timezone.get_default_timezone())


def course_summary(course: Course) -> CourseSummary:
    """Return what happened in a course: the sessions that took place (signed) with depths per
    area, their adverse events and check-ins, the flags, outcomes as series over the days of
    their visits (from the baseline assessment), and a plain-language summary. Seven
    queries."""
    sessions = list(
        TreatmentSession.objects.filter(course=course)
        .select_related("practitioner", "entered_late_by", "appointment")
        .prefetch_related(
            "areas",
            Prefetch("adverse_events", AdverseEvent.objects.order_by("noted_at")),
            Prefetch("check_ins", CheckIn.objects.order_by("day")),
        )
        .order_by("number")
    )
    outcomes = list(
        Outcome.objects.filter(course=course)
        .select_related("session")
        .order_by("taken_on", "recorded_at", "id")
    )
    flags = list(
        Flag.objects.filter(check_in__session__course=course)
        .select_related("resolved_by")
        .order_by("raised_at", "id")
    )
    baseline = Assessment.objects.filter(pk=course.assessment_id).first() if course.assessment_id else None
    signed = [s for s in sessions if s.status == SessionStatus.SIGNED]
    areas = _areas(course, signed)
    by_session = [{a.area: a for a in s.areas.all()} for s in signed]
    summary = CourseSummary(
        course=course,
        sessions=sessions,
        areas=areas,
        depths=[(area, [cells.get(area) for cells in by_session]) for area in areas],
        adverse_events=[e for s in signed for e in s.adverse_events.all()],
        check_ins=[c for s in signed for c in s.check_ins.all()],
        flags=flags,
        outcomes=outcomes,
        baseline=baseline,
        series=_series(baseline, outcomes),
    )
    summary.sentences.extend(_sentences(summary))
    return summary


def _areas(course: Course, sessions: Iterable[TreatmentSession]) -> list[str]:
    """Return the areas in the plan's order, then any other area charted."""
    planned = [a.get("area") for a in (course.plan or {}).get("areas", []) if a.get("area")]
    charted = [a.area for s in sessions for a in s.areas.all()]
    return list(dict.fromkeys([*planned, *sorted(set(charted) - set(planned))]))


def _outcome_label(outcome: Outcome) -> str:
    if outcome.kind == "course_end":
        return "after the course"
    return f"session {outcome.session.number}" if outcome.session else "visit"


def _series(baseline: Assessment | None, outcomes: list[Outcome]) -> dict[str, list[SeriesPoint]]:
    """Return G&B grade, mMASI and GAIS over the days the scores belong to (the day of their
    visit); the baseline assessment starts the first two (GAIS rates change, so it has no
    baseline). `outcomes` come in day order."""
    series: dict[str, list[SeriesPoint]] = {"goodman_baron": [], "mmasi": [], "gais": []}
    if baseline is not None:
        day = _local(baseline.assessed_at)
        if baseline.goodman_baron_grade is not None:
            series["goodman_baron"].append(SeriesPoint(day, baseline.goodman_baron_grade, "baseline"))
        if baseline.mmasi is not None:
            series["mmasi"].append(SeriesPoint(day, baseline.mmasi, "baseline"))
    for o in outcomes:
        if o.session is not None and o.session.status != SessionStatus.SIGNED:
            continue  # scores tied to a visit that did not take place are not plotted
        day, label = o.taken_on, _outcome_label(o)
        for name, value in (("goodman_baron", o.goodman_baron_grade), ("mmasi", o.mmasi), ("gais", o.gais)):
            if value is not None:
                series[name].append(SeriesPoint(day, value, label))
    return series


def _sessions_sentence(summary: CourseSummary) -> str:
    signed, cancelled = len(summary.signed), len(summary.cancelled)
    text = f"{signed} of {len(summary.sessions)} session{'s' if len(summary.sessions) != 1 else ''} done"
    return text + (f", {cancelled} cancelled." if cancelled else ".")


def _grade(value: float) -> str:
    g = GOODMAN_BARON_GRADES.get(int(value))
    return f"{int(value)} ({g.level})" if g else str(value)


def _change(name: str, points: list[SeriesPoint], fmt: Any, sessions: int) -> str | None:
    if len(points) < 2:
        return None
    first, last = fmt(points[0].value), fmt(points[-1].value)
    over = f" over {sessions} session{'s' if sessions != 1 else ''}"
    if points[0].value == points[-1].value:
        return f"{name} stayed at {first}{over}."
    return f"{name} went from {first} to {last}{over}."


def _sentences(summary: CourseSummary) -> list[str]:
    """Return the course in plain words, one fact per sentence."""
    n = len(summary.signed)
    out = [_sessions_sentence(summary)]
    for text in (
        _change("Goodman & Baron grade", summary.series["goodman_baron"], _grade, n),
        _change("mMASI", summary.series["mmasi"], lambda v: f"{v:g}", n),
    ):
        if text:
            out.append(text)
    if summary.series["gais"]:
        last = summary.series["gais"][-1]
        out.append(
            f"Latest patient-rated improvement (GAIS, {human_date(last.date)}): "
            f"{int(last.value)}, {GAIS_LABELS[int(last.value)]}."
        )
    out.append(_adverse_sentence(summary.adverse_events))
    out.append(_check_in_sentence(summary.check_ins, summary.flags))
    return out


def _adverse_sentence(events: list[AdverseEvent]) -> str:
    if not events:
        return "No adverse events recorded."
    by: dict[str, int] = {}
    for e in events:
        severity = e.get_severity_display().lower()
        by[severity] = by.get(severity, 0) + 1
    detail = ", ".join(f"{count} {severity}" for severity, count in by.items())
    return f"{len(events)} adverse event{'s' if len(events) != 1 else ''} recorded ({detail})."


def _check_in_sentence(check_ins: list[CheckIn], flags: list[Flag]) -> str:
    if not check_ins:
        return "No check-ins received."
    off = sum(not c.expected for c in check_ins)
    open_flags = sum(f.resolved_at is None for f in flags)
    text = (
        f"{len(check_ins)} check-in{'s' if len(check_ins) != 1 else ''} received, "
        f"{off} outside the expected recovery"
    )
    return text + (f" ({open_flags} flag{'s' if open_flags != 1 else ''} still open)." if open_flags else ".")
