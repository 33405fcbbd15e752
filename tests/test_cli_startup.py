"""`classifier --help` and the CLI's import must not load the numeric stack: the commands import the
API inside their bodies (DESIGN.md: late heavy imports, a start-up check, as Annif does). Each check
runs in a fresh interpreter, since this test session has long since imported NumPy."""

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "scipy", "sklearn", "pandas", "matplotlib", "pyarrow", "joblib", "fastapi", "starlette", "uvicorn")

PROBE = """
import io, json, sys
from contextlib import redirect_stdout
{body}
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
print(json.dumps(heavy), file=sys.stderr)
"""

HELP = """
from classifier.cli import main
sys.argv = ["classifier"{args}]
with redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit as e:
        assert e.code in (0, None), e.code
"""


def loaded_after(body: str) -> list[str]:
    r = subprocess.run([sys.executable, "-c", PROBE.format(body=body, heavy=HEAVY)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stderr.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_numeric_library():
    assert loaded_after("import classifier.cli") == []


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["predict", "--help"], ["evaluate", "--help"],
                                  ["import", "--help"], ["stats", "--help"], ["serve", "--help"]], ids=" ".join)
def test_help_loads_no_numeric_library(args):
    assert loaded_after(HELP.format(args="".join(f", {a!r}" for a in args))) == []


def test_the_probe_sees_a_heavy_import():
    """The check above can fail: importing the model does load NumPy, the service FastAPI."""
    assert "numpy" in loaded_after("import classifier.model")
    assert "fastapi" in loaded_after("import classifier.service.app")
