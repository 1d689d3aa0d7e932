"""The medical director's staff pages (everyone else gets 404): the staff list, inviting someone,
and one person's page with their actions (send a new enrolment link, deactivate or reactivate,
change role). Each action is a service in `accounts/services/staff.py`."""

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from needlepoint.accounts import selectors
from needlepoint.accounts.models import User
from needlepoint.accounts.services import staff
from needlepoint.accounts.staff_forms import RoleForm, StaffInviteForm
from needlepoint.clinic.access import require_medical_director
from needlepoint.clinic.services import ServiceError

TEMPLATES = "accounts/staff/"


def _actor(request: HttpRequest) -> User:
    require_medical_director(request)
    assert isinstance(request.user, User)
    return request.user


def staff_list(request: HttpRequest) -> HttpResponse:
    _actor(request)
    return render(request, TEMPLATES + "list.html", {"rows": selectors.staff_rows()})


def staff_invite(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = staff.staff_invite(actor=actor, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return render(request, TEMPLATES + "invite.html", {"form": form}, status=exc.http_status)
        messages.success(request, f"Invitation sent to {user.email}.")
        return redirect("accounts:staff_list")
    return render(request, TEMPLATES + "invite.html", {"form": form}, status=400 if form.errors else 200)


def _member(pk: int) -> User:
    user = selectors.staff_member(pk)
    if user is None:
        raise Http404("No such member of staff.")
    return user


def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _actor(request)
    return _detail(request, _member(pk))


def _detail(request: HttpRequest, user: User, *, error: str = "", status: int = 200) -> HttpResponse:
    row = next(r for r in selectors.staff_rows() if r.user.pk == user.pk)
    context = {"row": row, "person": user, "role_form": RoleForm(initial={"role": user.role}), "error": error}
    return render(request, TEMPLATES + "detail.html", context, status=status)


def _act(request: HttpRequest, pk: int, action: Callable[[User, User], None], done: str) -> HttpResponse:
    actor = _actor(request)
    user = _member(pk)
    try:
        action(actor, user)
    except ServiceError as exc:
        return _detail(request, user, error=exc.message, status=exc.http_status)
    messages.success(request, done.format(name=user.get_full_name() or user.get_username()))
    return redirect("accounts:staff_detail", pk=user.pk)


@require_POST
def staff_link_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda actor, user: staff.enrolment_link_send(actor=actor, user=user),
        "A new enrolment link was emailed to {name}.",
    )


@require_POST
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda actor, user: staff.staff_deactivate(actor=actor, user=user),
        "{name} is deactivated and has been signed out.",
    )


@require_POST
def staff_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda actor, user: staff.staff_reactivate(actor=actor, user=user),
        "{name} can sign in again.",
    )


@require_POST
def staff_role(request: HttpRequest, pk: int) -> HttpResponse:
    form = RoleForm(request.POST)
    role = form.cleaned_data["role"] if form.is_valid() else ""
    return _act(
        request,
        pk,
        lambda actor, user: staff.staff_role_change(actor=actor, user=user, role=role),
        "{name}'s role is changed; they have been signed out so the new rights apply at once.",
    )
