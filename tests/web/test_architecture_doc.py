"""The map stays true: every path `docs/ARCHITECTURE.md` names exists, every protocol section it
names is a top-level key of `protocols/default.yaml`, and the dependency rule it states holds
(the pure cores and `words.py` import nothing from Django or the apps), checked by an AST scan."""

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "needlepoint"
DOC = ROOT / "docs" / "ARCHITECTURE.md"

BACKTICKED = re.compile(r"`([^`\n]+)`")
PROTOCOL_KEY = re.compile(r"^[a-z_]+:$")
FILE_ENDINGS = (".py", ".yaml", ".md", ".html", ".json", ".toml", ".sh")
APPS = {"accounts", "audit", "bookings", "clinic", "web", "cli", "mailing"}


def named_paths(text: str) -> list[str]:
    """The backticked tokens that are paths: with a slash, or a file name with a known ending."""
    tokens = BACKTICKED.findall(text)
    return [t for t in tokens if " " not in t and ("/" in t or t.endswith(FILE_ENDINGS))]


def protocol_keys(text: str) -> list[str]:
    return [t[:-1] for t in BACKTICKED.findall(text) if PROTOCOL_KEY.match(t)]


def exists(path: str) -> bool:
    """A path from the repository root, or (for code) from `src/needlepoint/`."""
    return (ROOT / path).exists() or (SRC / path).exists()


def forbidden_imports(source: str) -> list[str]:
    """Imports of Django, or of a needlepoint module outside the pure cores and `words`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "needlepoint":
                names = [f"needlepoint.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "django" or (parts[0] == "needlepoint" and len(parts) > 1 and parts[1] in APPS):
                found.append(name)
    return found


def test_it_finds_the_paths_and_sections_the_map_names() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert (len(named_paths(text)) > 100, len(protocol_keys(text)) > 5) == (True, True)


def test_it_recognises_a_path_that_does_not_exist() -> None:
    sample = "`clinic/services/gate.py` and `clinic/services/consultation.py` but not `Appointment`"
    paths = named_paths(sample)
    assert (paths, [p for p in paths if not exists(p)]) == (
        ["clinic/services/gate.py", "clinic/services/consultation.py"],
        ["clinic/services/consultation.py"],
    )


def test_every_path_in_the_architecture_map_exists() -> None:
    missing = [p for p in named_paths(DOC.read_text(encoding="utf-8")) if not exists(p)]
    assert missing == []


def test_every_protocol_section_in_the_map_is_a_top_level_key_of_the_protocol() -> None:
    protocol = yaml.safe_load((ROOT / "protocols" / "default.yaml").read_text(encoding="utf-8"))
    named = protocol_keys(DOC.read_text(encoding="utf-8"))
    assert sorted(set(named) - set(protocol)) == []


def test_the_patient_path_table_has_a_row_per_step() -> None:
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    steps = [row.split("|")[1].strip() for row in rows[1:]]
    assert steps[:2] == ["Inquiry", "Registration and the record"]
    assert (len(steps), steps[-1]) == (15, "Course completion")


def test_it_catches_a_django_or_app_import() -> None:
    source = (
        "from django.db import models\n"
        "from needlepoint import clinic, words\n"
        "import needlepoint.bookings.models\n"
        "from needlepoint.clinical.rules import Finding\n"
    )
    assert forbidden_imports(source) == ["django.db", "needlepoint.clinic", "needlepoint.bookings.models"]


CORES = sorted(
    [
        *(SRC / "clinical").rglob("*.py"),
        *(SRC / "scheduling").rglob("*.py"),
        *(SRC / "photo").rglob("*.py"),
        SRC / "words.py",
    ]
)


@pytest.mark.parametrize("path", CORES, ids=lambda p: str(p.relative_to(SRC)))
def test_the_pure_cores_import_nothing_from_django_or_the_apps(path: Path) -> None:
    assert forbidden_imports(path.read_text(encoding="utf-8")) == []
