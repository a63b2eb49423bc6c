"""Run the periodic scheduler: enqueue every entry of `bangfu.core.scheduler.SCHEDULE` on time."""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bangfu.core import scheduler as sched


class _Stop(BaseException):
    """Raised by the SIGTERM handler to unwind the blocking scheduler like Ctrl-C does."""


def _raise_stop(signum, frame):
    raise _Stop


class Command(BaseCommand):
    help = "Run the periodic scheduler (one per database: a second one refuses to start)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--list", action="store_true", dest="show_list", help="Print the schedule with the next run times and exit."
        )
        parser.add_argument(
            "--no-catch-up", action="store_true", help="Do not enqueue the runs missed while no scheduler ran."
        )

    def handle(self, *args, show_list: bool = False, no_catch_up: bool = False, **options):
        try:
            schedule = sched.validate_schedule()
        except ValueError as error:
            raise CommandError(str(error)) from error
        if show_list:
            now = timezone.now()
            for cron, task_path in schedule:
                fire = sched.trigger_for(cron).get_next_fire_time(None, now)
                self.stdout.write(f"{cron:<16} {fire:%Y-%m-%d %H:%M %Z}  {task_path}")
            return

        lock = sched.scheduler_lock()
        if not lock.acquire():
            raise CommandError(f"Another scheduler is already running ({lock}).")
        previous_sigterm = signal.signal(signal.SIGTERM, _raise_stop)
        scheduler = None
        try:
            if not no_catch_up:
                missed = sched.catch_up()
                if missed:
                    self.stdout.write(f"Caught up {len(missed)} missed run(s).")
            for task_path in sched.STARTUP_TASKS:
                sched.enqueue_scheduled(task_path)
            scheduler = sched.build_scheduler(lock, schedule)
            self.stdout.write(
                f"Scheduler running with {len(schedule)} entries ({lock}); "
                f"times are {sched.TIME_ZONE.key}. Ctrl-C stops it."
            )
            scheduler.start()  # blocks until shutdown, Ctrl-C or SIGTERM
        except (KeyboardInterrupt, _Stop):
            self.stdout.write("Scheduler stopping.")
        finally:
            signal.signal(signal.SIGTERM, previous_sigterm)
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=False)
            lock.release()
        if scheduler is not None and scheduler.lost_lock:
            raise CommandError(f"Stopped: the scheduler lost its lock ({lock}) at {timezone.localtime():%H:%M:%S}.")
