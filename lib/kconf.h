/*
 * kconf: the configuration every Kafka handle of a program shares.
 *
 * struct kafka_opts is plain data that the option parser fills: -b,
 * -G, --offset, -e, -v and every -X name=value in order. kconf_new
 * makes a librdkafka configuration from it: the brokers (-b, else
 * $FS_KAFKA_BROKERS, else localhost:9092), the program's name as
 * client.id, our log callback, then whatever the caller sets, then the
 * user's -X properties, which win (kconf_apply). The options are the
 * caller's and must outlive every handle made from them.
 */
#ifndef FS_KCONF_H
#define FS_KCONF_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#define KAFKA_MAX_PROPS 64

struct kafka_opts {
	const char *brokers;	/* -b */
	const char *group;	/* -G; else $FS_KAFKA_GROUP; else the program's name */
	const char *offset;	/* --offset beginning|end|stored, or NULL */
	int exit_at_end;	/* -e */
	int verbose;		/* -v: show librdkafka's log */
	int say_waits;		/* -v or --stats: say why no records come (kcons.h) */
	const char *props[KAFKA_MAX_PROPS];	/* -X name=value, in order */
	int nprops;
};

/* kconf_check checks every -X against librdkafka's names and values; -1 (message printed) if one is wrong. */
int kconf_check(const struct kafka_opts *o);

/* kconf_new makes a configuration with our defaults; NULL (message printed) on failure. */
rd_kafka_conf_t *kconf_new(const struct kafka_opts *o);

/* kconf_set sets one property; -1 with a message. */
int kconf_set(rd_kafka_conf_t *conf, const char *name, const char *value);

/* kconf_apply sets the user's -X properties over the defaults set before; -1 with a message. */
int kconf_apply(const struct kafka_opts *o, rd_kafka_conf_t *conf);

/* kconf_given tells whether the user gave -X name=... */
int kconf_given(const struct kafka_opts *o, const char *name);

/* kconf_size reads a numeric property; def when unset or not a positive number. */
size_t kconf_size(rd_kafka_conf_t *conf, const char *name, size_t def);

const char *kconf_brokers(const struct kafka_opts *o);

/* kconf_timeout_ms is $FS_KAFKA_TIMEOUT (seconds, default 10) in ms: how long a broker or a topic may take to answer. */
int64_t kconf_timeout_ms(void);

/* kconf_reachable waits up to $FS_KAFKA_TIMEOUT seconds (10) for a broker to answer; -1 with a message. */
int kconf_reachable(rd_kafka_t *rk, const struct kafka_opts *o);

/* kconf_debug: FS_KAFKA_DEBUG is set (partition lists on stderr, librdkafka's log). */
int kconf_debug(void);

/*
 * kconf_tune_malloc keeps glibc from giving freed memory back to the
 * system at once, for programs that move many Kafka messages: they are
 * allocated by one thread and freed by another in bursts, and without
 * it the heap's top is trimmed and faulted in again thousands of times
 * a second. Only when the program asks; GLIBC_TUNABLES with malloc
 * settings wins.
 */
void kconf_tune_malloc(void);

#endif
