"""The bookings app's services, one module per step of the patient's path: `search` (whole-course
proposals), `book`, `move`, `cancel` and `rebook` (a session without a time booked again; it
shares `reflow_preview` with `move`), `consultations`, `visits` (arrived, missed, attended),
`waiting_list` (with `waiting_list_placing`), `reminders` (with `reminder_plan`) and `feeds`;
`preferences` are the days and times a course was booked with. Callers import from those
modules; this one holds only the error types they raise."""

from needlepoint.clinic.services import Blocked as Blocked  # raised by gate.refuse
from needlepoint.clinic.services import ServiceError as ServiceError
from needlepoint.clinic.services import StaleEdit as StaleEdit


class BookingConflict(ServiceError):
    """Someone else took one of the slots between the search and the confirmation."""

    http_status = 409
