"""The repository's promises to its users: layout, clean notebooks, one source of dependencies, a pinned public API."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

import kit

ROOT = Path(__file__).resolve().parent.parent
KEY_SHAPED = re.compile(
    r"sk-ant-(?:api|admin|oat|ort)\d{2}-[A-Za-z0-9_-]{20,}"  # Anthropic
    r"|sk-(?:proj-|svcacct-|service-|admin-|None-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"  # OpenAI
    r"|AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])|AQ\.[0-9A-Za-z_-]{45,}"  # Gemini standard and auth keys
    r"|sk-or-v1-[0-9a-f]{64}|gsk_[A-Za-z0-9]{52}|tgp_v1_[A-Za-z0-9_-]{40,}|xai-[A-Za-z0-9]{60,}"  # compatible ones
    r"|(?<![A-Za-z0-9_-])sk-[a-z0-9]{32}(?![A-Za-z0-9_-])"  # DeepSeek
)


def _requirement_names(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
        assert match, spec
        out[match.group(1).lower().replace("_", "-")] = match.group(2).strip()
    return out


def test_environment_yml_matches_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = _requirement_names(pyproject["project"]["dependencies"])
    text = (ROOT / "environment.yml").read_text()
    deps_section = text.split("dependencies:", 1)[1]
    conda_lines = re.findall(r"^  - ([^\s#:]+(?:[<>=!]=?[^\s#]+)?)", deps_section, re.MULTILINE)
    pip_lines = [line.strip() for line in re.findall(r"^      - ([^#\n]+)", text, re.MULTILINE)]
    assert pip_lines[-1] == "-e .", "the pip block must end in '-e .'"
    assert "conda-forge" in text
    assert re.search(r"^  - python>=3\.1[1-9]", text, re.MULTILINE)
    tools = {"python", "pip", "nodejs", "curl"}
    listed = {
        name: spec for name, spec in _requirement_names(conda_lines + pip_lines[:-1]).items() if name not in tools
    }
    assert listed == wanted, "environment.yml and pyproject.toml list different dependencies or versions"


def test_committed_notebooks_have_no_outputs_or_widget_state() -> None:
    import nbformat

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks found"
    for path in notebooks:
        nbformat.validate(nbformat.read(str(path), as_version=4))
        assert "Password" not in path.read_text(), f"{path.name}: keys come from names, files or getpass only"
        nb = json.loads(path.read_text())
        assert "widgets" not in nb.get("metadata", {}), f"{path.name} carries widget state"
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{path.name} carries outputs"
                assert cell.get("execution_count") is None, f"{path.name} carries execution counts"


def test_every_notebook_has_a_parameters_cell() -> None:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"


def test_public_api_is_exactly_all() -> None:
    public = {name for name in dir(kit) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(kit, name)).__name__ == "module"}
    assert public - modules == set(kit.__all__)
    for name in kit.__all__:
        assert getattr(kit, name) is not None


def test_no_key_shaped_literal_is_tracked() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        path = ROOT / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        assert not KEY_SHAPED.search(text), f"{name} contains a key-shaped literal; derive fake keys at run time"


@pytest.mark.parametrize("folder", ["kit", "notebooks", "data/catalog", "data/scenarios", "data/demo", "tests"])
def test_layout(folder: str) -> None:
    assert (ROOT / folder).is_dir()
    assert (ROOT / "kit" / "py.typed").is_file()
    ignored = (ROOT / ".gitignore").read_text()
    assert "reports/*" in ignored and "data/runs/*" in ignored


def test_papermill_understands_every_parameter() -> None:
    """A parameter papermill cannot parse is silently not injected: headless runs would use the default."""
    import papermill

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
        source = "".join(cell["source"])
        assigned = re.findall(r"^([A-Za-z_]\w*)\s*=", source, re.MULTILINE)
        parsed = papermill.inspect_notebook(str(path))
        assert sorted(parsed) == sorted(assigned), f"{path.name}: papermill cannot parse {set(assigned) - set(parsed)}"


def test_key_shaped_knows_every_prefixed_format() -> None:
    """The guard above must catch a fake key of every provider format that has a prefix (Mistral's has none)."""
    from kit.demo.fakekeys import derive_key, fake_kinds
    from kit.providers import providers

    prefixed = {k.id for p in providers().values() for k in p.kinds if k.prefix}
    for kind in fake_kinds():
        value = derive_key("layout", kind)
        spec = next((k for p in providers().values() for k in p.kinds if k.id == kind), None)
        if spec is None or spec.id in prefixed:
            assert KEY_SHAPED.search(value), f"KEY_SHAPED misses the {kind} format"
