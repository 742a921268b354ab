/*
 * stdin: reads flows as JSON lines from standard input or a file, so that pipelines can be
 * chained through pipes and files: our own output format (the json segment's, goflow2's names)
 * and flowpipeline's (protojson of its EnrichedFlow), recognised line by line
 * (src/format/flowjson_parse.h, src/format/protojson.h). At the end of the input the segment
 * stays up, idle, until the pipeline is stopped, as flowpipeline's does (`eofcloses: false`, its
 * default); `eofcloses: true` ends the input there, and with it a run that has no other input.
 * A line that does not parse is counted (malformed), named in a rate-limited warning (its line
 * number, not its text) and
 * skipped, as is a line longer than STDIN_LINE_MAX (too_long); blank lines are ignored.
 * Strings of the enriched fields go into the batch's arena (include/ofd/batch.h); a batch whose
 * arena could not hold the next line's strings is passed on first, so strings are only dropped
 * (strings_dropped) when one line's own strings exceed an arena. ofd_segment_stopping() is
 * checked at least every 100 ms, also while the input is silent.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/flowjson_parse.h"
#include "ofd/segment.h"

#define STDIN_LINE_MAX (64 * 1024)
/* Arena bytes a line's strings may take: its length and a NUL per string field, at most every
   string field at OFD_FMT_TEXT_MAX bytes. */
#define STDIN_LINE_STRINGS(n) ((n) < 64 * 257 ? (n) + 64 : 64 * 257)
#define STDIN_POLL_MS	      100

enum { C_MALFORMED, C_TOO_LONG, C_STRINGS };
static const char *const counters[] = {"malformed", "too_long", "strings_dropped", NULL};

struct stdin_state {
	char *filename;
	int eofcloses;
	int fd;
	int own_fd;
	char *buf;		 /* STDIN_LINE_MAX bytes */
	uint64_t lineno;	 /* lines read so far */
	struct ofd_ratelimit rl; /* the warning about refused lines */
};

static int stdin_init(struct ofd_segment *seg, void *state)
{
	struct stdin_state *s = state;
	s->fd = STDIN_FILENO;
	if (s->filename && s->filename[0]) {
		s->fd = open(s->filename, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0) {
			int err = -errno;
			ofd_seg_log(seg, OFD_LOG_ERR, "%s: %s", s->filename, strerror(errno));
			return err;
		}
		s->own_fd = 1;
	}
	s->buf = malloc(STDIN_LINE_MAX);
	if (!s->buf)
		return -ENOMEM;
	return 0;
}

static void stdin_line(struct ofd_segment *seg, struct stdin_state *s, const char *p, size_t n)
{
	s->lineno++;
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (i == n)
		return;
	struct ofd_batch *b = ofd_input_batch(seg);
	if (ofd_batch_arena_free(b) < STDIN_LINE_STRINGS(n - i))
		ofd_input_flush(seg);
	struct ofd_flow *f = ofd_batch_add(b);
	unsigned dropped = 0;
	int rc = ofd_flowjson_parse(f, p, n, b, &dropped);
	if (dropped)
		ofd_segment_count(seg, C_STRINGS, dropped);
	if (rc) {
		ofd_batch_unadd(b);
		ofd_segment_count(seg, C_MALFORMED, 1);
		ofd_log_rl(
		    &s->rl, OFD_LOG_WARN,
		    "segment %s: line %llu: not a flow in our JSON or flowpipeline's protojson (skipped)",
		    ofd_segment_name(seg), (unsigned long long)s->lineno);
	}
}

/*
 * Hand on the complete lines in buf[0..*len) and keep the rest at the front. *skip: the
 * current line is too long and is being skipped up to its newline.
 */
static void stdin_lines(struct ofd_segment *seg, struct stdin_state *s, size_t *len, int *skip)
{
	char *p = s->buf, *end = s->buf + *len;
	for (;;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		if (*skip)
			*skip = 0, s->lineno++;
		else
			stdin_line(seg, s, p, (size_t)(nl - p));
		p = nl + 1;
	}
	*len = (size_t)(end - p);
	if (*len == STDIN_LINE_MAX) { /* a full buffer without a newline */
		if (!*skip)
			ofd_segment_count(seg, C_TOO_LONG, 1);
		*skip = 1;
		*len = 0;
	} else if (*skip) {
		*len = 0; /* still inside the long line */
	} else if (p != s->buf && *len) {
		memmove(s->buf, p, *len);
	}
}

/* Wait until the fd is readable or 100 ms passed; 1 when readable (or at EOF/error). */
static int stdin_wait(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	int r = poll(&pfd, 1, STDIN_POLL_MS);
	return r > 0 || (r < 0 && errno != EINTR);
}

static int stdin_start(struct ofd_segment *seg, void *state)
{
	struct stdin_state *s = state;
	size_t len = 0;
	int skip = 0, rc = 0;
	while (!ofd_segment_stopping(seg)) {
		if (!stdin_wait(s->fd)) {
			ofd_input_flush(seg); /* the source is quiet: pass on what we have */
			continue;
		}
		size_t want = STDIN_LINE_MAX - len;
		ssize_t r = read(s->fd, s->buf + len, want);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			rc = -errno;
			ofd_err("segment %s: read: %s", ofd_segment_name(seg), strerror(errno));
			break;
		}
		if (r == 0) { /* end of input: a last line without a newline counts too */
			if (len && !skip)
				stdin_line(seg, s, s->buf, len);
			break;
		}
		len += (size_t)r;
		stdin_lines(seg, s, &len, &skip);
		if ((size_t)r < want)
			ofd_input_flush(seg);
	}
	ofd_input_flush(seg);
	if (!s->eofcloses && rc == 0 && !ofd_segment_stopping(seg))
		ofd_seg_log(seg, OFD_LOG_INFO,
			    "end of input; eofcloses is false: waiting until the pipeline is stopped");
	while (!s->eofcloses && rc == 0 && !ofd_segment_stopping(seg))
		(void)poll(NULL, 0, STDIN_POLL_MS); /* flowpipeline's eofcloses: false */
	return rc;
}

static void stdin_fini(struct ofd_segment *seg, void *state)
{
	struct stdin_state *s = state;
	(void)seg;
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	s->own_fd = 0;
	free(s->buf);
	s->buf = NULL;
}

static const struct ofd_cfg_key stdin_keys[] = {
    {.key = "filename",
     .type = OFD_CFG_STRING,
     .offset = offsetof(struct stdin_state, filename),
     .help = "read this file instead of standard input"},
    {.key = "eofcloses",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct stdin_state, eofcloses),
     .def = "false",
     .help = "true: the input ends at the end of the file (or of standard input), and a run without other "
	     "inputs ends with it; false (flowpipeline's default): the segment stays up, idle, until the "
	     "pipeline is stopped (SIGINT, SIGTERM)"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_stdin = {
    OFD_SEGMENT_VERSION,
    .name = "stdin",
    .kind = OFD_SEG_INPUT,
    .flags = 0,
    .summary = "read flows as JSON lines (the json segment's formats, ours or flowpipeline's protojson, per "
	       "line) from "
	       "standard input or a file",
    .state_size = sizeof(struct stdin_state),
    .config = stdin_keys,
    .counters = counters,
    .init = stdin_init,
    .start = stdin_start,
    .fini = stdin_fini,
};
