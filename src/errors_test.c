#include <string.h>

#include <nng/nng.h>

#include "src/errors_nng.h"
#include "tests/harness/harness.h"

static void
test_errors_strerror(void)
{
	GTS_ASSERT(strcmp(gorums_strerror(GORUMS_OK), "Success") == 0);
	GTS_ASSERT(strcmp(gorums_strerror(GORUMS_EINCOMPLETE),
	                  "Incomplete call: no quorum") == 0);
	/* Distinct errors have distinct texts. */
	GTS_ASSERT(strcmp(gorums_strerror(GORUMS_ETIMEDOUT),
	                  gorums_strerror(GORUMS_ECANCELED)) != 0);
	GTS_ASSERT(strstr(gorums_strerror(12345), "12345") != NULL);
}

static void
test_errors_from_nng(void)
{
	GTS_EQ(gri_err_from_nng(0), GORUMS_OK);
	GTS_EQ(gri_err_from_nng(NNG_ETIMEDOUT), GORUMS_ETIMEDOUT);
	GTS_EQ(gri_err_from_nng(NNG_ECONNREFUSED), GORUMS_ECONNREFUSED);
	GTS_EQ(gri_err_from_nng(NNG_ECONNRESET), GORUMS_ECONNSHUT);
	GTS_EQ(gri_err_from_nng(NNG_EPEERAUTH), GORUMS_EPEERAUTH);
	GTS_EQ(gri_err_from_nng(NNG_ECRYPTO), GORUMS_ECRYPTO);
	/* Unmapped nng errors keep their code behind GORUMS_ETRANERR. */
	int e = gri_err_from_nng(NNG_EADDRINUSE);
	GTS_EQ(e, GORUMS_ETRANERR | NNG_EADDRINUSE);
	GTS_ASSERT(strcmp(gorums_strerror(e), nng_strerror(NNG_EADDRINUSE)) ==
	           0);
}

gts_test TEST_LIST[] = {
    {"errors strerror", test_errors_strerror},
    {"errors from nng", test_errors_from_nng},
    {NULL, NULL},
};
