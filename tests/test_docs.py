"""The CLI and the README stay in step (as sqlite-utils' tests/test_docs.py does): every command and
every option has help text, and the README names every command and every long option."""

import re
from pathlib import Path

import pytest
import typer.main

from classifier.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
CLI = typer.main.get_command(app)
COMMANDS = sorted(CLI.commands.items())
PARAMS = [(name, param) for name, command in COMMANDS for param in command.params
          if "--help" not in param.opts]


def long_options(param) -> list[str]:
    # typer >= 0.20 vendors click, so ask the parameter what it is rather than isinstance(click.Option)
    if param.param_type_name != "option":
        return []
    return [opt for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--") and opt != "--help"]


OPTIONS = sorted({(name, opt) for name, param in PARAMS for opt in long_options(param)})


def test_the_cli_has_commands_and_options():
    assert {"train", "predict", "evaluate", "import", "stats"} <= set(CLI.commands)
    assert len(OPTIONS) >= 30


@pytest.mark.parametrize("name,command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_command_has_help(name, command):
    assert (command.help or "").strip(), f"classifier {name} has no docstring"


@pytest.mark.parametrize("name,param", PARAMS, ids=[f"{n} {p.opts[0] if p.opts else p.name}" for n, p in PARAMS])
def test_option_and_argument_have_help(name, param):
    assert (getattr(param, "help", None) or "").strip(), f"classifier {name} {param.opts or param.name}: no help text"


@pytest.mark.parametrize("name", [name for name, _ in COMMANDS])
def test_readme_mentions_command(name):
    assert f"classifier {name}" in README, f"README.md never shows `classifier {name}`"


@pytest.mark.parametrize("name,option", OPTIONS, ids=[f"{n} {o}" for n, o in OPTIONS])
def test_readme_mentions_option(name, option):
    # whole option names: --threshold is not mentioned by --threshold-rule
    mentioned = re.search(re.escape(option) + r"(?![\w-])", README) is not None
    assert mentioned, f"README.md never mentions {option} (an option of classifier {name})"
