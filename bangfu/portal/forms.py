"""Forms of the worker portal. Rules live in the write functions (`accounts`, `application`, the services and
registry actions); the forms turn their refusals into field errors."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.forms import BootstrapMixin
from bangfu.portal import codes
from bangfu.registry.models.codes import CodeList, code_choices
from bangfu.services.models import Urgency


def _policy_help():
    return format_html_join("", "<div>{}</div>", ((text,) for text in password_validators_help_texts()))


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile phone number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        phone = codes.normalise_phone(value)
        if value and not phone:
            raise ValidationError(_("Enter a mainland mobile number of 11 digits."), code="phone")
        return phone


class SmsCodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Code from the text message"))
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = "".join((super().clean(value) or "").split())
        if value and not (value.isdigit() and len(value) == codes.CODE_DIGITS):
            raise ValidationError(_("Enter the six digits of the text message."), code="format")
        return value


class NewPasswordMixin(forms.Form):
    password1 = forms.CharField(label=_("New password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("New password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = _policy_help()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class LoginForm(BootstrapMixin, forms.Form):
    phone = PhoneField()
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(BootstrapMixin, forms.Form):
    code = SmsCodeField()


class ActivationForm(BootstrapMixin, NewPasswordMixin):
    phone = PhoneField()
    code = SmsCodeField()
    field_order = ["phone", "code", "password1", "password2"]


class InvitationForm(BootstrapMixin, NewPasswordMixin):
    code = forms.CharField(label=_("Invitation code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}))
    phone = PhoneField(help_text=_("You will sign in with this number and receive your sign-in codes on it."))
    field_order = ["code", "phone", "password1", "password2"]


class StaffActivateForm(BootstrapMixin, forms.Form):
    phone = PhoneField(help_text=_("The member's own mobile phone: the activation code is sent there."))


class EvidenceForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Document"))
    member = forms.ModelChoiceField(label=_("Member concerned"), queryset=None, required=False)
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = code_choices(CodeList.EVIDENCE)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: m.name_masked


class CausesForm(BootstrapMixin, forms.Form):
    main = forms.ChoiceField(label=_("Main cause of hardship"))
    secondary = forms.MultipleChoiceField(label=_("Other causes (up to three)"), required=False,
                                          widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = code_choices(CodeList.CAUSE)
        self.fields["main"].choices = [("", "—")] + choices
        self.fields["secondary"].choices = choices


class OrderForm(BootstrapMixin, forms.Form):
    """An order from the menu. `household` is the worker's own household's id (a hidden field); the order action
    refuses any other."""

    household = forms.IntegerField(widget=forms.HiddenInput)
    member = forms.ModelChoiceField(label=_("For whom"), queryset=None, empty_label=None)
    quantity = forms.IntegerField(label=_("How many"), min_value=1, initial=1)
    urgency = forms.TypedChoiceField(label=_("How urgent"), choices=Urgency.choices, coerce=int,
                                     initial=Urgency.NORMAL)
    preferences = forms.CharField(label=_("Wishes (time, place, anything the helper should know)"), required=False,
                                  max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: m.name_masked


class FeedbackForm(BootstrapMixin, forms.Form):
    rating = forms.TypedChoiceField(label=_("Stars"), coerce=int, choices=[(i, "★" * i) for i in range(5, 0, -1)],
                                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class DeclineForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Why not?"), max_length=500)
