/*
 * kafka_mock: librdkafka's built-in Kafka-protocol broker, for the tests.
 *
 * usage: kafka_mock [-n BROKERS] [TOPIC:PARTITIONS ...]
 *
 * Starts a mock cluster of BROKERS brokers (default 1) listening on
 * loopback, makes the topics, prints the bootstrap servers on one line
 * of stdout and then serves until stdin ends or SIGTERM. Commands on
 * stdin, one per line, each answered by "ok" or "error ..." on stdout:
 *
 *	topic NAME PARTITIONS	make a topic
 *	down ID | up ID		take a broker down (connections refused) or up
 *	error TOPIC CODE	make the topic answer with a Kafka error code
 *	quit
 *
 * This is the same broker librdkafka's own tests use (rdkafka_mock.h):
 * produce, fetch, consumer groups, offset commits and idempotence.
 *
 * Where it differs from Kafka (librdkafka 2.0.2), and the tests allow:
 *	- each partition keeps only its last 5 MiB (or 100,000 message
 *	  sets): older messages vanish, as with a short retention;
 *	- a new group forms after 3 s; a member joining after another left
 *	  or died waits session.timeout.ms - 1 s;
 *	- while a group is rejoining, offset commits are refused
 *	  (REBALANCE_IN_PROGRESS; Kafka takes them until the join ends), so
 *	  a revoked partition's last offsets may not be committed;
 *	- topics are made on first use (a producer's metadata request).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	stop = 1;
}

static int
make_topic(rd_kafka_mock_cluster_t *mc, const char *spec)
{
	char name[256];
	int parts = 1;
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);

	if (n == 0 || n >= sizeof name)
		return -1;
	memcpy(name, spec, n);
	name[n] = '\0';
	if (colon != NULL && (parts = atoi(colon + 1)) < 1)
		return -1;
	return rd_kafka_mock_topic_create(mc, name, parts, 1) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

int
main(int argc, char **argv)
{
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	struct sigaction sa;
	char err[512], line[512], arg[256];
	int nbrokers = 1, ch, i, id, code;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n' || (nbrokers = atoi(optarg)) < 1) {
			fprintf(stderr, "usage: kafka_mock [-n BROKERS] [TOPIC:PARTITIONS ...]\n");
			return 2;
		}
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: a read on stdin ends */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err)) == NULL) {
		fprintf(stderr, "kafka_mock: %s\n", err);
		return 1;
	}
	if ((mc = rd_kafka_mock_cluster_new(rk, nbrokers)) == NULL) {
		fprintf(stderr, "kafka_mock: cannot start the mock cluster\n");
		return 1;
	}
	for (i = optind; i < argc; i++)
		if (make_topic(mc, argv[i]) != 0) {
			fprintf(stderr, "kafka_mock: cannot make topic '%s'\n", argv[i]);
			return 1;
		}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (!stop && fgets(line, sizeof line, stdin) != NULL) {
		int ok = -1;

		if (sscanf(line, "topic %255s", arg) == 1) {
			char *sp = strchr(line + 6, ' ');

			if (sp != NULL) {
				snprintf(line, sizeof line, "%s:%d", arg, atoi(sp + 1));
				ok = make_topic(mc, line);
			}
		} else if (sscanf(line, "down %d", &id) == 1)
			ok = rd_kafka_mock_broker_set_down(mc, id) ? -1 : 0;
		else if (sscanf(line, "up %d", &id) == 1)
			ok = rd_kafka_mock_broker_set_up(mc, id) ? -1 : 0;
		else if (sscanf(line, "error %255s %d", arg, &code) == 2) {
			rd_kafka_mock_topic_set_error(mc, arg, (rd_kafka_resp_err_t)code);
			ok = 0;
		} else if (strncmp(line, "quit", 4) == 0)
			break;
		printf(ok == 0 ? "ok\n" : "error %s", ok == 0 ? "" : line);
		fflush(stdout);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
