/*
 * errors.c: gorums_strerror, and the one place nng errors are mapped.
 */
#include <stdio.h>

#include <nng/nng.h>

#include "gorums/errors.h"
#include "src/errors_nng.h"

static const struct {
	gorums_err  code;
	const char *text;
} err_texts[] = {
    {GORUMS_OK, "Success"},
    {GORUMS_ENOMEM, "Out of memory"},
    {GORUMS_EINVAL, "Invalid argument"},
    {GORUMS_ETIMEDOUT, "Deadline exceeded"},
    {GORUMS_ECANCELED, "Call cancelled"},
    {GORUMS_EINCOMPLETE, "Incomplete call: no quorum"},
    {GORUMS_ECLOSED, "Object closed"},
    {GORUMS_ESTOPPED, "Runtime stopped"},
    {GORUMS_EBUSY, "Resource busy"},
    {GORUMS_EAGAIN, "Try again"},
    {GORUMS_EEXIST, "Already exists"},
    {GORUMS_ENOENT, "No such object"},
    {GORUMS_EADDRINVAL, "Invalid address"},
    {GORUMS_ECONNREFUSED, "Connection refused"},
    {GORUMS_ECONNSHUT, "Connection shut down"},
    {GORUMS_EPROTO, "Protocol error"},
    {GORUMS_EMSGSIZE, "Message too large"},
    {GORUMS_EUNKNOWNMETHOD, "Unknown method"},
    {GORUMS_EDECODE, "Malformed message payload"},
    {GORUMS_EHANDLER, "Server handler failed"},
    {GORUMS_ESTATE, "Incorrect state"},
    {GORUMS_EINTERNAL, "Internal error"},
    {GORUMS_EPEERAUTH, "Peer could not be authenticated"},
    {GORUMS_ECRYPTO, "Cryptographic error"},
};

const char *
gorums_strerror(int err)
{
	static _Thread_local char buf[64];

	for (size_t i = 0; i < sizeof(err_texts) / sizeof(err_texts[0]); i++) {
		if ((int) err_texts[i].code == err) {
			return (err_texts[i].text);
		}
	}
	if ((err & GORUMS_ETRANERR) != 0) {
		return (nng_strerror(err & ~GORUMS_ETRANERR));
	}
	(void) snprintf(buf, sizeof(buf), "Unknown error #%d", err);
	return (buf);
}

gorums_err
gri_err_from_nng(int rv)
{
	switch (rv) {
	case 0:
		return (GORUMS_OK);
	case NNG_ENOMEM:
		return (GORUMS_ENOMEM);
	case NNG_EINVAL:
		return (GORUMS_EINVAL);
	case NNG_ETIMEDOUT:
		return (GORUMS_ETIMEDOUT);
	case NNG_ECANCELED:
		return (GORUMS_ECANCELED);
	case NNG_ECLOSED:
		return (GORUMS_ECLOSED);
	case NNG_EBUSY:
		return (GORUMS_EBUSY);
	case NNG_EAGAIN:
		return (GORUMS_EAGAIN);
	case NNG_EADDRINVAL:
		return (GORUMS_EADDRINVAL);
	case NNG_ECONNREFUSED:
		return (GORUMS_ECONNREFUSED);
	case NNG_ECONNSHUT:
	case NNG_ECONNRESET:
	case NNG_ECONNABORTED:
		return (GORUMS_ECONNSHUT);
	case NNG_EPROTO:
		return (GORUMS_EPROTO);
	case NNG_EMSGSIZE:
		return (GORUMS_EMSGSIZE);
	case NNG_EPEERAUTH:
		return (GORUMS_EPEERAUTH);
	case NNG_ECRYPTO:
		return (GORUMS_ECRYPTO);
	default:
		return ((gorums_err) (GORUMS_ETRANERR | rv));
	}
}
