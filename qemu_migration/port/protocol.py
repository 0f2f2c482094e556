"""The rest of src/qemu/qemu_migration.c that a whole migration runs, the same at all three commits.

Ported once and bound to each version by port/unit.py (see there).  Names this
module calls that the version defines (qemuMigrationBegin, qemuMigrationPerformJob,
the job helpers) resolve in the unit.  ``# L<pre>/<post>`` as in port/post.py.
"""

UNIT: list = []      # the functions this module adds to a host's unit, in upstream order
