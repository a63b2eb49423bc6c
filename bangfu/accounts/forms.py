"""Forms of the accounts pages. Rules live in models/validators/services; forms turn them into field errors."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from bangfu.accounts import services
from bangfu.accounts.models import User, validate_kind_roles, validate_role_combination
from bangfu.accounts.roles import Role
from bangfu.orgs.models import Org


class BootstrapMixin:
    """Bootstrap 5 classes on the widgets, and aria-invalid on fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class LoginForm(BootstrapMixin, auth_forms.AuthenticationForm):
    username = auth_forms.UsernameField(
        label=_("Username"), widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.kind == "worker" and not settings.DEMO_MODE:
            # Workers sign in on the portal: phone, password and a one-time code by text message. (The demo
            # relaxes this with the other second factors, so its printed worker login works here.)
            raise ValidationError(WORKER_PORTAL_MESSAGE, code="worker_portal")


WORKER_PORTAL_MESSAGE = _("Workers sign in on the worker portal (网上工会) with their phone number, password and "
                          "a code sent by text message.")


class PasswordChangeForm(BootstrapMixin, auth_forms.PasswordChangeForm):
    """Django's form (old password, new twice, the whole policy) plus: the new one must differ."""

    def clean(self):
        cleaned = super().clean()
        new = cleaned.get("new_password1")
        if new and "new_password2" not in self.errors and self.user.check_password(new):
            self.add_error("new_password2", ValidationError(
                _("Your new password must differ from your current one."), code="password_unchanged"
            ))
        return cleaned

    def save(self, commit=True):
        services.user_set_password(self.user, self.cleaned_data["new_password1"], must_change=False)
        return self.user


def _digits_only(value: str) -> str:
    return "".join(value.split())


class TokenField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Six-digit code"))
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*", "autofocus": True,
        }))
        super().__init__(**kwargs)

    def to_python(self, value):
        return _digits_only(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if value and not (value.isdigit() and len(value) == 6):
            raise ValidationError(_("Enter the six digits shown in your authenticator app."), code="format")


class TwoFactorVerifyForm(BootstrapMixin, forms.Form):
    """The second step of signing in: a code from the enrolled authenticator app."""

    token = TokenField()

    def __init__(self, *args, user, **kwargs):
        self.user = user
        self.device = None
        super().__init__(*args, **kwargs)

    def clean_token(self):
        token = self.cleaned_data["token"]
        device, error = services.two_factor_check(self.user, token)
        if error == "throttled":
            raise ValidationError(
                _("Too many wrong codes in a row. Wait a few seconds, then enter the current code."),
                code="throttled",
            )
        if error is not None:
            raise ValidationError(_("This code is not valid. Enter the current code from your app."), code="invalid")
        self.device = device
        return token


class TwoFactorSetupForm(BootstrapMixin, forms.Form):
    """Enrolment: the first code from the app proves the secret was stored correctly."""

    token = TokenField()

    def __init__(self, *args, user, device, **kwargs):
        self.user = user
        self.device = device
        super().__init__(*args, **kwargs)

    def clean_token(self):
        token = self.cleaned_data["token"]
        allowed, _info = self.device.verify_is_allowed()
        if not allowed:
            raise ValidationError(
                _("Too many wrong codes in a row. Wait a few seconds, then enter the current code."),
                code="throttled",
            )
        if not services.two_factor_confirm(self.user, self.device, token):
            raise ValidationError(
                _("This code does not match. Check the time on your phone and enter the current code."),
                code="invalid",
            )
        return token


ROLE_HELP = _("System, security and audit administrators are three different people and hold no other role.")


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Roles"))
        kwargs.setdefault("help_text", ROLE_HELP)
        super().__init__(choices=Role.choices, **kwargs)


class UserCreateForm(BootstrapMixin, forms.Form):
    """A system administrator creates an account in an org of their subtree; the password is generated."""

    username = forms.CharField(
        label=_("Username"), max_length=150, validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @ . + - _ only. Used to sign in."),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=64)
    phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False,
        validators=[RegexValidator(r"^[0-9+\- ]{5,20}$", _("Enter a phone number (digits, spaces, + and -)."))],
    )
    kind = forms.ChoiceField(label=_("Kind of account"), choices=User.Kind.choices, initial=User.Kind.STAFF)
    roles = RolesField()

    def __init__(self, *args, actor, org: Org, **kwargs):
        # The org is the one whose users page this form is opened from (looked up through restrict by
        # the view): no list of every org in a national subtree to choose from.
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.org = org

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This username is already taken."), code="username_taken")
        return username

    def clean(self):
        cleaned = super().clean()
        roles = set(cleaned.get("roles") or ())
        if roles and "kind" in cleaned:
            try:
                validate_role_combination(roles)
                validate_kind_roles(cleaned["kind"], roles)
            except ValidationError as error:
                self.add_error("roles", error)
        return cleaned

    def save(self):
        """Create the account; returns (user, initial password). Raises ValidationError, nothing saved."""
        data = self.cleaned_data
        return services.user_create(
            self.actor, username=data["username"], org=self.org, kind=data["kind"], roles=data["roles"],
            full_name=data["full_name"], phone=data["phone"],
        )


class UserRolesForm(BootstrapMixin, forms.Form):
    roles = RolesField(required=False)

    def __init__(self, *args, actor, target, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.target = target
        self.fields["roles"].initial = sorted(target.role_set)

    def clean_roles(self):
        roles = set(self.cleaned_data["roles"])
        if self.target.pk == self.actor.pk:
            raise ValidationError(_("You cannot change your own roles."), code="self_grant")
        validate_role_combination(roles)
        validate_kind_roles(self.target.kind, roles)
        return roles

    def save(self):
        services.user_set_roles(self.actor, self.target, self.cleaned_data["roles"])

