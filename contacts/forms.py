from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Language
from .phones import EXAMPLE
from .versioning import VersionField


class ContactForm(forms.Form):
    """The Edit form (C3). Validation of the values is the service's (contact_update); the form
    only carries them, so the console, the admin and sign-in sync share one set of rules. The
    hidden version is the principal's when the form was filled in (contacts.versioning)."""

    phone = forms.CharField(
        label=_("Mobile Phone Number"),
        required=False,
        max_length=40,
        help_text=_("With the country code, e.g. 8613912345678."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "placeholder": EXAMPLE}),
    )
    email = forms.CharField(
        label=_("Email Address"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off", "placeholder": "name@example.com"}),
    )
    language = forms.ChoiceField(label=_("Alerting Language"), choices=Language.choices, initial=Language.AUTO)
    version = VersionField()
