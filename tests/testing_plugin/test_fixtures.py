"""The pytest plugin as a user's suite sees it, run by pytester: fixtures, marker, restoring."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest_plugins = ["pytester"]


def run_inline(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run the suite in this process (fast). pytest-asyncio is off: these suites are sync
    and it warns about its own settings in a bare project. pytest-django is off: when
    this session ran Django tests it has set up Django's test environment already, and
    an inline run would set it up a second time."""
    return pytester.runpytest("-p", "no:asyncio", "-p", "no:django", *args)


def test_sentinel_events_holds_what_the_test_tracked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sentinel_sdk

        def answer(question):
            sentinel_sdk.track(model="gpt-4o", prompt=question, response="42",
                               prompt_tokens=7, response_tokens=1)
            return "42"

        def test_first(sentinel_events):
            assert sentinel_events == []
            answer("What is the answer?")
            assert len(sentinel_events) == 1
            assert sentinel_events[0].model == "gpt-4o"
            assert sentinel_events[0].prompt.tokens == 7

        def test_second_starts_empty(sentinel_events):
            assert sentinel_events == []
            answer("again")
            answer("and again")
            assert [e.prompt.text for e in sentinel_events] == ["again", "and again"]
        """
    )
    result = run_inline(pytester)
    result.assert_outcomes(passed=2)


def test_the_previous_default_client_is_restored(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sentinel_sdk
        from sentinel_sdk.testing import InMemoryClient

        ORIGINAL = InMemoryClient(service_name="original")
        sentinel_sdk.set_client(ORIGINAL)

        def test_swapped(sentinel_client):
            assert sentinel_sdk.get_client() is sentinel_client
            assert sentinel_sdk.current_client() is sentinel_client

        def test_fails_while_swapped(sentinel_events):
            sentinel_sdk.track(model="gpt-4o")
            assert False, "this test fails on purpose"

        def test_restored_after_a_failure():
            assert sentinel_sdk.get_client() is ORIGINAL
            assert ORIGINAL.events == []
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*this test fails on purpose*"])


def test_marker_and_options_fixture_configure_the_client(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def sentinel_options():
            return {"service_name": "from-conftest", "max_text_length": 4}
        """
    )
    pytester.makepyfile(
        """
        import pytest
        import sentinel_sdk

        pytestmark = pytest.mark.sentinel(service_name="from-module")

        def test_module_marker_over_conftest(sentinel_events):
            sentinel_sdk.track(model="m", prompt="abcdefgh")
            assert sentinel_events[0].service_name == "from-module"
            assert sentinel_events[0].prompt.text == "abcd"

        @pytest.mark.sentinel(service_name="from-test", capture_content=False)
        def test_closest_marker_wins(sentinel_events):
            sentinel_sdk.track(model="m", prompt="abcdefgh")
            assert sentinel_events[0].service_name == "from-test"
            assert sentinel_events[0].prompt.text == ""

        @pytest.mark.sentinel(sample_rate=0.0)
        def test_sampling_applies(sentinel_client):
            sentinel_sdk.track(model="m")
            assert sentinel_client.events == []
            assert sentinel_client.stats()["sampled_out"] == 1

        @pytest.mark.sentinel("positional")
        def test_positional_marker_arguments_are_refused(sentinel_events):
            pass

        @pytest.mark.sentinel(no_such_option=1)
        def test_unknown_options_are_refused(sentinel_events):
            pass
        """
    )
    result = run_inline(pytester)
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.sentinel() takes keyword options only, got ('positional',)*",
            "*ConfigurationError: unknown option(s) no_such_option*",
        ]
    )


def test_the_marker_is_registered(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sentinel(service_name="x")
        def test_ok(sentinel_events):
            pass
        """
    )
    result = run_inline(pytester, "--strict-markers")
    result.assert_outcomes(passed=1)
    markers = run_inline(pytester, "--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.sentinel(**options): *"])


def test_explicit_plugin_flag_without_autoloading(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        import sentinel_sdk

        def test_it(sentinel_events):
            sentinel_sdk.track(model="gpt-4o")
            assert sentinel_events[0].model == "gpt-4o"
        """
    )
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    without = pytester.runpytest_subprocess()
    without.assert_outcomes(errors=1)
    without.stdout.fnmatch_lines(["*fixture 'sentinel_events' not found*"])
    explicit = pytester.runpytest_subprocess("-p", "sentinel_sdk.testing")
    explicit.assert_outcomes(passed=1)


def test_the_installed_entry_point_names_this_module() -> None:
    from importlib.metadata import entry_points

    (plugin,) = [e for e in entry_points(group="pytest11") if e.name == "sentinel_sdk"]
    assert plugin.value == "sentinel_sdk.testing"


def test_the_clients_work_without_pytest_installed() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["pytest"] = None  # as if it were not installed: import fails
        import sentinel_sdk
        from sentinel_sdk.testing import capture_events
        import sentinel_sdk.testing as testing
        assert not hasattr(testing, "sentinel_events")
        with capture_events(service_name="unittest") as client:
            sentinel_sdk.track(model="gpt-4o")
        assert [e.service_name for e in client.events] == ["unittest"]
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
