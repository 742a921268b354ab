/*
 * bench_pcapcat: repeat (or cut) a packet capture, for benchmark inputs of a chosen size.
 *
 *   bench_pcapcat [--times K] [--head N] IN.pcap OUT.pcap
 *
 * Copies the complete frames of IN (a frame cut short by the snap length is left out, and a
 * file cut in the middle of a frame ends at the last whole frame) K times (default 1) into
 * OUT, with the same link type. With --head, only the first N complete frames are used. Each
 * copy is shifted in time by the span of the input plus one second, so timestamps keep
 * increasing. Prints "frames=F skipped=S written=W" on stdout.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct frame {
	struct pcap_pkthdr h;
	uint8_t *data;
};

struct frames {
	struct frame *f;
	size_t n, cap;
	uint64_t skipped;
};

static int frames_add(struct frames *fs, const struct pcap_pkthdr *h, const u_char *data)
{
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 4096;
		struct frame *f = realloc(fs->f, cap * sizeof(*f));
		if (!f)
			return -1;
		fs->f = f;
		fs->cap = cap;
	}
	uint8_t *copy = malloc(h->caplen ? h->caplen : 1);
	if (!copy)
		return -1;
	memcpy(copy, data, h->caplen);
	fs->f[fs->n].h = *h;
	fs->f[fs->n].data = copy;
	fs->n++;
	return 0;
}

/* Read the complete frames of path (at most head, 0: all); returns the link type or -1. */
static int frames_load(struct frames *fs, const char *path, uint64_t head)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "%s: %s\n", path, err);
		return -1;
	}
	int linktype = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	while ((head == 0 || fs->n < head) && (rc = pcap_next_ex(p, &h, &data)) == 1) {
		if (h->caplen < h->len) {
			fs->skipped++;
			continue;
		}
		if (frames_add(fs, h, data)) {
			linktype = -1;
			break;
		}
	}
	pcap_close(p);
	return linktype;
}

static int frames_write(const struct frames *fs, int linktype, const char *path, uint32_t times)
{
	pcap_t *p = pcap_open_dead(linktype, 262144);
	if (!p)
		return -1;
	int rc = -1;
	pcap_dumper_t *d = pcap_dump_open(p, path);
	if (!d) {
		fprintf(stderr, "%s: %s\n", path, pcap_geterr(p));
		goto close_pcap;
	}
	int64_t span = 1;
	if (fs->n)
		span += (int64_t)fs->f[fs->n - 1].h.ts.tv_sec - (int64_t)fs->f[0].h.ts.tv_sec;
	for (uint32_t k = 0; k < times; k++) {
		for (size_t i = 0; i < fs->n; i++) {
			struct pcap_pkthdr h = fs->f[i].h;
			h.ts.tv_sec = (time_t)(h.ts.tv_sec + span * (int64_t)k);
			pcap_dump((u_char *)d, &h, fs->f[i].data);
		}
	}
	if (pcap_dump_flush(d) == 0)
		rc = 0;
	pcap_dump_close(d);
close_pcap:
	pcap_close(p);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"times", required_argument, NULL, 't'},
	    {"head", required_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long times = 1;
	unsigned long long head = 0;
	int c, bad = 0;
	char *end;
	while ((c = getopt_long(argc, argv, "t:h:", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			times = strtoul(optarg, &end, 10);
			bad |= *end != '\0' || times == 0 || times > 100000;
			break;
		case 'h':
			head = strtoull(optarg, &end, 10);
			bad |= *end != '\0';
			break;
		default: bad = 1;
		}
	}
	if (bad || optind != argc - 2) {
		fprintf(stderr, "usage: bench_pcapcat [--times K] [--head N] IN.pcap OUT.pcap\n");
		return 2;
	}
	struct frames fs = {0};
	int rc = 1;
	int linktype = frames_load(&fs, argv[optind], head);
	if (linktype < 0)
		goto free_frames;
	if (frames_write(&fs, linktype, argv[optind + 1], (uint32_t)times))
		goto free_frames;
	printf("frames=%zu skipped=%" PRIu64 " written=%" PRIu64 "\n", fs.n, fs.skipped,
	       (uint64_t)fs.n * times);
	rc = 0;
free_frames:
	for (size_t i = 0; i < fs.n; i++)
		free(fs.f[i].data);
	free(fs.f);
	return rc;
}
