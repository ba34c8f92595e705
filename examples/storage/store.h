/*
 * store.h: the server side of the storage example: a gorums server whose
 * Storage handlers keep, per key, a value and its timestamp.
 *
 * A write is taken only if its timestamp is newer than the key's (a key
 * without a value has timestamp 0), so replicas that see writes in any
 * order, or twice, end with the newest one. Handlers of different
 * connections run on different threads, several at a time, so the state
 * sits behind a mutex.
 */
#ifndef EXAMPLES_STORAGE_STORE_H
#define EXAMPLES_STORAGE_STORE_H

#include <stdbool.h>
#include <stdio.h>

#include "examples/storage/storage.gorums.h"

typedef struct kv_server kv_server;

/*
 * kv_server_open makes a server with the Storage handlers and empty state.
 * If log is not NULL, each request is logged there as "name: ...".
 */
gorums_err kv_server_open(kv_server **sp, const char *name, FILE *log);

/*
 * kv_server_listen starts accepting on url (tcp://127.0.0.1:0 lets the
 * system pick the port); kv_server_url is then the bound URL.
 */
gorums_err kv_server_listen(kv_server *s, const char *url);

/* kv_server_url is the URL of the first listener ("" before listen). */
const char *kv_server_url(const kv_server *s);

/*
 * kv_server_close closes every connection at once (as if the process
 * died: clients see their streams break) and frees s with its state.
 */
void kv_server_close(kv_server *s);

#endif /* EXAMPLES_STORAGE_STORE_H */
