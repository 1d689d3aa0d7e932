"""The consent forms: signing (the consent text's version being signed, the SHA-256 of the text
and plan the page showed, the typed name and the drawn signature, a PNG as a data URL checked
by the service); the staff password that takes the tablet back; a consent text draft."""

from django import forms

TEXT_MISSING = "The consent text could not be found. Reload the page and sign again."


class SignForm(forms.Form):
    consent_text = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": TEXT_MISSING, "invalid": TEXT_MISSING}
    )
    typed_name = forms.CharField(
        max_length=200,
        label="Full name",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Type the patient's full name."},
    )
    signature_png = forms.CharField(required=False, strip=True)
    shown_sha256 = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class ReturnTabletForm(forms.Form):
    password = forms.CharField(
        label="Staff password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Type the password of the staff member who handed the tablet over."},
    )


class ConsentTextForm(forms.Form):
    """A draft's version label, title and body; `revision` is the draft's revision when the page
    was opened (a stale edit is refused)."""

    version = forms.CharField(
        max_length=20,
        label="Version label",
        help_text="For example 2 or 2026-12. Each version of the text needs a new label.",
        error_messages={"required": "Give the new text a version label."},
    )
    title = forms.CharField(max_length=200, error_messages={"required": "Give the text a title."})
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24}),
        max_length=50_000,
        help_text="Plain text. A blank line starts a new paragraph.",
        error_messages={"required": "Write the text the patient will read."},
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
