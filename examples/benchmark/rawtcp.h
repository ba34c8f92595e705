/*
 * rawtcp.h: the floor under the floor (row RawTCPQuorumCall): the same
 * 3-node quorum call as raw.h's, on plain blocking TCP sockets, with no
 * nng and no runtime at all. It answers one question in the same run as
 * the other rows: how fast can a quorum call be on this machine when a
 * call costs nothing but its system calls and the wake-ups of the threads
 * blocked in them? Issue 4 quotes it ("raw blocking TCP doing the same
 * 3-node fan-out reaches p50 31 us at concurrency 1").
 *
 * Wire: as raw.h (4-byte little-endian length of what follows, 8-byte
 * call id, payload); a server echoes every frame.
 *
 * Client: each calling thread has its own caller, with its own connection
 * to every server (so no two threads ever share a socket or a lock). A
 * call writes its frame to every connection, then polls them and reads
 * until quorum replies carry its id; replies of earlier calls that arrive
 * late are read and dropped. Server: a thread per accepted connection
 * reads and echoes all the complete frames of one read in one write.
 *
 * There is no async form: with blocking sockets one thread makes one call
 * at a time, which is the point of the comparison.
 */
#ifndef BENCH_RAWTCP_H
#define BENCH_RAWTCP_H

typedef struct rawtcp        rawtcp;
typedef struct rawtcp_caller rawtcp_caller;

/*
 * rawtcp_open starts nservers echo servers in this process on
 * 127.0.0.1, port 0. A call completes with quorum replies; requests and
 * replies carry payload bytes. Exits the program on failure (it is a
 * benchmark).
 */
rawtcp *rawtcp_open(int nservers, int quorum, int payload);

/*
 * rawtcp_caller_open connects a new caller to every server. The caller
 * is for one thread at a time; rawtcp_close frees it. Any thread.
 */
rawtcp_caller *rawtcp_caller_open(rawtcp *t);

/* rawtcp_call makes one quorum call on c and returns at the quorum. */
void rawtcp_call(rawtcp_caller *c);

/*
 * rawtcp_close closes every caller and connection, stops the servers and
 * frees it all. No call may be running.
 */
void rawtcp_close(rawtcp *t);

#endif /* BENCH_RAWTCP_H */
