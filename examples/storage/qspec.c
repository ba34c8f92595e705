/*
 * qspec.c: the storage example's quorum functions and write timestamps.
 * See qspec.h.
 */
#include "examples/storage/qspec.h"

#include <stdatomic.h>
#include <time.h>

/*
 * read_newest: once a majority of the configuration answered, the reply
 * with the highest timestamp. Any majority overlaps the majority that took
 * the last successful write, so it holds that write or a newer one.
 */
static bool
read_newest(void *arg, const Storage__ReadRequest *req,
            const storage__state_qreply *replies, size_t nreplies,
            const gorums_qin *in, const Storage__State **result)
{
	const Storage__State *newest = NULL;

	(void) arg;
	(void) req;
	if (nreplies <= in->nconfig / 2) {
		return (false);
	}
	for (size_t i = 0; i < nreplies; i++) {
		if (newest == NULL ||
		    replies[i].msg->timestamp > newest->timestamp) {
			newest = replies[i].msg;
		}
	}
	*result = newest;
	return (true);
}

/*
 * write_majority: done once a majority of the configuration answered. The
 * result is one of the replies: a "new" one if a majority took the write,
 * else one that did not take it (there is one: more than half answered and
 * at most half said new). Choosing a reply needs no allocation; a
 * function could also build a result in in->alloc.
 */
static bool
write_majority(void *arg, const Storage__State *req,
               const storage__write_response_qreply *replies, size_t nreplies,
               const gorums_qin *in, const Storage__WriteResponse **result)
{
	size_t nnew = 0;
	bool   taken;

	(void) arg;
	(void) req;
	if (nreplies <= in->nconfig / 2) {
		return (false);
	}
	for (size_t i = 0; i < nreplies; i++) {
		nnew += replies[i].msg->new_ ? 1 : 0;
	}
	taken = nnew > in->nconfig / 2;
	for (size_t i = 0; i < nreplies; i++) {
		if ((bool) replies[i].msg->new_ == taken) {
			*result = replies[i].msg;
			break;
		}
	}
	return (true);
}

const storage_qspec kv_qspec = {
    .arg      = NULL,
    .read_qc  = read_newest,
    .write_qc = write_majority,
};

int64_t
kv_timestamp(void)
{
	static atomic_int_least64_t last;
	struct timespec             now;
	int64_t                     ts, prev;

	(void) clock_gettime(CLOCK_REALTIME, &now);
	ts   = (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
	prev = atomic_load(&last);
	do {
		if (ts <= prev) {
			ts = prev + 1;
		}
	} while (!atomic_compare_exchange_weak(&last, &prev, ts));
	return (ts);
}
