/*
 * raw.h: the floor of the benchmark (rows RawQuorumCall and
 * RawAsyncQuorumCall): what a simple nng client with callback hand-offs
 * reaches on this machine in the same run. Quorum calls written by hand
 * on nng_stream, with no gorums code at all, against echo servers of
 * their own in this process, so that the gorums rows can be read as
 * ratios to it.
 *
 * Wire: a frame is a 4-byte little-endian length (of what follows it),
 * an 8-byte little-endian call id and the payload; a server echoes every
 * frame unchanged, so the payload travels both ways.
 *
 * Sends, at both ends: each stream has a send queue, a byte buffer under
 * a mutex. A sender appends its bytes and goes on, never waiting for the
 * send: if none is in flight it starts one with all the queue holds, and
 * the send's callback (an aio callback) starts the next with whatever
 * accumulated meanwhile, so the frames queued during one write go out
 * together in the next. With one call in flight at most (max_calls 1)
 * nothing could coalesce, and both ends send synchronously instead, under
 * the mutex, saving the callback's thread wake-up.
 * Client: one stream per server; a caller queues its frame to each server
 * and waits only for the quorum. One reader per stream (an aio callback)
 * parses the replies, finds the call's slot by id, counts, and at the
 * quorum wakes the blocked caller or runs the async callback.
 * Server: one reader per accepted stream (an aio callback) echoes all the
 * complete frames of one read with one append to its stream's queue.
 */
#ifndef BENCH_RAW_H
#define BENCH_RAW_H

#include <stdint.h>

typedef struct raw_client raw_client;

/*
 * raw_cb is an async call's completion: it runs once, on an nng thread,
 * when the quorum has replied; start_ns (gts_now_ns) is when the call
 * started, after any wait for room.
 */
typedef void (*raw_cb)(void *arg, uint64_t start_ns);

/*
 * raw_open starts nservers raw echo servers in this process on
 * tcp://127.0.0.1:0 and connects the client to each. A call completes
 * with quorum replies; requests and replies carry payload bytes; at most
 * max_calls calls are in flight (a caller beyond waits for room). Exits
 * the program on failure (it is a benchmark).
 */
raw_client *raw_open(int nservers, int quorum, int payload, int max_calls);

/* raw_call makes one quorum call and returns at the quorum. Any thread. */
void raw_call(raw_client *rc);

/*
 * raw_call_async starts a quorum call and returns once it is queued;
 * cb(arg, start_ns) runs at the quorum. Any thread.
 */
void raw_call_async(raw_client *rc, raw_cb cb, void *arg);

/*
 * raw_close closes the connections and the servers and frees it all.
 * Every call must have completed (raw_call returned, cb run); replies
 * beyond the quorum may still be on their way.
 */
void raw_close(raw_client *rc);

#endif /* BENCH_RAW_H */
