"""Django's ``flush``, with the declared triggers taken down first and put back after.

The audit trail's triggers refuse to delete young rows (audit/triggers.py), and SQLite's flush
deletes every row (PostgreSQL's truncates, which row triggers do not see). Emptying the whole
database is an operator's act, like dropping it; the tests' reset between transactional tests
runs it too. The triggers are back, and their tallies recounted, before the command returns.
"""

from django.core.management.commands import flush

from newmedia import dbtriggers


class Command(flush.Command):
    def handle(self, **options):
        trigger_sets = dbtriggers.declared()
        dbtriggers.drop(trigger_sets, using=options["database"])
        try:
            super().handle(**options)
        finally:
            dbtriggers.install(trigger_sets, using=options["database"])
