/*
 * push: Server-Sent Events, a snapshot on connect, then a frame of
 * changes every --push-interval.
 *
 * The last PUSH_QUEUE frames published are kept in one ring, shared by
 * every client and freed when no client is sending them: a client is a
 * cursor, the number of the next frame it needs, so publishing costs
 * the same for one client or a thousand. A client that fell behind the
 * ring is coalesced: it is sent one frame of everything that changed
 * since the last frame it had, made from the picture (state_frame), and
 * goes on from there. One that falls PUSH_QUEUE frames further behind
 * before it has even taken that frame is dropped (its socket shut, which
 * libmicrohttpd sees at once), and counted. A client with nothing to
 * send is suspended, and resumed by the next frame.
 *
 * Lock order: the state lock, then push's own; never the other way.
 */
#include <sys/socket.h>

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

struct frame {
	int refs;
	int snapshot;
	uint64_t seq;
	size_t len;
	char data[];
};

struct client {
	struct client *prev, *next;
	struct MHD_Connection *conn;
	struct frame *cur;	/* being sent */
	size_t off;
	uint64_t next_seq;	/* the next frame of the ring it needs */
	uint64_t lagging;	/* the frame at which it fell behind the ring, 0: not */
	int suspended;
};

static struct {
	pthread_mutex_t lock;
	pthread_mutex_t *st_lock;
	struct sstate *st;
	uint64_t boot;
	struct frame *ring[PUSH_QUEUE];	/* frame seq is at seq % PUSH_QUEUE */
	uint64_t newest;		/* seq of the newest frame in the ring, 0 none */
	struct frame *snap;		/* the latest snapshot, shared */
	struct client *clients;
	int stopping;
	struct push_counts c;
} P = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
push_init(struct sstate *st, pthread_mutex_t *lock, uint64_t boot)
{
	P.st = st;
	P.st_lock = lock;
	P.boot = boot;
}

static void
unref(struct frame *f)
{
	if (f != NULL && --f->refs == 0)
		free(f);
}

/* make_frame wraps a JSON frame as one event: id, event type, data. */
static struct frame *
make_frame(uint64_t seq, int snapshot, const char *json, size_t n)
{
	struct buf b = BUF_INIT;
	struct frame *f;

	buf_addf(&b, "id: %llu-%llu\nevent: %s\ndata: ", (unsigned long long)P.boot,
	    (unsigned long long)seq, snapshot ? "snapshot" : "delta");
	buf_add(&b, json, n);
	buf_add(&b, "\n\n", 2);
	f = xmalloc(sizeof *f + b.len);
	f->refs = 1;
	f->snapshot = snapshot;
	f->seq = seq;
	f->len = b.len;
	memcpy(f->data, b.p, b.len);
	buf_free(&b);
	return f;
}

/*
 * since_frame makes, under the state lock, the frame of all that
 * changed after frame since (everything when 0 or too old). Snapshots
 * are shared: a thousand clients that connect within one interval cost
 * one.
 */
static struct frame *
since_frame(uint64_t since)
{
	struct buf b = BUF_INIT;
	struct scounts c;
	struct frame *f = NULL;
	int snap;

	pthread_mutex_lock(P.st_lock);
	state_counts(P.st, &c);
	pthread_mutex_lock(&P.lock);
	if (!state_delta_ok(P.st, since) && P.snap != NULL && P.snap->seq == c.seq) {
		f = P.snap;
		f->refs++;
	}
	pthread_mutex_unlock(&P.lock);
	if (f != NULL) {
		pthread_mutex_unlock(P.st_lock);
		return f;
	}
	state_frame(P.st, since, &b, &snap);
	pthread_mutex_unlock(P.st_lock);
	f = make_frame(c.seq, snap, b.p, b.len);
	buf_free(&b);
	if (snap) {
		pthread_mutex_lock(&P.lock);
		unref(P.snap);
		P.snap = f;
		f->refs++;
		pthread_mutex_unlock(&P.lock);
	}
	return f;
}

static void
drop(struct client *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL)
		shutdown(ci->connect_fd, SHUT_RDWR);
	c->lagging = UINT64_MAX;	/* dropped: counted once */
	P.c.dropped++;
}

/*
 * reader is libmicrohttpd's content callback: the rest of the frame
 * being sent, else the next frame the client needs (from the ring, or
 * coalesced), else suspend until push_publish.
 */
static ssize_t
reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct client *c = cls;
	struct frame *f;
	uint64_t since;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&P.lock);
	if (c->lagging == UINT64_MAX) {
		pthread_mutex_unlock(&P.lock);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (c->cur != NULL && c->off == c->cur->len) {
		P.c.events++;
		unref(c->cur);
		c->cur = NULL;
	}
	if (c->cur == NULL && c->next_seq <= P.newest) {
		f = P.ring[c->next_seq % PUSH_QUEUE];
		if (P.newest - c->next_seq < PUSH_QUEUE && f != NULL && f->seq == c->next_seq) {
			c->cur = P.ring[c->next_seq % PUSH_QUEUE];
			c->cur->refs++;
			c->next_seq++;
		} else {
			/* Behind the ring: one frame of the latest state instead. */
			since = c->next_seq - 1;
			pthread_mutex_unlock(&P.lock);
			f = since_frame(since);
			pthread_mutex_lock(&P.lock);
			c->cur = f;
			if (f->seq + 1 > c->next_seq)
				c->next_seq = f->seq + 1;
			c->lagging = 0;
			P.c.coalesced++;
		}
		c->off = 0;
	}
	if (c->cur == NULL) {
		if (P.stopping) {
			pthread_mutex_unlock(&P.lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		c->suspended = 1;
		MHD_suspend_connection(c->conn);
		pthread_mutex_unlock(&P.lock);
		return 0;
	}
	n = c->cur->len - c->off < max ? c->cur->len - c->off : max;
	memcpy(buf, c->cur->data + c->off, n);
	c->off += n;
	P.c.bytes += n;
	pthread_mutex_unlock(&P.lock);
	return (ssize_t)n;
}

static void
client_free(void *cls)
{
	struct client *c = cls;

	pthread_mutex_lock(&P.lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		P.clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	unref(c->cur);
	P.c.clients--;
	pthread_mutex_unlock(&P.lock);
	free(c);
}

/* parse_last reads "BOOT-SEQ"; 0 when it is not one of this run's ids. */
static uint64_t
parse_last(const char *s)
{
	unsigned long long boot, seq;
	int n;

	if (s == NULL || sscanf(s, "%llu-%llu%n", &boot, &seq, &n) != 2 || s[n] != '\0' ||
	    boot != P.boot)
		return 0;
	return seq;
}

struct MHD_Response *
push_response(struct MHD_Connection *conn, const char *last)
{
	struct MHD_Response *r;
	struct client *c;
	struct frame *f;
	uint64_t since = parse_last(last);

	if (P.stopping)
		return NULL;
	f = since_frame(since);
	c = xcalloc(1, sizeof *c);
	c->conn = conn;
	c->cur = f;
	c->next_seq = f->seq + 1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, reader, c, client_free);
	if (r == NULL) {
		unref(f);
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&P.lock);
	c->next = P.clients;
	if (P.clients != NULL)
		P.clients->prev = c;
	P.clients = c;
	P.c.clients++;
	P.c.connected++;
	if (since > 0 && !f->snapshot)
		P.c.resumed++;
	pthread_mutex_unlock(&P.lock);
	return r;
}

void
push_publish(uint64_t seq, int snapshot, const char *json, size_t n)
{
	struct frame *f = make_frame(seq, snapshot, json, n), **slot;
	struct client *c;
	uint64_t evicted;

	pthread_mutex_lock(&P.lock);
	slot = &P.ring[seq % PUSH_QUEUE];
	evicted = *slot != NULL ? (*slot)->seq : 0;
	unref(*slot);
	*slot = f;
	P.newest = seq;
	P.c.frames++;
	for (c = P.clients; c != NULL; c = c->next) {
		if (c->suspended) {
			c->suspended = 0;
			MHD_resume_connection(c->conn);
		}
		if (evicted == 0 || c->next_seq > evicted || c->lagging == UINT64_MAX)
			continue;
		/* It still needs a frame that just left the ring. */
		if (c->lagging == 0)
			c->lagging = seq;
		else if (seq - c->lagging >= PUSH_QUEUE)
			drop(c);
	}
	pthread_mutex_unlock(&P.lock);
}

int
push_listening(void)
{
	int n;

	pthread_mutex_lock(&P.lock);
	n = P.clients != NULL;
	pthread_mutex_unlock(&P.lock);
	return n;
}

void
push_stop(void)
{
	struct client *c;

	pthread_mutex_lock(&P.lock);
	P.stopping = 1;
	for (c = P.clients; c != NULL; c = c->next)
		if (c->suspended) {
			c->suspended = 0;
			MHD_resume_connection(c->conn);
		}
	pthread_mutex_unlock(&P.lock);
}

void
push_free(void)
{
	int i;

	for (i = 0; i < PUSH_QUEUE; i++) {
		unref(P.ring[i]);
		P.ring[i] = NULL;
	}
	unref(P.snap);
	P.snap = NULL;
}

void
push_counts(struct push_counts *c)
{
	pthread_mutex_lock(&P.lock);
	*c = P.c;
	pthread_mutex_unlock(&P.lock);
}
