"""The medical director's consent texts: the list (the current published version per treatment,
drafts, earlier versions), writing a draft, editing it (a stale edit answers 409), previewing
it as the patient will read it, and publishing it. Everyone else gets 404."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import require_medical_director
from needlepoint.clinic.forms.consent import ConsentTextForm
from needlepoint.clinic.models import ConsentText
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.consent_texts import (
    DEFAULT_CONSENT,
    consent_draft_create,
    consent_draft_edit,
    consent_draft_publish,
    current_consent_text,
)
from needlepoint.web.http import AuthenticatedHttpRequest

TREATMENT = DEFAULT_CONSENT["treatment"]
FORM_FIELDS = ("version", "title", "body")


def _text(text_id: int) -> ConsentText:
    text = ConsentText.objects.filter(pk=text_id).first()
    if text is None:
        raise Http404("No such consent text.")
    return text


def text_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The consent texts: current per treatment, drafts, and earlier published versions."""
    require_medical_director(request)
    texts = list(
        ConsentText.objects.select_related("written_by", "published_by").order_by("treatment", "-id")
    )
    current = {t.treatment: t for t in texts if t.is_published and _is_current(t, texts)}
    context = {
        "current": sorted(current.values(), key=lambda t: t.treatment),
        "drafts": [t for t in texts if not t.is_published],
        "earlier": [t for t in texts if t.is_published and t not in current.values()],
    }
    return render(request, "clinic/consent/texts.html", context)


def _is_current(text: ConsentText, texts: list[ConsentText]) -> bool:
    published = [t for t in texts if t.treatment == text.treatment and t.published_at is not None]
    return max(published, key=lambda t: (t.published_at, t.pk)) == text


def text_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Write a new draft, starting from the current text's wording."""
    require_medical_director(request)
    current = current_consent_text(TREATMENT)
    initial = {"title": current.title, "body": current.body} if current else {}
    form = ConsentTextForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            text = consent_draft_create(treatment=TREATMENT, actor=request.user, **_parts(form))
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in FORM_FIELDS else None, exc.message)
            status = exc.http_status
        else:
            messages.success(request, f"Draft version {text.version} saved. Preview it, then publish it.")
            return redirect("clinic:consent_text_edit", text.pk)
    elif form.is_bound:
        status = 400
    return render(request, "clinic/consent/text_form.html", {"form": form, "text": None}, status=status)


def _parts(form: ConsentTextForm) -> dict[str, str]:
    return {k: form.cleaned_data[k] for k in FORM_FIELDS}


def text_edit(request: AuthenticatedHttpRequest, text_id: int) -> HttpResponse:
    """Edit a draft; a published text is shown read-only."""
    require_medical_director(request)
    text = _text(text_id)
    if text.is_published:
        return redirect("clinic:consent_text_preview", text.pk)
    form = ConsentTextForm(request.POST or None, initial=_initial(text))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            consent_draft_edit(
                text=text,
                actor=request.user,
                expected_revision=form.cleaned_data["revision"] or 0,
                **_parts(form),
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in FORM_FIELDS else None, exc.message)
            status = exc.http_status
        else:
            messages.success(request, f"Draft version {text.version} saved.")
            return redirect("clinic:consent_text_edit", text.pk)
    elif form.is_bound:
        status = 400
    return render(request, "clinic/consent/text_form.html", {"form": form, "text": text}, status=status)


def _initial(text: ConsentText) -> dict[str, Any]:
    return {"version": text.version, "title": text.title, "body": text.body, "revision": text.revision}


def text_preview(request: AuthenticatedHttpRequest, text_id: int) -> HttpResponse:
    """The text as the patient will read it on the consent page, with the publish button for a draft."""
    require_medical_director(request)
    text = _text(text_id)
    audit_record(
        actor=request.user, action="view", obj=text, summary=f"consent text version {text.version} preview"
    )
    return render(request, "clinic/consent/text_preview.html", {"text": text, "plan_shown": _sample_plan()})


def _sample_plan() -> dict[str, Any]:
    return {
        "lines": [
            "The patient's own plan is shown here: areas, sessions, weeks between them, depths, adjuncts."
        ]
    }


@require_POST
def text_publish(request: AuthenticatedHttpRequest, text_id: int) -> HttpResponse:
    """Publish the draft previewed; refused (409) if it changed since the preview was opened."""
    require_medical_director(request)
    text = _text(text_id)
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = 0
    try:
        consent_draft_publish(text=text, actor=request.user, expected_revision=revision)
    except ServiceError as exc:
        context = {"text": text, "plan_shown": _sample_plan(), "error": exc.message}
        return render(request, "clinic/consent/text_preview.html", context, status=exc.http_status)
    messages.success(request, f"Version {text.version} is published: new consents use it from now on.")
    return redirect("clinic:consent_texts")


urls: list[URLPattern] = [
    path("consent-texts/", text_list, name="consent_texts"),
    path("consent-texts/new/", text_new, name="consent_text_new"),
    path("consent-texts/<int:text_id>/", text_edit, name="consent_text_edit"),
    path("consent-texts/<int:text_id>/preview/", text_preview, name="consent_text_preview"),
    path("consent-texts/<int:text_id>/publish/", text_publish, name="consent_text_publish"),
]
