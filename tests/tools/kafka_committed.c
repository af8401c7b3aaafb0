/*
 * kafka_committed: the offsets a consumer group has committed, for the tests.
 *
 * usage: kafka_committed BROKERS GROUP TOPIC PARTITIONS
 *
 * Prints one line "PARTITION OFFSET" for each partition 0..PARTITIONS-1
 * of TOPIC: the next offset the group reads there, or -1001 when the
 * group committed nothing for it. It asks the group's coordinator
 * (OffsetFetch) without joining the group, so it disturbs no member:
 * a test runs it after a kill -9 to learn where the next member of the
 * group starts. Exit 1 (with a message) when the broker does not answer
 * in 10 s.
 */
#include <stdio.h>
#include <stdlib.h>

#include <librdkafka/rdkafka.h>

int
main(int argc, char **argv)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char errstr[512];
	int i, n;

	if (argc != 5 || (n = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: kafka_committed BROKERS GROUP TOPIC PARTITIONS\n");
		return 2;
	}
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "group.id", argv[2], errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "kafka_committed: %s\n", errstr);
		return 2;
	}
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr)) == NULL) {
		fprintf(stderr, "kafka_committed: %s\n", errstr);
		return 1;
	}
	l = rd_kafka_topic_partition_list_new(n);
	for (i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, argv[3], i);
	if ((err = rd_kafka_committed(rk, l, 10000)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "kafka_committed: %s\n", rd_kafka_err2str(err));
		return 1;
	}
	for (i = 0; i < l->cnt; i++) {
		if (l->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr, "kafka_committed: %s[%d]: %s\n", argv[3], i,
			    rd_kafka_err2str(l->elems[i].err));
			return 1;
		}
		printf("%d %lld\n", (int)l->elems[i].partition, (long long)l->elems[i].offset);
	}
	rd_kafka_topic_partition_list_destroy(l);
	/* Not rd_kafka_consumer_close: it never joined, and must not leave a group either. */
	rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	return 0;
}
