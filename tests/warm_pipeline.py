"""Imported by the kill test's fork server: imports the pipeline and runs it once, so the
children it forks start warm (rules, language profiles loaded) and Prefect-free."""

import tempfile
from pathlib import Path

from flows.runner import run
from tests.conftest import SEEDS

with tempfile.TemporaryDirectory() as tmp:
    run([SEEDS], Path(tmp))
