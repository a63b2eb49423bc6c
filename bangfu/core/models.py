"""Operational records shared by the whole platform."""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HeartbeatQuerySet(models.QuerySet):
    def beat(self, component: str, **detail) -> Heartbeat:
        """Record that `component` is alive now (one row per component, updated in place)."""
        heartbeat, _created = self.update_or_create(
            component=component,
            defaults={
                "last_seen": timezone.now(),
                "host": socket.gethostname()[:100],
                "pid": os.getpid(),
                "detail": detail,
            },
        )
        return heartbeat

    def status(self, now: dt.datetime | None = None) -> dict[str, dict]:
        """Per component: last sign of life and whether it is recent enough to count as alive."""
        now = now or timezone.now()
        rows = {h.component: h for h in self.all()}
        return {
            component: {
                "label": label,
                "last_seen": rows[component].last_seen if component in rows else None,
                "alive": component in rows and rows[component].is_alive(now),
                "detail": rows[component].detail if component in rows else {},
            }
            for component, label in Heartbeat.Component.choices
        }


class Heartbeat(models.Model):
    """The last sign of life of a background component, so the platform can show that tasks run.

    The scheduler beats every time it enqueues a periodic task; the task worker beats when it
    runs the `heartbeat` task (enqueued by the scheduler every few minutes), recording how long
    the task waited in the queue. A worker or scheduler that is down shows up as a stale row.
    """

    class Component(models.TextChoices):
        SCHEDULER = "scheduler", _("Scheduler")
        WORKER = "worker", _("Task worker")

    # Beats arrive every HEARTBEAT_MINUTES; twice that plus a margin means something is wrong.
    HEARTBEAT_MINUTES = 5
    STALE_AFTER = dt.timedelta(minutes=2 * HEARTBEAT_MINUTES + 1)

    component = models.CharField(_("component"), max_length=20, choices=Component.choices, unique=True)
    last_seen = models.DateTimeField(_("last seen"))
    host = models.CharField(_("host"), max_length=100, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = HeartbeatQuerySet.as_manager()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        ordering = ["component"]

    def __str__(self) -> str:
        return f"{self.get_component_display()} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"

    def is_alive(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) - self.last_seen <= self.STALE_AFTER
