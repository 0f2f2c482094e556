/*
 * qemu-migration test tree (not libvirt): whether a domain is registered for
 * auto-destroy, from the behaviour of qemu_migration/port/callees.py.
 */

bool
qemuProcessAutoDestroyActive(struct qemud_driver *drv, virDomainObjPtr dom)
{
    char key[VIR_UUID_STRING_BUFLEN];

    virUUIDFormat(dom->def->uuid, key);
    return virHashLookup(drv->autodestroy, key) != NULL;
}
