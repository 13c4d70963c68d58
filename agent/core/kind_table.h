/* kind_table.h: the kind table's rows, one per probe kind: its KIND_ value (config.h's
 * probe_kind_t, the report's order) and its probe_ops_t (probes/KIND.c). Adding a kind is its
 * file plus one row here; the enum, the table of probe.c and every list of kinds come from it.
 * Includes nothing: config.h and probe.c both expand it. */
#ifndef ZT_KIND_TABLE_H
#define ZT_KIND_TABLE_H

/* X(ID, ops): KIND_##ID indexes probe_kinds, whose entry is &ops. */
#define PROBE_KIND_TABLE(X) \
    X(TCP, tcp_probe_ops) \
    X(HTTP, http_probe_ops) \
    X(HTTPS, https_probe_ops) \
    X(POSTGRES, pg_probe_ops) \
    X(DNS, dns_probe_ops) \
    X(UDP, udp_probe_ops) \
    X(TLS, tls_probe_ops)

#endif
