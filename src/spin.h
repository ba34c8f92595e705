/*
 * spin.h: the process-wide budget of spinning threads.
 *
 * Idle threads of the runtime (workers, handler threads, callers waiting
 * for an answer) spin for a while before they park, because waking a
 * parked thread costs ~20 us on these VMs. But a spinning thread holds a
 * core: with more spinners than spare cores, the threads that have real
 * work (nng's I/O and callback threads among them) wait for a core, and
 * every step of a call gets slower (measured: 4 spinners on 2 cores made a
 * loopback RPC several times slower than no spinning at all). So every
 * thread asks here before it spins, and at most gri_spin_limit threads of
 * the process spin at once; the others park at once.
 */
#ifndef GRI_SPIN_H
#define GRI_SPIN_H

#include <stdbool.h>

/*
 * gri_spin_enter takes a spinning slot: true if the caller may spin (it
 * must call gri_spin_leave when it stops), false if it should park now.
 * Lock-free; any thread.
 */
bool gri_spin_enter(void);

/*
 * gri_spin_pause is one round of a spin loop. It yields the core
 * (sched_yield): a thread woken onto this core then runs at once instead
 * of waiting for the spinner's time slice to end, which on Linux can take
 * a millisecond.
 */
void gri_spin_pause(void);

/* gri_spin_leave gives the slot back. */
void gri_spin_leave(void);

/*
 * gri_spin_limit is the number of slots: one less than the cores (at least
 * one), or the environment variable GORUMS_SPIN_LIMIT if set (read once;
 * 0 turns spinning off).
 */
int gri_spin_limit(void);

#endif /* GRI_SPIN_H */
