"""Clinical photographs and the patient's photo consent.

Photo consent is separate from treatment consent: `record` (keeping photos in the clinical
record) is required before any photo is stored; `teaching` and `marketing` are optional and
revocable. Every decision is a new `PhotoConsent` row (the history is kept); the latest row per
patient and purpose is the one in force, so revoking hides a photo from that use at once.

The image file is the stored, re-encoded copy (no metadata), kept in the `photos` storage
(`settings.STORAGES["photos"]`: outside the web root, or a private S3-compatible bucket) and
served only through the access-checked view."""

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q

from needlepoint.clinic.models import CheckIn, Course, Patient, TreatmentSession

USER = settings.AUTH_USER_MODEL


def photo_storage() -> Storage:
    """The storage that holds clinical photos (read when a file is saved or opened, so a
    setting changed in a test or a deployment is honoured)."""
    return storages["photos"]


class Purpose(models.TextChoices):
    RECORD = "record", "the clinical record"
    TEACHING = "teaching", "teaching"
    MARKETING = "marketing", "marketing"


OPTIONAL_PURPOSES = (Purpose.TEACHING, Purpose.MARKETING)


class PhotoConsent(models.Model):
    """One decision of a patient about one use of their photos: given or withdrawn."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="photo_consents")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    given = models.BooleanField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "purpose", "-recorded_at"], name="photo_consent_latest")]


class Photo(models.Model):
    """One clinical photograph of one area and standard view, taken at a visit (a treatment
    session) or sent by the patient with an aftercare check-in."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="photos")
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    session = models.ForeignKey(
        TreatmentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    check_in = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    area = models.CharField(max_length=40)
    view = models.CharField(max_length=40)
    taken_at = models.DateTimeField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(storage=photo_storage, upload_to="original/%Y/%m/", max_length=200)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    mime = models.CharField(max_length=40)
    source_format = models.CharField(max_length=10)  # what was uploaded: JPEG, PNG or HEIF
    quality = models.JSONField(default=dict, blank=True)
    thumbnail = models.FileField(storage=photo_storage, upload_to="thumb/%Y/%m/", blank=True, max_length=200)

    class Meta:
        ordering = ["-taken_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(width__gt=0) & Q(height__gt=0), name="photo_has_size"),
        ]
        indexes = [models.Index(fields=["patient", "area", "view", "-taken_at"], name="photo_same_view")]

    @property
    def quality_ok(self) -> bool:
        """Whether the quality gate passed (a photo never measured counts as passed)."""
        return bool(self.quality.get("ok", True))

    @property
    def quality_problems(self) -> list[str]:
        from needlepoint.photos.services.quality import quality_words

        return quality_words(self.quality)

    def __str__(self) -> str:
        return f"{self.area} {self.view} photo of {self.taken_at:%Y-%m-%d}"


class BeforePhotoWaiver(models.Model):
    """The medical director's waiver of before photos for one patient, with the reason: their
    first session may then be charted without photos."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="before_photo_waivers")
    reason = models.TextField()
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_at", "-id"]


class Alignment(models.Model):
    """A later photo aligned onto an earlier one of the same view (computed by the worker):
    the warped image and the homography that maps the later photo onto the earlier."""

    earlier = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="+")
    later = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="alignments")
    file = models.FileField(storage=photo_storage, upload_to="aligned/%Y/%m/", blank=True, max_length=200)
    homography = models.JSONField(default=list, blank=True)
    method = models.CharField(max_length=20, default="features")  # features | points
    ok = models.BooleanField(default=False)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["earlier", "later", "method"], name="one_alignment_per_pair"),
        ]


class MeasuredRegion(models.TextChoices):
    """The regions whose colour is measured: the standard regions of a front face view (fixed
    fractions of the frame, `needlepoint.photos.services.measurements.STANDARD_REGIONS`) or a
    box the practitioner drew."""

    RIGHT_CHEEK = "right_cheek", "right cheek"
    LEFT_CHEEK = "left_cheek", "left cheek"
    FOREHEAD = "forehead", "forehead"
    CHIN = "chin", "chin"
    DRAWN = "drawn", "drawn region"


class PhotoMeasurement(models.Model):
    """The skin colour of one region of one photo, measured by the photo core
    (`needlepoint.photo.measure`): CIELAB (D65), ITA° and a*. Append-only: measuring again
    adds a row; the latest row per photo and region is the one shown. `calibrated` is true only
    when a colour card in the frame corrected the colour: values without it are not comparable
    between visits."""

    photo = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="measurements")
    region = models.CharField(max_length=20, choices=MeasuredRegion.choices)
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    w = models.PositiveIntegerField()
    h = models.PositiveIntegerField()
    L = models.FloatField()
    a = models.FloatField()
    b = models.FloatField()
    ita_deg = models.FloatField()
    erythema_index = models.FloatField()  # a* of the region
    pixels_used = models.PositiveIntegerField()
    excluded_share = models.FloatField()
    calibrated = models.BooleanField()
    card_residual = models.FloatField(null=True, blank=True)  # mean CIEDE2000 of the corrected patches
    method = models.CharField(max_length=40)
    measured_at = models.DateTimeField(auto_now_add=True)
    measured_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-measured_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(w__gt=0) & Q(h__gt=0), name="photo_measurement_has_size"),
        ]
        indexes = [models.Index(fields=["photo", "region", "-measured_at"], name="photo_measurement_latest")]

    @property
    def box(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    def __str__(self) -> str:
        return f"{self.region} of photo {self.photo_id}"
