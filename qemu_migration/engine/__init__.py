"""Running a call of a ported function on a world and recording everything it did."""
from .runner import ENTRY_POINTS, run_call, run_scenario  # noqa: F401
