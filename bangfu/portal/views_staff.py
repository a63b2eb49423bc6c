"""Union staff open a worker account for a household member: by SMS (activation code) or with an invitation code
handed over on paper. The member is looked up through `Member.objects.restrict(staff, "change")`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from bangfu.core.decorators import staff_page
from bangfu.core.forms import errors_to_form
from bangfu.core.masking import mask_phone
from bangfu.core.scoping import get_scoped_or_404
from bangfu.portal import accounts, forms
from bangfu.portal.models import WorkerInvitation
from bangfu.registry.models import Member


@never_cache
@staff_page(accounts.STAFF_PERMISSION)
def member_account(request, member_pk):
    member = get_scoped_or_404(Member.objects.select_related("household", "account"), request.user, "change",
                               pk=member_pk)
    form = forms.StaffActivateForm(request.POST if request.POST.get("step") == "sms" else None)
    shown_code = None
    if request.method == "POST":
        try:
            if request.POST.get("step") == "sms":
                if form.is_valid():
                    user = accounts.activate_worker_account(request.user, member, form.cleaned_data["phone"])
                    messages.success(request, _("The worker account was opened; the activation code was sent to "
                                                "%(phone)s.") % {"phone": mask_phone(user.phone)})
                    return redirect("portal:member_account", member_pk=member.pk)
            elif request.POST.get("step") == "invite":
                _invitation, shown_code = accounts.invitation_create(request.user, member)
        except ValidationError as error:
            errors_to_form(form, error)
            for message in error.messages if not hasattr(error, "error_dict") else []:
                messages.error(request, message)
        member.refresh_from_db()
    # The member was fetched through restrict(): its invitations are in the same scope.
    invitations = WorkerInvitation.objects.filter(member=member)[:5]
    return render(request, "portal/staff_member_account.html", {
        "member": member, "household": member.household,
        "account_phone": mask_phone(member.account.phone) if member.account_id else "",
        "form": form, "shown_code": shown_code,
        "invitations": invitations,
        "crumbs": [(member.household.archive_number, reverse("registry:detail", args=[member.household.pk])),
                   (_("Worker account"), "")],
    })
