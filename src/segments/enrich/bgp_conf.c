/*
 * The bgp segment's sessions file (see bgp_conf.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "segments/enrich/bgp_conf.h"
#include "util/fileio.h"

#define SEC 1000000000ull

struct ctx {
	const char *path;
	char *err;
	size_t errlen;
};

static int bad(struct ctx *x, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(struct ctx *x, unsigned line, const char *fmt, ...)
{
	char m[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return ofd_cfg_errorf(x->err, x->errlen, x->path, line, NULL, NULL, "%s", m);
}

static unsigned key_line(const struct ofd_cfg_node *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i], key))
			return map->key_lines[i];
	return map->line;
}

/* An unsigned number of at most max, from a scalar. */
static int get_u(struct ctx *x, const struct ofd_cfg_node *map, const char *key, uint64_t max, uint64_t *v)
{
	const struct ofd_cfg_node *n = ofd_cfg_node_get(map, key);
	if (!n)
		return 0;
	char *end;
	errno = 0;
	if (n->kind != OFD_CFGN_SCALAR || !*n->text || *n->text == '-' ||
	    (*v = strtoull(n->text, &end, 10), errno || *end) || *v > max) {
		char m[128];
		snprintf(m, sizeof(m), "%s: not a number from 0 to %llu", key, (unsigned long long)max);
		return bad(x, n->line, "%s", m);
	}
	return 0;
}

/* A duration: a number with ms, s, m or h (bare: seconds). */
static int get_dur(struct ctx *x, const struct ofd_cfg_node *map, const char *key, uint64_t *ns)
{
	const struct ofd_cfg_node *n = ofd_cfg_node_get(map, key);
	if (!n)
		return 0;
	char *end;
	errno = 0;
	unsigned long long v =
	    n->kind == OFD_CFGN_SCALAR && *n->text != '-' ? strtoull(n->text, &end, 10) : 0;
	uint64_t mul = 0;
	if (n->kind == OFD_CFGN_SCALAR && end != n->text && !errno) {
		mul = !*end		   ? SEC
		      : !strcmp(end, "ms") ? SEC / 1000
		      : !strcmp(end, "s")  ? SEC
		      : !strcmp(end, "m")  ? 60 * SEC
		      : !strcmp(end, "h")  ? 3600 * SEC
					   : 0;
	}
	if (!mul || v > 86400ull * 365 * 1000) {
		char m[128];
		snprintf(m, sizeof(m), "%s: not a duration (500ms, 10s, 5m, 1h)", key);
		return bad(x, n->line, "%s", m);
	}
	*ns = v * mul;
	return 0;
}

static int get_ip(struct ctx *x, const struct ofd_cfg_node *n, const char *what, struct ofd_ip *ip)
{
	if (n->kind != OFD_CFGN_SCALAR || ofd_ip_parse(ip, n->text)) {
		char m[128];
		snprintf(m, sizeof(m), "%s: not an IP address", what);
		return bad(x, n->line, "%s", m);
	}
	return 0;
}

static int get_id(struct ctx *x, const struct ofd_cfg_node *map, const char *key, uint32_t *id)
{
	const struct ofd_cfg_node *n = ofd_cfg_node_get(map, key);
	if (!n)
		return 0;
	struct ofd_ip ip;
	if (get_ip(x, n, key, &ip))
		return OFD_ECONFIG;
	if (!ofd_ip_is_v4mapped(&ip))
		return bad(x, n->line, "%s: a BGP identifier is an IPv4 address", key);
	*id = (uint32_t)ip.b[12] << 24 | (uint32_t)ip.b[13] << 16 | (uint32_t)ip.b[14] << 8 | ip.b[15];
	if (!*id)
		return bad(x, n->line, "%s: 0.0.0.0 is not a BGP identifier", key);
	return 0;
}

static int check_keys(struct ctx *x, const struct ofd_cfg_node *map, const char *const *known)
{
	for (size_t i = 0; i < map->n; i++) {
		const char *const *k = known;
		while (*k && strcmp(*k, map->keys[i]))
			k++;
		if (!*k)
			return bad(x, map->key_lines[i], "unknown key %s", map->keys[i]);
	}
	return 0;
}

static const char *const global_keys[] = {
    "asn",	"routerid",	    "listen",	    "port",	 "holdtime", "gracefulrestart",
    "maxstale", "snapshotinterval", "connectretry", "maxroutes", "routers",  "bmp",
    NULL};
static const char *const bmp_keys[] = {"listen", "port", "policy", NULL};
static const char *const router_keys[] = {"name",     "address", "addresses", "ips", "asn", "routerid",
					  "localasn", "connect", "peerport",  "mrt", NULL};

/* b: the bmp key's value, at line (a map's own line is its first key's) */
static int bmp(struct ctx *x, struct bgp_conf *c, const struct ofd_cfg_node *b, unsigned line)
{
	if (b->kind != OFD_CFGN_MAP)
		return bad(x, line, "bmp: a map (listen, port, policy)");
	if (check_keys(x, b, bmp_keys))
		return OFD_ECONFIG;
	const struct ofd_cfg_node *n = ofd_cfg_node_get(b, "listen");
	if (!n)
		return bad(x, line, "bmp: no listen address");
	if (get_ip(x, n, "bmp: listen", &c->bmp.listen))
		return OFD_ECONFIG;
	uint64_t v = 11019;
	if (get_u(x, b, "port", 65535, &v))
		return OFD_ECONFIG;
	c->bmp.port = (uint16_t)v;
	const struct ofd_cfg_node *p = ofd_cfg_node_get(b, "policy");
	if (p) {
		const char *t = p->kind == OFD_CFGN_SCALAR ? p->text : "";
		if (!strcmp(t, "post"))
			c->bmp.post_policy = 1;
		else if (strcmp(t, "pre"))
			return bad(x, p->line, "bmp: policy: pre or post");
	}
	return 0;
}

static int router(struct ctx *x, struct bgp_conf *c, const struct ofd_cfg_node *r, size_t i)
{
	struct ofd_bgp_peer_cfg *p = &c->peers[i];
	if (r->kind != OFD_CFGN_MAP)
		return bad(x, r->line, "routers: each entry is a map (name, address, asn)");
	if (check_keys(x, r, router_keys))
		return OFD_ECONFIG;
	const struct ofd_cfg_node *n = ofd_cfg_node_get(r, "name");
	if (!n || n->kind != OFD_CFGN_SCALAR || !*n->text)
		return bad(x, r->line, "router without a name");
	for (size_t j = 0; j < i; j++)
		if (!strcmp(c->names[j], n->text))
			return bad(x, n->line, "router %s named twice", n->text);
	if (!(c->names[i] = strdup(n->text)))
		return -ENOMEM;
	p->name = c->names[i];
	const struct ofd_cfg_node *a = ofd_cfg_node_get(r, "address");
	if (!a)
		a = ofd_cfg_node_get(r, "addresses");
	if (!a)
		a = ofd_cfg_node_get(r, "ips");
	if (!a)
		return bad(x, r->line, "router %s: no address", p->name);
	size_t na = a->kind == OFD_CFGN_LIST ? a->n : 1;
	if (a->kind == OFD_CFGN_MAP || na == 0 || na > OFD_BGP_PEER_ADDRS_MAX)
		return bad(x, a->line, "router %s: address is one address or a list of 1 to 8", p->name);
	for (size_t j = 0; j < na; j++)
		if (get_ip(x, a->kind == OFD_CFGN_LIST ? a->items[j] : a, "address", &p->addr[j]))
			return OFD_ECONFIG;
	p->n_addr = (unsigned)na;
	uint64_t v;
	if (!ofd_cfg_node_get(r, "asn"))
		return bad(x, r->line, "router %s: no asn", p->name);
	if (get_u(x, r, "asn", UINT32_MAX, &v))
		return OFD_ECONFIG;
	if (!v)
		return bad(x, key_line(r, "asn"), "router %s: asn 0", p->name);
	p->asn = (uint32_t)v;
	v = 0;
	if (get_u(x, r, "localasn", UINT32_MAX, &v))
		return OFD_ECONFIG;
	p->local_asn = (uint32_t)v;
	if (get_id(x, r, "routerid", &p->router_id))
		return OFD_ECONFIG;
	v = 179;
	if (get_u(x, r, "peerport", 65535, &v))
		return OFD_ECONFIG;
	p->port = (uint16_t)v;
	const struct ofd_cfg_node *mn = ofd_cfg_node_get(r, "mrt");
	if (mn) {
		if (mn->kind != OFD_CFGN_SCALAR || !*mn->text)
			return bad(x, mn->line, "mrt: a file name");
		if (!(c->mrt[i] = strdup(mn->text)))
			return -ENOMEM;
	}
	const struct ofd_cfg_node *cn = ofd_cfg_node_get(r, "connect");
	if (cn) {
		const char *t = cn->kind == OFD_CFGN_SCALAR ? cn->text : "";
		if (!strcmp(t, "true") || !strcmp(t, "yes"))
			p->active = 1;
		else if (strcmp(t, "false") && strcmp(t, "no"))
			return bad(x, cn->line, "connect: true or false");
	}
	return 0;
}

int bgp_conf_load(struct bgp_conf *c, const char *path, char *err, size_t errlen)
{
	struct ctx x = {path, err, errlen};
	memset(c, 0, sizeof(*c));
	char *text = NULL;
	size_t len = 0;
	if (ofd_read_file(path, OFD_CFG_MAX_FILE, &text, &len)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return OFD_ECONFIG;
	}
	struct ofd_cfg_file *f = NULL;
	int rc = ofd_cfg_parse_tree(&f, path, text, len, 1, err, errlen);
	free(text);
	if (rc)
		return OFD_ECONFIG;
	const struct ofd_cfg_node *m = ofd_cfg_root(f);
	rc = OFD_ECONFIG;
	if (!m || m->kind != OFD_CFGN_MAP) {
		bad(&x, m ? m->line : 1, "the sessions file is a map (asn, routerid, routers)");
		goto out;
	}
	if (check_keys(&x, m, global_keys))
		goto out;
	uint64_t v = 0;
	if (!ofd_cfg_node_get(m, "asn")) {
		bad(&x, m->line, "no asn (our AS)");
		goto out;
	}
	if (get_u(&x, m, "asn", UINT32_MAX, &v))
		goto out;
	if (!v) {
		bad(&x, key_line(m, "asn"), "asn 0");
		goto out;
	}
	c->sp.asn = (uint32_t)v;
	if (!ofd_cfg_node_get(m, "routerid")) {
		bad(&x, m->line, "no routerid (our BGP identifier)");
		goto out;
	}
	if (get_id(&x, m, "routerid", &c->sp.router_id))
		goto out;
	const struct ofd_cfg_node *n = ofd_cfg_node_get(m, "listen");
	if (n && get_ip(&x, n, "listen", &c->sp.listen))
		goto out;
	v = 179;
	if (get_u(&x, m, "port", 65535, &v))
		goto out;
	c->sp.listen_port = (uint16_t)v;
	v = 90;
	if (get_u(&x, m, "holdtime", 65535, &v))
		goto out;
	if (v == 1 || v == 2) {
		bad(&x, key_line(m, "holdtime"), "holdtime: 0 or 3 to 65535 seconds");
		goto out;
	}
	c->sp.hold_time = (uint16_t)v;
	v = 120;
	if (get_u(&x, m, "gracefulrestart", 4095, &v))
		goto out;
	c->sp.gr_time = (uint16_t)v;
	c->sp.gr_max_ns = 300 * SEC;
	c->sp.snapshot_ns = SEC;
	c->sp.connect_retry_ns = 5 * SEC;
	if (get_dur(&x, m, "maxstale", &c->sp.gr_max_ns) ||
	    get_dur(&x, m, "snapshotinterval", &c->sp.snapshot_ns) ||
	    get_dur(&x, m, "connectretry", &c->sp.connect_retry_ns))
		goto out;
	if (!c->sp.connect_retry_ns)
		c->sp.connect_retry_ns = SEC;
	v = 4u << 20;
	if (get_u(&x, m, "maxroutes", 1ull << 30, &v))
		goto out;
	c->sp.max_paths = v;
	const struct ofd_cfg_node *bn = ofd_cfg_node_get(m, "bmp");
	if (bn && bmp(&x, c, bn, key_line(m, "bmp")))
		goto out;
	const struct ofd_cfg_node *rs = ofd_cfg_node_get(m, "routers");
	if (!rs || rs->kind != OFD_CFGN_LIST || !rs->n) {
		bad(&x, rs ? rs->line : m->line, "routers: a list of at least one router");
		goto out;
	}
	if (rs->n > OFD_BGP_PEERS_MAX) {
		bad(&x, rs->line, "routers: at most 256");
		goto out;
	}
	c->peers = calloc(rs->n, sizeof(*c->peers));
	c->names = calloc(rs->n, sizeof(*c->names));
	c->mrt = calloc(rs->n, sizeof(*c->mrt));
	if (!c->peers || !c->names || !c->mrt) {
		rc = -ENOMEM;
		goto out;
	}
	c->n = rs->n;
	for (size_t i = 0; i < rs->n; i++)
		if ((rc = router(&x, c, rs->items[i], i)) != 0)
			goto out;
	rc = 0;
out:
	ofd_cfg_free(f);
	if (rc)
		bgp_conf_free(c);
	return rc;
}

void bgp_conf_free(struct bgp_conf *c)
{
	for (size_t i = 0; c->names && i < c->n; i++)
		free(c->names[i]);
	for (size_t i = 0; c->mrt && i < c->n; i++)
		free(c->mrt[i]);
	free(c->names);
	free(c->mrt);
	c->mrt = NULL;
	free(c->peers);
	c->names = NULL;
	c->peers = NULL;
	c->n = 0;
}
