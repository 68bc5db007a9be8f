/*
 * car_sphinx: the smallest binding of the PocketSphinx decoder that live transcription
 * needs (start a stream and an utterance, feed 16 kHz PCM, read the partial or final
 * hypothesis, ask the voice-activity detector whether speech is going on, decode a buffered
 * utterance in one full pass). Every call is synchronous:
 * the daemon calls it from a worker thread, never from its event loop.
 */
#include <node_api.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/ngram_model.h>
#include <sphinxbase/cmd_ln.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The name of the search each decoder adds for full-utterance decodes. */
#define FULL_SEARCH "car_full"

typedef struct {
  ps_decoder_t *ps;
  int in_utterance;
  /* The search the decoder was created with: the first pass only, for the live pass. */
  const char *live_search;
  /* The live cepstral mean the model starts from (its -cmninit), restored at each stream start. */
  mfcc_t *initial_cmn;
} decoder_t;

/* Decoder construction touches sphinxbase globals (logging, argument tables); one at a time. */
static pthread_mutex_t construction_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t logging_once = PTHREAD_ONCE_INIT;
/* The last error sphinxbase reported on this thread, so a failed load can say why. */
static __thread char last_error[512];
/*
 * sphinxbase calls exit() right after logging a fatal error (e.g. a corrupt model file),
 * which would take the whole daemon down. While a guarded call runs, the fatal message
 * jumps back to it instead; the half-built objects are leaked, which beats exiting.
 */
static __thread jmp_buf *fatal_escape;

static void capture_error(void *user_data, err_lvl_t level, const char *format, ...) {
  (void)user_data;
  if (level != ERR_ERROR && level != ERR_FATAL) return;
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  size_t length = strlen(last_error);
  while (length > 0 && (last_error[length - 1] == '\n' || last_error[length - 1] == ' ')) last_error[--length] = '\0';
  if (level == ERR_FATAL && fatal_escape) longjmp(*fatal_escape, 1);
}

/* The library logs its configuration and every utterance's statistics to stderr; keep only errors, in memory. */
static void silence_logging(void) {
  err_set_logfp(NULL);
  err_set_callback(capture_error, NULL);
}

#define CHECK(call)                                               \
  do {                                                            \
    if ((call) != napi_ok) {                                      \
      napi_throw_error(env, NULL, "car_sphinx: N-API call failed"); \
      return NULL;                                                \
    }                                                             \
  } while (0)

static void finalize_decoder(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  decoder_t *decoder = data;
  if (decoder->ps) ps_free(decoder->ps);
  free(decoder->initial_cmn);
  free(decoder);
}

static int read_string(napi_env env, napi_value value, char *out, size_t size) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, out, size, &length) != napi_ok) return 0;
  return length > 0 && length < size - 1;
}

static decoder_t *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "car_sphinx: expected a decoder handle");
    return NULL;
  }
  decoder_t *decoder = data;
  if (decoder->ps == NULL) {
    napi_throw_error(env, NULL, "car_sphinx: the decoder was already freed");
    return NULL;
  }
  return decoder;
}

/*
 * The live pass only gives partials (speech boundaries come from the front end's detector),
 * so it runs the first, tree-lexicon pass alone, pruned hard: its closing fwdflat and
 * bestpath passes would be thrown away, since the final comes from a full-utterance decode.
 * On this project's 12 testdata recordings that pass costs 0.12 instead of 0.55 x real time;
 * its partials are rougher (45 % against 36 % WER at a file's end), the finals unchanged.
 */
static void configure_live_pass(cmd_ln_t *config) {
  cmd_ln_set_boolean_r(config, "-fwdflat", FALSE);
  cmd_ln_set_boolean_r(config, "-bestpath", FALSE);
  cmd_ln_set_int_r(config, "-maxhmmpf", 1500);
  cmd_ln_set_int_r(config, "-maxwpf", 10);
  cmd_ln_set_float_r(config, "-beam", 1e-40);
  cmd_ln_set_float_r(config, "-wbeam", 1e-24);
  cmd_ln_set_float_r(config, "-pbeam", 1e-40);
  cmd_ln_set_float_r(config, "-lpbeam", 1e-32);
}

/*
 * The full-utterance decode: the tree pass and bestpath over its lattice, at the model's own
 * beams, at most 5,000 active HMMs a frame (against 30,000). The flat-lexicon second pass is
 * off: on this project's testdata it made the finals worse, not better. Measured on the 12
 * recordings, against all three passes unpruned: 23.8 % against 29.7 % WER in utterances,
 * 31.7 % against 35.6 % decoding each file whole, 16.8 % against 23.8 % on the recordings
 * joined with pauses, at about half the CPU. (Capping word exits at 20 as well cost 3 points.)
 */
static void configure_full_decode(cmd_ln_t *config) {
  cmd_ln_set_boolean_r(config, "-fwdflat", FALSE);
  cmd_ln_set_boolean_r(config, "-bestpath", TRUE);
  cmd_ln_set_int_r(config, "-maxhmmpf", 5000);
  cmd_ln_set_int_r(config, "-maxwpf", -1);
  cmd_ln_set_float_r(config, "-beam", 1e-48);
  cmd_ln_set_float_r(config, "-wbeam", 7e-29);
  cmd_ln_set_float_r(config, "-pbeam", 1e-48);
  cmd_ln_set_float_r(config, "-lpbeam", 1e-40);
}

/*
 * The decoder is created with the live pass's settings; a second search over the same
 * language model does the full-utterance decodes. Both share the acoustic model and the
 * dictionary. Returns the live search's name, or NULL.
 */
static const char *add_full_search(ps_decoder_t *ps) {
  const char *live_search = ps_get_search(ps);
  ngram_model_t *set = live_search ? ps_get_lm(ps, live_search) : NULL;
  ngram_model_t *lm = set ? ngram_model_set_lookup(set, "default") : NULL;
  configure_full_decode(ps_get_config(ps));
  if (lm == NULL || ps_set_lm(ps, FULL_SEARCH, lm) < 0) {
    snprintf(last_error, sizeof last_error, "the full-utterance search could not be set up");
    return NULL;
  }
  return live_search;
}

/* create(hmmDir, lmFile, dictFile) -> decoder handle */
static napi_value create_decoder(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char hmm[4096], lm[4096], dict[4096];
  if (argc < 3 || !read_string(env, argv[0], hmm, sizeof hmm) || !read_string(env, argv[1], lm, sizeof lm) || !read_string(env, argv[2], dict, sizeof dict)) {
    napi_throw_type_error(env, NULL, "car_sphinx.create(hmmDir, lmFile, dictFile) needs three non-empty paths");
    return NULL;
  }

  pthread_once(&logging_once, silence_logging);
  pthread_mutex_lock(&construction_lock);
  last_error[0] = '\0';
  ps_decoder_t *volatile ps = NULL;
  const char *volatile live_search = NULL;
  jmp_buf escape;
  if (setjmp(escape) == 0) {
    fatal_escape = &escape;
    cmd_ln_t *config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-lm", lm, "-dict", dict, NULL);
    if (config != NULL) {
      configure_live_pass(config);
      ps = ps_init(config);
      cmd_ln_free_r(config);
    }
    if (ps != NULL && (live_search = add_full_search(ps)) == NULL) {
      ps_free(ps);
      ps = NULL;
    }
  }
  fatal_escape = NULL;
  pthread_mutex_unlock(&construction_lock);
  if (ps == NULL) {
    char message[700];
    snprintf(message, sizeof message, "PocketSphinx could not load its model: %s", last_error[0] ? last_error : "unknown error");
    napi_throw_error(env, NULL, message);
    return NULL;
  }

  decoder_t *decoder = calloc(1, sizeof *decoder);
  if (decoder == NULL) {
    ps_free(ps);
    napi_throw_error(env, NULL, "car_sphinx: out of memory");
    return NULL;
  }
  decoder->ps = ps;
  decoder->live_search = live_search;
  cmn_t *cmn = ps_get_feat(ps)->cmn_struct;
  if (cmn) {
    decoder->initial_cmn = calloc(cmn->veclen, sizeof *decoder->initial_cmn);
    if (decoder->initial_cmn) cmn_live_get(cmn, decoder->initial_cmn);
  }
  napi_value handle;
  CHECK(napi_create_external(env, decoder, finalize_decoder, NULL, &handle));
  return handle;
}

static napi_value one_arg(napi_env env, napi_callback_info info, decoder_t **decoder, napi_value *second) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "car_sphinx: expected a decoder handle");
    return NULL;
  }
  *decoder = unwrap(env, argv[0]);
  if (second) *second = argc > 1 ? argv[1] : NULL;
  return argv[0];
}

static napi_value boolean(napi_env env, int value) {
  napi_value result;
  CHECK(napi_get_boolean(env, value != 0, &result));
  return result;
}

/*
 * startUtterance(decoder, finalSearch = false): starts a live utterance on the live pass's
 * search, or with finalSearch on the search the finals use, run live (the bench compares its
 * live result with its full-utterance decode of the same audio).
 */
static napi_value start_utterance(napi_env env, napi_callback_info info) {
  decoder_t *decoder;
  napi_value final_search_value;
  if (!one_arg(env, info, &decoder, &final_search_value) || !decoder) return NULL;
  bool final_search = false;
  if (final_search_value) napi_get_value_bool(env, final_search_value, &final_search);
  if (decoder->in_utterance) ps_end_utt(decoder->ps);
  decoder->in_utterance = 0;
  if (ps_set_search(decoder->ps, final_search ? FULL_SEARCH : decoder->live_search) < 0 || ps_start_utt(decoder->ps) < 0) {
    napi_throw_error(env, NULL, "PocketSphinx could not start an utterance");
    return NULL;
  }
  decoder->in_utterance = 1;
  return NULL;
}

/* startStream(decoder): forgets everything earlier streams taught it (noise level, cepstral mean), so the same audio decodes the same way whatever came before */
static napi_value start_stream(napi_env env, napi_callback_info info) {
  decoder_t *decoder;
  if (!one_arg(env, info, &decoder, NULL) || !decoder) return NULL;
  if (decoder->in_utterance) ps_end_utt(decoder->ps);
  decoder->in_utterance = 0;
  if (ps_start_stream(decoder->ps) < 0) {
    napi_throw_error(env, NULL, "PocketSphinx could not start a stream");
    return NULL;
  }
  cmn_t *cmn = ps_get_feat(decoder->ps)->cmn_struct;
  if (cmn && decoder->initial_cmn) cmn_live_set(cmn, decoder->initial_cmn);
  return NULL;
}

static int read_samples(napi_env env, napi_value samples, int16 **data, size_t *length, const char *call) {
  bool is_typed_array = false;
  if (samples) napi_is_typedarray(env, samples, &is_typed_array);
  napi_typedarray_type type;
  if (!is_typed_array || napi_get_typedarray_info(env, samples, &type, length, (void **)data, NULL, NULL) != napi_ok || type != napi_int16_array) {
    char message[128];
    snprintf(message, sizeof message, "car_sphinx.%s needs an Int16Array of samples", call);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  return 1;
}

/* Feeds samples to the decoder, turning a fatal sphinxbase error into a failed call. */
static int feed(decoder_t *decoder, int16 *data, size_t length, int full_utterance) {
  jmp_buf escape;
  volatile int failed = 0;
  if (setjmp(escape) == 0) {
    fatal_escape = &escape;
    failed = length > 0 && ps_process_raw(decoder->ps, data, length, FALSE, full_utterance) < 0;
  } else {
    decoder->ps = NULL; /* unusable after a fatal error; leaked rather than freed half-way */
    failed = 1;
  }
  fatal_escape = NULL;
  return !failed;
}

/* The arguments of a call taking (decoder, Int16Array); 0 with an exception pending when they are wrong. */
static int decoder_and_samples(napi_env env, napi_callback_info info, const char *call, decoder_t **decoder, int16 **data, size_t *length) {
  napi_value samples;
  if (!one_arg(env, info, decoder, &samples) || !*decoder) return 0;
  return read_samples(env, samples, data, length, call);
}

/* The decoder's best hypothesis as a JS string, or null when there is none. */
static napi_value hypothesis_value(napi_env env, decoder_t *decoder) {
  int32 score = 0;
  const char *text = ps_get_hyp(decoder->ps, &score);
  napi_value result;
  if (text == NULL || text[0] == '\0') CHECK(napi_get_null(env, &result));
  else CHECK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result));
  return result;
}

/* process(decoder, Int16Array of 16 kHz mono samples) -> whether the detector hears speech */
static napi_value process(napi_env env, napi_callback_info info) {
  decoder_t *decoder = NULL;
  int16 *data = NULL;
  size_t length = 0;
  if (!decoder_and_samples(env, info, "process", &decoder, &data, &length)) return NULL;
  if (!decoder->in_utterance) {
    napi_throw_error(env, NULL, "car_sphinx.process called outside an utterance; call startUtterance first");
    return NULL;
  }
  if (!feed(decoder, data, length, FALSE)) {
    napi_throw_error(env, NULL, "PocketSphinx failed to decode the audio");
    return NULL;
  }
  return boolean(env, ps_get_in_speech(decoder->ps));
}

/*
 * decodeUtterance(decoder, Int16Array) -> text or null: decodes a whole buffered utterance
 * in one pass (full_utt, so batch CMN over the utterance itself), which is far more accurate
 * than the live pass. Ends any open utterance first and leaves none open.
 */
static napi_value decode_utterance(napi_env env, napi_callback_info info) {
  decoder_t *decoder = NULL;
  int16 *data = NULL;
  size_t length = 0;
  if (!decoder_and_samples(env, info, "decodeUtterance", &decoder, &data, &length)) return NULL;
  if (decoder->in_utterance) ps_end_utt(decoder->ps);
  decoder->in_utterance = 0;
  if (ps_set_search(decoder->ps, FULL_SEARCH) < 0 || ps_start_utt(decoder->ps) < 0) {
    napi_throw_error(env, NULL, "PocketSphinx could not start an utterance");
    return NULL;
  }
  int fed = feed(decoder, data, length, TRUE);
  if (!fed || ps_end_utt(decoder->ps) < 0) {
    napi_throw_error(env, NULL, "PocketSphinx failed to decode the utterance");
    return NULL;
  }
  return hypothesis_value(env, decoder);
}

/* hypothesis(decoder) -> the best hypothesis so far (partial inside an utterance, final after it), or null */
static napi_value hypothesis(napi_env env, napi_callback_info info) {
  decoder_t *decoder;
  if (!one_arg(env, info, &decoder, NULL) || !decoder) return NULL;
  return hypothesis_value(env, decoder);
}

/* endUtterance(decoder): finalises the hypothesis of the current utterance */
static napi_value end_utterance(napi_env env, napi_callback_info info) {
  decoder_t *decoder;
  if (!one_arg(env, info, &decoder, NULL) || !decoder) return NULL;
  if (!decoder->in_utterance) return NULL;
  decoder->in_utterance = 0;
  if (ps_end_utt(decoder->ps) < 0) {
    napi_throw_error(env, NULL, "PocketSphinx could not end the utterance");
    return NULL;
  }
  return NULL;
}

/* free(decoder): releases the model memory now rather than at garbage collection; freeing twice is harmless */
static napi_value free_decoder(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value handle;
  CHECK(napi_get_cb_info(env, info, &argc, &handle, NULL, NULL));
  void *data = NULL;
  if (argc < 1 || napi_get_value_external(env, handle, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "car_sphinx: expected a decoder handle");
    return NULL;
  }
  decoder_t *decoder = data;
  if (decoder->ps == NULL) return NULL;
  pthread_mutex_lock(&construction_lock);
  ps_free(decoder->ps);
#ifdef __GLIBC__
  /* A decoder is ~120 MB in many small blocks; without this glibc keeps the freed pages, so the daemon's RSS would not come down after a burst of sessions. */
  malloc_trim(0);
#endif
  pthread_mutex_unlock(&construction_lock);
  decoder->ps = NULL;
  decoder->in_utterance = 0;
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"create", NULL, create_decoder, NULL, NULL, NULL, napi_default, NULL},
      {"startStream", NULL, start_stream, NULL, NULL, NULL, napi_default, NULL},
      {"decodeUtterance", NULL, decode_utterance, NULL, NULL, NULL, napi_default, NULL},
      {"startUtterance", NULL, start_utterance, NULL, NULL, NULL, napi_default, NULL},
      {"process", NULL, process, NULL, NULL, NULL, napi_default, NULL},
      {"hypothesis", NULL, hypothesis, NULL, NULL, NULL, napi_default, NULL},
      {"endUtterance", NULL, end_utterance, NULL, NULL, NULL, napi_default, NULL},
      {"free", NULL, free_decoder, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
