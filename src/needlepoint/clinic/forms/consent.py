"""The consent signing form: the consent text's version being signed, the typed name and the
drawn signature (a PNG as a data URL, checked by the service)."""

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
