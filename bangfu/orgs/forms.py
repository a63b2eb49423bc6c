"""Forms of the orgs app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from treebeard.forms import MoveNodeForm, movenodeform_factory

from bangfu.orgs.models import Org


class OrgMoveNodeForm(MoveNodeForm):
    """The admin form for an org: its fields plus where it sits in the tree.

    The model's `clean()` checks an org against its parent, but while the form runs the new parent
    is only chosen (treebeard moves the node after validation). So the form works out the parent
    that the chosen position gives and checks the level rules against it before anything is saved.
    """

    def _chosen_parent(self):
        ref = self.cleaned_data.get("treebeard_ref_node")
        position = self.cleaned_data.get("treebeard_position")
        if ref is None:
            return None
        if position in ("sorted-child", "first-child", "last-child"):
            return ref
        return Org.objects.get_parent(ref)  # a sibling of ref: same parent

    def clean(self):
        cleaned = super().clean()
        if "treebeard_ref_node" not in cleaned or "treebeard_position" not in cleaned:
            return cleaned
        parent = self._chosen_parent()
        level = cleaned.get("level")
        if level is None:
            return cleaned  # the level field already carries its error
        if parent is None and level != Org.Level.NATIONAL:
            self.add_error("treebeard_ref_node", _("Only the national federation sits at the root of the tree."))
        elif parent is not None and level <= parent.level:
            self.add_error("level", _("A child org must be at a lower level than its parent."))
        elif self.instance.pk and parent is not None and parent.path.startswith(self.instance.path):
            self.add_error("treebeard_ref_node", _("An org cannot be moved under itself."))
        else:
            # Org.clean() (run by the model form afterwards) reads the parent of a new org from here.
            # Only set once the level is known to be valid: the model's check compares levels.
            self.instance._pending_parent = parent
        return cleaned


OrgAdminForm = movenodeform_factory(Org, form=OrgMoveNodeForm, exclude=("path", "depth", "numchild"))
