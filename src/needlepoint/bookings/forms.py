"""The booking pages' forms: a course's preferences, a new date and time for one visit (moving
or booking again), a cancellation's reason, a consultation search, the calendar's choices and
the waiting list's location. Forms read what the user typed; the services decide."""

import datetime as dt
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms

from needlepoint.bookings.grid import Resource
from needlepoint.bookings.models import Appointment, Location, PractitionerProfile
from needlepoint.bookings.services import preferences as booking_preferences
from needlepoint.scheduling import AFTERNOONS, EVENINGS, MORNINGS
from needlepoint.web.fields import DayField

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
TIMES = {"mornings": MORNINGS, "afternoons": AFTERNOONS, "evenings": EVENINGS}


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """The form's own copy of a choice field, to set its choices."""
    return cast(forms.ChoiceField, form.fields[name])


def _select(form: forms.Form, name: str) -> forms.Select:
    """The form's own copy of a field's select widget, to set its options."""
    return cast(forms.Select, form.fields[name].widget)


def _practitioner_name(profile: PractitionerProfile) -> str:
    return profile.user.get_full_name() or profile.user.get_username()


# ---------------------------------------------------------------------------------------------
# Booking a course
# ---------------------------------------------------------------------------------------------


class PreferencesForm(forms.Form):
    """The patient's preferences for the whole course; nothing ticked means "any"."""

    weekdays = forms.TypedMultipleChoiceField(
        label="Days the patient can come",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any day the clinic is open.",
    )
    times = forms.MultipleChoiceField(
        label="Times of day",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(k, f"{k.capitalize()} ({span})") for k, span in TIMES.items()],
        help_text="None ticked: any time the clinic is open.",
    )
    practitioner = forms.TypedChoiceField(label="Practitioner", required=False, coerce=int, empty_value=None)
    location = forms.TypedChoiceField(label="Location", required=False, coerce=int, empty_value=None)

    def __init__(
        self, *args: Any, practitioners: list[PractitionerProfile], locations: list[Location], **kwargs: Any
    ):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        several = len(locations) > 1
        _choice_field(self, "practitioner").choices = [("", "Anyone with the skills")] + [
            (p.user_id, _practitioner_name(p) + (f" ({p.location.name})" if several else ""))
            for p in practitioners
        ]
        self.locations = {loc.pk: loc for loc in locations}
        if several:
            location = _choice_field(self, "location")
            location.choices = [(loc.pk, loc.name) for loc in locations]
            location.required = True
            location.error_messages["required"] = "Location: choose where to book."
        else:
            del self.fields["location"]

    def chosen_location(self) -> Location | None:
        """The chosen location (None: the only one there is)."""
        return self.locations.get(self.cleaned_data.get("location") or 0)

    def preferences(self) -> booking_preferences.Preferences:
        data = self.cleaned_data
        weekdays = frozenset(data.get("weekdays") or range(7))
        times = tuple(TIMES[k] for k in TIMES if k in (data.get("times") or ()))
        return booking_preferences.Preferences(
            weekdays=weekdays, times=times, practitioner_id=data.get("practitioner")
        )

    def as_query(self) -> list[tuple[str, str]]:
        """The preferences as query parameters (for a fresh search after a refusal)."""
        if not self.is_bound or not self.is_valid():
            return []
        data = self.cleaned_data
        pairs = [("weekdays", str(d)) for d in data.get("weekdays") or ()]
        pairs += [("times", t) for t in data.get("times") or ()]
        pairs += [(k, str(data[k])) for k in ("practitioner", "location") if data.get(k)]
        return pairs


# ---------------------------------------------------------------------------------------------
# A new time for one visit: moving a booked one, booking a cancelled one again
# ---------------------------------------------------------------------------------------------


class NewTimeForm(forms.Form):
    """A new date and start time on the wall clock of `location`, offered inside a window."""

    date = DayField(
        label="New date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "New date: pick a date.", "invalid": "New date: enter a real date."},
    )
    time = forms.TimeField(
        label="New start time",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": "New start time: pick a time.",
            "invalid": "New start time: enter a time like 09:30.",
        },
    )

    def __init__(
        self,
        *args: Any,
        location: Location,
        earliest: dt.date | None = None,
        latest: dt.date | None = None,
        **kwargs: Any,
    ):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if earliest:
            self.fields["date"].widget.attrs["min"] = earliest.isoformat()
        if latest:
            self.fields["date"].widget.attrs["max"] = latest.isoformat()
        self.fields["time"].widget.attrs["step"] = str(location.slot_minutes * 60)
        self.zone = ZoneInfo(location.time_zone)

    def new_start(self) -> dt.datetime:
        """The chosen wall-clock time in the location's zone, as an aware datetime."""
        return dt.datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"], self.zone)


class MoveForm(NewTimeForm):
    """A new time for a booked appointment, offered inside its window."""

    def __init__(self, *args: Any, appointment: Appointment, **kwargs: Any):
        super().__init__(
            *args,
            location=appointment.location,
            earliest=appointment.window_earliest,
            latest=appointment.window_latest,
            **kwargs,
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=200,
        error_messages={"required": "Say why the appointment is cancelled."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# ---------------------------------------------------------------------------------------------
# A consultation
# ---------------------------------------------------------------------------------------------


class ConsultationForm(forms.Form):
    day = DayField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "From: pick a day.", "invalid": "From: enter a real date."},
    )
    times = forms.ChoiceField(
        label="Time of day",
        required=False,
        choices=[
            ("", "Any time the clinic is open"),
            *[(k, f"{k.capitalize()} ({span})") for k, span in TIMES.items()],
        ],
    )
    practitioner = forms.TypedChoiceField(label="Practitioner", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        profiles = (
            PractitionerProfile.objects.filter(active=True)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )
        _choice_field(self, "practitioner").choices = [("", "Anyone free")] + [
            (p.user_id, _practitioner_name(p)) for p in profiles
        ]

    def preferences(self) -> booking_preferences.Preferences:
        chosen = self.cleaned_data.get("times")
        return booking_preferences.Preferences(
            times=(TIMES[chosen],) if chosen else (), practitioner_id=self.cleaned_data.get("practitioner")
        )


# ---------------------------------------------------------------------------------------------
# The calendar and the waiting list
# ---------------------------------------------------------------------------------------------


class CalendarForm(forms.Form):
    """What to show; every field optional, bad values fall back to the defaults with a message."""

    date = DayField(
        label="Date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Date: enter a real date (YYYY-MM-DD)."},
    )
    by = forms.ChoiceField(
        label="Show by", required=False, choices=[("practitioner", "Practitioner"), ("room", "Room")]
    )
    who = forms.CharField(label="Practitioner or room", required=False, widget=forms.Select)
    location = forms.CharField(label="Location", required=False, widget=forms.Select)
    cancelled = forms.BooleanField(label="Show cancelled visits", required=False)

    def __init__(self, *args: Any, locations: list[Location], columns: list[Resource], **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        _select(self, "location").choices = [(loc.pk, loc.name) for loc in locations]
        _select(self, "who").choices = [(c.key, c.label) for c in columns]


class PlanForm(forms.Form):
    """Where to book the waiting list, asked only when the clinic has more than one location."""

    location = forms.TypedChoiceField(
        label="Location",
        coerce=int,
        empty_value=None,
        error_messages={
            "required": "Location: choose where to book.",
            "invalid_choice": "Location: choose where to book.",
        },
    )

    def __init__(self, *args: Any, locations: list[Location], **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.locations = {loc.pk: loc for loc in locations}
        if len(locations) > 1:
            _choice_field(self, "location").choices = [("", "Choose…")] + [
                (loc.pk, loc.name) for loc in locations
            ]
        else:
            del self.fields["location"]

    def chosen_location(self) -> Location | None:
        """The chosen location (None: the only one there is, or none yet)."""
        return self.locations.get(self.cleaned_data.get("location") or 0)
