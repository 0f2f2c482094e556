"""src/qemu/qemu_driver.c's migration entry points, the same at all three commits.

Ported once and bound to each version by port/unit.py (see there).
"""

UNIT: list = []      # the functions this module adds to a host's unit, in upstream order
DRIVER_TABLE: dict = {}   # virDriver member -> the function of UNIT behind it (qemuDriver)
