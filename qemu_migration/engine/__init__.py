"""Running a call of a ported function on a world and recording everything it did."""
from .runner import (ENTRY_NAMES, Call, record_call, run_call, run_scenario, run_scenario_unfired,
                     unfired_faults)

__all__ = ["ENTRY_NAMES", "Call", "record_call", "run_call", "run_scenario", "run_scenario_unfired",
           "unfired_faults"]
