"""The C integer types the loaded numbers end up in, and which field has which.

Every number the loader reads fills a field of an upstream struct or an
argument of an upstream function, so it must fit that field's C type on the
LP64 Linux build libvirt is compiled for (int 32 bits, long 64 bits).  A value
that does not fit is refused, naming the type and its range, rather than kept
as a Python int the C code could never hold.

Where a field comes from, at e2fb96d9 (upstream parses some of these through a
wider type and then truncates, or through ``strtol`` without a range check; we
refuse what would not survive the store):

=====================================  ==================  =====================================
field                                  C type              upstream
=====================================  ==================  =====================================
``<domain id=>``                       int                 ``def->id``, domain_conf.h:1263,
                                                           read by virXPathLong, cast (int)
``<memory>`` (KiB)                     unsigned long       ``def->mem.max_balloon``,
                                                           domain_conf.h:1273 (virXPathULong)
``<vcpu>``, ``<vcpu current=>``        unsigned short      ``def->maxvcpus``/``def->vcpus``,
                                                           domain_conf.h:1281-1282
PCI ``domain= bus= slot= function=``   unsigned int        virDomainDevicePCIAddress,
                                                           domain_conf.h:79 (virStrToLong_ui,
                                                           base 0); slot < 32, function < 8
                                                           (virDomainDevicePCIAddressIsValid)
USB ``vendor/product id=``,            unsigned int        ``source.subsys.u.usb``,
``address bus= device=``                                   domain_conf.h:923-927
                                                           (virStrToLong_ui, base 0)
``<domstatus pid=>``                   pid_t (int)         ``obj->pid``, domain_conf.c:7320
``<vcpus><vcpu pid=>``                 int                 ``priv->vcpupids``, qemu_domain.h:107
                                                           (virStrToLong_i)
``<creationTime>``                     long long           ``def->creationTime``,
                                                           domain_conf.h:1386
host ``<domain refs=>``                int                 ``virDomainObj.refs``,
                                                           domain_conf.h:1456
``<static value=>``                    int                 ``static int port``,
                                                           qemu_migration.c:1181
``<arg name="resource">``              unsigned long       qemuMigrationPerformJob's
                                                           ``unsigned long resource``
``<fault nth=>``                       int                 the stub's call counter
host ``<domain job-start=>``           unsigned long long  ``priv->job.start``,
                                                           qemu_domain.h:86
``<host nextvmid=>``                   int                 ``driver->nextvmid``,
                                                           qemu_conf.h:64
=====================================  ==================  =====================================
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class CType:
    """A C integer type: its name and the closed range of values it holds."""
    name: str
    lo: int
    hi: int

    def __contains__(self, value):
        return self.lo <= value <= self.hi

    def __str__(self):
        return "%s (%d..%d)" % (self.name, self.lo, self.hi)


C_INT = CType("int", -2**31, 2**31 - 1)
C_UINT = CType("unsigned int", 0, 2**32 - 1)
C_USHORT = CType("unsigned short", 0, 2**16 - 1)
C_ULONG = CType("unsigned long", 0, 2**64 - 1)
C_LONG_LONG = CType("long long", -2**63, 2**63 - 1)
C_ULONG_LONG = CType("unsigned long long", 0, 2**64 - 1)
C_PID_T = CType("pid_t", C_INT.lo, C_INT.hi)

# by name, as port/registry.py names the C type of an entry point's argument
C_TYPES = {t.name: t for t in (C_INT, C_UINT, C_USHORT, C_ULONG, C_LONG_LONG, C_ULONG_LONG)}

# The most significant digits a number of any of these types needs in base 8,
# 10 or 16 (octal is the longest): a longer run is out of range without being
# converted, so a megabyte of digits costs nothing.
MAX_DIGITS = len(format(C_ULONG.hi, "o"))

__all__ = ["CType", "C_INT", "C_UINT", "C_USHORT", "C_ULONG", "C_LONG_LONG", "C_ULONG_LONG",
           "C_PID_T", "C_TYPES", "MAX_DIGITS"]
