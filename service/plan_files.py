"""Action-plan YAML files: validated by pydantic, errors given with their line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from domain.action_plan import ActionPlan


class InvalidPlan(Exception):
    pass


def load_plan(path: Path) -> ActionPlan:
    reader = YAML(typ="rt")  # YAML 1.2, and it remembers lines
    reader.constructor.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    try:
        document = reader.load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError, ValueError) as error:
        raise InvalidPlan(f"{path}: not a readable YAML file: {error}") from None
    try:
        return ActionPlan.model_validate(_plain(document))
    except ValidationError as error:
        problems = [
            f"{path}:{_line(document, item['loc'])}: {'.'.join(map(str, item['loc']))}: "
            f"{item['msg']}"
            for item in error.errors()
        ]
        raise InvalidPlan("\n".join(problems)) from None


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _line(document: Any, location: tuple) -> int:
    """The line of the deepest mapping or list the error's location reaches (1-based)."""
    node, line = document, 1
    for part in location:
        if isinstance(node, CommentedMap) and part in node:
            key_line = node.lc.key(part)[0] if hasattr(node.lc, "key") else node.lc.line
            line, node = key_line + 1, node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, node = node.lc.item(part)[0] + 1, node[part]
        else:
            break
    return line
