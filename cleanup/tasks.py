"""Background work of the clean-up checks. Tasks take ids or dates and call one service; the
evaluation writes only differences, so running it twice writes nothing the second time."""

from datetime import date

from celery import shared_task

from . import services


@shared_task
def evaluate_findings(day: str | None = None) -> dict:
    """Nightly: re-evaluate every account and record new, changed and resolved findings."""
    today = date.fromisoformat(day) if day else None
    return services.findings_evaluate(today=today).as_dict()


@shared_task
def evaluate_department(department_id: int) -> dict:
    """On demand: re-evaluate one department's accounts."""
    return services.findings_refresh(department_ids={department_id}).as_dict()
