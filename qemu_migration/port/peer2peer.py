"""src/qemu/qemu_migration.c's peer-to-peer flows (doPeer2PeerMigrate, ...2, ...3), the same
at all three commits.

Ported once and bound to each version by port/unit.py (see there); in a host's
unit, the version's qemuMigrationPerformJob calls these instead of the stub the
function-level runs use.  ``# L<pre>/<post>`` as in port/post.py (the text is the
same at 19f8c980, e2fb96d9 and bebe5122; the lines differ by the patch's 21).

Names that only the unit defines: ``qemuMigrationBegin`` and
``qemuMigrationJobSetPhase`` (the version's) and ``qemuMigrationConfirm``
(port/protocol.py); so these functions run in a unit, not from this module.

The destination is reached as the C reaches it: ``dconn.driver.X(...)`` is
``dconn->driver->X(...)`` through the remote driver (world/hosts.py).  A C
local whose address is passed (``&cookie``, ``&uri_out``) is a ``Ptr`` here,
read and written through ``.value``; ``*v3proto`` is ``v3proto.value``.
"""
from ..world.constants import (NULL, QEMU_MIGRATION_PHASE_PERFORM2,
                               QEMU_MIGRATION_PHASE_PERFORM3,
                               QEMU_MIGRATION_PHASE_PERFORM3_DONE, VIR_DOMAIN_PAUSED,
                               VIR_DOMAIN_XML_SECURE, VIR_DOMAIN_XML_UPDATE_CPU,
                               VIR_ERR_INTERNAL_ERROR, VIR_ERR_OPERATION_FAILED,
                               VIR_MIGRATE_CHANGE_PROTECTION, VIR_MIGRATE_PAUSED,
                               VIR_MIGRATE_TUNNELLED)
from ..world.hosts import VIR_DRV_FEATURE_MIGRATION_P2P, VIR_DRV_FEATURE_MIGRATION_V3
from ..world.objects import Ptr
from ..world.runtime import Goto, NoSuchLabel, goto, traced
from ..world.stubs import (NULLSTR, VIR_DEBUG, VIR_FREE, VIR_WARN, _, doNativeMigrate,
                           qemuDomainFormatXML, qemuReportError, virDomainObjGetState,
                           virDomainObjIsActive)
from ..world.stubs_client import (VIR_DRV_SUPPORTS_FEATURE, virFreeError, virSaveLastError,
                                  virSetError)
from ..world.stubs_p2p import (doTunnelMigrate, qemuDomainObjEnterRemoteWithDriver,
                               qemuDomainObjExitRemoteWithDriver, virConnectClose,
                               virConnectOpen, virStreamNew, virUnrefDomain, virUnrefStream)


def doPeer2PeerMigrate2(driver, sconn, dconn, vm, dconnuri, flags, dname,  # L1747/1768
                        resource):                                          # L1754/1775
    ddomain = NULL                                                          # L1756/1777
    uri_out = Ptr(NULL)                                                     # L1757/1778
    cookie = Ptr(NULL)                                                      # L1758/1779
    dom_xml = NULL                                                          # L1759/1780
    cookielen = Ptr(0)                                                      # L1760/1781
    ret: int                                                                # L1760/1781
    orig_err = NULL                                                         # L1761/1782
    cancelled: int                                                          # L1762/1783
    st = NULL                                                               # L1763/1784
    VIR_DEBUG("driver=%p, sconn=%p, dconn=%p, vm=%p, dconnuri=%s, "         # L1764/1785
              "flags=%lx, dname=%s, resource=%lu",                          # L1765/1786
              driver, sconn, dconn, vm, NULLSTR(dconnuri),                  # L1766/1787
              flags, NULLSTR(dname), resource)                              # L1767/1788

    if (dom_xml := qemuDomainFormatXML(driver, vm,                          # L1773/1794
                                       VIR_DOMAIN_XML_SECURE |              # L1774/1795
                                       VIR_DOMAIN_XML_UPDATE_CPU)) is NULL:  # L1775/1796
        return -1                                                           # L1776/1797

    if virDomainObjGetState(vm, NULL) == VIR_DOMAIN_PAUSED:                 # L1778/1799
        flags |= VIR_MIGRATE_PAUSED                                         # L1779/1800

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    VIR_DEBUG("Prepare2 %p", dconn)                         # L1781/1802
                    if flags & VIR_MIGRATE_TUNNELLED:                       # L1782/1803
                        if (st := virStreamNew(dconn, 0)) is NULL:          # L1788/1809
                            goto("cleanup")                                 # L1789/1810

                        qemuDomainObjEnterRemoteWithDriver(driver, vm)      # L1791/1812
                        ret = dconn.driver.domainMigratePrepareTunnel(      # L1792/1813
                            dconn, st, flags, dname, resource, dom_xml)     # L1793/1814
                        qemuDomainObjExitRemoteWithDriver(driver, vm)       # L1794/1815
                    else:                                                   # L1795/1816
                        qemuDomainObjEnterRemoteWithDriver(driver, vm)      # L1796/1817
                        ret = dconn.driver.domainMigratePrepare2(           # L1797/1818
                            dconn, cookie, cookielen, NULL, uri_out,        # L1798/1819
                            flags, dname, resource, dom_xml)                # L1799/1820
                        qemuDomainObjExitRemoteWithDriver(driver, vm)       # L1800/1821
                    dom_xml = VIR_FREE(dom_xml)                             # L1802/1823
                    if ret == -1:                                           # L1803/1824
                        goto("cleanup")                                     # L1804/1825

                    if not virDomainObjIsActive(vm):                        # L1809/1830
                        qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s",       # L1810/1831
                                        _("guest unexpectedly quit"))       # L1811/1832
                        goto("cleanup")                                     # L1812/1833

                    if (not (flags & VIR_MIGRATE_TUNNELLED) and             # L1815/1836
                            uri_out.value is NULL):                         # L1816/1837
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L1817/1838
                                        _("domainMigratePrepare2 did not set uri"))  # L1818/1839
                        cancelled = 1                                       # L1819/1840
                        goto("finish")                                      # L1820/1841

                    VIR_DEBUG("Perform %p", sconn)                          # L1826/1847
                    qemuMigrationJobSetPhase(driver, vm, QEMU_MIGRATION_PHASE_PERFORM2)  # L1827/1848
                    if flags & VIR_MIGRATE_TUNNELLED:                       # L1828/1849
                        ret = doTunnelMigrate(driver, vm, st,               # L1829/1850
                                              NULL, 0, NULL, NULL,          # L1830/1851
                                              flags, resource)              # L1831/1852
                    else:                                                   # L1832/1853
                        ret = doNativeMigrate(driver, vm, uri_out.value,    # L1833/1854
                                              cookie.value, cookielen.value,  # L1834/1855
                                              NULL, NULL,                   # L1835/1856
                                              flags, resource)              # L1836/1857

                    if ret < 0:                                             # L1839/1860
                        orig_err = virSaveLastError()                       # L1840/1861

                    cancelled = 1 if ret < 0 else 0                         # L1845/1866
                    goto("finish")  # falls through

                case "finish":                                              # L1847/1868
                    dname = dname if dname is not NULL else vm.def_.name    # L1852/1873
                    VIR_DEBUG("Finish2 %p ret=%d", dconn, ret)              # L1853/1874
                    qemuDomainObjEnterRemoteWithDriver(driver, vm)          # L1854/1875
                    ddomain = dconn.driver.domainMigrateFinish2(            # L1855/1876
                        dconn, dname, cookie.value, cookielen.value,        # L1856/1877
                        uri_out.value if uri_out.value is not NULL else dconnuri,  # L1857/1878
                        flags, cancelled)                                   # L1857/1878
                    qemuDomainObjExitRemoteWithDriver(driver, vm)           # L1858/1879
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L1860/1881
                    if ddomain is not NULL:                                 # L1861/1882
                        virUnrefDomain(ddomain)                             # L1862/1883
                        ret = 0                                             # L1863/1884
                    else:                                                   # L1864/1885
                        ret = -1                                            # L1865/1886

                    if st is not NULL:                                      # L1868/1889
                        virUnrefStream(st)                                  # L1869/1890

                    if orig_err is not NULL:                                # L1871/1892
                        virSetError(orig_err)                               # L1872/1893
                        virFreeError(orig_err)                              # L1873/1894
                    uri_out.value = VIR_FREE(uri_out.value)                 # L1875/1896
                    cookie.value = VIR_FREE(cookie.value)                   # L1876/1897

                    return ret                                              # L1878/1899

                case _:
                    raise NoSuchLabel("doPeer2PeerMigrate2", label)
        except Goto as g:
            label = g.label


def doPeer2PeerMigrate3(driver, sconn, dconn, vm, xmlin, dconnuri, uri,    # L1886/1907
                        flags, dname, resource):                            # L1893/1914
    ddomain = NULL                                                          # L1897/1918
    uri_out = Ptr(NULL)                                                     # L1898/1919
    cookiein = NULL                                                         # L1899/1920
    cookieout = Ptr(NULL)                                                   # L1900/1921
    dom_xml = NULL                                                          # L1901/1922
    cookieinlen = 0                                                         # L1902/1923
    cookieoutlen = Ptr(0)                                                   # L1903/1924
    ret = -1                                                                # L1904/1925
    orig_err = NULL                                                         # L1905/1926
    cancelled: int                                                          # L1906/1927
    st = NULL                                                               # L1907/1928
    VIR_DEBUG("driver=%p, sconn=%p, dconn=%p, vm=%p, xmlin=%s, "            # L1908/1929
              "dconnuri=%s, uri=%s, flags=%lx, dname=%s, resource=%lu",     # L1909/1930
              driver, sconn, dconn, vm, NULLSTR(xmlin),                     # L1910/1931
              NULLSTR(dconnuri), NULLSTR(uri), flags,                       # L1911/1932
              NULLSTR(dname), resource)                                     # L1912/1933

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    dom_xml = qemuMigrationBegin(driver, vm, xmlin,         # L1919/1940
                                                 cookieout, cookieoutlen)   # L1920/1941
                    if dom_xml is NULL:                                     # L1921/1942
                        goto("cleanup")                                     # L1922/1943

                    if virDomainObjGetState(vm, NULL) == VIR_DOMAIN_PAUSED:  # L1924/1945
                        flags |= VIR_MIGRATE_PAUSED                         # L1925/1946

                    VIR_DEBUG("Prepare3 %p", dconn)                         # L1927/1948
                    cookiein = cookieout.value                              # L1928/1949
                    cookieinlen = cookieoutlen.value                        # L1929/1950
                    cookieout.value = NULL                                  # L1930/1951
                    cookieoutlen.value = 0                                  # L1931/1952
                    if flags & VIR_MIGRATE_TUNNELLED:                       # L1932/1953
                        if (st := virStreamNew(dconn, 0)) is NULL:          # L1933/1954
                            goto("cleanup")                                 # L1934/1955

                        qemuDomainObjEnterRemoteWithDriver(driver, vm)      # L1936/1957
                        ret = dconn.driver.domainMigratePrepareTunnel3(     # L1937/1958
                            dconn, st, cookiein, cookieinlen,               # L1938/1959
                            cookieout, cookieoutlen,                        # L1939/1960
                            flags, dname, resource, dom_xml)                # L1940/1961
                        qemuDomainObjExitRemoteWithDriver(driver, vm)       # L1941/1962
                    else:                                                   # L1942/1963
                        qemuDomainObjEnterRemoteWithDriver(driver, vm)      # L1943/1964
                        ret = dconn.driver.domainMigratePrepare3(           # L1944/1965
                            dconn, cookiein, cookieinlen, cookieout, cookieoutlen,  # L1945/1966
                            uri, uri_out, flags, dname, resource, dom_xml)  # L1946/1967
                        qemuDomainObjExitRemoteWithDriver(driver, vm)       # L1947/1968
                    dom_xml = VIR_FREE(dom_xml)                             # L1949/1970
                    if ret == -1:                                           # L1950/1971
                        goto("cleanup")                                     # L1951/1972

                    if (not (flags & VIR_MIGRATE_TUNNELLED) and             # L1953/1974
                            uri_out.value is NULL):                         # L1954/1975
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L1955/1976
                                        _("domainMigratePrepare3 did not set uri"))  # L1956/1977
                        cancelled = 1                                       # L1957/1978
                        goto("finish")                                      # L1958/1979

                    VIR_DEBUG("Perform3 %p uri=%s uri_out=%s", sconn, uri, uri_out.value)  # L1966/1987
                    qemuMigrationJobSetPhase(driver, vm, QEMU_MIGRATION_PHASE_PERFORM3)  # L1967/1988
                    cookiein = VIR_FREE(cookiein)                           # L1968/1989
                    cookiein = cookieout.value                              # L1969/1990
                    cookieinlen = cookieoutlen.value                        # L1970/1991
                    cookieout.value = NULL                                  # L1971/1992
                    cookieoutlen.value = 0                                  # L1972/1993
                    if flags & VIR_MIGRATE_TUNNELLED:                       # L1973/1994
                        ret = doTunnelMigrate(driver, vm, st,               # L1974/1995
                                              cookiein, cookieinlen,        # L1975/1996
                                              cookieout, cookieoutlen,      # L1976/1997
                                              flags, resource)              # L1977/1998
                    else:                                                   # L1978/1999
                        ret = doNativeMigrate(driver, vm, uri_out.value,    # L1979/2000
                                              cookiein, cookieinlen,        # L1980/2001
                                              cookieout, cookieoutlen,      # L1981/2002
                                              flags, resource)              # L1982/2003

                    if ret < 0:                                             # L1985/2006
                        orig_err = virSaveLastError()                       # L1986/2007
                    else:                                                   # L1987/2008
                        qemuMigrationJobSetPhase(driver, vm,                # L1988/2009
                                                 QEMU_MIGRATION_PHASE_PERFORM3_DONE)  # L1989/2010

                    cancelled = 1 if ret < 0 else 0                         # L1995/2016
                    goto("finish")  # falls through

                case "finish":                                              # L1997/2018
                    VIR_DEBUG("Finish3 %p ret=%d", dconn, ret)              # L2004/2025
                    cookiein = VIR_FREE(cookiein)                           # L2005/2026
                    cookiein = cookieout.value                              # L2006/2027
                    cookieinlen = cookieoutlen.value                        # L2007/2028
                    cookieout.value = NULL                                  # L2008/2029
                    cookieoutlen.value = 0                                  # L2009/2030
                    dname = dname if dname is not NULL else vm.def_.name    # L2010/2031
                    qemuDomainObjEnterRemoteWithDriver(driver, vm)          # L2011/2032
                    ddomain = dconn.driver.domainMigrateFinish3(            # L2012/2033
                        dconn, dname, cookiein, cookieinlen, cookieout, cookieoutlen,  # L2013/2034
                        dconnuri, uri_out.value if uri_out.value is not NULL else uri,  # L2014/2035
                        flags, cancelled)                                   # L2014/2035
                    qemuDomainObjExitRemoteWithDriver(driver, vm)           # L2015/2036

                    cancelled = 1 if ddomain is NULL else 0                 # L2025/2046

                    if orig_err is NULL:                                    # L2030/2051
                        orig_err = virSaveLastError()                       # L2031/2052

                    VIR_DEBUG("Confirm3 %p ret=%d vm=%p", sconn, ret, vm)   # L2037/2058
                    cookiein = VIR_FREE(cookiein)                           # L2038/2059
                    cookiein = cookieout.value                              # L2039/2060
                    cookieinlen = cookieoutlen.value                        # L2040/2061
                    cookieout.value = NULL                                  # L2041/2062
                    cookieoutlen.value = 0                                  # L2042/2063
                    ret = qemuMigrationConfirm(driver, sconn, vm,           # L2043/2064
                                               cookiein, cookieinlen,       # L2044/2065
                                               flags, cancelled)            # L2045/2066
                    if ret < 0:                                             # L2050/2071
                        VIR_WARN("Guest %s probably left in 'paused' state on source",  # L2051/2072
                                 vm.def_.name)                              # L2052/2073
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L2054/2075
                    if ddomain is not NULL:                                 # L2055/2076
                        virUnrefDomain(ddomain)                             # L2056/2077
                        ret = 0                                             # L2057/2078
                    else:                                                   # L2058/2079
                        ret = -1                                            # L2059/2080

                    if st is not NULL:                                      # L2062/2083
                        virUnrefStream(st)                                  # L2063/2084

                    if orig_err is not NULL:                                # L2065/2086
                        virSetError(orig_err)                               # L2066/2087
                        virFreeError(orig_err)                              # L2067/2088
                    uri_out.value = VIR_FREE(uri_out.value)                 # L2069/2090
                    cookiein = VIR_FREE(cookiein)                           # L2070/2091
                    cookieout.value = VIR_FREE(cookieout.value)             # L2071/2092

                    return ret                                              # L2073/2094

                case _:
                    raise NoSuchLabel("doPeer2PeerMigrate3", label)
        except Goto as g:
            label = g.label


def doPeer2PeerMigrate(driver, sconn, vm, xmlin, dconnuri, uri, flags,     # L2077/2098
                       dname, resource, v3proto):                           # L2083/2104
    ret = -1                                                                # L2088/2109
    dconn = NULL                                                            # L2089/2110
    p2p: bool                                                               # L2090/2111
    orig_err = NULL                                                         # L2091/2112

    VIR_DEBUG("driver=%p, sconn=%p, vm=%p, xmlin=%s, dconnuri=%s, "         # L2093/2114
              "uri=%s, flags=%lx, dname=%s, resource=%lu",                  # L2094/2115
              driver, sconn, vm, NULLSTR(xmlin), NULLSTR(dconnuri),         # L2095/2116
              NULLSTR(uri), flags, NULLSTR(dname), resource)                # L2096/2117

    qemuDomainObjEnterRemoteWithDriver(driver, vm)                          # L2102/2123
    dconn = virConnectOpen(dconnuri)                                        # L2103/2124
    qemuDomainObjExitRemoteWithDriver(driver, vm)                           # L2104/2125
    if dconn is NULL:                                                       # L2105/2126
        qemuReportError(VIR_ERR_OPERATION_FAILED,                           # L2106/2127
                        _("Failed to connect to remote libvirt URI %s"), dconnuri)  # L2107/2128
        return -1                                                           # L2108/2129

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDomainObjEnterRemoteWithDriver(driver, vm)          # L2111/2132
                    p2p = bool(VIR_DRV_SUPPORTS_FEATURE(dconn.driver, dconn,  # L2112/2133
                                                        VIR_DRV_FEATURE_MIGRATION_P2P))  # L2113/2134
                    v3proto.value = bool(VIR_DRV_SUPPORTS_FEATURE(dconn.driver, dconn,  # L2118/2139
                                                                  VIR_DRV_FEATURE_MIGRATION_V3))  # L2119/2140
                    qemuDomainObjExitRemoteWithDriver(driver, vm)           # L2120/2141

                    if not p2p:                                             # L2122/2143
                        qemuReportError(VIR_ERR_OPERATION_FAILED, "%s",     # L2123/2144
                                        _("Destination libvirt does not support peer-to-peer migration protocol"))  # L2124/2145
                        goto("cleanup")                                     # L2125/2146

                    if not virDomainObjIsActive(vm):                        # L2129/2150
                        qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s",       # L2130/2151
                                        _("guest unexpectedly quit"))       # L2131/2152
                        goto("cleanup")                                     # L2132/2153

                    flags &= ~VIR_MIGRATE_CHANGE_PROTECTION                 # L2140/2161

                    if v3proto.value:                                       # L2142/2163
                        ret = doPeer2PeerMigrate3(driver, sconn, dconn, vm, xmlin,  # L2143/2164
                                                  dconnuri, uri, flags, dname, resource)  # L2144/2165
                    else:                                                   # L2145/2166
                        ret = doPeer2PeerMigrate2(driver, sconn, dconn, vm,  # L2146/2167
                                                  dconnuri, flags, dname, resource)  # L2147/2168
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L2149/2170
                    orig_err = virSaveLastError()                           # L2150/2171
                    qemuDomainObjEnterRemoteWithDriver(driver, vm)          # L2151/2172
                    virConnectClose(dconn)                                  # L2152/2173
                    qemuDomainObjExitRemoteWithDriver(driver, vm)           # L2153/2174
                    if orig_err is not NULL:                                # L2154/2175
                        virSetError(orig_err)                               # L2155/2176
                        virFreeError(orig_err)                              # L2156/2177

                    return ret                                              # L2159/2180

                case _:
                    raise NoSuchLabel("doPeer2PeerMigrate", label)
        except Goto as g:
            label = g.label


UNIT = ["doPeer2PeerMigrate2", "doPeer2PeerMigrate3", "doPeer2PeerMigrate"]

# traced as the version modules' functions are (runtime.traced, in place)
traced(globals(), UNIT)
