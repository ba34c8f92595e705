/*
 * le.h: the little-endian fields of the floors' wire (raw.h; rawtcp.h
 * uses the same frames), shared by raw.c and rawtcp.c.
 */
#ifndef BENCH_LE_H
#define BENCH_LE_H

#include <stdint.h>

/* bench_put_le writes the n low bytes of v at p, least significant first. */
static inline void
bench_put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++) {
		p[i] = (uint8_t) (v >> (8 * i));
	}
}

/* bench_get_le reads n bytes at p, least significant first. */
static inline uint64_t
bench_get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--) {
		v = (v << 8) | p[i];
	}
	return (v);
}

#endif /* BENCH_LE_H */
