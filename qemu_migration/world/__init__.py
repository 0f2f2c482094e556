"""The stub world: driver and domain state, the recorded stubs, the run context."""
