"""Running a call of a ported function on a world and recording everything it did."""
from .runner import ENTRY_POINTS, Call, run_call, run_scenario

__all__ = ["ENTRY_POINTS", "Call", "run_call", "run_scenario"]
