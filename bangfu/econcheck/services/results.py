"""Importing the check centre's result file: the whole file is checked first, then stored in one transaction.

The file is refused as a whole — with every problem and its row number, and nothing written — when it is empty,
not what its extension says, not the template (missing columns are named), has unreadable cells, or when any row:
* has a reference that is not one of this request's (a result for a person never requested here: another
  request's or union's reference is told apart from nothing, so nothing leaks),
* repeats a reference of an earlier row,
* carries an ID that is not the requested person's (compared by keyed hash for a full number, by the masked form
  for a masked one; an ID Excel turned into 1.1E+17 is reported as such, never repaired),
* answers a person whose result was imported already;
and when the request is not waiting for results (draft, cancelled, complete) or the same file was imported before.

Then: one bulk job (one audit record, every CheckResult and the ResultImport stamped with it), one timeline row per
household ("economic-check results received": request, persons, check date — no amounts, no names), the request
moves to "results partly received" or "results received". The results are shown on the archive page and the
household's economic-check page (`views.household_results`), where the case worker completes the step.
"""

from __future__ import annotations

import hashlib
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.core.crypto import keyed_hash
from bangfu.core.masking import mask_id_number
from bangfu.econcheck import resultfile
from bangfu.econcheck.models import (
    CheckRequest,
    CheckRequestItem,
    CheckResult,
    RequestState,
    ResultImport,
)
from bangfu.registry.models import TimelineEvent

MAX_MESSAGES = 200  # problems listed (a file with thousands of bad rows is refused with the first ones and a count)
_EXPONENT = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)


def _normalise_id(text: str) -> str:
    text = text.translate({0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF38: ord("X"), 0xFF58: ord("X")})
    return text.strip().upper()


def _id_problem(id_text: str, item: CheckRequestItem) -> str | None:
    """Why the row's ID is not the requested person's (None when it is)."""
    value = _normalise_id(id_text)
    if _EXPONENT.match(value):
        return _("the ID “%(value)s” was turned into a number by Excel: format the column as text and export the "
                 "file again (it is not repaired by guessing).") % {"value": id_text[:24]}
    if "*" in value:
        if value == item.identity_masked.upper():
            return None
    elif keyed_hash(value) == item.identity_hash:
        return None
    shown = value if "*" in value else mask_id_number(value)
    return _("the ID %(shown)s is not that of the person requested under reference %(reference)s (%(expected)s): "
             "the row belongs to someone else.") % {"shown": shown[:24], "reference": item.reference,
                                                    "expected": item.identity_masked}


def _request_problem(check_request) -> str | None:
    if check_request.state == RequestState.DRAFT:
        return _("This request has not been sent to the check centre yet: there can be no results for it.")
    if check_request.state == RequestState.CANCELLED:
        return _("This request was cancelled: its results cannot be imported.")
    if check_request.state == RequestState.RECEIVED:
        return _("Every result of this request was imported already.")
    return None


def check_file(check_request, rows, problems) -> tuple[list[tuple], list[resultfile.Problem]]:
    """Match parsed rows to the request's items: ([(row, item)], problems)."""
    problems = list(problems)
    items = {item.reference: item for item in CheckRequestItem.objects.filter(request=check_request)
             .select_related("result")}
    answered = {ref for ref, item in items.items() if getattr(item, "result", None) is not None}
    seen: dict[str, int] = {}
    matched = []
    for row in rows:
        if not row.reference:
            continue
        reference = row.reference.strip()
        if reference in seen:
            problems.append(resultfile.Problem(row.row, _(
                "reference %(reference)s appears again (first in row %(first)s): each person is answered once.")
                % {"reference": reference, "first": seen[reference]}))
            continue
        seen[reference] = row.row
        item = items.get(reference)
        if item is None:
            problems.append(resultfile.Problem(row.row, _(
                "reference “%(reference)s” was not requested in request %(request)s: this is a result for a person "
                "never requested here. Check that the file is this request's result file.")
                % {"reference": reference[:64], "request": check_request.number}))
            continue
        if reference in answered:
            problems.append(resultfile.Problem(row.row, _(
                "the result for reference %(reference)s was imported already.") % {"reference": reference}))
            continue
        if row.id_text:
            message = _id_problem(row.id_text, item)
            if message:
                problems.append(resultfile.Problem(row.row, message))
                continue
        matched.append((row, item))
    problems.sort(key=lambda p: (p.row or 0))
    return matched, problems


def _refuse(check_request, actor, sha256: str, name: str, problems: list) -> None:
    audit.log_access(None, "econcheck_results_import", obj=check_request, result="denied", user=actor,
                     sha256=sha256, file=(name or "")[:200], problems=len(problems))
    messages = [str(p) for p in problems[:MAX_MESSAGES]]
    if len(problems) > MAX_MESSAGES:
        messages.append(_("… and %(count)s more problems.") % {"count": len(problems) - MAX_MESSAGES})
    messages.append(_("Nothing was imported: correct the file and upload it again."))
    raise ValidationError({"file": messages})


def import_results(check_request: CheckRequest, *, data: bytes, name: str, actor) -> ResultImport:
    """Check the whole file, then store its results (see the module docstring). ValidationError on refusal."""
    sha256 = hashlib.sha256(data or b"").hexdigest()
    problem = _request_problem(check_request)
    if problem:
        _refuse(check_request, actor, sha256, name, [resultfile.Problem(None, problem)])
    earlier = ResultImport.objects.filter(request=check_request, sha256=sha256).first()
    if earlier is not None:
        _refuse(check_request, actor, sha256, name, [resultfile.Problem(None, _(
            "This very file was imported already on %(when)s (%(name)s).") % {
            "when": f"{earlier.uploaded_at:%Y-%m-%d %H:%M}", "name": earlier.original_name})])
    try:
        rows, problems = resultfile.read_result_file(data or b"", name or "")
    except resultfile.ResultFileError as error:
        _refuse(check_request, actor, sha256, name, error.problems)
    matched, problems = check_file(check_request, rows, problems)
    if problems:
        _refuse(check_request, actor, sha256, name, problems)
    return _store(check_request, matched, actor=actor, name=name, sha256=sha256)


def _store(check_request, matched, *, actor, name, sha256) -> ResultImport:
    with transaction.atomic():
        locked = CheckRequest.objects.select_for_update(of=("self",)).get(pk=check_request.pk)
        problem = _request_problem(locked)
        # Re-checked under the lock: a concurrent import of the same rows loses here, with nothing written.
        taken = CheckResult.objects.filter(item_id__in=[item.pk for _row, item in matched]).exists()
        if problem or taken:
            _refuse(check_request, actor, sha256, name, [resultfile.Problem(None, problem or _(
                "Another import of this request's results finished meanwhile: reload the request and check "
                "which results are still missing."))])
        with audit.bulk_job("econcheck_results_import", actor=actor, model=CheckResult,
                            parameters={"request": locked.number, "file": (name or "")[:200], "sha256": sha256}) as job:
            imported = ResultImport.objects.create(request=locked, original_name=(name or "")[:200], sha256=sha256,
                                                   rows=len(matched), uploaded_by=actor)
            results = job.stamp([
                CheckResult(item=item, request=locked, result_import=imported, household_id=item.household_id,
                            member_id=item.member_id, checked_on=row.checked_on, **row.values)
                for row, item in matched])
            CheckResult.objects.bulk_create(results, batch_size=1000)
            per_household: dict[int, list] = {}
            for row, item in matched:
                per_household.setdefault(item.household_id, []).append(row.checked_on)
            TimelineEvent.objects.bulk_create([
                TimelineEvent(household_id=pk, kind="econcheck_results", actor_id=actor.pk,
                              actor_org_id=actor.org_id,
                              detail={"request": locked.number, "persons": len(dates),
                                      "checked_on": max(dates).isoformat()})
                for pk, dates in per_household.items()], batch_size=1000)
            total = CheckRequestItem.objects.filter(request=locked).count()
            done = CheckResult.objects.filter(request=locked).count()
            locked.state = RequestState.RECEIVED if done >= total else RequestState.PARTLY
            locked.save(update_fields=["state"])
            job.add(created=len(results))
        audit.log_access(None, "econcheck_results_import", obj=locked, user=actor, sha256=sha256,
                         file=(name or "")[:200], rows=len(matched), households=len(per_household),
                         state=locked.state)
    return imported

