"""Numeric constants of the libvirt 0.9.5 era that the ported code compares against.

Values are those of libvirt's public and internal enums at the three
commits this project ports (they are identical at all three); each group names
the upstream header it mirrors so a reader can check them.
"""

NULL = None

# qemu_domain.h: enum qemuDomainJob
QEMU_JOB_NONE = 0
QEMU_JOB_QUERY = 1
QEMU_JOB_DESTROY = 2
QEMU_JOB_SUSPEND = 3
QEMU_JOB_MODIFY = 4
QEMU_JOB_ABORT = 5
QEMU_JOB_MIGRATION_OP = 6
QEMU_JOB_ASYNC = 7
QEMU_JOB_ASYNC_NESTED = 8
QEMU_JOB_NAMES = ["none", "query", "destroy", "suspend", "modify", "abort",
                  "migration operation", "async", "async nested"]

# qemu_domain.h: enum qemuDomainAsyncJob
QEMU_ASYNC_JOB_NONE = 0
QEMU_ASYNC_JOB_MIGRATION_OUT = 1
QEMU_ASYNC_JOB_MIGRATION_IN = 2
QEMU_ASYNC_JOB_SAVE = 3
QEMU_ASYNC_JOB_DUMP = 4
QEMU_ASYNC_JOB_NAMES = ["none", "migration out", "migration in", "save", "dump"]


class _JobMasks(dict):
    """qemu_domain.h JOB_MASK(job): one bit per job kind, QUERY is bit 0.  The masks of
    the job kinds are looked up (``JOB_MASK`` is the table's ``__getitem__``: no Python
    frame, about one call a run); any other number is shifted as the macro does."""
    __slots__ = ()

    def __missing__(self, job):
        return 1 << (job - 1)


_JOB_MASKS = _JobMasks()
for _job in range(QEMU_JOB_QUERY, len(QEMU_JOB_NAMES)):
    _JOB_MASKS[_job] = _JOB_MASKS.__missing__(_job)
del _job
JOB_MASK = _JOB_MASKS.__getitem__


DEFAULT_JOB_MASK = (JOB_MASK(QEMU_JOB_QUERY) | JOB_MASK(QEMU_JOB_DESTROY)
                    | JOB_MASK(QEMU_JOB_ABORT))


def migration_job_mask(asyncJob):
    """The mask qemuMigrationJobStart leaves for a migration async job
    (qemu_migration.c:2862-2867 @ e2fb96d9), through qemuDomainObjSetAsyncJobMask,
    which always adds DESTROY: only DESTROY for migration in; for migration out
    the default jobs (query, destroy, abort) plus suspend and migration operation."""
    if asyncJob == QEMU_ASYNC_JOB_MIGRATION_IN:
        return JOB_MASK(QEMU_JOB_DESTROY)
    return (DEFAULT_JOB_MASK | JOB_MASK(QEMU_JOB_SUSPEND) | JOB_MASK(QEMU_JOB_MIGRATION_OP)
            | JOB_MASK(QEMU_JOB_DESTROY))

# qemu_migration.h: enum qemuMigrationJobPhase
QEMU_MIGRATION_PHASE_NONE = 0
QEMU_MIGRATION_PHASE_PERFORM2 = 1
QEMU_MIGRATION_PHASE_BEGIN3 = 2
QEMU_MIGRATION_PHASE_PERFORM3 = 3
QEMU_MIGRATION_PHASE_PERFORM3_DONE = 4
QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED = 5
QEMU_MIGRATION_PHASE_CONFIRM3 = 6
QEMU_MIGRATION_PHASE_PREPARE = 7
QEMU_MIGRATION_PHASE_FINISH2 = 8
QEMU_MIGRATION_PHASE_FINISH3 = 9
QEMU_MIGRATION_PHASE_NAMES = ["none", "perform2", "begin3", "perform3", "perform3_done",
                              "confirm3_cancelled", "confirm3", "prepare", "finish2",
                              "finish3"]


def qemuMigrationJobPhaseTypeToString(phase):
    """The VIR_ENUM_IMPL lookup: NULL for a value outside the table."""
    if 0 <= phase < len(QEMU_MIGRATION_PHASE_NAMES):
        return QEMU_MIGRATION_PHASE_NAMES[phase]
    return None


# qemu_migration.c: enum qemuMigrationCookieFeatures
QEMU_MIGRATION_COOKIE_GRAPHICS = 1 << 0
QEMU_MIGRATION_COOKIE_LOCKSTATE = 1 << 1
COOKIE_FLAG_NAMES = {"graphics": QEMU_MIGRATION_COOKIE_GRAPHICS,
                     "lockstate": QEMU_MIGRATION_COOKIE_LOCKSTATE}

# qemu_conf.h
QEMUD_MIGRATION_FIRST_PORT = 49152
QEMUD_MIGRATION_NUM_PORTS = 64
QEMU_EXPECTED_VIRT_TYPES = (1 << 1) | (1 << 2)  # qemu and kvm; only passed along

# libvirt.h: virDomainState and the reasons the ported code and stubs use
VIR_DOMAIN_NOSTATE = 0
VIR_DOMAIN_RUNNING = 1
VIR_DOMAIN_BLOCKED = 2
VIR_DOMAIN_PAUSED = 3
VIR_DOMAIN_SHUTDOWN = 4
VIR_DOMAIN_SHUTOFF = 5
VIR_DOMAIN_CRASHED = 6
DOMAIN_STATE_NAMES = ["nostate", "running", "blocked", "paused", "shutdown", "shutoff",
                      "crashed"]
# reasons, per state, as libvirt's status XML spells them
DOMAIN_REASON_NAMES = {
    VIR_DOMAIN_NOSTATE: ["unknown"],
    VIR_DOMAIN_RUNNING: ["unknown", "booted", "migrated", "restored", "from snapshot",
                         "unpaused", "migration canceled", "save canceled"],
    VIR_DOMAIN_BLOCKED: ["unknown"],
    VIR_DOMAIN_PAUSED: ["unknown", "user", "migration", "save", "dump", "ioerror",
                        "watchdog", "from snapshot", "shutdown"],
    VIR_DOMAIN_SHUTDOWN: ["unknown", "user"],
    VIR_DOMAIN_SHUTOFF: ["unknown", "shutdown", "destroyed", "crashed", "migrated",
                         "saved", "failed", "from snapshot"],
    VIR_DOMAIN_CRASHED: ["unknown"],
}
VIR_DOMAIN_RUNNING_BOOTED = 1
VIR_DOMAIN_RUNNING_MIGRATED = 2
VIR_DOMAIN_RUNNING_MIGRATION_CANCELED = 6
VIR_DOMAIN_PAUSED_USER = 1
VIR_DOMAIN_PAUSED_MIGRATION = 2
VIR_DOMAIN_SHUTOFF_UNKNOWN = 0
VIR_DOMAIN_SHUTOFF_DESTROYED = 2
VIR_DOMAIN_SHUTOFF_MIGRATED = 4
VIR_DOMAIN_SHUTOFF_FAILED = 6

# libvirt.h: virDomainJobType
VIR_DOMAIN_JOB_NONE = 0
VIR_DOMAIN_JOB_BOUNDED = 1
VIR_DOMAIN_JOB_UNBOUNDED = 2
VIR_DOMAIN_JOB_NAMES = ["none", "bounded", "unbounded"]

# libvirt.h: virDomainMigrateFlags
VIR_MIGRATE_LIVE = 1 << 0
VIR_MIGRATE_PEER2PEER = 1 << 1
VIR_MIGRATE_TUNNELLED = 1 << 2
VIR_MIGRATE_PERSIST_DEST = 1 << 3
VIR_MIGRATE_UNDEFINE_SOURCE = 1 << 4
VIR_MIGRATE_PAUSED = 1 << 5
VIR_MIGRATE_NON_SHARED_DISK = 1 << 6
VIR_MIGRATE_NON_SHARED_INC = 1 << 7
VIR_MIGRATE_CHANGE_PROTECTION = 1 << 8
# qemu_migration.h: QEMU_MIGRATION_FLAGS, every flag the qemu driver supports
QEMU_MIGRATION_FLAGS = (VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED |
                        VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE |
                        VIR_MIGRATE_PAUSED | VIR_MIGRATE_NON_SHARED_DISK |
                        VIR_MIGRATE_NON_SHARED_INC | VIR_MIGRATE_CHANGE_PROTECTION)
MIGRATE_FLAG_NAMES = {
    "live": VIR_MIGRATE_LIVE, "peer2peer": VIR_MIGRATE_PEER2PEER,
    "tunnelled": VIR_MIGRATE_TUNNELLED, "persist-dest": VIR_MIGRATE_PERSIST_DEST,
    "undefine-source": VIR_MIGRATE_UNDEFINE_SOURCE, "paused": VIR_MIGRATE_PAUSED,
    "non-shared-disk": VIR_MIGRATE_NON_SHARED_DISK,
    "non-shared-inc": VIR_MIGRATE_NON_SHARED_INC,
    "change-protection": VIR_MIGRATE_CHANGE_PROTECTION,
}


def flag_names(value):
    """The names of the migration flags set in ``value``, in MIGRATE_FLAG_NAMES' order."""
    return [n for n, bit in MIGRATE_FLAG_NAMES.items() if value & bit]

# libvirt.h: virDomainEventType and the details used here
VIR_DOMAIN_EVENT_STARTED = 2
VIR_DOMAIN_EVENT_SUSPENDED = 3
VIR_DOMAIN_EVENT_RESUMED = 4
VIR_DOMAIN_EVENT_STOPPED = 5
VIR_DOMAIN_EVENT_STARTED_MIGRATED = 1
VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED = 1
VIR_DOMAIN_EVENT_RESUMED_MIGRATED = 1
VIR_DOMAIN_EVENT_STOPPED_MIGRATED = 3
VIR_DOMAIN_EVENT_DEFINED = 0
VIR_DOMAIN_EVENT_DEFINED_ADDED = 0
VIR_DOMAIN_EVENT_DEFINED_UPDATED = 1
VIR_DOMAIN_EVENT_SUSPENDED_PAUSED = 0
VIR_DOMAIN_EVENT_STOPPED_FAILED = 5
VIR_DOMAIN_EVENT_STOPPED_DESTROYED = 1
EVENT_NAMES = {0: "defined", 1: "undefined", 2: "started", 3: "suspended", 4: "resumed",
               5: "stopped"}

# domain_conf.h / qemu_process.h flags passed along
VIR_DOMAIN_XML_SECURE = 1 << 0
VIR_DOMAIN_XML_INACTIVE = 1 << 1
VIR_DOMAIN_XML_UPDATE_CPU = 1 << 2
XML_FLAG_NAMES = {"secure": VIR_DOMAIN_XML_SECURE, "inactive": VIR_DOMAIN_XML_INACTIVE,
                  "update-cpu": VIR_DOMAIN_XML_UPDATE_CPU}
VIR_VM_OP_MIGRATE_IN_START = 2

# virterror.h: virErrorDomain and virErrorNumber (the values used here)
VIR_FROM_NONE = 0
VIR_FROM_DOM = 6           # libvirt.c's virLibDomainError
VIR_FROM_RPC = 7           # the remote driver's own errors
VIR_FROM_QEMU = 10
VIR_FROM_DOMAIN = 20
VIR_FROM_STREAMS = 38
VIR_FROM_LOCKING = 42
ERROR_DOMAIN_NAMES = {0: "VIR_FROM_NONE", 6: "VIR_FROM_DOM", 7: "VIR_FROM_RPC",
                      10: "VIR_FROM_QEMU", 20: "VIR_FROM_DOMAIN",
                      38: "VIR_FROM_STREAMS", 42: "VIR_FROM_LOCKING"}

VIR_ERR_OK = 0
VIR_ERR_INTERNAL_ERROR = 1
VIR_ERR_NO_MEMORY = 2
VIR_ERR_NO_SUPPORT = 3
VIR_ERR_INVALID_CONN = 6
VIR_ERR_INVALID_DOMAIN = 7
VIR_ERR_INVALID_ARG = 8
VIR_ERR_OPERATION_FAILED = 9
VIR_ERR_XML_ERROR = 27
VIR_ERR_OPERATION_DENIED = 29
VIR_ERR_XML_DETAIL = 35
VIR_ERR_SYSTEM_ERROR = 38
VIR_ERR_NO_DOMAIN = 42
VIR_ERR_OPERATION_INVALID = 55
VIR_ERR_CONFIG_UNSUPPORTED = 67
VIR_ERR_OPERATION_TIMEOUT = 68
VIR_ERR_ARGUMENT_UNSUPPORTED = 74
ERROR_CODE_NAMES = {
    1: "VIR_ERR_INTERNAL_ERROR", 2: "VIR_ERR_NO_MEMORY", 3: "VIR_ERR_NO_SUPPORT",
    6: "VIR_ERR_INVALID_CONN", 7: "VIR_ERR_INVALID_DOMAIN", 8: "VIR_ERR_INVALID_ARG",
    9: "VIR_ERR_OPERATION_FAILED", 27: "VIR_ERR_XML_ERROR", 29: "VIR_ERR_OPERATION_DENIED",
    35: "VIR_ERR_XML_DETAIL",
    38: "VIR_ERR_SYSTEM_ERROR",
    42: "VIR_ERR_NO_DOMAIN",
    55: "VIR_ERR_OPERATION_INVALID", 67: "VIR_ERR_CONFIG_UNSUPPORTED",
    68: "VIR_ERR_OPERATION_TIMEOUT", 74: "VIR_ERR_ARGUMENT_UNSUPPORTED",
}

# libvirt.h: virConnectFlags
VIR_CONNECT_RO = 1

# domain_conf.c: the VIR_ENUM_IMPL tables of what virDomainDefCheckABIStability reads
# (domain_conf.c:97-514 @ e2fb96d9).  The definition model holds these enums as their
# upstream numbers (an index in the table), as virDomainDef does.
DOMAIN_FEATURE_NAMES = ["acpi", "apic", "pae", "hap", "viridian"]
DEVICE_ADDRESS_NAMES = ["none", "pci", "drive", "virtio-serial", "ccid", "usb"]
VIR_DOMAIN_DEVICE_ADDRESS_TYPE_NONE = 0
VIR_DOMAIN_DEVICE_ADDRESS_TYPE_PCI = 1
VIR_DOMAIN_DEVICE_ADDRESS_TYPE_DRIVE = 2
VIR_DOMAIN_DEVICE_ADDRESS_TYPE_VIRTIO_SERIAL = 3
VIR_DOMAIN_DEVICE_ADDRESS_TYPE_CCID = 4
DISK_DEVICE_NAMES = ["disk", "cdrom", "floppy"]
DISK_BUS_NAMES = ["ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata"]
VIR_DOMAIN_DISK_BUS_IDE = 0
VIR_DOMAIN_DISK_BUS_FDC = 1
VIR_DOMAIN_DISK_BUS_SCSI = 2
CONTROLLER_TYPE_NAMES = ["ide", "fdc", "scsi", "sata", "virtio-serial", "ccid", "usb"]
VIR_DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL = 4
CHR_CHANNEL_TARGET_NAMES = ["guestfwd", "virtio"]
VIR_DOMAIN_CHR_CHANNEL_TARGET_TYPE_GUESTFWD = 0
VIR_DOMAIN_CHR_CHANNEL_TARGET_TYPE_VIRTIO = 1
CHR_CONSOLE_TARGET_NAMES = ["serial", "xen", "uml", "virtio"]
SOUND_MODEL_NAMES = ["sb16", "es1370", "pcspk", "ac97", "ich6"]
MEMBALLOON_MODEL_NAMES = ["virtio", "xen", "none"]
VIR_DOMAIN_MEMBALLOON_MODEL_VIRTIO = 0
VIR_DOMAIN_MEMBALLOON_MODEL_NONE = 2
SMBIOS_MODE_NAMES = ["none", "emulate", "host", "sysinfo"]
WATCHDOG_MODEL_NAMES = ["i6300esb", "ib700"]
VIDEO_TYPE_NAMES = ["vga", "cirrus", "vmvga", "xen", "vbox", "qxl"]
VIR_DOMAIN_VIDEO_TYPE_CIRRUS = 1
INPUT_TYPE_NAMES = ["mouse", "tablet"]
INPUT_BUS_NAMES = ["ps2", "usb", "xen"]
VIR_DOMAIN_INPUT_TYPE_MOUSE = 0
VIR_DOMAIN_INPUT_BUS_PS2 = 0
HUB_TYPE_NAMES = ["usb"]
TIMER_NAME_NAMES = ["platform", "pit", "rtc", "hpet", "tsc"]
VIR_DOMAIN_TIMER_NAME_TSC = 4
TIMER_MODE_NAMES = ["auto", "native", "emulate", "paravirt", "smpsafe"]
