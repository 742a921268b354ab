/*
 * The bgp segment's sessions file (flowpipeline's `filename`): YAML with global settings and a
 * list of routers. Read once at init; every error is "FILE:LINE: reason".
 *
 *   asn: 64500              # our AS (required)
 *   routerid: 192.0.2.1     # our BGP identifier (required, IPv4 form)
 *   listen: 127.0.0.1       # passive listener address (default: none: active sessions only)
 *   port: 179               # its port (0: any free one)
 *   holdtime: 90            # seconds, 0 or 3..65535
 *   gracefulrestart: 120    # restart time we announce, seconds (0..4095)
 *   maxstale: 300s          # longest stale routes of a restarting router are kept
 *   snapshotinterval: 1s    # a RIB's changes reach the flows at most this late
 *   connectretry: 5s        # active sessions: time between connection attempts
 *   maxroutes: 4000000      # paths per router; more are refused and counted
 *   bmp:                    # a BMP station (RFC 7854, net/bgp_bmp.h): routers stream their
 *     listen: 127.0.0.1     #   Adj-RIB-In to us; a connection feeds the router whose address
 *     port: 11019           #   is its source address (required: listen; port 0: any free one)
 *     policy: pre           #   pre: pre-policy Adj-RIB-In (L flag clear), post: post-policy
 *   routers:
 *     - name: r1            # required, unique: `fallbackrouter` names one
 *       address: 192.0.2.1  # or a list; also `addresses`, `ips`: session peer and sampler
 *       asn: 64500          # required: the AS its OPEN must carry
 *       routerid: 192.0.2.2 # our BGP identifier toward it (default: the global one)
 *       localasn: 64500     # our AS toward it (default: the global one)
 *       connect: false      # true: we connect to address[0]:peerport (active session)
 *       peerport: 179
 *       mrt: rib.mrt        # routes loaded from an MRT RIB dump at start (kept until the
 *                           # session's routes replace them: session loss clears them too)
 */
#ifndef OFD_SEG_BGP_CONF_H
#define OFD_SEG_BGP_CONF_H

#include <stddef.h>

#include "net/bgp_bmp.h"
#include "net/bgp_session.h"

struct bgp_conf {
	struct ofd_bgp_speaker_cfg sp;
	struct ofd_bgp_peer_cfg *peers;
	char **names;		    /* owned copies, peers[i].name points into them */
	char **mrt;		    /* per router: an MRT file to load at start, or NULL */
	struct ofd_bgp_bmp_cfg bmp; /* listen.family 0: no BMP station */
	size_t n;
};

/* Read path into c. 0, or OFD_ECONFIG / -ENOMEM with "FILE:LINE: reason" in err. */
int bgp_conf_load(struct bgp_conf *c, const char *path, char *err, size_t errlen);
void bgp_conf_free(struct bgp_conf *c);

#endif
