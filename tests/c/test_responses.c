/* The OpenAI Responses API bridge through the C ABI: every function, its success path and its
 * error paths (NULL arguments, bad requests naming the item, bad options, an unknown token, a
 * finished stream). The mapping itself is tested in tests/responses.rs and
 * tests/python/test_responses.py; here the C contract: ownership, out-parameters, statuses. */
#include "check.h"

#include <stdlib.h>
#include <string.h>

static void expect_error(harmony_error *err, harmony_status status, const char *needle) {
  CHECK(err != NULL);
  if (!err) return;
  CHECK(harmony_error_status(err) == status);
  const char *msg = harmony_error_message(err);
  CHECK(msg != NULL && strstr(msg, needle) != NULL);
  if (msg && !strstr(msg, needle)) fprintf(stderr, "  message was: %s (wanted '%s')\n", msg, needle);
  harmony_error_free(err);
}

static harmony_tokens encode(const harmony_encoding *enc, const char *text) {
  harmony_tokens t = {NULL, 0};
  CHECK_STATUS(harmony_encode(enc, text, strlen(text), HARMONY_ENCODE_ALLOW_SPECIAL, &t, NULL), HARMONY_OK);
  return t;
}

static void test_render(const harmony_encoding *enc) {
  const char *req = "{\"instructions\":\"Be brief.\",\"input\":\"Hello!\"}";
  const char *opts = "{\"conversation_start_date\":\"2025-06-28\"}";
  harmony_tokens t = {NULL, 0};
  harmony_error *err = NULL;
  CHECK_STATUS(harmony_responses_render(enc, req, strlen(req), opts, strlen(opts), &t, &err), HARMONY_OK);
  CHECK(err == NULL);
  CHECK(t.len > 10 && t.data[0] == HARMONY_TOKEN_START && t.data[t.len - 2] == HARMONY_TOKEN_START);
  harmony_string s;
  CHECK_STATUS(harmony_decode(enc, t.data, t.len, 0, &s, NULL), HARMONY_OK);
  CHECK(strstr(s.data, "Current date: 2025-06-28") && strstr(s.data, "# Instructions\n\nBe brief.") &&
        strstr(s.data, "<|start|>user<|message|>Hello!<|end|>"));
  harmony_string_free(&s);
  harmony_tokens_free(&t);

  const char *image = "{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"image_url\":\"x\"}]}]}";
  CHECK_STATUS(harmony_responses_render(enc, image, strlen(image), NULL, 0, &t, &err), HARMONY_ERROR_INVALID_JSON);
  CHECK(t.data == NULL && t.len == 0);
  expect_error(err, HARMONY_ERROR_INVALID_JSON, "request.input[0].content[0]");
  CHECK_STATUS(harmony_responses_render(enc, req, strlen(req), "{\"colour\":1}", 12, &t, &err), HARMONY_ERROR_INVALID_JSON);
  expect_error(err, HARMONY_ERROR_INVALID_JSON, "colour");
  CHECK_STATUS(harmony_responses_render(enc, "{", 1, NULL, 0, &t, &err), HARMONY_ERROR_INVALID_JSON);
  expect_error(err, HARMONY_ERROR_INVALID_JSON, "request");
  CHECK_STATUS(harmony_responses_render(enc, "\xff", 1, NULL, 0, &t, &err), HARMONY_ERROR_INVALID_UTF8);
  expect_error(err, HARMONY_ERROR_INVALID_UTF8, "request");
  CHECK_STATUS(harmony_responses_render(NULL, req, strlen(req), NULL, 0, &t, &err), HARMONY_ERROR_INVALID_ARGUMENT);
  expect_error(err, HARMONY_ERROR_INVALID_ARGUMENT, "encoding");
  CHECK_STATUS(harmony_responses_render(enc, req, strlen(req), NULL, 0, NULL, &err), HARMONY_ERROR_INVALID_ARGUMENT);
  expect_error(err, HARMONY_ERROR_INVALID_ARGUMENT, "out");
  CHECK_STATUS(harmony_responses_render(enc, NULL, 5, NULL, 0, &t, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
}

static const char *COMPLETION =
    "<|channel|>analysis<|message|>Two cities.<|end|><|start|>assistant<|channel|>commentary to=functions.w "
    "<|constrain|>json<|message|>{\"c\":\"Tokyo\"}<|call|><|start|>assistant<|channel|>commentary to=functions.w "
    "<|constrain|>json<|message|>{\"c\":\"Paris\"}<|call|>";

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

static void test_parse(const harmony_encoding *enc) {
  harmony_tokens c = encode(enc, COMPLETION);
  const char *opts = "{\"id\":\"resp_7\",\"model\":\"gpt-oss-20b\"}";
  harmony_string s = {NULL, 0};
  harmony_error *err = NULL;
  CHECK_STATUS(harmony_responses_parse(enc, c.data, c.len, opts, strlen(opts), &s, &err), HARMONY_OK);
  CHECK(s.data != NULL && strlen(s.data) == s.len);
  CHECK(strstr(s.data, "\"id\":\"resp_7\"") && strstr(s.data, "\"status\":\"completed\"") &&
        strstr(s.data, "\"model\":\"gpt-oss-20b\""));
  CHECK(count(s.data, "\"type\":\"function_call\"") == 2 && count(s.data, "\"type\":\"reasoning\"") == 1);
  harmony_string_free(&s);
  /* Truncated: incomplete. */
  CHECK_STATUS(harmony_responses_parse(enc, c.data, 5, NULL, 0, &s, NULL), HARMONY_OK);
  CHECK(strstr(s.data, "\"status\":\"incomplete\"") && strstr(s.data, "max_output_tokens"));
  harmony_string_free(&s);
  uint32_t unknown = HARMONY_VOCAB_SIZE;
  CHECK_STATUS(harmony_responses_parse(enc, &unknown, 1, NULL, 0, &s, &err), HARMONY_ERROR_UNKNOWN_TOKEN);
  CHECK(s.data == NULL);
  harmony_error_free(err);
  CHECK_STATUS(harmony_responses_parse(enc, NULL, 3, NULL, 0, &s, &err), HARMONY_ERROR_INVALID_ARGUMENT);
  expect_error(err, HARMONY_ERROR_INVALID_ARGUMENT, "tokens");
  CHECK_STATUS(harmony_responses_parse(enc, NULL, 0, NULL, 0, &s, NULL), HARMONY_OK);
  CHECK(strstr(s.data, "\"status\":\"incomplete\"") != NULL);
  harmony_string_free(&s);
  CHECK_STATUS(harmony_responses_parse(NULL, c.data, c.len, NULL, 0, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_responses_parse(enc, c.data, c.len, NULL, 0, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  harmony_tokens_free(&c);
}

static void test_stream(const harmony_encoding *enc) {
  harmony_tokens c = encode(enc, COMPLETION);
  harmony_responses_stream *st = NULL;
  harmony_error *err = NULL;
  CHECK_STATUS(harmony_responses_stream_new(enc, "{\"id\":\"resp_7\"}", 15, &st, &err), HARMONY_OK);
  CHECK(st != NULL);
  int created = 0, added = 0, deltas = 0, empty = 0;
  for (size_t i = 0; i < c.len; i++) {
    harmony_string s = {NULL, 0};
    CHECK_STATUS(harmony_responses_stream_process(st, c.data[i], &s, NULL), HARMONY_OK);
    CHECK(s.data != NULL && s.data[0] == '[');
    created += count(s.data, "\"response.created\"");
    added += count(s.data, "\"response.output_item.added\"");
    deltas += count(s.data, "\"response.function_call_arguments.delta\"");
    empty += strcmp(s.data, "[]") == 0;
    harmony_string_free(&s);
  }
  CHECK(created == 1 && added == 3 && deltas > 2 && empty > 0);
  harmony_string s = {NULL, 0};
  CHECK_STATUS(harmony_responses_stream_finish(st, &s, NULL), HARMONY_OK);
  CHECK(strstr(s.data, "\"response.completed\"") && strstr(s.data, "\"id\":\"resp_7\""));
  harmony_string_free(&s);
  CHECK_STATUS(harmony_responses_stream_finish(st, &s, &err), HARMONY_ERROR_INVALID_ARGUMENT);
  expect_error(err, HARMONY_ERROR_INVALID_ARGUMENT, "finished");
  CHECK_STATUS(harmony_responses_stream_process(st, 1, &s, &err), HARMONY_ERROR_INVALID_ARGUMENT);
  expect_error(err, HARMONY_ERROR_INVALID_ARGUMENT, "finished");
  harmony_responses_stream_free(st);
  harmony_responses_stream_free(NULL);

  /* The stream holds its own reference to the encoding. */
  const harmony_encoding *enc2 = NULL;
  CHECK_STATUS(harmony_encoding_new(NULL, &enc2, NULL), HARMONY_OK);
  CHECK_STATUS(harmony_responses_stream_new(enc2, NULL, 0, &st, NULL), HARMONY_OK);
  harmony_encoding_free(enc2);
  CHECK_STATUS(harmony_responses_stream_process(st, c.data[0], &s, NULL), HARMONY_OK);
  harmony_string_free(&s);
  CHECK_STATUS(harmony_responses_stream_process(st, HARMONY_VOCAB_SIZE, &s, &err), HARMONY_ERROR_UNKNOWN_TOKEN);
  harmony_error_free(err);
  harmony_responses_stream_free(st);

  CHECK_STATUS(harmony_responses_stream_new(enc, "[]", 2, &st, &err), HARMONY_ERROR_INVALID_JSON);
  CHECK(st == NULL);
  expect_error(err, HARMONY_ERROR_INVALID_JSON, "options");
  CHECK_STATUS(harmony_responses_stream_new(NULL, NULL, 0, &st, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_responses_stream_new(enc, NULL, 0, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_responses_stream_process(NULL, 1, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_responses_stream_finish(NULL, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);

  /* harmony_responses_stream_next lends the same arrays (NULL where _process gives "[]"). */
  harmony_responses_stream *copying = NULL;
  CHECK_STATUS(harmony_responses_stream_new(enc, "{\"id\":\"resp_7\"}", 15, &st, NULL), HARMONY_OK);
  CHECK_STATUS(harmony_responses_stream_new(enc, "{\"id\":\"resp_7\"}", 15, &copying, NULL), HARMONY_OK);
  int lent = 0;
  for (size_t i = 0; i < c.len; i++) {
    const char *data = "x";
    size_t len = 7;
    CHECK_STATUS(harmony_responses_stream_next(st, c.data[i], &data, &len, NULL), HARMONY_OK);
    CHECK_STATUS(harmony_responses_stream_process(copying, c.data[i], &s, NULL), HARMONY_OK);
    if (data) {
      CHECK(len == s.len && memcmp(data, s.data, len) == 0 && data[len] == 0);
      lent++;
    } else {
      CHECK(len == 0 && strcmp(s.data, "[]") == 0);
    }
    harmony_string_free(&s);
  }
  CHECK(lent > 3 && (size_t)lent < c.len);
  const char *data = NULL;
  size_t len = 0;
  CHECK_STATUS(harmony_responses_stream_next(NULL, 1, &data, &len, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_responses_stream_next(st, 1, NULL, &len, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_responses_stream_next(st, 1, &data, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_responses_stream_next(st, HARMONY_VOCAB_SIZE, &data, &len, &err), HARMONY_ERROR_UNKNOWN_TOKEN);
  CHECK(data == NULL && len == 0);
  harmony_error_free(err);
  harmony_responses_stream_free(st);
  harmony_responses_stream_free(copying);
  harmony_tokens_free(&c);
}

/* Hostile model output: random sequences of valid ids, dense in special tokens, parsed whole and
 * streamed. Model output is never an error: every call succeeds, and the stream's last event
 * carries the same response as the one-shot parse. */
static void test_random_tokens(const harmony_encoding *enc) {
  static const uint32_t specials[] = {200002, 200003, 200005, 200006, 200007, 200008, 200012, 173781};
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  for (int round = 0; round < 300; round++) {
    uint32_t toks[48];
    size_t n = (size_t)(round % 48);
    for (size_t i = 0; i < n; i++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      uint32_t r = (uint32_t)(seed >> 33);
      toks[i] = (r & 1) ? specials[(r >> 1) % 8] : (r >> 1) % HARMONY_VOCAB_SIZE;
    }
    harmony_string whole = {NULL, 0};
    CHECK_STATUS(harmony_responses_parse(enc, toks, n, NULL, 0, &whole, NULL), HARMONY_OK);
    harmony_responses_stream *st = NULL;
    CHECK_STATUS(harmony_responses_stream_new(enc, NULL, 0, &st, NULL), HARMONY_OK);
    for (size_t i = 0; i < n; i++) {
      harmony_string s = {NULL, 0};
      CHECK_STATUS(harmony_responses_stream_process(st, toks[i], &s, NULL), HARMONY_OK);
      harmony_string_free(&s);
    }
    harmony_string tail = {NULL, 0};
    CHECK_STATUS(harmony_responses_stream_finish(st, &tail, NULL), HARMONY_OK);
    /* The last event is {"type":...,"sequence_number":N,"response":<whole>}. */
    CHECK(whole.data && tail.data && tail.len > whole.len + 2 &&
          memcmp(tail.data + tail.len - 2 - whole.len, whole.data, whole.len) == 0);
    harmony_string_free(&tail);
    harmony_string_free(&whole);
    harmony_responses_stream_free(st);
  }
}

int main(void) {
  const harmony_encoding *enc = NULL;
  if (harmony_encoding_new(NULL, &enc, NULL) != HARMONY_OK) {
    fprintf(stderr, "cannot create encoding\n");
    return 1;
  }
  test_render(enc);
  test_parse(enc);
  test_stream(enc);
  test_random_tokens(enc);
  harmony_encoding_free(enc);
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("all Responses C API checks passed\n");
  return 0;
}
