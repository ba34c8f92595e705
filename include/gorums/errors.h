/*
 * gorums/errors.h: the one error enum of gorums-c.
 *
 * Every fallible function returns a gorums_err. Errors from nng are mapped
 * into it at one boundary (src/errors.c); an nng error with no counterpart
 * here is returned as GORUMS_ETRANERR | nng_err, so no information is lost.
 */
#ifndef GORUMS_ERRORS_H
#define GORUMS_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gorums_err {
	GORUMS_OK = 0,
	GORUMS_ENOMEM,         /* out of memory */
	GORUMS_EINVAL,         /* invalid argument */
	GORUMS_ETIMEDOUT,      /* the call's deadline passed */
	GORUMS_ECANCELED,      /* the call was cancelled */
	GORUMS_EINCOMPLETE,    /* every node answered or failed, no quorum */
	GORUMS_ECLOSED,        /* the object was closed */
	GORUMS_ESTOPPED,       /* the runtime or actor was stopped */
	GORUMS_EBUSY,          /* the resource is busy; try again later */
	GORUMS_EAGAIN,         /* the operation would block */
	GORUMS_EEXIST,         /* duplicate (node address, method id) */
	GORUMS_ENOENT,         /* no such object (node id, method) */
	GORUMS_EADDRINVAL,     /* malformed address */
	GORUMS_ECONNREFUSED,   /* the node refused the connection */
	GORUMS_ECONNSHUT,      /* the node's connection broke */
	GORUMS_EPROTO,         /* malformed frame on the wire */
	GORUMS_EMSGSIZE,       /* a frame exceeds the size limit */
	GORUMS_EUNKNOWNMETHOD, /* the server has no handler for the method */
	GORUMS_EDECODE,        /* a protobuf payload did not decode */
	GORUMS_EHANDLER,       /* the server handler returned an error */
	GORUMS_ESTATE,         /* the object is in the wrong state */
	GORUMS_EINTERNAL,      /* a bug in gorums-c */
	GORUMS_EPEERAUTH,      /* TLS: the peer's certificate was refused */
	GORUMS_ECRYPTO,        /* TLS: the handshake or a record failed */
	GORUMS_ETRANERR = 0x20000000, /* | an nng error code */
} gorums_err;

/*
 * gorums_strerror returns a short, static, human-readable description of
 * err. It never returns NULL; unknown codes give "Unknown error #N" from a
 * thread-local buffer.
 */
const char *gorums_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* GORUMS_ERRORS_H */
