/* policy_l7.c: a probe's request as an L7 proxy sees it. The path is the URL's path with its
 * query (Envoy's :path), "/" when the URL has none; Host is the URL's host unless the probe
 * sets a Host header. */
#include "policy_l7.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe.h"

bool policy_l7_request(const config_probe_t *p, policy_l7_t *b)
{
    memset(b, 0, sizeof(*b));
    if (probe_kind_queries_dns(p->kind)) {
        b->req.dns_query = p->host;
        return p->host != NULL;
    }
    if (!p->url) /* the url kinds (http, https) */
        return false;
    b->req.https = strncasecmp(p->url, "https:", 6) == 0;
    b->req.method = p->method ? p->method : "GET";
    const char *rest = strstr(p->url, "://");
    rest = rest ? rest + 3 : p->url;
    const char *slash = strchr(rest, '/'), *q = strchr(rest, '?'), *frag = strchr(rest, '#');
    const char *start = slash && (!q || slash < q) ? slash : q;
    size_t plen = start ? (frag && frag > start ? (size_t)(frag - start) : strlen(start)) : 0;
    snprintf(b->path, sizeof(b->path), "%s%.*s", start && *start == '?' ? "/" : "", (int)plen,
             start ? start : "");
    if (!b->path[0])
        snprintf(b->path, sizeof(b->path), "/");
    b->req.path = b->path;
    snprintf(b->host, sizeof(b->host), "%s", p->host ? p->host : "");
    b->req.host = b->host;
    for (size_t i = 0; i < p->n_headers && b->req.n_headers < POLICY_L7_HEADERS; i++) {
        if (strcasecmp(p->headers[i].name, "Host") == 0)
            snprintf(b->host, sizeof(b->host), "%s", p->headers[i].value);
        b->names[b->req.n_headers] = p->headers[i].name;
        b->values[b->req.n_headers++] = p->headers[i].value;
    }
    b->req.header_names = b->names;
    b->req.header_values = b->values;
    return true;
}
