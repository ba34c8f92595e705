/*
 * qspec.h: the client side of the storage example: its quorum functions
 * and write timestamps.
 */
#ifndef EXAMPLES_STORAGE_QSPEC_H
#define EXAMPLES_STORAGE_QSPEC_H

#include <stdint.h>

#include "examples/storage/storage.gorums.h"

/*
 * kv_qspec decides ReadQC and WriteQC by majority: a read returns the
 * newest value (highest timestamp) once more than half the configuration
 * answered; a write is done then too, and its WriteResponse says whether
 * a majority took it.
 */
extern const storage_qspec kv_qspec;

/*
 * kv_timestamp is a timestamp for a new write: the wall clock in
 * nanoseconds, made strictly increasing within the process so that two
 * writes in a row never tie. Any thread.
 */
int64_t kv_timestamp(void);

#endif /* EXAMPLES_STORAGE_QSPEC_H */
