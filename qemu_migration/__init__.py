"""qemu-migration: a patch-faithful reference port of libvirt's qemuMigrationIsAllowed
and its callers at three points of history, with the stub world they run in."""
__version__ = "0.1.0"
