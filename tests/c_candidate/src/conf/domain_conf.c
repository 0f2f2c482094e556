/*
 * qemu-migration test tree (not libvirt): the snapshot counter the migration
 * check uses, written for this project from the behaviour of
 * qemu_migration/port/callees.py.  See tests/c_candidate/README.md.
 */

static void
virDomainSnapshotObjListCount(void *entry,
                              const void *key ATTRIBUTE_UNUSED,
                              void *acc)
{
    virDomainSnapshotObjPtr snap = entry;
    struct virDomainSnapshotNumData *tally = acc;

    /* asked for roots only: a snapshot with a parent does not count */
    if ((tally->flags & VIR_DOMAIN_SNAPSHOT_LIST_ROOTS) && snap->def->parent)
        return;
    tally->count += 1;
}

int
virDomainSnapshotObjListNum(virDomainSnapshotObjListPtr list, unsigned int which)
{
    struct virDomainSnapshotNumData tally = { 0, which };

    virHashForEach(list->objs, virDomainSnapshotObjListCount, &tally);
    return tally.count;
}
