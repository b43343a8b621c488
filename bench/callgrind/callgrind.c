/*
 * The callgrind client requests, callable from JavaScript, so a bench can count the instructions of exactly the
 * window it measures (warm-up and module loading left out). Outside valgrind every request is a few no-op
 * instructions, so the addon is harmless to load anywhere; running() says whether the counts are real.
 */
#include <node_api.h>
#include <valgrind/callgrind.h>

static napi_value start(napi_env env, napi_callback_info info) {
  CALLGRIND_START_INSTRUMENTATION;
  return NULL;
}

static napi_value stop(napi_env env, napi_callback_info info) {
  CALLGRIND_STOP_INSTRUMENTATION;
  return NULL;
}

static napi_value zero(napi_env env, napi_callback_info info) {
  CALLGRIND_ZERO_STATS;
  return NULL;
}

static napi_value toggle(napi_env env, napi_callback_info info) {
  CALLGRIND_TOGGLE_COLLECT;
  return NULL;
}

/* Dumps the counts so far into their own part of callgrind.out, named by the argument (the window's label). */
static napi_value dump(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char label[256] = "window";
  size_t length = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_get_value_string_utf8(env, argv[0], label, sizeof label, &length);
  CALLGRIND_DUMP_STATS_AT(label);
  return NULL;
}

static napi_value running(napi_env env, napi_callback_info info) {
  napi_value result;
  napi_get_boolean(env, RUNNING_ON_VALGRIND != 0, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"start", NULL, start, NULL, NULL, NULL, napi_default, NULL},
      {"stop", NULL, stop, NULL, NULL, NULL, napi_default, NULL},
      {"zero", NULL, zero, NULL, NULL, NULL, napi_default, NULL},
      {"toggle", NULL, toggle, NULL, NULL, NULL, napi_default, NULL},
      {"dump", NULL, dump, NULL, NULL, NULL, napi_default, NULL},
      {"running", NULL, running, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
