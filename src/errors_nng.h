/*
 * errors_nng.h: the boundary where nng error codes become gorums_err.
 */
#ifndef GRI_ERRORS_NNG_H
#define GRI_ERRORS_NNG_H

#include "gorums/errors.h"

/*
 * gri_err_from_nng maps an nng error (as returned by nng functions and
 * nng_aio_result) to the gorums_err that means the same; codes without a
 * counterpart become GORUMS_ETRANERR | rv. Every nng result in gorums-c
 * passes through here.
 */
gorums_err gri_err_from_nng(int rv);

#endif /* GRI_ERRORS_NNG_H */
