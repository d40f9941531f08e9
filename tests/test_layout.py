"""The package stays readable: files and functions of bounded length, a reason where one is long."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "audiosk"


def code_lines(lines, node):
    """Lines of a function's code: its body less the docstring, blank lines and comments."""
    body = node.body
    first = body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(
        getattr(first, "value", None), ast.Constant
    )
    start = first.end_lineno + 1 if docstring and len(body) > 1 else first.lineno
    return [
        line
        for line in lines[start - 1 : node.end_lineno]
        if line.strip() and not line.strip().startswith("#")
    ]


def test_no_file_over_800_lines_and_a_reason_at_the_top_of_one_over_600():
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text().splitlines()
        assert len(lines) <= 800, f"{path.name}: {len(lines)} lines; split it"
        if len(lines) > 600:
            top = "\n".join(lines[:40])
            assert "# Past 600 lines because" in top, f"{path.name}: say why it is long"


def test_no_function_over_100_lines_of_code():
    long = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = len(code_lines(lines, node))
                if n > 100:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({n})")
    assert long == []
