"""Evidence attachments and the checklist of what each cause needs (DOMAIN.md §2).

    attachment_add(household, uploaded_file, kind=..., actor=..., member=None) -> Attachment
    evidence_checklist(household) -> list of rows {code, label, ok, attachments, causes}
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bangfu.registry import files
from bangfu.registry.models import Attachment, CodeItem, CodeList, Household, record_event
from bangfu.registry.models.codes import code_label


@transaction.atomic
def attachment_add(household: Household, uploaded, *, kind: str, actor=None, member=None,
                   _locked: bool = False) -> Attachment:
    """Check the file (size, real type), store it under a random name outside the web root, keep its SHA-256."""
    from bangfu.registry.services.archive import _lock

    if not _locked:
        household = _lock(household)
    errors: dict = {}
    if not CodeItem.objects.active().of(CodeList.EVIDENCE).filter(code=kind or "").exists():
        errors["kind"] = [_("Choose a document kind of the list.")]
    member_id = getattr(member, "pk", member) or None
    if member_id and not household.members.filter(pk=member_id).exists():
        errors["member"] = [_("The member is not part of this household.")]
    try:
        checked = files.check_upload(uploaded)
    except ValidationError as error:
        errors["file"] = error.messages
    if errors:
        raise ValidationError(errors)
    attachment = Attachment(
        household=household, member_id=member_id, kind=kind, original_name=checked.original_name,
        content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    uploaded.seek(0)
    attachment.file.save(files.random_name(checked), uploaded, save=False)
    stored = attachment.file.name
    try:
        attachment.save()
        record_event(household, "attachment_added", document=kind, sha256=checked.sha256, size=checked.size)
    except Exception:
        attachment.file.storage.delete(stored)
        raise
    # If an outer transaction rolls back later, the file stays as an unreferenced random name under
    # MEDIA_ROOT (never served: downloads go through the row). Django has no on-rollback hook.
    return attachment


def evidence_checklist(household: Household) -> list[dict]:
    """What the household's causes need on file (cause flags `evidence`) and whether it is there."""
    from bangfu.registry.models import HouseholdCause

    causes = list(HouseholdCause.objects.filter(household=household).values_list("code", flat=True))
    flags = dict(
        CodeItem.objects.active().of(CodeList.CAUSE).filter(code__in=causes).values_list("code", "flags")
    )
    needed: dict[str, list[str]] = {}
    for cause in causes:
        for code in (flags.get(cause) or {}).get("evidence", []):
            needed.setdefault(code, []).append(code_label(CodeList.CAUSE, cause))
    on_file: dict[str, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(household=household).order_by("-uploaded_at"):
        on_file.setdefault(attachment.kind, []).append(attachment)
    return [
        {"code": code, "label": code_label(CodeList.EVIDENCE, code), "ok": code in on_file,
         "attachments": on_file.get(code, []), "causes": cause_labels}
        for code, cause_labels in needed.items()
    ]
