"""`upswift` stands alone: no Django anywhere in it, and it exports what the console uses."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import upswift

PACKAGE = Path(upswift.__file__).resolve().parent
ROOT = PACKAGE.parent

IMPORT_ALL_AND_LIST_DJANGO = """
import pkgutil, sys
import upswift
for module in pkgutil.walk_packages(upswift.__path__, "upswift."):
    __import__(module.name)
print(sorted(name for name in sys.modules if name == "django" or name.startswith("django.")))
"""


def test_importing_every_module_loads_no_django():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL_AND_LIST_DJANGO],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert done.stdout.strip() == "[]"


def test_no_module_imports_django_even_inside_a_function():
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "django" for n in names), f"{path.name}: {names}"


def test_the_public_names_are_exported():
    for name in upswift.__all__:
        assert getattr(upswift, name) is not None
