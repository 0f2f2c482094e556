"""src/qemu/qemu_migration.c's peer-to-peer flows (doPeer2PeerMigrate, ...2, ...3), the same
at all three commits.

Ported once and bound to each version by port/unit.py (see there); in a host's
unit, the version's qemuMigrationPerformJob calls these instead of the stub the
function-level runs use.  ``# L<pre>/<post>`` as in port/post.py.
"""

UNIT: list = []      # the functions this module adds to a host's unit, in upstream order
