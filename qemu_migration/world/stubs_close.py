"""Stand-ins for what connection close reaches (qemudClose, qemuProcessAutoDestroyRun/Dom).

qemudClose (qemu_driver.c:887 @ e2fb96d9, port/driver.py) and the auto-destroy
walk it runs (qemu_process.c:3470-3538, port/process.py) reach, besides the stubs
of world/stubs.py (qemuDriverLock, virHashForEach, qemuProcessStop, the events,
...) and world/stubs_driver.py (virDomainFindByUUID): the driver's event callback
list, the uuid parser and the hash table's removal.  Each does to the world what
the real one does to what the ported code can observe; none of them can fail on
the inputs it gets here.
"""
from .runtime import recorded


def virUUIDParse(uuidstr, uuid):
    """virUUIDParse (uuid.c:128 @ e2fb96d9): the uuid of ``uuidstr`` into ``uuid``; 0.

    A uuid of this world is kept as its text (as virUUIDFormat gives it), so the
    parse copies the text.  The real one fails (-1) only on text that is no
    uuid; ``driver->autodestroy``'s keys, its one input here, were made by
    virUUIDFormat (qemuProcessAutoDestroyAdd, qemu_process.c:3549).  Not recorded,
    as virUUIDFormat is not."""
    uuid.value = uuidstr
    return 0


def virDomainEventCallbackListRemoveConn(conn, cbList, *, fail):
    """virDomainEventCallbackListRemoveConn (domain_event.c:217 @ e2fb96d9): removes the
    event callbacks registered by ``conn`` (each gives back its reference on it); 0.
    No party of this world registers an event callback (virConnectDomainEventRegister),
    so none go.  It cannot fail."""
    return 0


def virHashRemoveEntry(table, name, *, fail):
    """virHashRemoveEntry (hash.c:460 @ e2fb96d9): drops the entry ``name`` from ``table``
    (a dict); 0, or -1 when there is none (it reports nothing).  The caller here removes
    the entry its walk is on (virHashForEach allows that one); it cannot fail otherwise."""
    if name not in table:
        return -1
    del table[name]
    return 0


# Every stub is recorded in the trace when called (as in world/stubs.py); none is faultable.
PLAIN = [
    'virDomainEventCallbackListRemoveConn',
    'virHashRemoveEntry',
]
recorded(globals(), faultable=[], plain=PLAIN)
