"""Moderation's services, in the project's vocabulary (access_*/check_*/do_* raising a
RoomError the admin and the views report): filing reports (moderation/reports.py),
deciding them (moderation/decisions.py) and acting on them (moderation/actions.py), each
staff step written to the audit log (moderation/audit.py). Import them from here."""

from moderation.actions import (
    do_end_space,
    do_mute_speaker,
    do_place_hold,
    do_release_hold,
    do_remove_speaker,
    do_suspend_user,
    do_take_down_clip,
    do_take_down_recording,
)
from moderation.audit import audit, check_moderator, is_moderator
from moderation.decisions import access_report, do_dismiss, do_resolve
from moderation.reports import TooManyReports, do_report

__all__ = [
    "TooManyReports",
    "access_report",
    "audit",
    "check_moderator",
    "do_dismiss",
    "do_end_space",
    "do_mute_speaker",
    "do_place_hold",
    "do_release_hold",
    "do_remove_speaker",
    "do_report",
    "do_resolve",
    "do_suspend_user",
    "do_take_down_clip",
    "do_take_down_recording",
    "is_moderator",
]
