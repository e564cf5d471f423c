"""Background tasks of the research app (run by ``palliro worker``)."""

from django.tasks import task


@task
def prune_change_journal() -> int:
    """Delete change-journal entries past their keeping time (enqueued daily by the worker's scheduler)."""
    from palliro.research.journal import prune

    return prune()
