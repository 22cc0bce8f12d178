"""Demo mode shows its accounts' passwords on the login page: only where nobody else can reach it."""
from dataclasses import replace

import pytest
from streamlit import config as st_config

from lib import config
from tests.pages.conftest import app

REFUSED = "演示模式只能在本机（127.0.0.1）上运行"
NOTICE = "演示模式：演示数据与下列演示账号仅供本机试用"


@pytest.fixture
def demo(monkeypatch):
    real = config.get_settings()

    def bound_to(address: str, *, explicit: bool = False):
        settings = replace(real, demo_mode=True, demo_explicit=explicit)
        monkeypatch.setattr(config, "get_settings", lambda: settings)
        monkeypatch.setattr("lib.ui.page.get_settings", lambda: settings)
        monkeypatch.setattr("lib.ui.cache.get_settings", lambda: settings)
        st_config.set_option("server.address", address)

    yield bound_to
    st_config.set_option("server.address", None)


@pytest.mark.parametrize("address", ["0.0.0.0", "", "192.168.1.20"])
def test_demo_mode_is_refused_when_bound_beyond_this_machine(demo, address):
    demo(address)
    at = app("app.py").run()
    assert not at.exception, at.exception
    assert any(REFUSED in e.value for e in at.error)
    assert not at.text_input  # no login form, no accounts table
    assert not at.table


def test_demo_mode_on_loopback_says_it_is_a_demo(demo):
    demo("127.0.0.1")
    at = app("app.py").run()
    assert not any(REFUSED in e.value for e in at.error)
    assert any(NOTICE in w.value for w in at.warning)
    assert at.text_input(key="crhq_login_user")


def test_demo_mode_asked_for_explicitly_runs_anywhere(demo):
    demo("0.0.0.0", explicit=True)
    at = app("app.py").run()
    assert not any(REFUSED in e.value for e in at.error)
    assert any(NOTICE in w.value for w in at.warning)
