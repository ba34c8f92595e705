/*
 * server.c: storage_server, one server of the storage example.
 *
 *   storage_server [-addr URL] [-name NAME] [-q]
 *
 * Serves the Storage service on URL (default tcp://127.0.0.1:0, the
 * system picks the port), prints the bound URL on a line of its own, logs
 * each request to stderr (unless -q), and runs until SIGINT or SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/storage/store.h"

static void
usage(void)
{
	fprintf(stderr,
	        "usage: storage_server [-addr URL] [-name NAME] [-q]\n"
	        "  -addr URL   where to listen (default tcp://127.0.0.1:0;\n"
	        "              also host:port, ipc:///path)\n"
	        "  -name NAME  the name in log lines (default: server)\n"
	        "  -q          do not log requests\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *addr  = "tcp://127.0.0.1:0";
	const char *name  = NULL;
	bool        quiet = false;
	kv_server  *s;
	gorums_err  rv;
	sigset_t    sigs;
	int         sig;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-addr") == 0 && i + 1 < argc) {
			addr = argv[++i];
		} else if (strcmp(argv[i], "-name") == 0 && i + 1 < argc) {
			name = argv[++i];
		} else if (strcmp(argv[i], "-q") == 0) {
			quiet = true;
		} else {
			usage();
		}
	}

	/*
	 * Block the signals before any thread starts, so that every thread
	 * inherits the mask and sigwait below is the only one to take them.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if ((rv = kv_server_open(&s, name != NULL ? name : "server",
	                         quiet ? NULL : stderr)) != GORUMS_OK) {
		fprintf(stderr, "storage_server: %s\n", gorums_strerror(rv));
		return (1);
	}
	if ((rv = kv_server_listen(s, addr)) != GORUMS_OK) {
		fprintf(stderr, "storage_server: listen on %s: %s\n", addr,
		        gorums_strerror(rv));
		kv_server_close(s);
		return (1);
	}
	/* The bound URL alone on stdout: scripts read the port from it. */
	printf("%s\n", kv_server_url(s));
	fflush(stdout);
	if (!quiet) {
		fprintf(stderr, "storage_server: serving on %s\n",
		        kv_server_url(s));
	}

	(void) sigwait(&sigs, &sig);
	if (!quiet) {
		fprintf(stderr, "storage_server: %s, stopping\n",
		        strsignal(sig));
	}
	kv_server_close(s);
	return (0);
}
