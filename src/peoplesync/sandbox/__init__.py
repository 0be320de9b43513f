"""The sandbox HRIS: a local server speaking Merge's HRIS API for a synthetic Justworks company.

Use `SandboxServer` (tests, benchmarks, the demo) or `run` (the `peoplesync sandbox` command);
drive HR changes, sync states, faults and webhooks through `SandboxControl` (the control API).
"""

from peoplesync.sandbox.client import SandboxAccount, SandboxControl, SandboxControlError
from peoplesync.sandbox.clock import ManualClock, SystemClock
from peoplesync.sandbox.company import SyntheticCompany
from peoplesync.sandbox.server import SandboxServer, run
from peoplesync.sandbox.state import DEFAULT_API_KEY

__all__ = [
    "DEFAULT_API_KEY",
    "ManualClock",
    "SandboxAccount",
    "SandboxControl",
    "SandboxControlError",
    "SandboxServer",
    "SyntheticCompany",
    "SystemClock",
    "run",
]
