/*
 * gorums/gorums.h: the whole public API of gorums-c, for convenience.
 * Each part can also be included on its own.
 */
#ifndef GORUMS_GORUMS_H
#define GORUMS_GORUMS_H

#include "gorums/call.h"
#include "gorums/config.h"
#include "gorums/errors.h"
#include "gorums/log.h"
#include "gorums/manager.h"
#include "gorums/quorum.h"
#include "gorums/server.h"
#include "gorums/version.h"

#endif /* GORUMS_GORUMS_H */
