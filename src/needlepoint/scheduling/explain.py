"""Why no course fits, in words a front desk understands.

The search notes each window in which no day held a slot. The explanation takes the window of
the latest session that failed (the furthest the course got), finds for each of its days the
first thing that rules the day out — a closure, the patient's days, the clinic's hours, the
patient's times, nobody qualified on duty, a resource fully booked, or no moment when all
that a visit needs is free together — and says each reason once, with the days it covers.
"""

import datetime as dt
from collections.abc import Iterable, Mapping

from needlepoint.scheduling.index import run_starts
from needlepoint.scheduling.search import Finder, Need, Requirement
from needlepoint.words import human_list

SKILL_WORDS = {"microneedling": "microneedling-trained", "prp_draw": "PRP-trained"}
KIND_WORDS = {"treatment": "treatment room", "numbing": "numbing chair", "consult": "consultation room"}
WEEKDAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
_RANK = {
    "closed": 0,
    "shut": 1,
    "short": 2,
    "times": 3,
    "none": 4,
    "off": 5,
    "busy": 6,
    "together": 7,
    "not_preferred": 8,
}
Reason = tuple[str, int]


def why_not(finder: Finder) -> tuple[str, ...]:
    """Return the reasons the latest failing window of the search held no slot; or, when the
    clinic lacks something the visit needs altogether, only that."""
    missing = tuple(_requirement_message(finder, "none", r, "", "") for r in finder.need.reqs if not r.pool)
    if missing:
        return tuple(dict.fromkeys(missing))
    if not finder.failures:
        return ("no whole course fits inside the interval windows",)
    number, lo, hi = max(finder.failures, key=lambda f: f[0])
    return explain_window(finder, number, lo, hi)


def explain_window(finder: Finder, number: int, lo: int, hi: int) -> tuple[str, ...]:
    """Return the reasons days `lo`..`hi` (ordinals), the window of session `number`, hold no
    slot, most basic first (closures before bookings)."""
    groups: dict[Reason, list[int]] = {}
    for day in range(lo, hi + 1):
        groups.setdefault(day_reason(finder, day), []).append(day)
    where = f"within the window of session {number} ({dates(lo, hi)})"
    ordered = sorted(groups.items(), key=lambda g: (_RANK[g[0][0]], g[1][0]))
    return tuple(dict.fromkeys(_message(finder, reason, days, where) for reason, days in ordered))


def day_reason(finder: Finder, day: int) -> Reason:
    """Return the first thing that rules out `day` for a visit: (code, detail)."""
    date, index, need = dt.date.fromordinal(day), finder.index, finder.need
    closure = index.calendar.closure_on(date)
    if closure is not None:
        return "closed", index.calendar.closures.index(closure)
    if date.weekday() not in finder.request.weekdays:
        return "not_preferred", 0
    fits = finder.grid & run_starts(index.open(day), need.minutes)
    if not index.open(day) or not fits:
        return ("shut" if not index.open(day) else "short"), 0
    base = fits & finder.pref
    if not base:
        return "times", 0
    empty = next((i for i, r in enumerate(need.reqs) if not r.pool), None)
    if empty is not None:
        return "none", empty
    return (
        _blame(need, index.working(day), base, "off")
        or _blame(need, index.free(day), base, "busy")
        or ("together", 0)
    )


def _blame(need: Need, masks: Mapping[str, int], base: int, code: str) -> Reason | None:
    """Return (code, i) for the first requirement i that no unit can meet at any start left in
    `base`, ("together", 0) when each can be met alone but not all at once, else None."""
    left = base
    for i, req in enumerate(need.reqs):
        some = _some_unit(req, masks) >> req.offset
        if not base & some:
            return code, i
        left &= some
    return None if left else ("together", 0)


def _some_unit(req: Requirement, masks: Mapping[str, int]) -> int:
    out = 0
    for rid in req.pool:
        out |= run_starts(masks[rid], req.minutes)
    return out


def _message(finder: Finder, reason: Reason, days: list[int], where: str) -> str:
    code, detail = reason
    request, calendar = finder.request, finder.index.calendar
    weekdays, visit = weekday_names(days), f"{finder.need.minutes}-minute visit"
    if code == "closed":
        c = calendar.closures[detail]
        return f"the clinic is closed {dates(c.first.toordinal(), c.last.toordinal())}" + (
            f" ({c.reason})" if c.reason else ""
        )
    if code == "not_preferred":
        return f"the patient comes only on {weekday_names(sorted(request.weekdays), weekdays=True)}"
    if code == "shut":
        return f"the clinic is not open on {weekdays}"
    if code == "short":
        return f"the clinic's hours on {weekdays} leave no time for a {visit}"
    if code == "times":
        return (
            f"the clinic is not open for a {visit} in the patient's preferred {times(finder)} on {weekdays}"
        )
    if code == "together":
        things = ", ".join(thing(r) for r in finder.need.reqs)
        return f"no time when all of these are free together: {things}{preferred(finder)} {where}"
    return _requirement_message(finder, code, finder.need.reqs[detail], weekdays, where)


def _requirement_message(finder: Finder, code: str, req: Requirement, weekdays: str, where: str) -> str:
    if code == "none":
        if req.named:
            return f"{finder.index.calendar.practitioner(req.named).name} is not {_skills(req.skills)}"
        return f"the clinic has no {thing(req)}"
    if code == "off" and req.role == "practitioner":
        who = finder.index.calendar.practitioner(req.named).name if req.named else f"no {thing(req)}"
        verb = "does not work" if req.named else "works"
        during = f" during the patient's preferred {times(finder)}" if finder.request.times else ""
        return f"{who} {verb} on {weekdays}{during} {where}"
    return f"no {thing(req)} free{preferred(finder)} {where}"


def thing(req: Requirement) -> str:
    """Return what a requirement asks for, e.g. "PRP-trained practitioner", "numbing chair"."""
    if req.role == "practitioner":
        return f"{_skills(req.skills)} practitioner".strip() if req.skills else "practitioner"
    return KIND_WORDS.get(req.kind, req.kind)


def _skills(skills: Iterable[str]) -> str:
    return " and ".join(SKILL_WORDS.get(s, f"{s}-trained") for s in sorted(skills))


def preferred(finder: Finder) -> str:
    """Return " on the patient's preferred mornings" (or days), or "" without preferences."""
    if finder.request.times:
        return f" on the patient's preferred {times(finder)}"
    if len(finder.request.weekdays) < 7:
        return f" on the patient's preferred days ({weekday_names(sorted(finder.request.weekdays), True)})"
    return ""


def times(finder: Finder) -> str:
    """Return the patient's times in words: their labels ("mornings") or their hours."""
    spans = finder.request.times
    if all(s.label for s in spans):
        return human_list([s.label for s in spans])
    return "times (" + ", ".join(str(s) for s in spans) + ")"


def weekday_names(days: Iterable[int], weekdays: bool = False) -> str:
    """Return the distinct weekdays of day ordinals (or of weekday numbers) as "Mondays and
    Saturdays", Monday first."""
    found = sorted({d if weekdays else dt.date.fromordinal(d).weekday() for d in days})
    return human_list([WEEKDAY_NAMES[d] for d in found])


def dates(lo: int, hi: int) -> str:
    """Return a date range in words: "5 Jan 2027", "5-19 Jan 2027", "24 Dec 2026-2 Jan 2027"."""
    a, b = dt.date.fromordinal(lo), dt.date.fromordinal(hi)
    if a == b:
        return f"{a.day} {a:%b %Y}"
    if (a.year, a.month) == (b.year, b.month):
        return f"{a.day}-{b.day} {b:%b %Y}"
    if a.year == b.year:
        return f"{a.day} {a:%b}-{b.day} {b:%b %Y}"
    return f"{a.day} {a:%b %Y}-{b.day} {b:%b %Y}"
