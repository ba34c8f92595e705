/*
 * spin.c: the process-wide spinning budget. See spin.h.
 */
#include "src/spin.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* -1: not yet computed. Relaxed: a stale limit only lets one thread spin
 * more or less for a moment; nothing is published through these. */
static atomic_int spin_limit = -1;
static atomic_int spin_count;

int
gri_spin_limit(void)
{
	int n = atomic_load_explicit(&spin_limit, memory_order_relaxed);

	if (n < 0) {
		long        cores = sysconf(_SC_NPROCESSORS_ONLN);
		const char *env   = getenv("GORUMS_SPIN_LIMIT");
		n                 = cores > 1 ? (int) cores - 1 : 1;
		if (env != NULL && *env != '\0') {
			n = atoi(env) < 0 ? 0 : atoi(env);
		}
		atomic_store_explicit(&spin_limit, n, memory_order_relaxed);
	}
	return (n);
}

bool
gri_spin_enter(void)
{
	int limit = gri_spin_limit();
	int n     = atomic_load_explicit(&spin_count, memory_order_relaxed);

	while (n < limit) {
		if (atomic_compare_exchange_weak_explicit(
		        &spin_count, &n, n + 1, memory_order_relaxed,
		        memory_order_relaxed)) {
			return (true);
		}
	}
	return (false);
}

void
gri_spin_leave(void)
{
	atomic_fetch_sub_explicit(&spin_count, 1, memory_order_relaxed);
}

void
gri_spin_pause(void)
{
	(void) sched_yield();
}
