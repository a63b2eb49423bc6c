"""`manage.py seed_demo --seed N [--if-empty]`: load the demo union tree, standards and users."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from bangfu.accounts.roles import Role
from bangfu.audit.jobs import bulk_job
from bangfu.core import context
from bangfu.orgs import demo
from bangfu.orgs.models import Org


class Command(BaseCommand):
    help = "Load demo data (a union tree on real division codes, illustrative standards, users for every role)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same data")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing (but print the demo logins) when orgs already exist"
        )
        parser.add_argument(
            "--households", type=int, default=getattr(settings, "DEMO_HOUSEHOLDS", 3000),
            help="how many demo household archives to add (0: none; default 3000 or settings.DEMO_HOUSEHOLDS)",
        )

    def handle(self, *args, seed: int, if_empty: bool, households: int = 0, **options):
        if settings.PRODUCTION:
            # Demo users share one published password: never in a production database.
            raise CommandError("seed_demo refuses to run with production settings (BANGFU_ENV=production).")
        if if_empty and Org.objects.exists():
            self.stdout.write("The union tree is not empty: no demo data loaded.")
            logins = demo.demo_logins()
        elif Org.objects.exists():
            raise CommandError("The union tree is not empty; seed_demo only loads into an empty tree (see --if-empty).")
        else:
            # One audited bulk job: bulk_create sends no per-row signals, the job records what was loaded.
            parameters = {"seed": seed, "households": households}
            with context.acting(source="command"), bulk_job("seed_demo", parameters=parameters) as job:
                try:
                    logins = demo.seed_demo(seed, households=households)
                except ValidationError as exc:
                    raise CommandError(" ".join(exc.messages)) from exc
                job.add(created=Org.objects.count() + len(logins) + households)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data loaded (seed {seed}): {Org.objects.count()} orgs, {len(logins)} users, "
                    f"{households} households."
                )
            )
        self.print_logins(logins)

    def print_logins(self, logins: list[demo.Login]) -> None:
        if not logins:
            return
        labels = dict(Role.choices)
        width = max(len(login.username) for login in logins) + 2
        self.stdout.write(f"\nDemo logins — password for every user: {demo.DEMO_PASSWORD}\n")
        self.stdout.write(f"{'username'.ljust(width)}{'role'.ljust(24)}org")
        for login in logins:
            roles = ", ".join(str(labels.get(role, role)) for role in login.roles)
            # Role labels may be Chinese (double-width): pad by display width so the org column lines up.
            pad = 24 - sum(2 if ord(ch) > 0x2E80 else 1 for ch in roles)
            self.stdout.write(f"{login.username.ljust(width)}{roles}{' ' * max(pad, 1)}{login.org}")
