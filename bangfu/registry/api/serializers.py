"""Serializers of the archive API: what is read (always masked) and what may be written.

Writes never go through `serializer.save()`: the viewsets hand the validated data to the write functions
of `bangfu.registry.services`, the same ones the pages use, so a value is refused the same way everywhere.
Identity numbers, phone numbers and bank accounts are write-only; responses carry the masked copies.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bangfu.core.identity import DocumentType
from bangfu.registry.models import ArchiveLevel, Attachment, Household, Member, Sex

# --- read ---------------------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    name_masked = serializers.CharField(read_only=True, help_text=_("Surname + asterisks."))
    identity_warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Member
        fields = [
            "id", "household", "is_head", "relation", "name_masked", "sex", "birth_date", "document_type",
            "identity_masked", "identity_warnings", "phone_masked", "health", "disability_type",
            "disability_grade", "work_status", "able_to_work", "is_student", "school_stage", "school_name",
            "school_entry_year", "school_length_years", "evidence_of_no_income", "medical_insurance",
            "marital_status", "hukou_type", "monthly_income_declared", "worker_number", "ethnicity",
            "political_status", "model_worker_level", "work_started_on", "industry", "employer_name",
            "employer_type", "is_union_member", "lives_in_city", "labour_relation_since", "updated_at",
        ]
        read_only_fields = fields


class CausesSerializer(serializers.Serializer):
    main = serializers.CharField(allow_null=True, help_text=_("Code of the main cause (cause code list)."))
    secondary = serializers.ListField(child=serializers.CharField(), help_text=_("Codes of up to three causes."))


class HouseholdSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    bank_account_masked = serializers.CharField(read_only=True, help_text=_("Last four digits only."))
    bank_account_holder_masked = serializers.CharField(read_only=True, help_text=_("Surname only."))
    members = MemberSerializer(many=True, read_only=True)
    causes = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = [
            "id", "archive_number", "archive_level", "state", "org", "org_name", "division",
            "registration_division", "housing_type", "housing_area", "single_parent", "zero_employment",
            "some_self_help_ability", "on_minimum_living_roster", "below_line_after_government_aid",
            "is_migrant_worker", "urgent_care", "is_temporary_relief", "applied_by_union", "bank_name",
            "bank_account_holder_masked", "bank_account_masked", "remarks", "category", "common_level",
            "household_size", "head_name_masked",
            "members", "causes", "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CausesSerializer)
    def get_causes(self, household) -> dict:
        causes = list(household.causes.all())
        return {"main": next((c.code for c in causes if c.is_main), None),
                "secondary": [c.code for c in causes if not c.is_main]}


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "household", "member", "kind", "original_name", "content_type", "size", "sha256",
                  "uploaded_at"]
        read_only_fields = fields


# --- write --------------------------------------------------------------------------------------------

BLANK_OK = {"allow_blank": True, "required": False}


class MemberWriteSerializer(serializers.Serializer):
    """A person's facts as typed in; sex and birth date are read from the ID number when left out."""

    name = serializers.CharField(max_length=64, required=False)
    relation = serializers.CharField(max_length=16, **BLANK_OK)
    document_type = serializers.ChoiceField(choices=DocumentType.CHOICES, required=False)
    identity_number = serializers.CharField(max_length=40, write_only=True, required=False,
                                            help_text=_("Stored encrypted; answers show the masked copy."))
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=20, write_only=True, **BLANK_OK)
    health = serializers.CharField(max_length=16, **BLANK_OK)
    diagnosis = serializers.CharField(max_length=500, write_only=True, **BLANK_OK)
    disability_type = serializers.CharField(max_length=16, **BLANK_OK)
    disability_grade = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True)
    work_status = serializers.CharField(max_length=16, **BLANK_OK)
    able_to_work = serializers.BooleanField(required=False)
    is_student = serializers.BooleanField(required=False)
    school_stage = serializers.CharField(max_length=16, **BLANK_OK)
    school_name = serializers.CharField(max_length=100, **BLANK_OK)
    school_entry_year = serializers.IntegerField(min_value=1900, max_value=2100, required=False, allow_null=True)
    school_length_years = serializers.IntegerField(min_value=0, max_value=12, required=False, allow_null=True)
    evidence_of_no_income = serializers.BooleanField(required=False)
    medical_insurance = serializers.CharField(max_length=16, **BLANK_OK)
    marital_status = serializers.CharField(max_length=16, **BLANK_OK)
    hukou_type = serializers.CharField(max_length=16, **BLANK_OK)
    monthly_income_declared = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0,
                                                       required=False)
    worker_number = serializers.CharField(max_length=32, **BLANK_OK)
    ethnicity = serializers.CharField(max_length=16, **BLANK_OK)
    political_status = serializers.CharField(max_length=16, **BLANK_OK)
    model_worker_level = serializers.CharField(max_length=16, **BLANK_OK)
    work_started_on = serializers.DateField(required=False, allow_null=True)
    industry = serializers.CharField(max_length=32, **BLANK_OK)
    employer_name = serializers.CharField(max_length=128, **BLANK_OK)
    employer_type = serializers.CharField(max_length=16, **BLANK_OK)
    is_union_member = serializers.BooleanField(required=False)
    lives_in_city = serializers.BooleanField(required=False)
    labour_relation_since = serializers.DateField(required=False, allow_null=True)


class MemberCreateSerializer(MemberWriteSerializer):
    household = serializers.IntegerField(min_value=1, help_text=_("Id of a household you may edit."))
    name = serializers.CharField(max_length=64)
    relation = serializers.CharField(max_length=16)
    identity_number = serializers.CharField(max_length=40, write_only=True)


class HouseholdWriteSerializer(serializers.Serializer):
    division = serializers.RegexField(r"^\d{6}$", required=False, help_text=_("Six-digit division code."))
    registration_division = serializers.RegexField(r"^\d{6}$", required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, write_only=True, **BLANK_OK)
    housing_type = serializers.CharField(max_length=16, **BLANK_OK)
    housing_area = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0, required=False,
                                            allow_null=True)
    single_parent = serializers.BooleanField(required=False)
    zero_employment = serializers.BooleanField(required=False)
    some_self_help_ability = serializers.BooleanField(required=False)
    on_minimum_living_roster = serializers.BooleanField(required=False)
    below_line_after_government_aid = serializers.BooleanField(required=False)
    is_migrant_worker = serializers.BooleanField(required=False)
    urgent_care = serializers.BooleanField(required=False)
    is_temporary_relief = serializers.BooleanField(required=False)
    applied_by_union = serializers.BooleanField(required=False)
    bank_name = serializers.CharField(max_length=64, **BLANK_OK)
    bank_account_holder = serializers.CharField(max_length=64, **BLANK_OK)
    bank_account = serializers.CharField(max_length=40, write_only=True, **BLANK_OK,
                                         help_text=_("Stored encrypted; answers show the last four digits."))
    remarks = serializers.CharField(max_length=2000, **BLANK_OK)
    causes = CausesSerializer(required=False, help_text=_("Replaces the causes when given."))


class HouseholdCreateSerializer(HouseholdWriteSerializer):
    org = serializers.IntegerField(min_value=1, help_text=_("Id of the responsible union (in your subtree)."))
    archive_level = serializers.ChoiceField(choices=ArchiveLevel.choices, required=False,
                                            help_text=_("Not above your union's level; default grassroots."))
    division = serializers.RegexField(r"^\d{6}$", help_text=_("Six-digit division code."))
    head = MemberWriteSerializer(help_text=_("The head of household (identity_number and name required)."))


class AttachmentCreateSerializer(serializers.Serializer):
    household = serializers.IntegerField(min_value=1)
    member = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    kind = serializers.CharField(max_length=16, help_text=_("Code of the evidence list."))
    file = serializers.FileField(help_text=_("PDF, JPEG or PNG; the type is read from the bytes."))
