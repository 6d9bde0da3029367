"""The shape the code keeps: modules a reader can hold, layers that only look down, and a
repository that stands alone (no path of the machine it was built on)."""

import re
import subprocess

from tests.test_import_graph import ROOT, import_graph

MODULE_LINES_MAX = 400
# Lower layers never import higher ones: the engine and the services answer requests and
# beats, they never know about pages or the REST API.
LOWER_LAYERS = ("rollouts.engine", "rollouts.services", "rollouts.selectors", "rollouts.models")
HIGHER_LAYERS = ("rollouts.views", "rollouts.api", "rollouts.forms")
# A home or build directory of some machine, or a folder beside the checkout (a sibling
# directory one level up): written as patterns, so this file does not point anywhere itself.
OUTSIDE = re.compile(r"(?<![\w.])/(?:wor[k]|hom[e]|roo[t])/|\.\./(?:share[d])\b")


def _tracked(*patterns: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_no_app_module_is_longer_than_a_reader_can_hold():
    long = {}
    for name in _tracked("rollouts/*.py", "upswift/*.py", "upswift_console/*.py"):
        if "/migrations/" in name or not (ROOT / name).exists():
            continue
        lines = (ROOT / name).read_text().count("\n")
        if lines > MODULE_LINES_MAX:
            long[name] = lines
    assert long == {}, f"split these where a reader would: {long}"


def test_lower_layers_never_import_pages_or_the_api():
    graph = import_graph()
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.startswith(LOWER_LAYERS)
        for target in targets
        if target.startswith(HIGHER_LAYERS)
    )
    assert upward == []


def test_the_engine_never_imports_a_person_facing_service():
    """The services call the engine (an action queues a call, resumes a stage); the engine
    calls back into `rollouts.services` only for events, errors, freezes and notifications."""
    allowed = ("events", "errors", "freezes", "notifications", "notify_events")
    graph = import_graph()
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.startswith("rollouts.engine")
        for target in targets
        if target.startswith("rollouts.services.")
        and target.removeprefix("rollouts.services.").split(".")[0] not in allowed
    )
    assert wrong == []


def test_the_repository_stands_alone():
    """No tracked file points at the machine it was written on or at material outside it."""
    found = []
    for name in _tracked():
        path = ROOT / name
        if not path.is_file() or path.suffix in {".png", ".jpg", ".ico", ".woff2", ".gz"}:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        found += [f"{name}: {match.group()}" for match in OUTSIDE.finditer(text)]
    assert found == []


def test_the_outside_pattern_finds_a_machine_path_and_a_sibling_folder():
    home, sibling = "/".join(["", "home", "ci", "x"]), "/".join(["..", "shared", "notes.md"])
    assert [m.group() for m in OUTSIDE.finditer(f"see {home} and {sibling}")] == [
        "/" + "home" + "/",
        ".." + "/" + "shared",
    ]
    near_misses = [
        "/".join(["a", "home", "page"]),
        "..".join(["", "/shared" + "ness"]),
        "docs/api.md",
    ]
    assert not OUTSIDE.search(" and ".join(near_misses))
