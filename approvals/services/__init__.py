"""The approvals app's writes, one module per concern.

Every change goes through these services, whoever asks (a page, the admin, a command, a task):
they check the permission and the guard, save in one transaction and write the logs. The
steps and the filings' writes are re-exported here, as the pages and the admin use them most.
"""

from .filings import *  # noqa: F403
from .steps import *  # noqa: F403
