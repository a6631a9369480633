"""`unittest.main()` under `if __name__ == "__main__":` -> `raise SystemExit(pytest.main([__file__]))` (TM203)."""
from __future__ import annotations

import libcst as cst


def pytest_main(module: cst.Module, verbose: bool) -> cst.BaseSmallStatement:
    args = '[__file__, "-v"]' if verbose else "[__file__]"
    stmt = cst.parse_statement(f"raise SystemExit(pytest.main({args})){module.default_newline}",
                               config=module.config_for_parsing)
    assert isinstance(stmt, cst.SimpleStatementLine)
    return stmt.body[0]


def rename_function(func: cst.FunctionDef, new: str) -> cst.FunctionDef:
    return func.with_changes(name=cst.Name(new))
