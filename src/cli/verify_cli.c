/*
 * overflowd keygen [-k KEYFILE]    create a signing key (mode 0600) and print its public key
 * overflowd verify [-k KEYFILE] [FILE|-]
 *                                  check tracers, one per line: "valid KEY FLOW" or
 *                                  "invalid REASON"; exit 1 if any is invalid. -k opens tracers
 *                                  sealed to that key.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tracer/keypath.h"
#include "tracer/tracer.h"
#include "util/termtext.h"

static const struct option key_opts[] = {
    {"key", required_argument, NULL, 'k'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/*
 * -k KEYFILE and -h/--help, then at most maxargs operands. Returns -1 to go on, else the exit
 * status (usage on stdout for --help, on stderr for a usage error).
 */
static int key_args(int argc, char **argv, const char *usage, const char **key, int maxargs)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:h", key_opts, NULL)) != -1) {
		if (c == 'k') {
			*key = optarg;
			continue;
		}
		fputs(usage, c == 'h' ? stdout : stderr);
		return c == 'h' ? OFD_EXIT_OK : OFD_EXIT_USAGE;
	}
	if (argc - optind > maxargs) {
		fprintf(stderr, "overflowd: unexpected argument '%s'\n", argv[optind + maxargs]);
		fputs(usage, stderr);
		return OFD_EXIT_USAGE;
	}
	return -1;
}

int ofd_cmd_keygen(int argc, char **argv)
{
	const char *path = NULL;
	int rc = key_args(argc, argv, "usage: overflowd keygen [-k KEYFILE]\n", &path, 0);
	if (rc >= 0)
		return rc;
	char def[4096], err[512] = "";
	if (!path) {
		if (ofd_keypath_default(def, sizeof(def))) {
			fprintf(stderr, "overflowd: no default key location; give -k KEYFILE\n");
			return OFD_EXIT_FAIL;
		}
		path = def;
	}
	struct ofd_key *k;
	if (ofd_key_create(&k, path, err, sizeof(err))) {
		fprintf(stderr, "overflowd: %s\n", err);
		return OFD_EXIT_FAIL;
	}
	char hex[2 * OFD_KEY_PUB_LEN + 1];
	ofd_key_public_hex(k, hex);
	printf("%s\n", hex);
	fprintf(stderr, "overflowd: new signing key in %s\n", path);
	ofd_key_free(k);
	return OFD_EXIT_OK;
}

/* The string member name of o, escaped for the terminal (termtext.h) into buf, or "?". */
static const char *text(json_t *o, const char *name, char *buf, size_t cap)
{
	json_t *v = json_object_get(o, name);
	const char *s = json_string_value(v);
	if (!s)
		return "?";
	ofd_termtext_escape(buf, cap, s, json_string_length(v));
	return buf;
}

/* "SADDR:SPORT -> DADDR:DPORT proto P packets N bytes B class C" from the signed body; the
   signer's strings with their control characters escaped (a valid signature says who wrote
   them, not that they are harmless). */
static void describe(const struct ofd_tracer_msg *m, char *out, size_t cap)
{
	json_t *root = json_loadb(m->body, m->body_len, 0, NULL);
	json_t *d = json_object_get(json_object_get(root, "flowdata"), "data");
	json_t *meta = json_object_get(root, "metadata");
	char sbuf[160], dbuf[160], cbuf[160];
	const char *sa = text(d, "saddr", sbuf, sizeof(sbuf));
	const char *da = text(d, "daddr", dbuf, sizeof(dbuf));
	const char *cls = text(meta, "class", cbuf, sizeof(cbuf));
	snprintf(out, cap, "%s:%lld -> %s:%lld proto %lld packets %lld bytes %lld class %s%s", sa,
		 json_integer_value(json_object_get(d, "sport")), da,
		 json_integer_value(json_object_get(d, "dport")),
		 json_integer_value(json_object_get(d, "protocol")),
		 json_integer_value(json_object_get(d, "pcount")),
		 json_integer_value(json_object_get(d, "bcount")), cls, m->sealed ? " (sealed)" : "");
	json_decref(root);
}

static int verify_stream(FILE *in, const struct ofd_key *ours, unsigned long *nvalid, unsigned long *ninvalid)
{
	uint8_t *scratch = malloc(OFD_TRACER_MAX);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	if (!scratch)
		return -1;
	while ((n = getline(&line, &cap, in)) > 0) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (!n)
			continue;
		struct ofd_tracer_msg m;
		enum ofd_tv_error e = ofd_tracer_verify(line, (size_t)n, ours, scratch, &m);
		if (e != OFD_TV_OK) {
			printf("invalid %s\n", ofd_tv_error_name(e));
			(*ninvalid)++;
			if (ferror(stdout))
				break;
			continue;
		}
		char hex[2 * OFD_KEY_PUB_LEN + 1], flow[1024];
		for (int i = 0; i < OFD_KEY_PUB_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", m.key[i]);
		describe(&m, flow, sizeof(flow));
		printf("valid %s %s\n", hex, flow);
		(*nvalid)++;
		if (ferror(stdout))
			break; /* the output failed: nothing more can be reported */
	}
	free(line);
	free(scratch);
	return 0;
}

int ofd_cmd_verify(int argc, char **argv)
{
	const char *keyfile = NULL;
	int rc = key_args(argc, argv, "usage: overflowd verify [-k KEYFILE] [FILE|-]\n", &keyfile, 1);
	if (rc >= 0)
		return rc;
	struct ofd_key *ours = NULL;
	char err[512] = "";
	if (keyfile && ofd_key_load(&ours, keyfile, err, sizeof(err))) {
		fprintf(stderr, "overflowd: %s\n", err);
		return OFD_EXIT_FAIL;
	}
	const char *path = optind < argc ? argv[optind] : "-";
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	rc = OFD_EXIT_FAIL;
	if (!in) {
		perror(path);
		goto free_key;
	}
	unsigned long nvalid = 0, ninvalid = 0;
	if (verify_stream(in, ours, &nvalid, &ninvalid) == 0)
		rc = ninvalid ? OFD_EXIT_FAIL : OFD_EXIT_OK;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (ofd_cli_stdout_gone()) {
			fprintf(stderr, "verify: output closed by its reader (broken pipe); stopped\n");
		} else {
			fprintf(stderr, "verify: cannot write the results\n");
			rc = OFD_EXIT_FAIL;
		}
	}
	fprintf(stderr, "verify: %lu valid, %lu invalid\n", nvalid, ninvalid);
	if (in != stdin)
		fclose(in);
free_key:
	ofd_key_free(ours);
	return rc;
}
