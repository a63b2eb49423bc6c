"""The first system administrator of a production installation (there is no default account).

    manage.py create_system_admin --username admin --org ACFTU --full-name "张三"

A generated initial password is printed once; its holder must change it and enrol two-factor at first
sign-in, as every system administrator must. Refuses when the username exists or the org is unknown.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bangfu.accounts.models import User, UserRole
from bangfu.accounts.roles import Role
from bangfu.accounts.services import generate_initial_password
from bangfu.core import context
from bangfu.orgs.models import Org


class Command(BaseCommand):
    help = "Create a system administrator with a one-time initial password (for a new installation)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--org", required=True, help="Code of the org the administrator belongs to.")
        parser.add_argument("--full-name", default="")

    def handle(self, *args, username: str, org: str, full_name: str, **options):
        union = Org.objects.filter(code=org).first()
        if union is None:
            raise CommandError(f"No org with code {org!r}.")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"The username {username!r} is taken.")
        password = generate_initial_password()
        with context.acting(source="command"), transaction.atomic():
            user = User.objects.create_user(
                username=username, password=password, org=union, kind=User.Kind.STAFF, full_name=full_name,
                must_change_password=True,
            )
            UserRole.objects.create(user=user, role=Role.SYSTEM_ADMIN)
        self.stdout.write(self.style.SUCCESS(f"System administrator {username} created in {union.name}."))
        self.stdout.write(f"Initial password (shown once; must be changed at first sign-in): {password}")
