/*
 * tsan.h: guards for the ThreadSanitizer build.
 *
 * Lock-free code on ck_pr is visible to TSan only through the ck_pr.h
 * overlay that --config=tsan selects (bazel/ck/BUILD): without it, TSan
 * reports races in correct code, and the real ones drown. This header stops
 * such a build at compile time instead.
 */
#ifndef GRI_TSAN_H
#define GRI_TSAN_H

#include <ck_pr.h>

#if defined(__SANITIZE_THREAD__)
#define GRI_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GRI_TSAN 1
#endif
#endif

#if defined(GRI_TSAN) && !CK_USE_CC_BUILTINS
#error "ThreadSanitizer build without the ck_pr.h overlay: use --config=tsan"
#endif

#endif /* GRI_TSAN_H */
