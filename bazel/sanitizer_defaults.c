/*
 * Default options for the sanitizers, linked into every test and program.
 *
 * The one suppression is for libnng.so: it is not instrumented, and it hands
 * objects between its threads with atomics TSan cannot see. Our own code is
 * never suppressed. TSAN_OPTIONS etc. in the environment still override.
 */

const char *__tsan_default_suppressions(void);
const char *__tsan_default_options(void);
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *
__tsan_default_suppressions(void)
{
	return ("race:libnng.so\n");
}

const char *
__tsan_default_options(void)
{
	return ("halt_on_error=1:second_deadlock_stack=1");
}

const char *
__asan_default_options(void)
{
	return ("detect_leaks=1:strict_string_checks=1:"
	        "detect_stack_use_after_return=1");
}

const char *
__ubsan_default_options(void)
{
	return ("print_stacktrace=1:halt_on_error=1");
}
