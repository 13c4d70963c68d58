/* netpol_explain.h: why a NetworkPolicy rule does or does not allow a connection. The
 * evaluator (netpol.h) answers allow or deny; this module re-examines one rule, peer by peer
 * and port by port, against the same endpoints, and names the part that failed: the field
 * of the policy (spec.ingress[0].from[0].podSelector.matchLabels.app), what it wants and what
 * the endpoint has. Pure: no I/O, no allocation. */
#ifndef ZT_NETPOL_EXPLAIN_H
#define ZT_NETPOL_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s_model.h"
#include "netpol.h"

typedef enum {
    NPX_MATCH = 0,  /* this part matches */
    NPX_POD_LABELS, /* podSelector: the pod's labels differ */
    NPX_NS_LABELS,  /* namespaceSelector: the namespace's labels differ */
    NPX_NS_OTHER,   /* no namespaceSelector (the policy's own namespace); the pod is elsewhere */
    NPX_NOT_POD,    /* a selector peer; the endpoint is outside the cluster */
    NPX_IPBLOCK,    /* ipBlock.cidr does not hold the address */
    NPX_EXCEPT,     /* the address lies in an ipBlock.except block */
    NPX_PARTLY,     /* an outside range the ipBlock covers in part only */
    NPX_UNSEEN,     /* an endpoint the objects do not show (the cluster DNS missing) */
    NPX_PROTOCOL,   /* ports[].protocol differs */
    NPX_PORT,       /* ports[].port is another number */
    NPX_RANGE,      /* the port lies outside port..endPort */
    NPX_NAMED,      /* a named port the destination pod does not declare on this port */
    NPX_SUBJECT     /* spec.podSelector does not select the pod the direction is judged at */
} npx_why_t;

#define NPX_FIELD_LEN 128
#define NPX_VALUE_LEN 160

/* One part of a rule (a peer, a port, or the policy's podSelector) and how it fares. */
typedef struct {
    npx_why_t why;
    char field[NPX_FIELD_LEN];  /* the field to change: spec.ingress[0].ports[0].port */
    char key[NPX_VALUE_LEN];    /* label key, "port", "protocol", "cidr", "namespace" */
    char wanted[NPX_VALUE_LEN]; /* what the policy says: "backend", "5433", "TCP" */
    char found[NPX_VALUE_LEN];  /* what the endpoint has: "backend-v2", "5432", "(no label)" */
} npx_part_t;

#define NPX_ITEMS_MAX 16 /* peers and ports examined per rule (the rest are counted) */

/* One rule against a connection. */
typedef struct {
    netpol_ref_t ref;
    bool allows;             /* a port and a peer match in full */
    bool peer_ok, port_ok;   /* some peer (some port) matches; true when none is listed */
    size_t n_peers, n_ports; /* as listed in the rule (0: every peer, every port) */
    npx_part_t peers[NPX_ITEMS_MAX];
    npx_part_t ports[NPX_ITEMS_MAX];
    size_t near_peer, near_port; /* the failing peer (port) nearest to matching */
} npx_rule_t;

/* The one change that would let a connection through, for hints and reasons. */
typedef struct {
    bool set;
    netpol_ref_t ref; /* the rule (for NPX_SUBJECT: the rule that would allow) */
    bool is_peer;     /* the part is a peer (else a port, or the podSelector) */
    size_t index;     /* peer or port index in the rule */
    npx_part_t part;
    char sentence[400]; /* one sentence a person acts on */
} npx_mismatch_t;

/* Re-examines rule ref (of a policy selecting `self`'s pod) for the far end `other`, the
 * destination `dst` (whose container ports name ports), port and protocol. */
void netpol_explain_rule(const k8s_model_t *m, const netpol_ref_t *ref, const netpol_endpoint_t *other,
                         const netpol_endpoint_t *dst, int port, k8s_proto_t proto, npx_rule_t *out);

/* Does policy pi select endpoint self for direction dir (its namespace, policy type and
 * spec.podSelector)? When it does not for the podSelector alone, why says which part. */
bool netpol_explain_selects(const k8s_model_t *m, size_t pi, netpol_dir_t dir, const netpol_endpoint_t *self,
                            npx_part_t *why);

/* The mismatch of a denying side: a rule of a policy of the pod's namespace that would allow
 * the connection but for its spec.podSelector, else the side's nearest rule with the one
 * part that fails. self_name and other_name say who the ends are in the sentence ("role
 * backend's pod", "the destination pod"). False when nothing is near enough to name. */
bool netpol_explain_mismatch(const k8s_model_t *m, const netpol_side_t *side, netpol_dir_t dir,
                             const netpol_endpoint_t *self, const netpol_endpoint_t *other,
                             const netpol_endpoint_t *dst, int port, k8s_proto_t proto, const char *self_name,
                             const char *other_name, npx_mismatch_t *out);

/* "podSelector", "namespaceSelector", ... for JSON. */
const char *netpol_explain_why_name(npx_why_t w);

#endif
