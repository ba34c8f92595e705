/*
 * gorums/version.h: the version of the gorums-c runtime.
 *
 * Code made by protoc-gen-gorums checks GORUMS_GEN_ABI at compile time, so
 * that generated code and a runtime of another generation fail to compile
 * instead of misbehaving. GORUMS_GEN_ABI changes whenever the runtime API
 * that generated code uses changes incompatibly.
 */
#ifndef GORUMS_VERSION_H
#define GORUMS_VERSION_H

#define GORUMS_VERSION_MAJOR  0
#define GORUMS_VERSION_MINOR  1
#define GORUMS_VERSION_PATCH  0
#define GORUMS_VERSION_STRING "0.1.0"

/* The generated-code ABI this runtime provides. */
#define GORUMS_GEN_ABI 2

#endif /* GORUMS_VERSION_H */
