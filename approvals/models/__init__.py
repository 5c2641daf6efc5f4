"""The approvals app's models, one module per concern; import them from here."""

from .annual import *  # noqa: F403
from .campaign import *  # noqa: F403
from .changes import *  # noqa: F403
from .filing import *  # noqa: F403
from .notification import *  # noqa: F403
from .signoff import *  # noqa: F403
from .tally import *  # noqa: F403
