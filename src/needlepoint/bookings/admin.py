"""Admin pages for the clinic's resources: locations (with closures), rooms, devices,
practitioners' skills and hours, appointment types. Mounted at /admin/ as `clinic_admin`.

Only the active medical director gets in (with a verified second factor when staff two-factor is
required); everyone else signed in gets 404, and anonymous visitors go to the application's own
sign-in page — the admin has no login page of its own. Patients and clinical records are not
here: they are edited through the clinic's pages and services, which audit every read.

Nothing that appointments (or other resources) use can be deleted: the admin says what uses it,
in a message, and deletes nothing. There is no bulk delete."""

from collections import Counter
from collections.abc import Callable
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import router
from django.db.models import Model, ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from needlepoint.accounts.models import CLINICAL_ROLES, User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import (
    Appointment,
    AppointmentType,
    Closure,
    Location,
    PractitionerProfile,
    Skill,
)
from needlepoint.clinic.models import Device, Room

ROOM_KINDS = [("treatment", "Treatment room"), ("numbing", "Numbing chair"), ("consult", "Consultation room")]
DEVICE_KINDS = [("pen", "Microneedling pen"), ("centrifuge", "Centrifuge (PRP/PRF)")]

if TYPE_CHECKING:  # django-stubs makes these generic; Django's own classes take no parameters
    _ModelAdmin = admin.ModelAdmin[Any]
    _ClosureInline = admin.TabularInline[Closure, Location]
    _ModelForm = forms.ModelForm[Any]
else:
    _ModelAdmin, _ClosureInline, _ModelForm = admin.ModelAdmin, admin.TabularInline, forms.ModelForm


class ClinicAdminSite(admin.AdminSite):
    site_header = "Clinic resources"
    site_title = "Needlepoint clinic resources"
    index_title = "Locations, rooms, devices, practitioners and appointment types"
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        """The active medical director only, with a verified device when two-factor is required."""
        user = request.user
        if not (isinstance(user, User) and user.is_active and user.is_medical_director):
            return False
        if getattr(settings, "NEEDLEPOINT_REQUIRE_STAFF_2FA", True):
            is_verified = getattr(user, "is_verified", None)
            return bool(is_verified and is_verified())
        return True

    def admin_view[V: Callable[..., HttpResponseBase]](self, view: V, cacheable: bool = False) -> V:
        """Refuse signed-in users without permission with 404 (never a glimpse, never the admin's
        own login form)."""
        wrapped = super().admin_view(view, cacheable)

        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.user.is_authenticated and not self.has_permission(request):
                raise Http404("No such page.")
            return wrapped(request, *args, **kwargs)

        return cast(V, update_wrapper(inner, wrapped))

    def get_urls(self) -> list[URLPattern | URLResolver]:
        """Django points anonymous visitors of the site-wide admin views at the admin's login;
        send them to the application's own sign-in page instead."""
        urls = super().get_urls()
        for pattern in urls:
            callback = getattr(pattern, "callback", None)
            if callback is not None and hasattr(callback, "login_url"):
                callback.login_url = settings.LOGIN_URL
        return urls

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Not a sign-in page: LoginRequiredMiddleware sends anonymous visitors to the
        application's sign-in page (this view is not marked login_not_required); the director is
        sent on, anyone else gets 404."""
        if not self.has_permission(request):
            raise Http404("No such page.")
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(target)


clinic_admin = ClinicAdminSite(name="admin")
clinic_admin.disable_action("delete_selected")  # one resource at a time, each checked for use


# ---------------------------------------------------------------------------------------------
# Shared rules
# ---------------------------------------------------------------------------------------------


def _plural(n: int, model: type[Model]) -> str:
    return f"{n} {model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}"


def what_uses(obj: Model) -> list[str]:
    """Return what would stop `obj` from being deleted, in words ("2 appointments", "1 room")."""
    collector = Collector(using=router.db_for_write(type(obj)), origin=obj)
    try:
        collector.collect([obj])
    except (ProtectedError, RestrictedError) as exc:
        found = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        counts = Counter(type(o) for o in found)
        return [_plural(n, model) for model, n in counts.items()]
    return []


class ResourceAdmin(_ModelAdmin):
    """Director-only permissions, audited saves, and deletion refused (with a message) while
    anything uses the resource."""

    in_use_hint = ""

    def _director(self, request: HttpRequest) -> bool:
        return bool(self.admin_site.has_permission(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._director(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._director(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._director(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._director(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._director(request)

    def in_use(self, obj: Any) -> list[str]:
        return what_uses(obj)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is not None and self._director(request):
            users = self.in_use(obj)
            if users:
                return self._refuse_delete(request, obj, users)
        try:
            return super().delete_view(request, object_id, extra_context)
        except (ProtectedError, RestrictedError):  # something started using it meanwhile
            return self._refuse_delete(request, obj, ["records made while you were deleting it"])

    def _refuse_delete(self, request: HttpRequest, obj: Any, users: list[str]) -> HttpResponse:
        hint = f" {self.in_use_hint}" if self.in_use_hint else ""
        messages.error(
            request, f"“{obj}” cannot be deleted: {', '.join(users)} use it. Nothing was deleted.{hint}"
        )
        info = self.opts.app_label, self.opts.model_name
        return redirect(f"admin:{info[0]}_{info[1]}_change", obj.pk)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="change" if change else "create",
            obj=obj,
            summary=f"clinic resource {'changed' if change else 'added'} in the admin",
        )


# ---------------------------------------------------------------------------------------------
# Locations and closures
# ---------------------------------------------------------------------------------------------


class ClosureInline(_ClosureInline):
    model = Closure
    extra = 1
    fields = ("first", "last", "reason")

    def _director(self, request: HttpRequest) -> bool:
        return bool(self.admin_site.has_permission(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._director(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._director(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._director(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._director(request)


@admin.register(Location, site=clinic_admin)
class LocationAdmin(ResourceAdmin):
    list_display = ("name", "time_zone", "opening_hours", "slot_minutes")
    search_fields = ("name",)
    fields = ("name", "address", "time_zone", "opening_hours", "slot_minutes")
    inlines = [ClosureInline]
    in_use_hint = "To stop booking there, add a closure instead."


# ---------------------------------------------------------------------------------------------
# Rooms and devices (clinic models; the scheduling core books them by kind)
# ---------------------------------------------------------------------------------------------


class RoomForm(_ModelForm):
    kind = forms.ChoiceField(
        choices=ROOM_KINDS,
        help_text="A numbing chair holds a patient during numbing; treatments need a treatment room.",
    )

    class Meta:
        model = Room
        fields = ("name", "kind", "location")


@admin.register(Room, site=clinic_admin)
class RoomAdmin(ResourceAdmin):
    form = RoomForm
    list_display = ("name", "kind", "location")
    list_filter = ("kind", "location")
    list_select_related = ("location",)


class DeviceForm(_ModelForm):
    kind = forms.ChoiceField(choices=DEVICE_KINDS)

    class Meta:
        model = Device
        fields = ("name", "kind", "serial", "location")


@admin.register(Device, site=clinic_admin)
class DeviceAdmin(ResourceAdmin):
    form = DeviceForm
    list_display = ("name", "kind", "serial", "location")
    list_filter = ("kind", "location")
    list_select_related = ("location",)
    search_fields = ("name", "serial")


# ---------------------------------------------------------------------------------------------
# Practitioners and appointment types
# ---------------------------------------------------------------------------------------------


class PractitionerProfileForm(_ModelForm):
    skills = forms.MultipleChoiceField(
        choices=Skill.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = PractitionerProfile
        fields = ("user", "location", "skills", "working_hours", "active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clinical = User.objects.filter(role__in=CLINICAL_ROLES, is_active=True)
        cast(forms.ModelChoiceField[Any], self.fields["user"]).queryset = clinical
        self.fields["user"].label = "Practitioner"


@admin.register(PractitionerProfile, site=clinic_admin)
class PractitionerProfileAdmin(ResourceAdmin):
    form = PractitionerProfileForm
    list_display = ("__str__", "skill_list", "working_hours", "active")
    list_filter = ("active", "location")
    list_select_related = ("user", "location")
    in_use_hint = "Untick “active” instead: they are then offered no new bookings."

    @admin.display(description="Skills")
    def skill_list(self, obj: PractitionerProfile) -> str:
        labels = dict(Skill.choices)
        return ", ".join(labels.get(s, s) for s in obj.skills) or "—"

    def in_use(self, obj: PractitionerProfile) -> list[str]:
        n = Appointment.objects.filter(practitioner_id=obj.user_id).count()
        return [_plural(n, Appointment)] if n else []


@admin.register(AppointmentType, site=clinic_admin)
class AppointmentTypeAdmin(ResourceAdmin):
    list_display = ("name", "code", "kind", "numbing_minutes", "draw_minutes", "spin_minutes", "minutes")
    list_filter = ("kind",)
    prepopulated_fields = {"code": ("name",)}
