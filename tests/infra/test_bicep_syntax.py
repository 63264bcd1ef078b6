"""Every .bicep file parses: tree-sitter-bicep (the grammar) and pycep-parser (the structure)."""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter_bicep
from tree_sitter import Language, Node, Parser

from tests.infra.bicep_model import INFRA, bicep_files, module_path, parse

PARSER = Parser(Language(tree_sitter_bicep.language()))


def syntax_problems(source: bytes) -> list[str]:
    """ERROR and MISSING nodes of the tree, with their positions."""
    problems: list[str] = []

    def walk(node: Node) -> None:
        if node.is_error or node.is_missing:
            kind = "MISSING" if node.is_missing else "ERROR"
            problems.append(
                f"{kind} {node.type} at {node.start_point.row + 1}:{node.start_point.column + 1}"
            )
        for child in node.children:
            walk(child)

    walk(PARSER.parse(source).root_node)
    return problems


def test_the_templates_exist() -> None:
    names = {p.relative_to(INFRA).as_posix() for p in bicep_files()}
    assert {
        "main.bicep",
        "modules/function.bicep",
        "modules/storage.bicep",
        "modules/monitoring.bicep",
        "modules/identity.bicep",
        "modules/alerts.bicep",
    } <= names


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: p.relative_to(INFRA).as_posix())
def test_tree_sitter_finds_no_syntax_error(path: Path) -> None:
    assert syntax_problems(path.read_bytes()) == []


def test_the_syntax_check_catches_a_broken_template() -> None:
    broken = b"resource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n"
    assert syntax_problems(broken)


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: p.relative_to(INFRA).as_posix())
def test_pycep_parses_the_structure(path: Path) -> None:
    tree = parse(path)
    assert tree.get("resources") or tree.get("modules"), "a template that deploys nothing"


def test_every_module_main_deploys_exists() -> None:
    modules = parse(INFRA / "main.bicep")["modules"]
    paths = {m["detail"]["path"] for m in modules.values()}
    assert paths == {f"modules/{p.stem}.bicep" for p in bicep_files() if p.parent.name == "modules"}
    assert all(module_path(Path(p).stem).exists() for p in paths)
