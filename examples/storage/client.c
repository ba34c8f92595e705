/*
 * client.c: storage_client, the interactive client of the storage example.
 *
 *   storage_client [-timeout MS] ADDR [ADDR...]
 *
 * ADDR are the servers (tcp://host:port, host:port, ipc:///path; a comma-
 * separated list works too). Commands are read from stdin, one a line;
 * `help` lists them. Quorum calls go to the current configuration, at
 * first every server; `cfg 0,2` chooses servers 0 and 2.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "examples/storage/qspec.h"

#define MAX_NODES 64

static const char help_text[] =
    "Commands (NODE is a server's index, as listed by `nodes`):\n"
    "  read KEY                  quorum read of KEY: the newest value of a "
    "majority\n"
    "  write KEY VALUE           quorum write (VALUE is the rest of the "
    "line)\n"
    "  rpc NODE read KEY         ordered RPC to one server\n"
    "  rpc NODE write KEY VALUE  ordered RPC to one server\n"
    "  multicast KEY VALUE       one-way write to every server of the "
    "configuration\n"
    "  cfg [i,j,k | all]         show or choose the configuration\n"
    "  nodes                     list the servers and their connections\n"
    "  help                      this text\n"
    "  quit                      leave (also exit, or end of input)\n";

typedef struct repl {
	gorums_mgr    *mgr;
	gorums_node   *nodes[MAX_NODES]; /* in command-line order */
	size_t         nnodes;
	gorums_config *all; /* every server */
	gorums_config *cfg; /* quorum calls go here */
	int            timeout_ms;
} repl;

/* next_word returns the next space-separated word of *sp, or NULL. */
static char *
next_word(char **sp)
{
	char *s = *sp;
	char *w;

	while (isspace((unsigned char) *s)) {
		s++;
	}
	if (*s == '\0') {
		*sp = s;
		return (NULL);
	}
	w = s;
	while (*s != '\0' && !isspace((unsigned char) *s)) {
		s++;
	}
	if (*s != '\0') {
		*s++ = '\0';
	}
	*sp = s;
	return (w);
}

/* rest returns the rest of the line, trimmed; NULL if empty. */
static char *
rest(char **sp)
{
	char  *s = *sp;
	size_t n;

	while (isspace((unsigned char) *s)) {
		s++;
	}
	n = strlen(s);
	while (n > 0 && isspace((unsigned char) s[n - 1])) {
		s[--n] = '\0';
	}
	*sp = s + n;
	return (n > 0 ? s : NULL);
}

static void
print_cfg(const repl *r)
{
	size_t n = gorums_config_size(r->cfg);

	printf("configuration:");
	for (size_t i = 0; i < r->nnodes; i++) {
		if (gorums_config_contains(r->cfg,
		                           gorums_node_id(r->nodes[i]))) {
			printf(" %zu", i);
		}
	}
	printf(" (%zu servers, a quorum is %zu)\n", n, n / 2 + 1);
}

/*
 * A failed quorum call: the error, then what each node did, in the order
 * of the command line (the call lists its nodes by id).
 */
static void
print_failure(repl *r, const char *what, gorums_call *c, gorums_err err)
{
	printf("%s failed: %s\n", what, gorums_strerror(err));
	if (c == NULL) {
		return;
	}
	printf("  %zu of %zu servers replied\n", gorums_qcall_nreplies(c),
	       gorums_qcall_nnodes(c));
	for (size_t i = 0; i < r->nnodes; i++) {
		for (size_t j = 0; j < gorums_qcall_nnodes(c); j++) {
			uint32_t   id;
			gorums_err st = gorums_qcall_node_status(c, j, &id);

			if (id != gorums_node_id(r->nodes[i])) {
				continue;
			}
			printf("  node %zu (%s): ", i,
			       gorums_node_addr(r->nodes[i]));
			if (st == GORUMS_OK) {
				printf("replied\n");
			} else if (st == GORUMS_EBUSY) {
				printf("no answer before the call ended\n");
			} else {
				printf("failed: %s\n", gorums_strerror(st));
			}
		}
	}
}

static void
cmd_read(repl *r, char *args)
{
	Storage__ReadRequest  req = STORAGE__READ_REQUEST__INIT;
	const Storage__State *st;
	gorums_call          *c = NULL;
	gorums_err            err;

	if ((req.key = next_word(&args)) == NULL) {
		printf("usage: read KEY\n");
		return;
	}
	err = storage_read_qc(r->cfg, &kv_qspec, &req, r->timeout_ms, &c);
	if (err != GORUMS_OK) {
		print_failure(r, "read", c, err);
	} else if ((st = storage_read_qc_result(c))->timestamp == 0) {
		printf("%s: no value (%zu of %zu servers replied)\n", req.key,
		       gorums_qcall_nreplies(c), gorums_qcall_nnodes(c));
	} else {
		printf("%s = \"%s\" (timestamp %" PRId64
		       "; %zu of %zu servers replied)\n",
		       req.key, st->value, st->timestamp,
		       gorums_qcall_nreplies(c), gorums_qcall_nnodes(c));
	}
	if (c != NULL) {
		gorums_call_free(c);
	}
}

static void
cmd_write(repl *r, char *args)
{
	Storage__State                req = STORAGE__STATE__INIT;
	const Storage__WriteResponse *wr;
	gorums_call                  *c = NULL;
	gorums_err                    err;

	if ((req.key = next_word(&args)) == NULL ||
	    (req.value = rest(&args)) == NULL) {
		printf("usage: write KEY VALUE\n");
		return;
	}
	req.timestamp = kv_timestamp();
	err = storage_write_qc(r->cfg, &kv_qspec, &req, r->timeout_ms, &c);
	if (err != GORUMS_OK) {
		print_failure(r, "write", c, err);
	} else if ((wr = storage_write_qc_result(c))->new_) {
		printf("write ok: a majority took %s = \"%s\" (timestamp "
		       "%" PRId64 ")\n",
		       req.key, req.value, req.timestamp);
	} else {
		printf("write answered, but no majority took it: they have a "
		       "newer value\n");
	}
	if (c != NULL) {
		gorums_call_free(c);
	}
}

static void
cmd_rpc(repl *r, char *args)
{
	char        *w = next_word(&args);
	char        *op, *end;
	long         i;
	gorums_node *n;
	gorums_err   err;

	i = w != NULL ? strtol(w, &end, 10) : -1;
	if (w == NULL || *end != '\0' || i < 0 || (size_t) i >= r->nnodes ||
	    (op = next_word(&args)) == NULL) {
		printf("usage: rpc NODE read KEY | rpc NODE write KEY VALUE "
		       "(NODE: 0..%zu)\n",
		       r->nnodes - 1);
		return;
	}
	n = r->nodes[i];
	if (strcmp(op, "read") == 0) {
		Storage__ReadRequest req = STORAGE__READ_REQUEST__INIT;
		Storage__State      *st;

		if ((req.key = next_word(&args)) == NULL) {
			printf("usage: rpc NODE read KEY\n");
			return;
		}
		err = storage_read_rpc(n, &req, r->timeout_ms, &st);
		if (err != GORUMS_OK) {
			printf("rpc read failed: %s\n", gorums_strerror(err));
			return;
		}
		if (st->timestamp == 0) {
			printf("node %ld: %s: no value\n", i, req.key);
		} else {
			printf("node %ld: %s = \"%s\" (timestamp %" PRId64
			       ")\n",
			       i, req.key, st->value, st->timestamp);
		}
		storage__state__free_unpacked(st, NULL);
	} else if (strcmp(op, "write") == 0) {
		Storage__State          req = STORAGE__STATE__INIT;
		Storage__WriteResponse *wr;

		if ((req.key = next_word(&args)) == NULL ||
		    (req.value = rest(&args)) == NULL) {
			printf("usage: rpc NODE write KEY VALUE\n");
			return;
		}
		req.timestamp = kv_timestamp();
		err           = storage_write_rpc(n, &req, r->timeout_ms, &wr);
		if (err != GORUMS_OK) {
			printf("rpc write failed: %s\n", gorums_strerror(err));
			return;
		}
		printf("node %ld: %s\n", i,
		       wr->new_ ? "write ok"
		                : "kept its value: it has a newer timestamp");
		storage__write_response__free_unpacked(wr, NULL);
	} else {
		printf(
		    "usage: rpc NODE read KEY | rpc NODE write KEY VALUE\n");
	}
}

static void
cmd_multicast(repl *r, char *args)
{
	Storage__State req = STORAGE__STATE__INIT;
	gorums_err     err;

	if ((req.key = next_word(&args)) == NULL ||
	    (req.value = rest(&args)) == NULL) {
		printf("usage: multicast KEY VALUE\n");
		return;
	}
	req.timestamp = kv_timestamp();
	/* Returns once written to every stream; no server answers. */
	err = storage_write_multicast(r->cfg, &req, 0);
	if (err != GORUMS_OK) {
		printf("multicast: not sent to every server: %s\n",
		       gorums_strerror(err));
		return;
	}
	printf("multicast sent to %zu servers (one way: no replies)\n",
	       gorums_config_size(r->cfg));
}

static void
cmd_cfg(repl *r, char *args)
{
	char          *spec = next_word(&args);
	uint32_t       ids[MAX_NODES];
	size_t         n = 0;
	gorums_config *nc;
	gorums_err     err;

	if (spec == NULL) {
		print_cfg(r);
		return;
	}
	if (strcmp(spec, "all") == 0) {
		nc = gorums_config_ref(r->all);
	} else {
		for (char *tok = strtok(spec, ","); tok != NULL;
		     tok       = strtok(NULL, ",")) {
			char *end;
			long  i = strtol(tok, &end, 10);

			if (*end != '\0' || i < 0 || (size_t) i >= r->nnodes ||
			    n == MAX_NODES) {
				printf("cfg: %s is not a server index "
				       "(0..%zu)\n",
				       tok, r->nnodes - 1);
				return;
			}
			ids[n++] = gorums_node_id(r->nodes[i]);
		}
		if (n == 0) {
			printf("usage: cfg i,j,k\n");
			return;
		}
		err = gorums_config_from_ids(r->mgr, ids, n, &nc);
		if (err != GORUMS_OK) {
			printf("cfg: %s\n",
			       err == GORUMS_EEXIST ? "a server appears twice"
			                            : gorums_strerror(err));
			return;
		}
	}
	gorums_config_free(r->cfg);
	r->cfg = nc;
	print_cfg(r);
}

static void
cmd_nodes(repl *r)
{
	for (size_t i = 0; i < r->nnodes; i++) {
		gorums_node *n   = r->nodes[i];
		gorums_err   err = gorums_node_last_error(n);

		printf("%zu: %s  %s%s%s%s\n", i, gorums_node_addr(n),
		       gorums_node_connected(n) ? "connected"
		                                : "not connected",
		       err != GORUMS_OK ? " (last error: " : "",
		       err != GORUMS_OK ? gorums_strerror(err) : "",
		       err != GORUMS_OK ? ")" : "");
	}
}

/* run executes one line; false to quit. */
static bool
run(repl *r, char *line)
{
	char *cmd = next_word(&line);

	if (cmd == NULL || cmd[0] == '#') {
		return (true);
	}
	if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "exit") == 0) {
		return (false);
	} else if (strcmp(cmd, "help") == 0) {
		fputs(help_text, stdout);
	} else if (strcmp(cmd, "read") == 0) {
		cmd_read(r, line);
	} else if (strcmp(cmd, "write") == 0) {
		cmd_write(r, line);
	} else if (strcmp(cmd, "rpc") == 0) {
		cmd_rpc(r, line);
	} else if (strcmp(cmd, "multicast") == 0) {
		cmd_multicast(r, line);
	} else if (strcmp(cmd, "cfg") == 0) {
		cmd_cfg(r, line);
	} else if (strcmp(cmd, "nodes") == 0) {
		cmd_nodes(r);
	} else {
		printf("unknown command '%s': try help\n", cmd);
	}
	return (true);
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: storage_client [-timeout MS] ADDR [ADDR...]\n"
	        "  ADDR: a storage_server's URL (tcp://127.0.0.1:PORT,\n"
	        "        host:port, ipc:///path); commas separate several\n"
	        "  -timeout MS: deadline of each call (default 2000)\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	repl       r = {.timeout_ms = 2000};
	char      *addrs[MAX_NODES];
	size_t     naddrs = 0;
	char       line[4096];
	bool       tty = isatty(0);
	gorums_err err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-timeout") == 0 && i + 1 < argc) {
			r.timeout_ms = atoi(argv[++i]);
			continue;
		}
		if (argv[i][0] == '-') {
			usage();
		}
		for (char *a = strtok(argv[i], ","); a != NULL;
		     a       = strtok(NULL, ",")) {
			if (naddrs == MAX_NODES) {
				usage();
			}
			addrs[naddrs++] = a;
		}
	}
	if (naddrs == 0) {
		usage();
	}

	if ((err = gorums_mgr_open(&r.mgr, NULL)) != GORUMS_OK) {
		fprintf(stderr, "storage_client: %s\n", gorums_strerror(err));
		return (1);
	}
	/* Connecting is lazy: servers that are down show up per call. */
	err = gorums_config_new(r.mgr, (const char *const *) addrs, naddrs,
	                        &r.all);
	if (err != GORUMS_OK) {
		fprintf(stderr, "storage_client: servers: %s%s\n",
		        gorums_strerror(err),
		        err == GORUMS_EEXIST ? " (an address appears twice)"
		                             : "");
		gorums_mgr_close(r.mgr);
		return (1);
	}
	for (size_t i = 0; i < naddrs; i++) {
		(void) gorums_mgr_find_addr(r.mgr, addrs[i], &r.nodes[i]);
	}
	r.nnodes = naddrs;
	r.cfg    = gorums_config_ref(r.all);

	if (tty) {
		fputs(help_text, stdout);
		print_cfg(&r);
	}
	for (;;) {
		if (tty) {
			fputs("> ", stdout);
		}
		fflush(stdout);
		if (fgets(line, sizeof(line), stdin) == NULL) {
			break;
		}
		if (!tty) {
			/* Echo scripted input, so the output reads as a
			 * session. */
			printf("> %s%s", line,
			       strchr(line, '\n') != NULL ? "" : "\n");
		}
		if (!run(&r, line)) {
			break;
		}
	}
	fflush(stdout);

	gorums_config_free(r.cfg);
	gorums_config_free(r.all);
	gorums_mgr_close(r.mgr);
	return (0);
}
