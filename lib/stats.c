#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "io.h"
#include "stats.h"
#include "ts.h"

#define PROGRESS_MS 500

void
stats_init(struct stats *s, const char *tool, const struct cli *c)
{
	memset(s, 0, sizeof *s);
	s->tool = tool;
	s->cli = c;
	s->start_ms = s->last_ms = ts_mono_ms();
	s->lag = -1;
}

uint64_t *
stats_counter(struct stats *s, const char *name)
{
	int i;

	for (i = 0; i < s->nextra; i++)
		if (strcmp(s->extra[i].name, name) == 0)
			return &s->extra[i].value;
	if (s->nextra == STATS_MAX_EXTRA)
		fs_errx(EXIT_FAIL, "too many counters (adding '%s')", name);
	s->extra[s->nextra].name = name;
	s->extra[s->nextra].value = 0;
	return &s->extra[s->nextra++].value;
}

void
stats_reader(struct stats *s, struct io_in *r)
{
	s->reader = r;
}

static void
line(struct stats *s, struct buf *b, int final, int64_t now)
{
	double el = (double)(now - s->start_ms) / 1000.0;
	int i;

	buf_add(b, "{\"tool\":", 8);
	json_strz(b, s->tool);
	buf_add(b, ",\"final\":", 9);
	json_bool(b, final);
	buf_add(b, ",\"elapsed_s\":", 13);
	json_fixed(b, el, 3);
#define NUM(name, v) do { buf_add(b, ",\"" name "\":", sizeof(name) + 3); json_uint(b, v); } while (0)
	NUM("in", s->in);
	NUM("out", s->out);
	NUM("rejected", s->rejected);
	NUM("dropped", s->dropped);
	NUM("duplicates", s->duplicates);
#undef NUM
	buf_add(b, ",\"rate\":", 8);
	json_fixed(b, el > 0 ? (double)(s->in > s->out ? s->in : s->out) / el : 0, 1);
	if (s->lag >= 0) {
		buf_add(b, ",\"consumer_lag\":", 16);
		json_uint(b, (uint64_t)s->lag);
	}
	for (i = 0; i < s->nextra; i++) {
		buf_addc(b, ',');
		json_key(b, s->extra[i].name);
		json_uint(b, s->extra[i].value);
	}
	buf_add(b, "}\n", 2);
}

static void
clear_progress(struct stats *s)
{
	if (s->progress) {
		fputs("\r\033[K", stderr);
		s->progress = 0;
	}
}

static void
emit(struct stats *s, int final, int64_t now)
{
	struct buf b = BUF_INIT;

	clear_progress(s);
	line(s, &b, final, now);
	fwrite(b.p, 1, b.len, stderr);
	fflush(stderr);
	buf_free(&b);
}

static void
progress(struct stats *s)
{
	uint64_t done, total;

	io_progress(s->reader, &done, &total);
	if (total == 0)
		return;
	fprintf(stderr, "\r\033[K%s: %3.0f%%  %llu records", s->tool,
	    100.0 * (double)done / (double)total, (unsigned long long)s->in);
	fflush(stderr);
	s->progress = 1;
}

static int
write_metrics(struct stats *s)
{
	struct buf b = BUF_INIT, tmp = BUF_INIT;
	const char *path = s->cli->metrics_file;
	FILE *f;
	int i, rc = 0;

#define M(name, v) buf_addf(&b, "# TYPE flightstream_%s_total counter\n" \
    "flightstream_%s_total{tool=\"%s\"} %llu\n", name, name, s->tool, (unsigned long long)(v))
	M("records_in", s->in);
	M("records_out", s->out);
	M("records_rejected", s->rejected);
	M("records_dropped", s->dropped);
	M("records_duplicate", s->duplicates);
	for (i = 0; i < s->nextra; i++)
		M(s->extra[i].name, s->extra[i].value);
#undef M
	if (s->lag >= 0)
		buf_addf(&b, "# TYPE flightstream_consumer_lag gauge\n"
		    "flightstream_consumer_lag{tool=\"%s\"} %lld\n", s->tool, (long long)s->lag);
	/* Write a temporary file beside the target, then rename: readers never see half a file. */
	buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if ((f = fopen(buf_cstr(&tmp), "w")) == NULL) {
		fs_warn("cannot write metrics to '%s'", buf_cstr(&tmp));
		rc = -1;
	} else {
		if (fwrite(b.p, 1, b.len, f) != b.len)
			rc = -1;
		if (fclose(f) != 0)
			rc = -1;
		if (rc == 0 && rename(tmp.p, path) != 0)
			rc = -1;
		if (rc != 0) {
			fs_warn("cannot write metrics to '%s'", path);
			unlink(tmp.p);
		}
	}
	buf_free(&b);
	buf_free(&tmp);
	return rc;
}

/*
 * read_lag asks the reader for its consumer lag, only when a line or
 * the metrics file is about to say it, not at every poll (every 1024
 * records): for Kafka it walks the assigned partitions, taking a lock
 * for each.
 */
static void
read_lag(struct stats *s)
{
	if (s->reader != NULL)
		s->lag = io_lag(s->reader);
}

void
stats_poll(struct stats *s)
{
	int64_t now = ts_mono_ms();

	if (s->cli->stats && s->cli->stats_ms > 0 && now - s->last_ms >= s->cli->stats_ms) {
		s->last_ms = now;
		read_lag(s);
		emit(s, 0, now);
		if (s->cli->metrics_file != NULL)
			write_metrics(s);
	} else if (s->cli->metrics_file != NULL && now - s->last_ms >= 10000) {
		s->last_ms = now;
		read_lag(s);
		write_metrics(s);
	} else if (s->reader != NULL && s->cli->verbose >= 0 && isatty(2) &&
	    now - s->last_ms >= PROGRESS_MS) {
		s->last_ms = now;
		progress(s);
	}
}

void
stats_output(struct stats *s, struct io_out *w)
{
	s->writer = w;
}

void
stats_idle(void *arg)
{
	struct stats *s = arg;

	if (s->writer != NULL)
		io_flush(s->writer);
	stats_poll(s);
}

void
stats_closed(struct stats *s, int64_t lag)
{
	s->reader = NULL;
	if (lag >= 0)
		s->lag = lag;	/* the reader's last word */
}

void
stats_tick(struct stats *s)
{
	stats_tick_inline(s);
}

int
stats_final(struct stats *s)
{
	int64_t now = ts_mono_ms();
	int rc = 0;

	clear_progress(s);
	if (s->cli->stats)
		emit(s, 1, now);
	else if (s->cli->verbose >= 0 && (s->duplicates > 0 || s->dropped > 0))
		/* Nothing goes unsaid: records left out of the output are counted aloud. */
		fs_warnx("%llu of %llu records left out: %llu duplicate%s, %llu dropped",
		    (unsigned long long)(s->duplicates + s->dropped), (unsigned long long)s->in,
		    (unsigned long long)s->duplicates, s->duplicates == 1 ? "" : "s",
		    (unsigned long long)s->dropped);
	if (s->cli->metrics_file != NULL)
		rc = write_metrics(s);
	return rc;
}
