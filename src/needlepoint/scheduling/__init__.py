"""The pure scheduling core: clinic calendars, whole-course search, re-flow and batch placement.

Nothing here imports Django; functions take plain data and return plain data.

- `model`: the calendar (hours, closures, practitioners, rooms, devices, busy intervals),
  appointment types and course requests;
- `search.search`: the earliest whole course, alternatives, or why none fits (`explain`);
- `reflow.reflow`: move or cancel one session and re-flow the later ones;
- `batch.greedy` and `optimiser.optimise` (OR-Tools CP-SAT): many courses at once.

The optimiser is not imported here, so that searching does not load OR-Tools.
"""

from needlepoint.scheduling.batch import BatchResult, greedy
from needlepoint.scheduling.booking import CourseBooking, Hold, SearchResult, SessionSlot
from needlepoint.scheduling.errors import SchedulingError
from needlepoint.scheduling.model import (
    AFTERNOONS,
    EVENINGS,
    MORNINGS,
    AppointmentType,
    Calendar,
    Closure,
    CourseRequest,
    Device,
    Interval,
    Practitioner,
    Room,
    Span,
    Step,
    WeeklyHours,
    consultation,
    device_pool,
    prp_session,
    treatment_session,
)
from needlepoint.scheduling.reflow import ReflowResult, reflow
from needlepoint.scheduling.search import search

__all__ = [
    "AFTERNOONS",
    "EVENINGS",
    "MORNINGS",
    "AppointmentType",
    "BatchResult",
    "Calendar",
    "Closure",
    "CourseBooking",
    "CourseRequest",
    "Device",
    "Hold",
    "Interval",
    "Practitioner",
    "ReflowResult",
    "Room",
    "SchedulingError",
    "SearchResult",
    "SessionSlot",
    "Span",
    "Step",
    "WeeklyHours",
    "consultation",
    "device_pool",
    "greedy",
    "prp_session",
    "reflow",
    "search",
    "treatment_session",
]
