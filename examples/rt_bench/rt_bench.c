/*
 * rt_bench: the actor runtime against plain-thread baselines, in one table.
 *
 *   bazel run -c opt //examples/rt_bench -- [-quick] [-n SCALE]
 *       [-threads N] [-reps N] [-only mailbox,pingpong,ring,wakeup]
 *
 * It measures mailbox throughput (1, 2, 4 producers into one actor),
 * actor ping-pong, a ring of actors passing tokens, and the latency of
 * waking an idle actor from a thread outside the pool, each beside a
 * mutex+condvar baseline and a spinning one measured in the same run.
 * Rates are the median of -reps runs. "vs mcv" is the ratio to the
 * mutex+condvar baseline, oriented so that > 1 is better (a higher rate, a
 * lower latency). "csw/op" is context switches per operation for the whole
 * process (the sender's excluded in the wake-up rows): the hand-offs that
 * DESIGN.md §3 asks us to count.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "examples/rt_bench/bench.h"
#include "src/sched.h"

#define MAX_ROWS 64

/* Numbers from a sanitizer or unoptimised build mean little; say so. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define BENCH_BUILD_NOTE "a sanitizer build"
#elif !defined(__OPTIMIZE__)
#define BENCH_BUILD_NOTE "an unoptimised build (use -c opt)"
#endif

typedef struct row {
	const char *bench;
	char        variant[64];
	double      value; /* in the row's unit */
	const char *unit;
	double      vs_base; /* <= 0: none */
	double      csw;     /* < 0: not measured */
} row;

static row rows[MAX_ROWS];
static int nrows;

static void
add_row(const char *bench, const char *variant, double value, const char *unit,
        double vs_base, double csw)
{
	row *r;

	if (nrows == MAX_ROWS) {
		bench_die("too many rows");
	}
	r = &rows[nrows++];
	snprintf(r->variant, sizeof(r->variant), "%s", variant);
	r->bench   = bench;
	r->value   = value;
	r->unit    = unit;
	r->vs_base = vs_base;
	r->csw     = csw;
}

static int
cmp_rate(const void *a, const void *b)
{
	double x = ((const bench_rate *) a)->ops_per_s;
	double y = ((const bench_rate *) b)->ops_per_s;

	return ((x > y) - (x < y));
}

typedef bench_rate (*rate_fn)(const bench_cfg *c, int arg);

#define MAX_VARIANTS 4

/*
 * median_rates runs the n variants fns[i](c, arg) reps times each,
 * interleaved (a, b, c, a, b, c, ...) so that a burst of load from
 * elsewhere hits every variant alike, and keeps each variant's median run
 * (its rate and its context switches together).
 */
static void
median_rates(const bench_cfg *c, const rate_fn *fns, int n, int arg,
             bench_rate *out)
{
	bench_rate runs[MAX_VARIANTS][15];

	for (int r = 0; r < c->reps; r++) {
		for (int i = 0; i < n; i++) {
			runs[i][r] = fns[i](c, arg);
		}
	}
	for (int i = 0; i < n; i++) {
		qsort(runs[i], (size_t) c->reps, sizeof(runs[i][0]), cmp_rate);
		out[i] = runs[i][c->reps / 2];
	}
}

/* Ping-pong has no parameter; these give it the shape of a rate_fn. */
static bench_rate
pp_mcv(const bench_cfg *c, int arg)
{
	(void) arg;
	return (mcv_pingpong(c));
}

static bench_rate
pp_ring(const bench_cfg *c, int arg)
{
	(void) arg;
	return (ring_spsc_pingpong(c));
}

static bench_rate
pp_actors(const bench_cfg *c, int arg)
{
	(void) arg;
	return (rt_pingpong(c));
}

static void
fmt_rate(char *buf, size_t len, double v)
{
	if (v >= 1e6) {
		snprintf(buf, len, "%.2f M", v / 1e6);
	} else if (v >= 1e3) {
		snprintf(buf, len, "%.1f k", v / 1e3);
	} else {
		snprintf(buf, len, "%.0f", v);
	}
}

static void
print_table(void)
{
	int  wb = (int) strlen("benchmark");
	int  wv = (int) strlen("variant");
	int  wx = (int) strlen("value");
	int  wu = (int) strlen("unit");
	char vals[MAX_ROWS][32];

	for (int i = 0; i < nrows; i++) {
		row *r = &rows[i];
		if (strcmp(r->unit, "us") == 0) {
			snprintf(vals[i], sizeof(vals[i]), "%.2f",
			         r->value / 1e3);
		} else {
			fmt_rate(vals[i], sizeof(vals[i]), r->value);
		}
		wb = (int) strlen(r->bench) > wb ? (int) strlen(r->bench) : wb;
		wv = (int) strlen(r->variant) > wv ? (int) strlen(r->variant)
		                                   : wv;
		wx = (int) strlen(vals[i]) > wx ? (int) strlen(vals[i]) : wx;
		wu = (int) strlen(r->unit) > wu ? (int) strlen(r->unit) : wu;
	}
	printf("%-*s  %-*s  %*s  %-*s  %7s  %7s\n", wb, "benchmark", wv,
	       "variant", wx, "value", wu, "unit", "vs mcv", "csw/op");
	for (int i = 0; i < wb + wv + wx + wu + 8 + 9 + 9; i++) {
		putchar('-');
	}
	putchar('\n');
	for (int i = 0; i < nrows; i++) {
		row *r = &rows[i];
		char vs[16];
		char csw[16];

		if (i > 0 && strcmp(r->bench, rows[i - 1].bench) != 0) {
			putchar('\n');
		}
		if (r->vs_base > 0) {
			snprintf(vs, sizeof(vs), "%.2fx", r->vs_base);
		} else {
			snprintf(vs, sizeof(vs), "-");
		}
		if (r->csw >= 0) {
			snprintf(csw, sizeof(csw), "%.3f", r->csw);
		} else {
			snprintf(csw, sizeof(csw), "-");
		}
		printf("%-*s  %-*s  %*s  %-*s  %7s  %7s\n", wb, r->bench, wv,
		       r->variant, wx, vals[i], wu, r->unit, vs, csw);
	}
}

static void
usage(const char *prog)
{
	fprintf(
	    stderr,
	    "usage: %s [-quick] [-n SCALE] [-threads N] [-reps N] "
	    "[-only LIST]\n"
	    "  -quick      a smoke run of a second or two\n"
	    "  -n SCALE    multiply every message count by SCALE\n"
	    "  -threads N  worker pool size (default 2)\n"
	    "  -reps N     runs per rate, median kept (default 3, max "
	    "15)\n"
	    "  -only LIST  comma-separated: mailbox,pingpong,ring,wakeup\n",
	    prog);
	exit(2);
}

static const char *
met(bool ok)
{
	return (ok ? "met" : "MISSED");
}

/* The outcome of each target; unknown when its benchmark did not run. */
typedef enum { TARGET_NOT_RUN, TARGET_MET, TARGET_MISSED } target;

static const char *
target_str(target t)
{
	return (t == TARGET_NOT_RUN ? "not run" : met(t == TARGET_MET));
}

static target
check(bool ok)
{
	return (ok ? TARGET_MET : TARGET_MISSED);
}

/* 1. Mailbox throughput: 1, 2 and 4 producers into one consumer. */
static target
run_mailbox(const bench_cfg *c)
{
	static const rate_fn fns[] = {
	    mcv_queue_throughput,
	    ring_mpsc_throughput,
	    rt_mbox_throughput,
	};
	static const char *names[] = {
	    "mailbox 1 producer",
	    "mailbox 2 producers",
	    "mailbox 4 producers",
	};
	bool ok = true;

	for (int i = 0, p = 1; i < 3; i++, p *= 2) {
		bench_rate mcv, ring, mbox, rates[3];

		median_rates(c, fns, 3, p, rates);
		mcv  = rates[0];
		ring = rates[1];
		mbox = rates[2];
		add_row(names[i], "mutex+condvar queue", mcv.ops_per_s,
		        "msg/s", 1.0, mcv.csw_per_op);
		add_row(names[i],
		        ring.capped ? "ck_ring mpsc, spinning (capped)"
		                    : "ck_ring mpsc, spinning",
		        ring.ops_per_s, "msg/s",
		        ring.ops_per_s / mcv.ops_per_s, ring.csw_per_op);
		add_row(names[i], "gri mailbox -> actor", mbox.ops_per_s,
		        "msg/s", mbox.ops_per_s / mcv.ops_per_s,
		        mbox.csw_per_op);
		if (p >= 2 && mbox.ops_per_s < 3 * mcv.ops_per_s) {
			ok = false;
		}
	}
	return (check(ok));
}

/* 2. Ping-pong. No target: it is here for the hand-off counts. */
static void
run_pingpong(const bench_cfg *c)
{
	static const rate_fn fns[] = {pp_mcv, pp_ring, pp_actors};
	bench_rate           mcv, ring, act, rates[3];

	median_rates(c, fns, 3, 0, rates);
	mcv  = rates[0];
	ring = rates[1];
	act  = rates[2];

	add_row("ping-pong", "mutex+condvar threads", mcv.ops_per_s, "rt/s",
	        1.0, mcv.csw_per_op);
	add_row("ping-pong", "ck_ring spsc, spinning", ring.ops_per_s, "rt/s",
	        ring.ops_per_s / mcv.ops_per_s, ring.csw_per_op);
	add_row("ping-pong", "two actors", act.ops_per_s, "rt/s",
	        act.ops_per_s / mcv.ops_per_s, act.csw_per_op);
}

/* 3. A ring of actors with 1 and 100 tokens. */
static target
run_ring(const bench_cfg *c)
{
	static const int     tokens[] = {1, 100};
	static const rate_fn fns[]    = {rt_ring};
	bool                 ok       = true;
	char                 v[48];

	for (int i = 0; i < 2; i++) {
		bench_rate r;

		median_rates(c, fns, 1, tokens[i], &r);
		snprintf(v, sizeof(v), "%d actors, %d token%s", c->ring_actors,
		         tokens[i], tokens[i] == 1 ? "" : "s");
		add_row("actor ring", v, r.ops_per_s, "hops/s", 0,
		        r.csw_per_op);
		if (r.ops_per_s < 5e6) {
			ok = false;
		}
	}
	return (check(ok));
}

/* wakeup_rows adds the p50 and p99 rows of one wake-up variant. */
static void
wakeup_rows(const char *name, const bench_lat *l, const bench_lat *base)
{
	char v[64];

	snprintf(v, sizeof(v), "%s p50", name);
	add_row("wake-up latency", v, l->p50_ns, "us",
	        base->p50_ns / l->p50_ns, l->csw_per_op);
	snprintf(v, sizeof(v), "%s p99", name);
	add_row("wake-up latency", v, l->p99_ns, "us",
	        base->p99_ns / l->p99_ns, -1);
}

/* 4. Wake-up latency, from a thread outside the pool. */
static target
run_wakeup(const bench_cfg *c)
{
	/* Whether a worker is still spinning when the next message comes
	 * depends on spin_ns against the idle gap; the labels say which. */
	int64_t   spins[] = {c->lat_spin_long, GRI_SCHED_SPIN_DEFAULT_NS, 0};
	bench_lat mcv     = mcv_wakeup(c);
	bench_lat spin    = spin_wakeup(c);
	bool      ok      = true;

	wakeup_rows("mutex+condvar thread", &mcv, &mcv);
	wakeup_rows("thread spinning on atomic", &spin, &mcv);
	for (int i = 0; i < 3; i++) {
		int64_t   ns = spins[i];
		bench_lat l  = rt_wakeup(c, ns);
		char      name[64];

		snprintf(name, sizeof(name), "actor, spin %d us%s (%s)",
		         (int) (ns / 1000),
		         ns == GRI_SCHED_SPIN_DEFAULT_NS ? " dflt" : "",
		         (uint64_t) ns > c->lat_gap_ns ? "spinning"
		                                       : "parked");
		wakeup_rows(name, &l, &mcv);
		if (i == 0 && l.p50_ns > 2000) {
			ok = false;
		}
	}
	return (check(ok));
}

/* wanted says whether -only lists name (or there is no -only). */
static bool
wanted(const char *only, const char *name)
{
	size_t n = strlen(name);

	if (only == NULL) {
		return (true);
	}
	for (const char *p = only; (p = strstr(p, name)) != NULL; p += n) {
		bool starts = p == only || p[-1] == ',';
		bool ends   = p[n] == '\0' || p[n] == ',';
		if (starts && ends) {
			return (true);
		}
	}
	return (false);
}

int
main(int argc, char **argv)
{
	bench_cfg c = {
	    .threads       = 2,
	    .reps          = 3,
	    .mbox_msgs     = 2000000,
	    .pp_actor      = 1000000,
	    .pp_spin       = 1000000,
	    .pp_mutex      = 100000,
	    .ring_hops     = 3000000,
	    .ring_actors   = 1000,
	    .lat_samples   = 2000,
	    .lat_gap_ns    = 200000,
	    .lat_spin_long = 1000000,
	    .cap_ns        = 2000000000u,
	};
	double      scale = 1.0;
	bool        quick = false;
	int         reps  = -1;
	const char *only  = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-quick") == 0) {
			quick = true;
		} else if (strcmp(a, "-n") == 0 && i + 1 < argc) {
			scale = atof(argv[++i]);
		} else if (strcmp(a, "-threads") == 0 && i + 1 < argc) {
			c.threads = atoi(argv[++i]);
		} else if (strcmp(a, "-reps") == 0 && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else if (strcmp(a, "-only") == 0 && i + 1 < argc) {
			only = argv[++i];
		} else {
			usage(argv[0]);
		}
	}
	if (quick) {
		/* Enough to exercise every path, also under the sanitizers. */
		scale *= 0.01;
		c.reps        = 1;
		c.lat_samples = 50;
		c.cap_ns      = 200000000u;
	}
	if (reps > 0) {
		c.reps = reps;
	}
	if (scale <= 0 || c.threads < 1 || c.reps < 1 || c.reps > 15) {
		usage(argv[0]);
	}
	c.mbox_msgs = (long) ((double) c.mbox_msgs * scale);
	c.pp_actor  = (long) ((double) c.pp_actor * scale);
	c.pp_spin   = (long) ((double) c.pp_spin * scale);
	c.pp_mutex  = (long) ((double) c.pp_mutex * scale);
	c.ring_hops = (long) ((double) c.ring_hops * scale);
	if (!quick) {
		c.lat_samples = (int) ((double) c.lat_samples * scale);
	}
	/* Floors that keep every division and percentile meaningful. */
	c.mbox_msgs   = c.mbox_msgs < 1000 ? 1000 : c.mbox_msgs;
	c.pp_actor    = c.pp_actor < 100 ? 100 : c.pp_actor;
	c.pp_spin     = c.pp_spin < 100 ? 100 : c.pp_spin;
	c.pp_mutex    = c.pp_mutex < 100 ? 100 : c.pp_mutex;
	c.ring_hops   = c.ring_hops < 1000 ? 1000 : c.ring_hops;
	c.lat_samples = c.lat_samples < 20 ? 20 : c.lat_samples;

	uint64_t t_start = gts_now_ns();
	int64_t  others0 = bench_cpu_others_ns();
	target   t_mbox  = TARGET_NOT_RUN;
	target   t_ring  = TARGET_NOT_RUN;
	target   t_lat   = TARGET_NOT_RUN;

	if (wanted(only, "mailbox")) {
		t_mbox = run_mailbox(&c);
	}
	if (wanted(only, "pingpong")) {
		run_pingpong(&c);
	}
	if (wanted(only, "ring")) {
		t_ring = run_ring(&c);
	}
	if (wanted(only, "wakeup")) {
		t_lat = run_wakeup(&c);
	}

	/* Other tenants of the VM share the cores: say how much they took,
	 * in cores on average over the run (0.00 when it was ours alone). */
	double wall   = (double) (gts_now_ns() - t_start);
	double others = (double) (bench_cpu_others_ns() - others0) / wall;
	printf("gorums-c runtime benchmark: nproc %ld, pool %d worker%s, "
	       "median of %d run%s, %.1f s, other load %.2f cores\n",
	       sysconf(_SC_NPROCESSORS_ONLN), c.threads,
	       c.threads == 1 ? "" : "s", c.reps, c.reps == 1 ? "" : "s",
	       wall / 1e9, others < 0 ? 0.0 : others);
	printf("messages: mailbox %ld per run; ping-pong %ld (actors), %ld "
	       "(ck_ring), %ld (mutex) round trips; ring %ld hops; wake-up "
	       "%d samples %.0f us apart\n\n",
	       c.mbox_msgs, c.pp_actor, c.pp_spin, c.pp_mutex, c.ring_hops,
	       c.lat_samples, (double) c.lat_gap_ns / 1e3);
#ifdef BENCH_BUILD_NOTE
	printf("note: this is %s; the numbers are not representative\n\n",
	       BENCH_BUILD_NOTE);
#endif
	if (quick) {
		printf(
		    "note: -quick sizes are too small to judge targets\n\n");
	}
	print_table();
	printf("\nvs mcv: ratio to the mutex+condvar row (> 1: better). "
	       "csw/op: context switches per operation, whole process.\n");
	printf("targets: mailbox >= 3x mutex+condvar at 2 and 4 producers: "
	       "%s; ring >= 5 M hops/s: %s; wake-up p50 <= 2 us spinning: "
	       "%s\n",
	       target_str(t_mbox), target_str(t_ring), target_str(t_lat));
	return (0);
}
