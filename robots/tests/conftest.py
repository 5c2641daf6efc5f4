import pytest

from .robot_server import RobotServer


@pytest.fixture
def robot_server(settings):
    """The local webhook server, its origin admitted (NEWMEDIA_ROBOT_EXTRA_ORIGINS)."""
    server = RobotServer().start()
    settings.NEWMEDIA_ROBOT_EXTRA_ORIGINS = [server.origin]
    yield server
    server.stop()
