"""The three ported versions, side by side, and what they share.

``pre``, ``post`` and ``fixed`` are src/qemu/qemu_migration.c's migration entry
points at three points of libvirt's history; ``qemu_domain`` and ``callees`` are
the functions below them, the same at all three commits.
"""
from dataclasses import dataclass
from functools import cached_property
from importlib import import_module

from .registry import ENTRY_NAMES


@dataclass(frozen=True)
class Version:
    name: str
    commit: str
    summary: str

    @cached_property
    def module(self):      # imported once: run_call asks for it on every call
        return import_module("qemu_migration.port." + self.name)


VERSIONS = {
    "pre": Version("pre", "19f8c980efbbb7cf01e7f5059c9521c8dc5799ec",
                   "parent of the patch"),
    "post": Version("post", "e2fb96d92b4b986a2b5732416f7bfd302a848970",
                    "snapshot: prevent migration from stranding snapshot data (0.9.5)"),
    "fixed": Version("fixed", "e2fb96d92b4b986a2b5732416f7bfd302a848970+bebe5122",
                     "the patch plus bebe5122, the 0.9.6-maint backport of 837993d845a3 "
                     "(qemu: Clear async job when p2p migration fails early)"),
}
VERSION_NAMES = list(VERSIONS)

MIGRATION_C = "src/qemu/qemu_migration.c"
DOMAIN_C = "src/qemu/qemu_domain.c"
PROCESS_C = "src/qemu/qemu_process.c"
CONF_C = "src/conf/domain_conf.c"

# virDomainDefCheckABIStability with its helpers (port/abi.py), in the file's order
ABI_CHECK = [
    "virDomainTimerDefCheckABIStability", "virDomainDeviceInfoCheckABIStability",
    "virDomainDiskDefCheckABIStability", "virDomainControllerDefCheckABIStability",
    "virDomainFsDefCheckABIStability", "virDomainNetDefCheckABIStability",
    "virDomainInputDefCheckABIStability", "virDomainSoundDefCheckABIStability",
    "virDomainVideoDefCheckABIStability", "virDomainHostdevDefCheckABIStability",
    "virDomainSmartcardDefCheckABIStability", "virDomainSerialDefCheckABIStability",
    "virDomainParallelDefCheckABIStability", "virDomainChannelDefCheckABIStability",
    "virDomainConsoleDefCheckABIStability", "virDomainWatchdogDefCheckABIStability",
    "virDomainMemballoonDefCheckABIStability", "virDomainHubDefCheckABIStability",
    "virDomainDefCheckABIStability",
]

# What is ported, per upstream file, in the order the C build emits them.  The
# ports trace every one of these when called but the snapshot iterator, which
# is called through a pointer, not by name.
PORTED = {
    CONF_C: ["virDomainSnapshotObjListCount", "virDomainSnapshotObjListNum"],
    PROCESS_C: ["qemuProcessAutoDestroyActive"],
    DOMAIN_C: ["qemuDomainObjResetJob", "qemuDomainObjResetAsyncJob", "qemuDomainObjSaveJob",
               "qemuDomainObjSetJobPhase", "qemuDomainObjSetAsyncJobMask",
               "qemuDomainObjDiscardAsyncJob", "qemuDomainJobAllowed",
               "qemuDomainObjBeginJobInternal", "qemuDomainObjBeginAsyncJobWithDriver",
               "qemuDomainObjEndJob", "qemuDomainObjEndAsyncJob"],
    # the entry points (registry.py), then the functions only they call
    MIGRATION_C: ENTRY_NAMES + ["qemuMigrationPrepareAny", "qemuMigrationJobStart",
                                "qemuMigrationJobSetPhase", "qemuMigrationJobStartPhase",
                                "qemuMigrationJobContinue", "qemuMigrationJobIsActive",
                                "qemuMigrationJobFinish"],
}
UNTRACED = ("virDomainSnapshotObjListCount",)

# The C ``static`` variables the ports keep in the world (``runtime.static``), by the
# name a scenario's <static> gives them: name -> (C function, C variable).
STATICS = {
    "qemuMigrationPrepareDirect.port": ("qemuMigrationPrepareDirect", "port"),
}


def traced_names(*files):
    return [n for f in files for n in PORTED[f] if n not in UNTRACED]
