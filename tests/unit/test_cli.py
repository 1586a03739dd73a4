import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from aduan.cli import MAX_WORKER_RESTARTS, WorkerSupervisor, cli

pytestmark = pytest.mark.unit
runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [[], ["stack"], ["stack", "up"], ["stack", "down"], ["stack", "status"], ["bootstrap"], ["worker"], ["api"],
     ["demo"], ["run"], ["staff-token"], ["projections"], ["projections", "rebuild"], ["sla", "deadline"],
     ["privacy", "erase"], ["privacy", "due"]],
)
def test_every_command_has_help(args):
    result = runner.invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    # Every command and option says what it does.
    assert len(result.output.strip().splitlines()) > 3


def test_worker_refuses_an_unknown_log_level():
    result = runner.invoke(cli, ["worker", "--loglevel", "loud"])
    assert result.exit_code == 2
    assert "loud" in result.output


def test_stack_refuses_an_unknown_service():
    result = runner.invoke(cli, ["stack", "status", "--only", "postgres"])
    assert result.exit_code != 0
    assert "postgres" in result.output


def test_the_run_supervisor_starts_an_exited_worker_again_then_gives_up():
    started: list[int] = []
    said: list[str] = []

    def start(i: int) -> subprocess.Popen:
        started.append(i)
        # The first run lives until stopped; every later one exits at once, as a worker in a crash loop.
        code = "import time; time.sleep(60)" if len(started) == 1 else "raise SystemExit(70)"
        return subprocess.Popen([sys.executable, "-c", code])

    supervisor = WorkerSupervisor(start, 1, said.append, every_s=0.05, first_pause_s=0.01)
    try:
        first = supervisor.procs[0]
        first.kill()
        deadline = time.monotonic() + 30
        while not supervisor.gave_up.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert supervisor.gave_up.is_set()
        assert len(started) == 1 + MAX_WORKER_RESTARTS
        assert said[0] == "worker 1 exited with code -9; starting it again in 0.01 s"
        assert said[1].startswith("worker 1 exited with code 70; starting it again in 0.02 s")
    finally:
        supervisor.stop()
    assert all(proc.poll() is not None for proc in supervisor.procs)


def test_sla_deadline_prints_the_deadline_first_then_the_days_it_skipped_by_name():
    """Tuesday 11 August 2026, 10:00 WIB, plus 5 working days: the start's own day does not count; Saturday,
    Sunday and Independence Day (Monday 17 August) are skipped; the 5th working day is Wednesday the 19th."""
    result = runner.invoke(cli, ["sla", "deadline", "--start", "2026-08-11T10:00:00+07:00", "--working-days", "5"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2026-08-19T16:00:00+07:00"
    skipped = [line.split()[0] for line in lines if line.startswith("  ")]
    assert skipped == ["2026-08-15", "2026-08-16", "2026-08-17"]
    assert "Hari Kemerdekaan Republik Indonesia / Independence Day" in result.output


def test_sla_deadline_names_cuti_bersama_and_applies_a_categorys_policy():
    """Eid al-Fitr 2026: the cuti bersama around it are skipped by name; the category's resolution policy (14
    working days, at most 60 calendar days) decides."""
    result = runner.invoke(cli, ["sla", "deadline", "--start", "2026-03-16T10:00:00+07:00",
                                 "--category", "jalan-jembatan"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "2026-04-13T16:00:00+07:00"
    assert "2026-03-20  Cuti Bersama Hari Raya Idul Fitri / Eid al-Fitr Joint Holiday" in result.output
    assert "at most 60 calendar days" in result.output


@pytest.mark.parametrize("args, message", [
    (["--start", "2026-08-11T10:00:00", "--working-days", "5"], "no offset"),
    (["--start", "besok", "--working-days", "5"], "not an ISO 8601 time"),
    (["--start", "2026-08-11T10:00:00+07:00"], "--working-days"),
    (["--start", "2026-08-11T10:00:00+07:00", "--category", "nope"], "unknown category"),
])
def test_sla_deadline_refuses_what_it_cannot_read(args, message):
    result = runner.invoke(cli, ["sla", "deadline", *args])
    assert result.exit_code == 1 and message in result.output
