/*
 * Names of numbers, shared by every output: EtherTypes, IP protocols (the IANA registry's
 * keywords as goflow2 prints them, and overflowd's short names for people), RPKI states.
 */
#include "names.h"

#include "flowfmt.h"

const char *ofd_etype_name(uint16_t etype)
{
	switch (etype) {
	case 0x0800: return "IPv4";
	case 0x86dd: return "IPv6";
	case 0x0806: return "ARP";
	default: return NULL;
	}
}

/* The IANA protocol-numbers registry's keywords (what goflow2 v2.2 prints), NULL where the
   registry has none (61, 63, 68, 99, 114, 146-255). */
#define P(v, name) [v] = {name, sizeof(name) - 1}
const struct ofd_proto_name ofd_iana_proto[256] = {
    P(0, "HOPOPT"),
    P(1, "ICMP"),
    P(2, "IGMP"),
    P(3, "GGP"),
    P(4, "IPv4"),
    P(5, "ST"),
    P(6, "TCP"),
    P(7, "CBT"),
    P(8, "EGP"),
    P(9, "IGP"),
    P(10, "BBN-RCC-MON"),
    P(11, "NVP-II"),
    P(12, "PUP"),
    P(13, "ARGUS"),
    P(14, "EMCON"),
    P(15, "XNET"),
    P(16, "CHAOS"),
    P(17, "UDP"),
    P(18, "MUX"),
    P(19, "DCN-MEAS"),
    P(20, "HMP"),
    P(21, "PRM"),
    P(22, "XNS-IDP"),
    P(23, "TRUNK-1"),
    P(24, "TRUNK-2"),
    P(25, "LEAF-1"),
    P(26, "LEAF-2"),
    P(27, "RDP"),
    P(28, "IRTP"),
    P(29, "ISO-TP4"),
    P(30, "NETBLT"),
    P(31, "MFE-NSP"),
    P(32, "MERIT-INP"),
    P(33, "DCCP"),
    P(34, "3PC"),
    P(35, "IDPR"),
    P(36, "XTP"),
    P(37, "DDP"),
    P(38, "IDPR-CMTP"),
    P(39, "TP++"),
    P(40, "IL"),
    P(41, "IPv6"),
    P(42, "SDRP"),
    P(43, "IPv6-Route"),
    P(44, "IPv6-Frag"),
    P(45, "IDRP"),
    P(46, "RSVP"),
    P(47, "GRE"),
    P(48, "DSR"),
    P(49, "BNA"),
    P(50, "ESP"),
    P(51, "AH"),
    P(52, "I-NLSP"),
    P(53, "SWIPE"),
    P(54, "NARP"),
    P(55, "Min-IPv4"),
    P(56, "TLSP"),
    P(57, "SKIP"),
    P(58, "IPv6-ICMP"),
    P(59, "IPv6-NoNxt"),
    P(60, "IPv6-Opts"),
    P(62, "CFTP"),
    P(64, "SAT-EXPAK"),
    P(65, "KRYPTOLAN"),
    P(66, "RVD"),
    P(67, "IPPC"),
    P(69, "SAT-MON"),
    P(70, "VISA"),
    P(71, "IPCV"),
    P(72, "CPNX"),
    P(73, "CPHB"),
    P(74, "WSN"),
    P(75, "PVP"),
    P(76, "BR-SAT-MON"),
    P(77, "SUN-ND"),
    P(78, "WB-MON"),
    P(79, "WB-EXPAK"),
    P(80, "ISO-IP"),
    P(81, "VMTP"),
    P(82, "SECURE-VMTP"),
    P(83, "VINES"),
    P(84, "IPTM"),
    P(85, "NSFNET-IGP"),
    P(86, "DGP"),
    P(87, "TCF"),
    P(88, "EIGRP"),
    P(89, "OSPFIGP"),
    P(90, "Sprite-RPC"),
    P(91, "LARP"),
    P(92, "MTP"),
    P(93, "AX.25"),
    P(94, "IPIP"),
    P(95, "MICP"),
    P(96, "SCC-SP"),
    P(97, "ETHERIP"),
    P(98, "ENCAP"),
    P(100, "GMTP"),
    P(101, "IFMP"),
    P(102, "PNNI"),
    P(103, "PIM"),
    P(104, "ARIS"),
    P(105, "SCPS"),
    P(106, "QNX"),
    P(107, "A/N"),
    P(108, "IPComp"),
    P(109, "SNP"),
    P(110, "Compaq-Peer"),
    P(111, "IPX-in-IP"),
    P(112, "VRRP"),
    P(113, "PGM"),
    P(115, "L2TP"),
    P(116, "DDX"),
    P(117, "IATP"),
    P(118, "STP"),
    P(119, "SRP"),
    P(120, "UTI"),
    P(121, "SMP"),
    P(122, "SM"),
    P(123, "PTP"),
    P(124, "ISIS over IPv4"),
    P(125, "FIRE"),
    P(126, "CRTP"),
    P(127, "CRUDP"),
    P(128, "SSCOPMCE"),
    P(129, "IPLT"),
    P(130, "SPS"),
    P(131, "PIPE"),
    P(132, "SCTP"),
    P(133, "FC"),
    P(134, "RSVP-E2E-IGNORE"),
    P(135, "Mobility Header"),
    P(136, "UDPLite"),
    P(137, "MPLS-in-IP"),
    P(138, "manet"),
    P(139, "HIP"),
    P(140, "Shim6"),
    P(141, "WESP"),
    P(142, "ROHC"),
    P(143, "Ethernet"),
    P(144, "AGGFRAG"),
    P(145, "NSH"),
};

#undef P

const char *ofd_proto_keyword(uint8_t proto)
{
	return ofd_iana_proto[proto].n ? ofd_iana_proto[proto].s : NULL;
}

/* overflowd's short names, for text meant for people (the print segment). */
const char *ofd_proto_name(uint8_t proto)
{
	switch (proto) {
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 41: return "IPv6";
	case 47: return "GRE";
	case 50: return "ESP";
	case 51: return "AH";
	case 58: return "ICMPv6";
	case 89: return "OSPF";
	case 103: return "PIM";
	case 112: return "VRRP";
	case 132: return "SCTP";
	default: return NULL;
	}
}

const char *ofd_rpki_name(unsigned rpki)
{
	switch (rpki) {
	case OFD_RPKI_VALID: return "valid";
	case OFD_RPKI_INVALID: return "invalid";
	case OFD_RPKI_NOTFOUND: return "notfound";
	default: return "unknown";
	}
}
