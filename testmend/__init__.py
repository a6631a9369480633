"""testmend: audit a Python test suite and mend it.

The library API lives in `testmend.api`; the CLI (`testmend.cli`) only parses
options, renders results and picks the exit code.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("testmend")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
