/*
 * log.h: formatting a message for a gorums_logger, only when it is wanted.
 */
#ifndef GRI_LOG_H
#define GRI_LOG_H

#include <stdbool.h>

#include "gorums/log.h"

/* GRI_LOG_MAX is the longest message passed on; longer ones are cut. */
#define GRI_LOG_MAX 512

/* gri_log_on tells whether l passes messages of level on. */
bool gri_log_on(const gorums_logger *l, gorums_log_level level);

/*
 * gri_log formats a message and passes it to l if l takes that level. Any
 * thread; no lock is held while l's function runs.
 */
void gri_log(const gorums_logger *l, gorums_log_level level, const char *fmt,
             ...) __attribute__((format(printf, 3, 4)));

#endif /* GRI_LOG_H */
