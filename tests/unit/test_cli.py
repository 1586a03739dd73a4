import pytest
from typer.testing import CliRunner

from aduan.cli import cli

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
