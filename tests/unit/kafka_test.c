/*
 * Tests of lib/kprod and lib/kcons against librdkafka's own
 * Kafka-protocol broker (rdkafka_mock.h), started in this process: the
 * producer delivers every record and fails closing when one was not;
 * the consumer hands out each message with its token, and a group
 * member that closes with records still held makes the next member
 * read them again, while finished ones are not read twice.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "err.h"
#include "kcons.h"
#include "kprod.h"
#include "ledger.h"
#include "t.h"

#define NREC 200

static struct kafka_opts opts;
static int held[NREC];	/* the records the first member kept */

static void
opts_for(const char *brokers, const char *group)
{
	memset(&opts, 0, sizeof opts);
	opts.brokers = brokers;
	opts.group = group;
	opts.offset = NULL;
	opts.exit_at_end = 1;
	opts.props[opts.nprops++] = "session.timeout.ms=6000";
	opts.props[opts.nprops++] = "heartbeat.interval.ms=500";
}

/* consume reads the topic to its end; keep_every > 0: hold every such record and never release. */
static int
consume(const char *brokers, const char *group, int keep_every, int *seen)
{
	struct kafka_in *k;
	struct line l;
	int64_t lag;
	int n = 0, rc, i = -1;

	opts_for(brokers, group);
	if ((k = kafka_in_open(&opts, "t", 0, 1)) == NULL)
		return -1;
	while ((rc = kafka_in_read(k, &l, NULL, NULL)) != 0) {
		if (rc < 0)
			continue;
		i = -1;
		if (sscanf(l.p, "{\"icao24\":\"%*6c\",\"n\":%d}", &i) == 1 && i >= 0 && i < NREC)
			seen[i]++;
		if (n == 0)
			t_ok(l.tok != 0, "a message read from Kafka carries a token");
		if (keep_every > 0 && n % keep_every == 0 && i >= 0 && i < NREC) {
			ledger_hold(l.tok);
			held[i] = 1;
		}
		n++;
	}
	kafka_in_close(k, &lag);
	printf("# %s: %d read, lag at close %lld\n", group, n, (long long)lag);
	return n;
}

int
main(void)
{
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	struct kafka_out *o;
	char err[512], rec[64];
	const char *brokers;
	int seen[NREC], i, n, missing, twice;

	progname = "kafka_test";
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err)) == NULL ||
	    (mc = rd_kafka_mock_cluster_new(rk, 1)) == NULL) {
		t_ok(0, "the mock cluster starts");
		return t_done();
	}
	rd_kafka_mock_topic_create(mc, "t", 4, 1);
	brokers = rd_kafka_mock_cluster_bootstraps(mc);

	/* The producer. */
	opts_for(brokers, NULL);
	o = kafka_out_open(&opts, "t", "icao24");
	t_ok(o != NULL, "kafka_out_open");
	if (o == NULL)
		return t_done();
	for (i = 0; i < NREC; i++) {
		n = snprintf(rec, sizeof rec, "{\"icao24\":\"%06x\",\"n\":%d}\n", 0x400000 + i % 17, i);
		if (kafka_out_write(o, rec, (size_t)n, NULL, 0) != 0)
			break;
	}
	t_int(NREC, i, "every record is queued");
	t_int(0, kafka_out_flush(o), "kafka_out_flush: every record acknowledged");
	t_int(0, kafka_out_close(o), "kafka_out_close: nothing undelivered");

	opts_for(brokers, NULL);
	opts.props[opts.nprops++] = "message.max.bytes=1000";
	opts.props[opts.nprops++] = "message.timeout.ms=2000";
	o = kafka_out_open(&opts, "t", NULL);
	{
		static char big[5000];

		memset(big, 'x', sizeof big);
		t_stderr_begin();
		n = kafka_out_write(o, big, sizeof big, NULL, 0);
		kafka_out_flush(o);
		t_int(-1, kafka_out_close(o), "a record the producer refuses: kafka_out_close fails");
		free(t_stderr_end());
		(void)n;
	}

	/* The consumer: the first member holds some records and closes. */
	memset(seen, 0, sizeof seen);
	t_int(NREC, consume(brokers, "g", 50, seen), "the first member reads every record");
	for (i = 0, missing = 0; i < NREC; i++)
		missing += seen[i] != 1;
	t_int(0, missing, "each record once");
	/* The next member of the group reads what was held again, and little else. */
	memset(seen, 0, sizeof seen);
	n = consume(brokers, "g", 0, seen);
	t_ok(n > 0 && n < NREC, "the second member reads again from the records held (%d)", n);
	for (i = 0, missing = 0; i < NREC; i++)
		missing += held[i] && seen[i] == 0;
	t_int(0, missing, "every record held was read again");
	/* All released now: a third member finds nothing. */
	memset(seen, 0, sizeof seen);
	t_int(0, consume(brokers, "g", 0, seen), "after a member that finished everything, nothing is read again");
	/* Another group reads it all. */
	memset(seen, 0, sizeof seen);
	consume(brokers, "h", 0, seen);
	for (i = 0, missing = twice = 0; i < NREC; i++) {
		missing += seen[i] == 0;
		twice += seen[i] > 1;
	}
	t_ok(missing == 0 && twice == 0, "another group reads every record once (%d missing, %d twice)",
	    missing, twice);

	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return t_done();
}
