"""Password rules of DOMAIN.md §9 that Django does not ship."""

import string

from django.contrib.auth.password_validation import get_default_password_validators, validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class CharacterClassValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    @staticmethod
    def classes_in(password: str) -> int:
        return sum(
            [
                any(c in string.ascii_lowercase for c in password),
                any(c in string.ascii_uppercase for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            ]
        )

    def validate(self, password, user=None):
        if self.classes_in(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_character_classes")

    def get_help_text(self):
        return ngettext(
            "Your password must mix at least %(n)d kind of characters: lower-case, upper-case, digits, symbols.",
            "Your password must mix at least %(n)d kinds of characters: lower-case, upper-case, digits, symbols.",
            self.min_classes,
        ) % {"n": self.min_classes}


class NotUsernameValidator:
    """The password may not be, or contain, the username."""

    def validate(self, password, user=None):
        username = (getattr(user, "username", "") or "").lower()
        if username and username in password.lower():
            raise ValidationError(_("Your password may not contain your username."), code="password_has_username")

    def get_help_text(self):
        return _("Your password may not contain your username.")


def validate_new_password(password: str, user) -> None:
    """Run the configured password policy (AUTH_PASSWORD_VALIDATORS) for `user`.

    The history check (no reuse of the last 5) needs a saved user; for a user being created it is
    skipped, since there is nothing to compare against yet (and the validator would only warn).
    """
    from django_password_validators.password_history.password_validation import UniquePasswordsValidator

    validators = get_default_password_validators()
    if user is None or user.pk is None:
        validators = [v for v in validators if not isinstance(v, UniquePasswordsValidator)]
    validate_password(password, user, password_validators=validators)
