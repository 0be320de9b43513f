"""peoplesync: keeps a people platform's employee directory in step with the company's HRIS."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("peoplesync")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
