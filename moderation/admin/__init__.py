"""Staff screens for moderation: the report queue and each report's page (reports.py, the
page's own URLs in report_page.py), the audit log (audit.py) and holds (holds.py)."""

from moderation.admin import audit, holds, reports

__all__ = ["audit", "holds", "reports"]
