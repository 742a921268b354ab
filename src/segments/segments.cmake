# The built-in segments, one stanza each (scripts/new-segment.sh appends one):
#
#   ofd_segment(NAME SOURCES file.c... [PKGS pkg-config-module...])
#
# Each stanza makes an option OFD_SEGMENT_<NAME> (ON by default). A segment with PKGS is
# optional: when a module is missing it is left out with a notice (or the configure fails if
# the option was set ON explicitly), and OFD_OPTIONAL_SEGMENTS=OFF leaves out every such
# segment. The enabled segments are registered from the generated builtin.c in this order.
# Shared helpers live in src/segments/common/ and are always built.

ofd_segment(udp SOURCES input/udp.c)
ofd_segment(pcap SOURCES input/pcap.c)
ofd_segment(packet SOURCES input/packet.c)
ofd_segment(stdin SOURCES input/stdin.c)
ofd_segment(flowfilter SOURCES flow/flowfilter.c)
ofd_segment(drop SOURCES flow/drop.c)
ofd_segment(pass SOURCES flow/pass.c)
ofd_segment(limit SOURCES flow/limit.c)
ofd_segment(elephant SOURCES flow/elephant.c)
ofd_segment(sync_timestamps SOURCES flow/sync_timestamps.c)
ofd_segment(dropfields SOURCES flow/dropfields.c)
ofd_segment(json SOURCES output/json.c)
ofd_segment(csv SOURCES output/csv.c)
ofd_segment(print SOURCES output/print.c)
ofd_segment(count SOURCES output/count.c)
ofd_segment(tracer SOURCES analyze/tracer.c)
ofd_segment(toptalkers SOURCES output/toptalkers.c)
ofd_segment(toptalkers_metrics SOURCES analyze/toptalkers_metrics.c)
ofd_segment(traffic_specific_toptalkers SOURCES analyze/toptalkers_metrics.c)
ofd_segment(printdots SOURCES output/printdots.c)
ofd_segment(filegate SOURCES flow/filegate.c)
ofd_segment(generator SOURCES input/generator.c)
ofd_segment(protomap SOURCES enrich/protomap.c)
ofd_segment(addrstrings SOURCES enrich/addrstrings.c)
ofd_segment(delay_monitoring SOURCES analyze/delay_monitoring.c)
ofd_segment(http SOURCES output/http.c PKGS libcurl)
ofd_segment(aggregate SOURCES analyze/aggregate.c)
ofd_segment(kafkaproducer SOURCES output/kafkaproducer.c kafka/kafkaconf.c PKGS rdkafka)
ofd_segment(diskbuffer SOURCES flow/diskbuffer.c)
ofd_segment(kafkaconsumer SOURCES input/kafkaconsumer.c input/kafkaconsumer_conf.c input/kafkaconsumer_decode.c
  input/kafkaconsumer_offsets.c kafka/kafkaconf.c PKGS rdkafka)
ofd_segment(geolocation SOURCES enrich/geolocation.c enrich/mmdb.c PKGS libmaxminddb)
ofd_segment(aslookup SOURCES enrich/aslookup.c enrich/astable.c enrich/mmdb.c PKGS libmaxminddb)
ofd_segment(anonymize SOURCES enrich/anonymize.c enrich/cryptopan.c PKGS libcrypto)
ofd_segment(snmp SOURCES enrich/snmp.c enrich/snmp_cache.c enrich/snmp_poll.c enrich/snmp_pdu.c
  enrich/snmp_text.c PKGS netsnmp libpcre2-8)
ofd_segment(addcid SOURCES enrich/addcid.c)
ofd_segment(addnetid SOURCES enrich/addnetid.c)
ofd_segment(remoteaddress SOURCES enrich/remoteaddress.c)
ofd_segment(normalize SOURCES enrich/normalize.c)
ofd_segment(reversedns SOURCES enrich/reversedns.c enrich/rdns_cache.c enrich/rdns_resolver.c PKGS libcares)
ofd_segment(prometheus SOURCES output/prometheus.c output/prometheus_expo.c)
ofd_segment(sqlite SOURCES output/sqlite.c)
ofd_segment(postgres SOURCES output/postgres.c output/postgres_copy.c PKGS libpq)
ofd_segment(replay SOURCES input/replay.c)
ofd_segment(influx SOURCES output/influx.c output/influx_http.c PKGS libcurl)
ofd_segment(bgp SOURCES enrich/bgp.c enrich/bgp_conf.c enrich/bgp_rpki.c)
ofd_segment(ipfix SOURCES output/export.c output/export_send.c)
ofd_segment(netflow9 SOURCES output/export.c output/export_send.c)
