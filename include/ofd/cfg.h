/*
 * Config maps: how a segment declares the keys of its `config:` block.
 *
 * The core parses the YAML, expands $VAR / ${VAR} / $1..., checks every key against the map
 * (unknown keys, wrong types, values out of bounds, missing required keys are refused with
 * FILE:LINE: segment NAME: key KEY: reason) and writes the values into the segment's private
 * state at `offset`, before the segment's init() runs. Storage per type:
 *
 *   OFD_CFG_BOOL      int            true/false, yes/no, on/off, 1/0
 *   OFD_CFG_INT       int64_t        decimal, 0x hex; bounds min..max when min < max
 *   OFD_CFG_UINT      uint64_t       as INT, no sign
 *   OFD_CFG_DOUBLE    double         1e-6, 0.5 ...; bounds as INT
 *   OFD_CFG_STRING    char *         owned by the core, freed after fini()
 *   OFD_CFG_STRLIST   struct ofd_strlist  a YAML list of scalars, or one scalar (a list of one);
 *                                    a scalar with commas is NOT split
 *   OFD_CFG_ENUM      int            index into `choices` (NULL-terminated)
 *   OFD_CFG_DURATION  uint64_t       ns; "500ms", "10s", "5m", "1h", "2d", a bare number is seconds
 *   OFD_CFG_SIZE      uint64_t       bytes; "64k", "16M", "1G" (powers of 1024), bare bytes
 *   OFD_CFG_NODE      const struct ofd_cfg_node *  the raw subtree, for segments that read it
 *                                    with the ofd_cfg_node_* helpers; valid until fini()
 *   OFD_CFG_LIST      struct ofd_cfg_list  a YAML list of maps (one map: a list of one; no value:
 *                                    an empty list), each map applied with the key's own map `sub`
 *                                    into an element of `elem_size` zeroed bytes (defaults, required
 *                                    keys, bounds and errors as at the top level, named KEY[i].SUB,
 *                                    i from 0); min..max items when min < max; released with the
 *                                    segment
 *   OFD_CFG_IGNORED   (nothing)      a key flowpipeline's segment takes and this one does not: any
 *                                    value is accepted and ignored with a warning naming the key
 *                                    and `help` (why); offset unused. The key "*" of this type
 *                                    accepts every key the map does not name (flowpipeline's
 *                                    `pass`). An unknown key is refused with "did you mean KEY".
 *
 * Declare keys with the OFD_KEY macro and end the map with OFD_KEY_END:
 *
 *   static const struct ofd_cfg_key rule_keys[] = {
 *       OFD_KEY("filter", OFD_CFG_STRING, struct rule, filter, .required = 1, .help = "..."),
 *       OFD_KEY("multiplier", OFD_CFG_DOUBLE, struct rule, mult, .def = "1", .min = 1, .max = 1e9),
 *       OFD_KEY_END,
 *   };
 *   static const struct ofd_cfg_key keys[] = {
 *       OFD_KEY("rules", OFD_CFG_LIST, struct my_state, rules, .sub = rule_keys,
 *               .elem_size = sizeof(struct rule), .max = 64, .help = "..."),
 *       OFD_KEY_END,
 *   };
 */
#ifndef OFD_CFG_H
#define OFD_CFG_H

#include "api.h"

#include <stddef.h>
#include <stdint.h>

enum ofd_cfg_type {
	OFD_CFG_BOOL,
	OFD_CFG_INT,
	OFD_CFG_UINT,
	OFD_CFG_DOUBLE,
	OFD_CFG_STRING,
	OFD_CFG_STRLIST,
	OFD_CFG_ENUM,
	OFD_CFG_DURATION,
	OFD_CFG_SIZE,
	OFD_CFG_NODE,
	OFD_CFG_LIST,
	OFD_CFG_IGNORED,
};

struct ofd_strlist {
	char **v;
	size_t n;
};

struct ofd_cfg_list {
	void *v; /* n elements of the key's elem_size bytes */
	size_t n;
};

/* The i-th element of a list of type T. */
#define OFD_CFG_ITEM(list, T, i) (&((T *)(list).v)[i])

struct ofd_cfg_key {
	const char *key; /* NULL ends the map */
	enum ofd_cfg_type type;
	size_t offset;		       /* offsetof(struct my_state, field) */
	const char *def;	       /* default, written as it would be in YAML; NULL: none */
	int required;		       /* refused at start when missing */
	double min, max;	       /* numeric bounds, used when min < max */
	const char *const *choices;    /* OFD_CFG_ENUM */
	const char *help;	       /* one line for --help and the README */
	const struct ofd_cfg_key *sub; /* OFD_CFG_LIST: the map of each element */
	size_t elem_size;	       /* OFD_CFG_LIST: bytes per element */
};

#define OFD_KEY(name, ktype, stype, field, ...)                                                              \
	{                                                                                                    \
		.key = (name), .type = (ktype), .offset = offsetof(stype, field), __VA_ARGS__                \
	}
#define OFD_KEY_END                                                                                          \
	{                                                                                                    \
		.key = NULL                                                                                  \
	}

/* A parsed YAML node, with its position; scalars are already environment-expanded. */
enum ofd_cfg_node_kind { OFD_CFGN_SCALAR, OFD_CFGN_LIST, OFD_CFGN_MAP };

struct ofd_cfg_node {
	enum ofd_cfg_node_kind kind;
	unsigned line; /* 1-based, as editors count */
	unsigned col;
	const char *text;	     /* OFD_CFGN_SCALAR */
	size_t n;		     /* items of a list or map */
	struct ofd_cfg_node **items; /* list items, or map values */
	const char **keys;	     /* map keys (n of them) */
	const unsigned *key_lines;   /* the line of each map key */
};

/* The value of key in a map node, or NULL. */
OFD_API const struct ofd_cfg_node *ofd_cfg_node_get(const struct ofd_cfg_node *map, const char *key);

#endif
