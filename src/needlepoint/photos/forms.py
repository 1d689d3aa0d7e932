"""Forms of the photos app: recording photo consent, uploading a photo of a standard view."""

from typing import Any

from django import forms

from needlepoint.clinic.models import CheckIn
from needlepoint.photos.models import Purpose

CONSENT_CHOICES = [("given", "Consents"), ("withdrawn", "Does not consent / withdraws")]


class PhotoConsentForm(forms.Form):
    purpose = forms.ChoiceField(choices=Purpose.choices, label="Use of the photos")
    decision = forms.ChoiceField(choices=CONSENT_CHOICES, widget=forms.RadioSelect, label="Decision")
    note = forms.CharField(required=False, max_length=300, label="Note (optional)")

    @property
    def given(self) -> bool:
        return bool(self.cleaned_data["decision"] == "given")


class WithdrawForm(forms.Form):
    """The patient's own withdrawal of teaching or marketing consent (portal)."""

    purpose = forms.ChoiceField(choices=[(p.value, p.label) for p in (Purpose.TEACHING, Purpose.MARKETING)])


class PhotoUploadForm(forms.Form):
    """One photo of one standard view; `views` are (value "area:view", label) pairs from the
    protocol's `photos:` section."""

    shot = forms.ChoiceField(label="View")
    file = forms.FileField(
        label="Photo",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args: Any, views: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shot"].choices = views  # type: ignore[attr-defined]  # a ChoiceField

    @property
    def area_view(self) -> tuple[str, str]:
        area, _, view = str(self.cleaned_data["shot"]).partition(":")
        return area, view


class WaiverForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        label="Reason for charting without before photos",
    )


class CheckInPhotoForm(forms.Form):
    """A photo the patient adds to their check-in: which region it shows, and the file."""

    area = forms.ChoiceField(label="What the photo shows")
    file = forms.FileField(
        label="Photo", widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"})
    )

    def __init__(self, *args: Any, check_in: CheckIn, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = check_in_regions(check_in)  # type: ignore[attr-defined]  # a ChoiceField


def check_in_regions(check_in: CheckIn) -> list[tuple[str, str]]:
    """The photo regions of the check-in's course (its treated areas), as (code, label)."""
    from needlepoint.clinic.plan_view import PlanView
    from needlepoint.clinic.protocol import clinic_protocol

    treated = PlanView.of(check_in.session.course.plan).area_codes
    regions = clinic_protocol().photos.for_treatment_areas(treated)
    return [(code, area.label.capitalize()) for code, area in regions.items()]


def _points(raw: str) -> list[tuple[float, float]]:
    points = []
    for part in raw.replace(";", " ").split():
        x, _, y = part.partition(",")
        try:
            points.append((float(x), float(y)))
        except ValueError:
            raise forms.ValidationError(
                f"{part!r} is not a point: write x,y in pixels of the photo."
            ) from None
    return points


class PointsForm(forms.Form):
    """Three points on each photo, "x,y x,y x,y" in the photo's pixels (clicking on the photos
    fills them in; they can also be typed)."""

    before_points = forms.CharField(max_length=200, label="Three points on the before photo (x,y x,y x,y)")
    after_points = forms.CharField(max_length=200, label="The same three points on the after photo")

    def clean_before_points(self) -> list[tuple[float, float]]:
        return _points(self.cleaned_data["before_points"])

    def clean_after_points(self) -> list[tuple[float, float]]:
        return _points(self.cleaned_data["after_points"])


class DrawnRegionForm(forms.Form):
    """A box on the photo in its pixels (drawing on the photo fills these in; they can also be
    typed)."""

    x = forms.IntegerField(min_value=0, label="Left edge (x, pixels)")
    y = forms.IntegerField(min_value=0, label="Top edge (y, pixels)")
    w = forms.IntegerField(min_value=1, label="Width (pixels)")
    h = forms.IntegerField(min_value=1, label="Height (pixels)")
