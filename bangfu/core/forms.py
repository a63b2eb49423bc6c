"""What every page form shares: a write function's ValidationError shown on the form that called it."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def errors_to_form(form, error: ValidationError, *, rename: dict | None = None) -> None:
    """Put a write function's `error` on `form`: each message beside its field (its name mapped by `rename`), at
    the top of the form when the form has no such field or the error names none."""
    rename = rename or {}
    errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, messages in errors.items():
        target = rename.get(field, field)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)


class ServiceErrorsMixin:
    """For forms whose data go to a write function: `form.apply_errors(error)` after it refused."""

    def apply_errors(self, error: ValidationError, *, rename: dict | None = None) -> None:
        errors_to_form(self, error, rename=rename)


def submitted(request, form, action, success: str) -> bool:
    """A POSTed form handed to its write function: True when `form` is valid and `action(**cleaned_data)` went
    through (`success` is flashed; the caller redirects), False otherwise (the refusal is on the form; the caller
    shows the page again with it)."""
    from django.contrib import messages

    if not form.is_valid():
        return False
    try:
        action(**form.cleaned_data)
    except ValidationError as error:
        errors_to_form(form, error)
        return False
    messages.success(request, success)
    return True
