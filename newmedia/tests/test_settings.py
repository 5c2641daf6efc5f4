import pytest
from django.core.exceptions import ImproperlyConfigured

from newmedia.settings.env import env_bool, env_int, env_list, env_str


def test_it_reads_booleans_strictly(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", True) is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_it_reads_whole_numbers_with_a_floor(monkeypatch):
    monkeypatch.setenv("PORT", "25")
    assert env_int("PORT", 1, minimum=1) == 25
    for wrong in ("x", "0"):
        monkeypatch.setenv("PORT", wrong)
        with pytest.raises(ImproperlyConfigured, match="PORT"):
            env_int("PORT", 1, minimum=1)


def test_it_reads_lists_and_defaults(monkeypatch):
    monkeypatch.delenv("HOSTS", raising=False)
    assert env_list("HOSTS", ["a"]) == ["a"]
    assert env_str("HOSTS", "d") == "d"
    monkeypatch.setenv("HOSTS", " a.example , ,b.example")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_it_defaults_to_chinese_and_shanghai_time(settings):
    assert (settings.LANGUAGE_CODE, settings.TIME_ZONE) == ("zh-hans", "Asia/Shanghai")
