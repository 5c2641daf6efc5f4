"""Once: the account tally's PostgreSQL triggers on filings, per statement instead of per row.

The triggers now live in approvals/triggers.py, and `migrate` creates them after every run
(newmedia/dbtriggers.py), so this migration has nothing left to do. It stays for the databases
that applied it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("approvals", "0007_filing_queue_index")]

    operations = []
