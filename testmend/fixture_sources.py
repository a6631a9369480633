"""Fixtures from outside the suite: pytest's own plugins and the installed ones.

Both are read statically from their source files with `ast` (never imported):
pytest's plugin modules (`_pytest/*.py`, the list of default plugins comes
from `_pytest.config`, importing pytest itself is fine) and the modules named
by the `pytest11` entry points of the installed distributions. These are the
plugins of the interpreter testmend runs in: run testmend from the project's
environment for a faithful answer.

Also two tables that only explain a miss: fixtures of well-known plugins (so
"mocker" is reported as "pytest-mock is not installed") and fixtures pytest
itself no longer provides.
"""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .fixture_scan import NAME_UNKNOWN, ModuleFacts, scan_file

# fixture -> the distribution that provides it (explanations only; what is
# installed is read from the entry points)
KNOWN_PLUGIN_FIXTURES: dict[str, str] = {
    **{n: "pytest-mock" for n in ("mocker", "class_mocker", "module_mocker", "package_mocker", "session_mocker")},
    "requests_mock": "requests-mock",
    "httpx_mock": "pytest-httpx",
    "benchmark": "pytest-benchmark",
    "freezer": "pytest-freezer",
    **{n: "pytest-django" for n in (
        "client", "async_client", "rf", "async_rf", "db", "transactional_db", "django_db_setup",
        "django_db_blocker", "settings", "admin_client", "admin_user", "django_user_model",
        "django_username_field", "live_server", "django_assert_num_queries",
        "django_assert_max_num_queries", "django_capture_on_commit_callbacks", "mailoutbox")},
    "event_loop": "pytest-asyncio (removed in pytest-asyncio 1.0: use the loop_scope of the asyncio mark)",
    "unused_tcp_port": "pytest-asyncio",
    "unused_tcp_port_factory": "pytest-asyncio",
    "aioresponses": "pytest-aioresponses",
    **{n: "celery (celery.contrib.pytest)" for n in (
        "celery_app", "celery_worker", "celery_config", "celery_session_app", "celery_session_worker",
        "celery_includes", "celery_parameters", "celery_enable_logging", "depends_on_current_app")},
    "aiohttp_client": "pytest-aiohttp", "aiohttp_server": "pytest-aiohttp",
    "aiohttp_raw_server": "pytest-aiohttp",
    "httpserver": "pytest-httpserver",
    "snapshot": "syrupy",
    "faker": "Faker",
    "datadir": "pytest-datadir", "shared_datadir": "pytest-datadir",
    "qtbot": "pytest-qt",
    "fs": "pyfakefs",
    "vcr": "pytest-recording", "vcr_cassette": "pytest-vcr",
    "anyio_backend": "anyio",
    "nursery": "pytest-trio", "autojump_clock": "pytest-trio",
    "docker_services": "pytest-docker",
    "time_machine": "time-machine",
    "httpbin": "pytest-httpbin",
    "xprocess": "pytest-xprocess",
    "cov": "pytest-cov",
    "responses": "pytest-responses",
    "subtests": "pytest-subtests (built into pytest from 9.0)",
    "lazy_fixture": "pytest-lazy-fixture",
    "app": "pytest-flask", "live_server_flask": "pytest-flask",
    "redisdb": "pytest-redis", "postgresql": "pytest-postgresql",
    "caplog_json": "pytest-structlog",
    "mock": "pytest-mock (as `mocker`; there is no `mock` fixture)",
}

# fixture -> what to use instead, for names the installed pytest does not provide
REMOVED_BUILTINS: dict[str, str] = {
    "testdir": "pytest's legacy alias of `pytester` (needs the pytester plugin: "
               "`pytest_plugins = [\"pytester\"]` in the root conftest.py); request `pytester` instead",
    "tmpdir": "provided by pytest's legacypath plugin, which is disabled here; use `tmp_path`",
    "tmpdir_factory": "provided by pytest's legacypath plugin, which is disabled here; use `tmp_path_factory`",
    "record_xml_property": "removed in pytest 5.0; use `record_property`",
    "pytester": "provided by pytest's pytester plugin, which is not enabled: "
                "add `pytest_plugins = [\"pytester\"]` to the root conftest.py",
    "cache": "provided by pytest's cacheprovider plugin, which is disabled (-p no:cacheprovider)",
}

PSEUDO = frozenset({"request"})  # not defined with @fixture anywhere: pytest provides it itself


@dataclass(frozen=True)
class Plugin:
    """One plugin outside the project and the fixtures it defines."""

    name: str  # what `-p` and `-p no:` call it: "tmpdir", "pytester", an entry point name
    package: str  # the distribution that ships it
    module: str
    fixtures: frozenset[str]
    default: bool  # active without `-p name` / pytest_plugins
    opaque: str | None = None  # why `fixtures` may be incomplete
    generates: bool = False  # its pytest_generate_tests may parametrize any name
    needs: str | None = None  # the plugin that must be active too (legacypath's testdir: pytester)


def module_file(dotted: str, roots: Iterable[Path] = ()) -> Path | None:
    """The file a dotted module name would be imported from, found without importing it:
    first under the given project roots, then through the interpreter's finders."""
    parts = [p for p in dotted.split(".") if p]
    if not parts:
        return None

    def under(base: Path, rest: list[str]) -> Path | None:
        cand = base.joinpath(*rest) if rest else base
        if rest and cand.with_suffix(".py").is_file():
            return cand.with_suffix(".py")
        if (cand / "__init__.py").is_file():
            return cand / "__init__.py"
        return None

    for root in roots:
        found = under(root, parts)
        if found is not None:
            return found
    if parts[0] in sys.stdlib_module_names:
        return None
    try:
        spec = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError, AttributeError):
        return None
    if spec is None:
        return None
    if len(parts) == 1:
        origin = spec.origin
        return Path(origin) if origin and origin.endswith(".py") else None
    for location in spec.submodule_search_locations or ():
        found = under(Path(location), parts[1:])
        if found is not None:
            return found
    return None


def scan_plugin(dotted: str, roots: Iterable[Path] = ()) -> tuple[dict[str, ModuleFacts], str | None]:
    """Every module a plugin module brings in (itself, modules it imports
    fixtures from or star-imports, its own pytest_plugins), by dotted name;
    plus why the result may be incomplete."""
    roots = tuple(roots)
    seen: dict[str, ModuleFacts] = {}
    opaque: str | None = None
    pending = [dotted]
    while pending and len(seen) < 200:
        name = pending.pop()
        if name in seen:
            continue
        path = module_file(name, roots)
        facts = scan_file(path) if path is not None else None
        if facts is None:
            if name == dotted:
                return {}, f"plugin module {name} cannot be found or parsed"
            continue
        facts = ModuleFacts(**{**facts.__dict__, "module": name})
        seen[name] = facts
        if facts.plugins_uncertain:
            opaque = opaque or f"{name}: {facts.plugins_uncertain}"
        pending.extend(facts.plugins)
        top = dotted.split(".")[0]
        pending.extend(s for s in facts.star_imports if s.split(".")[0] == top)
        for _local, target in facts.imports:
            mod = target.rpartition(".")[0]
            if mod.split(".")[0] == top and mod:
                pending.append(mod)
    return seen, opaque


def _fixture_names(modules: dict[str, ModuleFacts], root_module: str) -> tuple[set[str], str | None]:
    """Fixtures registered by loading `root_module` as a plugin: its own, those
    imported into it (a plugin's namespace is scanned like a conftest's) and
    those of the plugins it lists."""
    names: set[str] = set()
    opaque: str | None = None
    visited: set[str] = set()

    def of(module: str, depth: int = 0) -> dict[str, str]:
        """attribute name -> fixture name, for the namespace of `module`."""
        facts = modules.get(module)
        if facts is None or depth > 5:
            return {}
        out = {f.name: f.fixture for f in facts.functions if f.fixture}
        for local, target in facts.imports:
            mod, _, attr = target.rpartition(".")
            if mod in modules:
                found = of(mod, depth + 1).get(attr)
                if found:
                    out[local] = found if found != attr else local
        for star in facts.star_imports:
            for attr, fixture in of(star, depth + 1).items():
                if not attr.startswith("_"):
                    out[attr] = fixture
        return out

    def plugin(module: str) -> None:
        nonlocal opaque
        if module in visited or module not in modules:
            return
        visited.add(module)
        facts = modules[module]
        names.update(of(module).values())
        if facts.dynamic:
            # plugin classes registered at run time: count every fixture method
            names.update(f.fixture for c in facts.classes for f in c.functions if f.fixture)
        if any(f.fixture and f.uncertain == NAME_UNKNOWN for f in facts.functions):
            opaque = opaque or f"{module} names a fixture at run time"
        for p in facts.plugins:
            plugin(p)

    plugin(root_module)
    return names, opaque


@lru_cache(maxsize=None)
def builtin_plugins() -> dict[str, Plugin]:
    """pytest's own plugins (the default ones and pytester), by plugin name."""
    import _pytest
    from _pytest.config import default_plugins

    base = Path(_pytest.__file__).parent
    version = _pytest_version()
    out: dict[str, Plugin] = {}
    for name in (*default_plugins, "pytester"):
        path = base / f"{name}.py"
        if not path.is_file():
            path = base / name / "__init__.py"
        facts = scan_file(path)
        if facts is None:
            continue
        fixtures = {f.fixture for f in facts.functions if f.fixture}
        if name == "fixtures":
            fixtures |= PSEUDO
        package = f"pytest {version}"
        for cls in facts.classes:
            own = {f.fixture for f in cls.functions if f.fixture}
            if not own:
                continue
            if "Testdir" in cls.name:  # legacypath: registered when pytester is
                out[f"{name}:{cls.name}"] = Plugin(f"{name}:{cls.name}", package, f"_pytest.{name}",
                                                   frozenset(own), default=True, needs="pytester")
            else:
                fixtures |= own
        out[name] = Plugin(name, package, f"_pytest.{name}", frozenset(fixtures), default=name != "pytester")
    return out


def _pytest_version() -> str:
    from _pytest._version import version

    return str(version)


@lru_cache(maxsize=None)
def installed_plugins() -> dict[str, Plugin]:
    """Plugins registered through `pytest11` entry points, by entry point name."""
    import importlib.metadata as md

    out: dict[str, Plugin] = {}
    for ep in md.entry_points(group="pytest11"):
        dist = getattr(ep, "dist", None)
        package = dist.metadata["Name"] if dist is not None else ep.value.split(".")[0]
        modules, opaque = scan_plugin(ep.value.split(":")[0])
        fixtures, why = _fixture_names(modules, ep.value.split(":")[0]) if modules else (set(), None)
        generates = any(m.generate is not None and m.generate.names is None for m in modules.values())
        out[ep.name] = Plugin(ep.name, package, ep.value, frozenset(fixtures), default=True,
                              opaque=opaque or why or (None if modules else f"{ep.value} cannot be read"),
                              generates=generates)
    return out


def project_plugin(dotted: str, roots: Iterable[Path]) -> Plugin:
    """A module named by `pytest_plugins` or `-p`: in the project or installed."""
    builtins = builtin_plugins()
    if dotted in builtins:
        return builtins[dotted]
    short = dotted.removeprefix("_pytest.")
    if dotted.startswith("_pytest.") and short in builtins:
        return builtins[short]
    modules, opaque = scan_plugin(dotted, roots)
    if not modules:
        return Plugin(dotted, "?", dotted, frozenset(), default=True,
                      opaque=f"module {dotted} was not found in the project or the environment")
    fixtures, why = _fixture_names(modules, dotted)
    generates = any(m.generate is not None and m.generate.names is None for m in modules.values())
    return Plugin(dotted, "project", dotted, frozenset(fixtures), default=True, opaque=opaque or why,
                  generates=generates)
