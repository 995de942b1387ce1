// Clang thread-safety annotations (-Wthread-safety). No-ops on other compilers.
#pragma once

#if defined(__clang__)
#define DAAS_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define DAAS_THREAD_ANNOTATION_(x)
#endif

#define DAAS_CAPABILITY(x) DAAS_THREAD_ANNOTATION_(capability(x))
#define DAAS_SCOPED_CAPABILITY DAAS_THREAD_ANNOTATION_(scoped_lockable)
#define DAAS_GUARDED_BY(x) DAAS_THREAD_ANNOTATION_(guarded_by(x))
#define DAAS_PT_GUARDED_BY(x) DAAS_THREAD_ANNOTATION_(pt_guarded_by(x))
#define DAAS_ACQUIRED_BEFORE(...) DAAS_THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))
#define DAAS_REQUIRES(...) DAAS_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define DAAS_REQUIRES_SHARED(...) DAAS_THREAD_ANNOTATION_(requires_shared_capability(__VA_ARGS__))
#define DAAS_ACQUIRE(...) DAAS_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define DAAS_TRY_ACQUIRE(...) DAAS_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#define DAAS_ACQUIRE_SHARED(...) DAAS_THREAD_ANNOTATION_(acquire_shared_capability(__VA_ARGS__))
#define DAAS_RELEASE(...) DAAS_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define DAAS_RELEASE_SHARED(...) DAAS_THREAD_ANNOTATION_(release_shared_capability(__VA_ARGS__))
#define DAAS_EXCLUDES(...) DAAS_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define DAAS_RETURN_CAPABILITY(x) DAAS_THREAD_ANNOTATION_(lock_returned(x))
#define DAAS_NO_THREAD_SAFETY_ANALYSIS DAAS_THREAD_ANNOTATION_(no_thread_safety_analysis)
