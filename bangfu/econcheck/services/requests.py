"""Named, atomic write functions of check requests: create, export (file), send (centre connection), cancel.

Pages, the API and tests call these and nothing else. Each validates first and raises
`django.core.exceptions.ValidationError` with messages by field, writing nothing on refusal.

Rules:
* only households of the actor's subtree (another union's household is "not among those you may see", never
  named), in an open state, with the economic-check authorisation in force (`registry.Consent` kind
  `economic_check`, not withdrawn, signed on or before today), and not already in an unanswered request;
* every member of a selected household is requested (one item each, reference `<request number>-<seq>`);
* the request content (file or JSON) holds full ID numbers: producing it needs `econcheck.add_checkrequest`, is
  written to the access log with its SHA-256, and a draft becomes "sent" the first time its content leaves;
* the rules are checked again each time the content leaves (file or API): a household whose authorisation was
  withdrawn or whose archive was closed since the draft refuses the whole request, naming the household (archive
  number, masked head) — nothing is dropped silently and nothing is marked as sent;
* a request is cancelled only before any result came back.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.core.scoping import assert_in_scope
from bangfu.econcheck import requestfile
from bangfu.econcheck.centre import CentreError, get_backend
from bangfu.econcheck.models import (
    ALL_ITEMS,
    UNANSWERED_STATES,
    CheckRequest,
    CheckRequestItem,
    CheckResult,
    RequestState,
    SentVia,
)
from bangfu.registry.models import OPEN_STATES, Consent, ConsentKind, Household, State, TimelineEvent

MAX_HOUSEHOLDS = 2000
NOTE_MAX = 200
REASON_MAX = 200


# --- who may be requested --------------------------------------------------------------------------------


def authorisation_in_force(on: dt.date | None = None):
    """Exists(...) of the household's economic-check authorisation in force on `on` (today)."""
    on = on or timezone.localdate()
    return Exists(Consent.objects.filter(household=OuterRef("pk"), kind=ConsentKind.ECONOMIC_CHECK,
                                         withdrawn_on__isnull=True, signed_on__lte=on))


def pending_request():
    """Exists(...) of an item of the household in an unanswered request that has no result yet."""
    return Exists(CheckRequestItem.objects.filter(household=OuterRef("pk"), request__state__in=UNANSWERED_STATES,
                                                  result__isnull=True))


def candidates(user, *, scope: str = "economic_check"):
    """Households of the user's subtree that could be requested, annotated with `authorised` and `pending`.
    scope "economic_check": in the economic-check step (the default); "open": any open or active archive
    (annual reviews)."""
    households = Household.objects.restrict(user, "view").select_related("org")
    households = (households.filter(state=State.ECONOMIC_CHECK) if scope == "economic_check"
                  else households.filter(state__in=OPEN_STATES))
    return households.annotate(authorised=authorisation_in_force(), pending=pending_request()).order_by("org__path",
                                                                                                       "-id")


def next_number(org, taken: int = 0) -> str:
    today = timezone.localdate()
    prefix = f"HD-{org.code}-{today:%Y%m%d}-"
    count = CheckRequest.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1 + taken}"


def _consent_dates(household_ids) -> dict[int, dt.date]:
    today = timezone.localdate()
    dates: dict[int, dt.date] = {}
    for household_id, signed_on in (Consent.objects.filter(
            household_id__in=household_ids, kind=ConsentKind.ECONOMIC_CHECK, withdrawn_on__isnull=True,
            signed_on__lte=today).order_by("signed_on").values_list("household_id", "signed_on")):
        dates[household_id] = signed_on  # the latest signed (ordered ascending)
    return dates


def _pending_numbers(household_ids) -> dict[int, str]:
    rows = (CheckRequestItem.objects.filter(household_id__in=household_ids, request__state__in=UNANSWERED_STATES,
                                            result__isnull=True)
            .values_list("household_id", "request__number"))
    return dict(rows)


@transaction.atomic
def create_request(actor, *, household_ids, items=None, note: str = "") -> CheckRequest:
    """A draft request of the actor's union for the households `household_ids` (every member of each)."""
    errors: dict = {}
    ids = []
    for value in household_ids or []:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            errors["households"] = [_("Household ids are whole numbers.")]
    ids = list(dict.fromkeys(ids))
    items = list(dict.fromkeys(items if items is not None else ALL_ITEMS))
    if not ids and "households" not in errors:
        errors["households"] = [_("Select at least one household.")]
    elif len(ids) > MAX_HOUSEHOLDS:
        errors["households"] = [_("At most %(max)s households in one request: split the selection.")
                                % {"max": MAX_HOUSEHOLDS}]
    unknown_items = [code for code in items if code not in ALL_ITEMS]
    if not items or unknown_items:
        errors["items"] = [_("Choose the items the centre should check (at least one of the list).")]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(max)d characters.") % {"max": NOTE_MAX}]
    if errors:
        raise ValidationError(errors)
    households = {h.pk: h for h in Household.objects.restrict(actor, "view").filter(pk__in=ids)
                  .select_for_update(of=("self",)).select_related("org")}
    problems = []
    missing = [pk for pk in ids if pk not in households]
    if missing:
        # One message for ids that do not exist and ids of other unions: nothing about them is told.
        problems.append(_("%(count)s of the selected households are not among those you may see (ids %(ids)s).")
                        % {"count": len(missing), "ids": ", ".join(str(pk) for pk in missing[:10])})
    consent_on = _consent_dates(households)
    pending = _pending_numbers(households)
    for pk in ids:
        household = households.get(pk)
        if household is None:
            continue
        if household.state not in OPEN_STATES:
            problems.append(_("Archive %(number)s is closed (%(state)s): it cannot be checked.")
                            % {"number": household.archive_number, "state": household.get_state_display()})
        elif pk not in consent_on:
            problems.append(_("Archive %(number)s: no authorisation of the economic check on file (or it was "
                              "withdrawn). Record the signed authorisation on the archive's consents page first.")
                            % {"number": household.archive_number})
        elif pk in pending:
            problems.append(_("Archive %(number)s is already in request %(request)s, which has no answer yet: it is "
                              "not requested twice.") % {"number": household.archive_number,
                                                         "request": pending[pk]})
    if problems:
        raise ValidationError({"households": problems})
    org = actor.org
    check_request = None
    for attempt in range(5):
        try:
            with transaction.atomic():
                check_request = CheckRequest.objects.create(
                    org=org, number=next_number(org, attempt), items_checked=items, note=note, created_by=actor)
            break
        except IntegrityError:
            continue
    if check_request is None:
        raise ValidationError({"__all__": [_("Could not number the request; try again.")]})
    from bangfu.registry.models import Member

    members = (Member.objects.filter(household_id__in=ids)
               .only("pk", "household_id", "identity_hash", "identity_masked", "name", "relation", "is_head")
               .order_by("household_id", "-is_head", "id"))
    by_household: dict[int, list] = {}
    for member in members:
        by_household.setdefault(member.household_id, []).append(member)
    rows = []
    seq = 0
    for pk in ids:
        for member in by_household.get(pk, []):
            seq += 1
            rows.append(CheckRequestItem(
                request=check_request, seq=seq, reference=f"{check_request.number}-{seq:04d}", household_id=pk,
                member=member, identity_hash=member.identity_hash, identity_masked=member.identity_masked,
                name_masked=member.name_masked, relation=member.relation, consent_signed_on=consent_on[pk]))
    CheckRequestItem.objects.bulk_create(rows)
    assert_in_scope(check_request, actor, "view")
    audit.log_access(None, "econcheck_request_create", obj=check_request, user=actor, households=len(ids),
                     persons=len(rows))
    return check_request


# --- the content leaves the platform -----------------------------------------------------------------------


def no_longer_eligible(check_request) -> list[str]:
    """Why households of the request may not be sent now (one message each, masked: archive number and the head's
    masked name): the authorisation was withdrawn (or is no longer in force) or the archive was closed since the
    request was made. Empty when every household may still be checked."""
    household_ids = check_request.items.values("household_id")
    blocked = list(Household.objects.filter(pk__in=household_ids)
                   .annotate(authorised=authorisation_in_force())
                   .filter(~Q(state__in=OPEN_STATES) | Q(authorised=False))
                   .only("pk", "archive_number", "head_name_masked", "state").order_by("archive_number"))
    if not blocked:
        return []
    withdrawn: dict[int, dt.date] = {}
    for household_id, on in (Consent.objects.filter(household__in=blocked, kind=ConsentKind.ECONOMIC_CHECK,
                                                    withdrawn_on__isnull=False)
                             .order_by("withdrawn_on").values_list("household_id", "withdrawn_on")):
        withdrawn[household_id] = on  # the latest withdrawal
    messages = []
    for household in blocked:
        shown = {"number": household.archive_number, "head": household.head_name_masked or "—"}
        if household.state not in OPEN_STATES:
            messages.append(_("Archive %(number)s (%(head)s) was closed (%(state)s) after the request was made.")
                            % {**shown, "state": household.get_state_display()})
        elif not household.authorised and household.pk in withdrawn:
            messages.append(_("Archive %(number)s (%(head)s): the authorisation of the economic check was withdrawn "
                              "on %(date)s.") % {**shown, "date": withdrawn[household.pk].isoformat()})
        else:
            messages.append(_("Archive %(number)s (%(head)s): no authorisation of the economic check is in force any "
                              "more.") % shown)
    return messages


def _may_send(check_request) -> None:
    """Refuse before any full ID number leaves: the request must be live, have persons, and every household must
    still be open with its authorisation in force (it may have been withdrawn since the draft). Nothing is
    dropped silently: the request is refused whole, naming the households, and nothing is marked as sent."""
    if check_request.state == RequestState.CANCELLED:
        raise ValidationError({"__all__": [_("This request was cancelled: it cannot be sent.")]})
    if not check_request.items.exists():
        raise ValidationError({"__all__": [_("This request has nobody in it.")]})
    blocked = no_longer_eligible(check_request)
    if blocked:
        raise ValidationError({"__all__": [
            *blocked,
            _("Nothing was sent: the check centre may only check households whose authorisation is in force. "
              "Cancel this request and make a new one without these households (or record a new signed "
              "authorisation first)."),
        ]})


def _mark_sent(check_request, actor, via: str, table_sha256: str) -> bool:
    """Draft → sent the first time its content leaves; timeline rows for its households. True if it was a draft."""
    check_request.export_count += 1
    fields = ["export_count"]
    first = check_request.state == RequestState.DRAFT
    if first:
        check_request.state = RequestState.SENT
        check_request.sent_at = timezone.now()
        check_request.sent_by = actor
        check_request.sent_via = via
        check_request.file_sha256 = table_sha256
        fields += ["state", "sent_at", "sent_by", "sent_via", "file_sha256"]
        household_ids = list(check_request.items.values_list("household_id", flat=True).distinct())
        TimelineEvent.objects.bulk_create([
            TimelineEvent(household_id=pk, kind="econcheck_requested", actor_id=actor.pk, actor_org_id=actor.org_id,
                          detail={"request": check_request.number, "via": via})
            for pk in household_ids])
    check_request.save(update_fields=fields)
    return first


def _locked(check_request) -> CheckRequest:
    return CheckRequest.objects.select_for_update(of=("self",)).select_related("org").get(pk=check_request.pk)


@transaction.atomic
def export_request_file(check_request, *, actor, fmt: str = "csv") -> tuple[requestfile.RequestFile, bool]:
    """The encrypted request file (see `requestfile`); (file, first) where `first` tells it was the sending."""
    if fmt not in requestfile.FORMATS:
        raise ValidationError({"format": [_("Choose CSV or XLSX.")]})
    check_request = _locked(check_request)
    _may_send(check_request)
    file = requestfile.write_request_file(check_request, fmt)
    first = _mark_sent(check_request, actor, SentVia.FILE, file.table_sha256)
    audit.log_access(None, "export", obj=check_request, user=actor, what="econcheck_request_file", format=fmt,
                     persons=file.count, sha256=file.sha256, table_sha256=file.table_sha256,
                     export_number=check_request.export_count, first=first)
    return file, first


@transaction.atomic
def send_request(check_request, *, actor) -> tuple[dict, str]:
    """The request as JSON (full ID numbers) handed to the centre connection; (payload, receipt)."""
    check_request = _locked(check_request)
    _may_send(check_request)
    payload = requestfile.request_payload(check_request)
    backend = get_backend()
    receipt = ""
    if backend.connected:
        try:
            receipt = backend.send(payload) or ""
        except CentreError as error:
            audit.log_access(None, "econcheck_request_send", obj=check_request, result="denied", user=actor,
                             error=str(error)[:200])
            raise ValidationError({"__all__": [
                _("The check centre did not take the request (%(error)s). Nothing was marked as sent: try again "
                  "later or send the request file.") % {"error": str(error)[:200]}]}) from None
    first = _mark_sent(check_request, actor, SentVia.API, payload["table_sha256"])
    audit.log_access(None, "export", obj=check_request, user=actor, what="econcheck_request_api",
                     persons=len(payload["persons"]), table_sha256=payload["table_sha256"], receipt=receipt[:100],
                     connected=backend.connected, first=first)
    return payload, receipt


@transaction.atomic
def cancel_request(check_request, *, actor, reason: str) -> CheckRequest:
    """Cancel a request that has no result yet; its households may be requested again."""
    check_request = _locked(check_request)
    reason = (reason or "").strip()
    errors: dict = {}
    if check_request.state == RequestState.CANCELLED:
        errors["__all__"] = [_("This request is cancelled already.")]
    elif CheckResult.objects.filter(request=check_request).exists():
        errors["__all__"] = [_("Results of this request were imported: it can no longer be cancelled.")]
    if not reason:
        errors["reason"] = [_("Say why the request is cancelled.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("At most %(max)d characters.") % {"max": REASON_MAX}]
    if errors:
        raise ValidationError(errors)
    check_request.state = RequestState.CANCELLED
    check_request.cancelled_at = timezone.now()
    check_request.cancel_reason = reason
    check_request.save(update_fields=["state", "cancelled_at", "cancel_reason"])
    audit.log_access(None, "econcheck_request_cancel", obj=check_request, user=actor)
    return check_request
