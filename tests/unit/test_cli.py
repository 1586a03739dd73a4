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
     ["demo"], ["run"], ["staff-token"], ["projections"], ["projections", "rebuild"]],
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
