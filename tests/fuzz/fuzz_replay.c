/*
 * fuzz_replay.c: runs a libFuzzer target without libFuzzer.
 *
 *   fuzz_replay [-n MUTATIONS] [-s SEED] PATH...
 *
 * Feeds every file named (or found directly inside a directory named) to
 * LLVMFuzzerTestOneInput, then MUTATIONS (default 20000) inputs made by
 * mutating those files with a fixed-seed pseudo-random generator, so a run
 * is the same every time. Each input sits in a heap block of exactly its
 * size, so that ASan sees any read past its end. A target reports a bug by
 * crashing; this program then dies with it (after an abort, it writes the
 * input to stderr in hex).
 *
 * This is how the fuzz targets run under Bazel in every config (gcc,
 * TSan, ASan). Real coverage-guided fuzzing is tests/fuzz/run_*.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Mutated inputs never grow past this. */
#define REPLAY_MAX_INPUT (64u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct input {
	uint8_t *data;
	size_t   len;
	char    *name;
} input;

static input  *inputs;
static size_t  n_inputs;
static size_t  cap_inputs;
static uint8_t work[REPLAY_MAX_INPUT];
static size_t  work_len;

static void die(const char *what, const char *arg) __attribute__((noreturn));

static _Noreturn void
die(const char *what, const char *arg)
{
	fprintf(stderr, "fuzz_replay: %s %s: %s\n", what, arg,
	        errno != 0 ? strerror(errno) : "");
	exit(2);
}

static void
add_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	input in = {NULL, 0, NULL};
	long  sz = 0;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (sz = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		die("cannot read", path);
	}
	in.len  = (size_t) sz;
	in.data = malloc(in.len > 0 ? in.len : 1);
	in.name = strdup(path);
	if (in.data == NULL || in.name == NULL ||
	    fread(in.data, 1, in.len, fp) != in.len) {
		die("cannot read", path);
	}
	fclose(fp);
	if (n_inputs == cap_inputs) {
		cap_inputs = cap_inputs > 0 ? 2 * cap_inputs : 16;
		inputs     = realloc(inputs, cap_inputs * sizeof(*inputs));
		if (inputs == NULL) {
			die("out of memory", "");
		}
	}
	inputs[n_inputs++] = in;
}

static int
cmp_names(const void *a, const void *b)
{
	return (strcmp(*(char *const *) a, *(char *const *) b));
}

/* add_path adds a file, or the regular files directly inside a directory
 * in name order. */
static void
add_path(const char *path)
{
	struct stat st;
	DIR        *d;
	char      **names   = NULL;
	size_t      n_names = 0;

	if (stat(path, &st) != 0) {
		die("cannot stat", path);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	if ((d = opendir(path)) == NULL) {
		die("cannot open", path);
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		char *full;

		if (e->d_name[0] == '.') {
			continue;
		}
		full  = malloc(strlen(path) + strlen(e->d_name) + 2);
		names = realloc(names, (n_names + 1) * sizeof(*names));
		if (full == NULL || names == NULL) {
			die("out of memory", "");
		}
		sprintf(full, "%s/%s", path, e->d_name);
		names[n_names++] = full;
	}
	closedir(d);
	qsort(names, n_names, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n_names; i++) {
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			add_file(names[i]);
		}
		free(names[i]);
	}
	free(names);
}

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return (z ^ (z >> 31));
}

/* below returns a number in [0, n); n > 0. */
static size_t
below(size_t n)
{
	return ((size_t) (rng() % n));
}

static const uint32_t interesting[] = {
    0,       1,          2,           4,          5,      6,      7,
    15,      16,         19,          20,         31,     32,     33,
    0x7f,    0x80,       0xff,        0x100,      0x7fff, 0x8000, 0xffff,
    0x10000, 0x7fffffff, 0x80000000u, 0xffffffffu};

/* insert_at opens a gap of n bytes at pos (n may be cut to fit). */
static size_t
insert_at(size_t pos, size_t n)
{
	if (n > REPLAY_MAX_INPUT - work_len) {
		n = REPLAY_MAX_INPUT - work_len;
	}
	memmove(work + pos + n, work + pos, work_len - pos);
	work_len += n;
	return (n);
}

static void
mutate_once(void)
{
	size_t pos = work_len > 0 ? below(work_len) : 0;

	switch (below(10)) {
	case 0: /* flip one bit */
		if (work_len > 0) {
			work[pos] ^= (uint8_t) (1u << below(8));
		}
		break;
	case 1: /* random byte */
		if (work_len > 0) {
			work[pos] = (uint8_t) rng();
		}
		break;
	case 2: /* interesting byte */
		if (work_len > 0) {
			work[pos] = (uint8_t) interesting[below(
			    sizeof(interesting) / sizeof(interesting[0]))];
		}
		break;
	case 3: { /* interesting big-endian u16 or u32 */
		uint32_t v = interesting[below(sizeof(interesting) /
		                               sizeof(interesting[0]))];
		size_t   w = below(2) == 0 ? 2 : 4;

		for (size_t i = 0; i < w && pos + i < work_len; i++) {
			work[pos + i] = (uint8_t) (v >> (8 * (w - 1 - i)));
		}
		break;
	}
	case 4: { /* insert random bytes */
		size_t n = insert_at(pos, 1 + below(8));

		for (size_t i = 0; i < n; i++) {
			work[pos + i] = (uint8_t) rng();
		}
		break;
	}
	case 5: { /* delete a range */
		size_t n = 1 + below(8);

		if (n > work_len - pos) {
			n = work_len - pos;
		}
		memmove(work + pos, work + pos + n, work_len - pos - n);
		work_len -= n;
		break;
	}
	case 6: /* truncate */
		work_len = pos;
		break;
	case 7: { /* duplicate a chunk of itself */
		size_t  from = work_len > 0 ? below(work_len) : 0;
		size_t  n = work_len > from ? 1 + below(work_len - from) : 0;
		uint8_t tmp[64];

		if (n > sizeof(tmp)) {
			n = sizeof(tmp);
		}
		memcpy(tmp, work + from, n);
		n = insert_at(pos, n);
		memcpy(work + pos, tmp, n);
		break;
	}
	case 8: { /* splice: the tail of another input */
		const input *o    = &inputs[below(n_inputs)];
		size_t       from = o->len > 0 ? below(o->len) : 0;
		size_t       n    = o->len - from;

		work_len = pos;
		n        = insert_at(pos, n);
		memcpy(work + pos, o->data + from, n);
		break;
	}
	default: { /* append random bytes */
		size_t at = work_len;
		size_t n  = insert_at(at, 1 + below(16));

		for (size_t i = 0; i < n; i++) {
			work[at + i] = (uint8_t) rng();
		}
		break;
	}
	}
}

static const uint8_t *current;
static size_t         current_len;

/*
 * When a target's check aborts, show the input that caused it. Faults
 * (SIGSEGV) are left to the sanitizers, whose reports say more.
 */
static void
on_signal(int sig)
{
	static const char hex[] = "0123456789abcdef";
	char              line[3];

	(void) !write(2, "fuzz_replay: crashing input (hex):\n", 35);
	for (size_t i = 0; current != NULL && i < current_len; i++) {
		line[0] = hex[current[i] >> 4];
		line[1] = hex[current[i] & 15];
		line[2] = (i % 32 == 31) ? '\n' : ' ';
		(void) !write(2, line, 3);
	}
	(void) !write(2, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
run_one(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);

	if (copy == NULL) {
		die("out of memory", "");
	}
	if (len > 0) {
		memcpy(copy, data, len);
	}
	current     = copy;
	current_len = len;
	(void) LLVMFuzzerTestOneInput(copy, len);
	current = NULL;
	free(copy);
}

int
main(int argc, char **argv)
{
	long               mutations = 20000;
	unsigned long long seed      = 0x67726f72756d73u; /* "gorums" */
	int                i;

	for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc) {
			die("missing value for", argv[i]);
		}
		if (strcmp(argv[i], "-n") == 0) {
			mutations = strtol(argv[i + 1], NULL, 0);
		} else if (strcmp(argv[i], "-s") == 0) {
			seed = strtoull(argv[i + 1], NULL, 0);
		} else {
			die("unknown option", argv[i]);
		}
	}
	for (; i < argc; i++) {
		add_path(argv[i]);
	}
	if (n_inputs == 0) {
		errno = 0;
		die("no inputs:", "give corpus files or directories");
	}
	signal(SIGABRT, on_signal);

	for (size_t k = 0; k < n_inputs; k++) {
		run_one(inputs[k].data, inputs[k].len);
	}
	rng_state = seed;
	for (long k = 0; k < mutations; k++) {
		const input *in     = &inputs[below(n_inputs)];
		size_t       rounds = 1 + below(4);

		work_len =
		    in->len < REPLAY_MAX_INPUT ? in->len : REPLAY_MAX_INPUT;
		memcpy(work, in->data, work_len);
		for (size_t r = 0; r < rounds; r++) {
			mutate_once();
		}
		/* Half the time, make the length field agree with the size,
		 * so that mutations get past the first check. */
		if (work_len >= 4 && below(2) == 0) {
			size_t l = work_len - 4;

			work[0] = (uint8_t) (l >> 24);
			work[1] = (uint8_t) (l >> 16);
			work[2] = (uint8_t) (l >> 8);
			work[3] = (uint8_t) l;
		}
		run_one(work, work_len);
	}
	printf("fuzz_replay: %zu corpus inputs, %ld mutations, seed %#llx: "
	       "no crash\n",
	       n_inputs, mutations, seed);
	for (size_t k = 0; k < n_inputs; k++) {
		free(inputs[k].data);
		free(inputs[k].name);
	}
	free(inputs);
	return (0);
}
