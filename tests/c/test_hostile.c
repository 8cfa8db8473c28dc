/* Hostile input through every function of the C API: NULL for every pointer, lengths that are
 * valid per the contract but unusual (0 with a pointer, shorter than the buffer), huge and
 * deeply nested inputs, invalid UTF-8, out-of-range roles, modes, flags and token ids, parser
 * misuse (more tokens after an error, end of stream twice, tokens after the end), and
 * thousands of random token sequences parsed whole and streamed. Every call must return a
 * status (never HARMONY_ERROR_PANIC) and keep its output contract. Run as c_hostile, under
 * valgrind (c_hostile_valgrind) and under AddressSanitizer + UBSan with leak detection
 * (c_api_asan), so it must also leak nothing. */
#include "harmony.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
/* Any status but a caught panic. */
#define CHECK_NO_PANIC(expr) CHECK((expr) != HARMONY_ERROR_PANIC)

static const harmony_encoding *enc;

/* Checks an error object against its status and frees it. */
static void check_error(harmony_status st, harmony_error *err) {
  CHECK(st != HARMONY_ERROR_PANIC);
  if (st == HARMONY_OK) {
    CHECK(err == NULL);
    return;
  }
  CHECK(err != NULL);
  if (!err) return;
  CHECK(harmony_error_status(err) == st);
  const char *m = harmony_error_message(err);
  CHECK(m != NULL && m[0] != '\0');
  harmony_error_free(err);
}

static char *repeat(const char *unit, size_t times, size_t *len_out) {
  size_t u = strlen(unit), n = u * times;
  char *s = malloc(n + 1);
  if (!s) abort();
  for (size_t i = 0; i < times; i++) memcpy(s + i * u, unit, u);
  s[n] = '\0';
  if (len_out) *len_out = n;
  return s;
}

/* ---------------------------------------------------------------------------------------- */

static void test_null_everywhere(void) {
  const char *conv = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  size_t cl = strlen(conv), n = 0;
  harmony_tokens t = {NULL, 0};
  harmony_string s = {NULL, 0};
  const uint32_t tok[] = {200006, 1428, 200008, 3686, 200007};
  const uint32_t *stops = NULL;
  const char *name = NULL;
  uint32_t id = 0, buf[64];
  char cbuf[64];
  harmony_parser *p = NULL;
  const harmony_encoding *e2 = NULL;

  CHECK_STATUS(harmony_encoding_new(NULL, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_render(NULL, 0, conv, cl, 1, 0, &t, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_render(enc, 0, NULL, cl, 1, 0, &t, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_render(enc, 0, conv, cl, 1, 0, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_render_into(NULL, 0, conv, cl, 1, 0, buf, 64, &n, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_render_into(enc, 0, NULL, cl, 1, 0, buf, 64, &n, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_render_into(enc, 0, conv, cl, 1, 0, NULL, 64, &n, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_render_into(enc, 0, conv, cl, 1, 0, buf, 64, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parse(NULL, tok, 5, -1, 0, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parse(enc, NULL, 5, -1, 0, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parse(enc, tok, 5, -1, 0, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_encode(NULL, "x", 1, 0, &t, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_encode(enc, NULL, 1, 0, &t, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_encode(enc, "x", 1, 0, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_encode_into(NULL, "x", 1, 0, buf, 64, &n, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_encode_into(enc, NULL, 1, 0, buf, 64, &n, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_encode_into(enc, "x", 1, 0, NULL, 64, &n, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_encode_into(enc, "x", 1, 0, buf, 64, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_decode(NULL, tok, 5, 0, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_decode(enc, NULL, 5, 0, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_decode(enc, tok, 5, 0, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_decode_into(NULL, tok, 5, 0, cbuf, 64, &n, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_decode_into(enc, NULL, 5, 0, cbuf, 64, &n, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_decode_into(enc, tok, 5, 0, NULL, 64, &n, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_decode_into(enc, tok, 5, 0, cbuf, 64, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_stop_tokens(NULL, 0, &stops, &n), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_stop_tokens(enc, 0, NULL, &n), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_stop_tokens(enc, 0, &stops, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_special_token_id(NULL, 9, &id), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_special_token_id("<|start|>", 9, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_special_token_name(200006, NULL, &n), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_special_token_name(200006, &name, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_new(NULL, -1, 0, &p, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK(p == NULL);
  CHECK_STATUS(harmony_parser_new(enc, -1, 0, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_process(NULL, 200006, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_process_tokens(NULL, tok, 5, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_process_eos(NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_last_delta(NULL, &name, &n), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_current_content(NULL, &name, &n), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_current_channel(NULL, &name, &n), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_current_recipient(NULL, &name, &n), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_current_content_type(NULL, &name, &n), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_messages_json(NULL, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);

  /* With an error object: it is filled and names the argument. */
  harmony_error *err = NULL;
  CHECK_STATUS(harmony_parse(enc, NULL, 5, -1, 0, &s, &err), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK(err && strstr(harmony_error_message(err), "tokens"));
  check_error(HARMONY_ERROR_INVALID_ARGUMENT, err);

  /* A parser's optional out-parameters may be NULL too. */
  CHECK_STATUS(harmony_parser_new(enc, HARMONY_ROLE_ASSISTANT, 0, &p, NULL), HARMONY_OK);
  CHECK_STATUS(harmony_parser_last_delta(p, NULL, &n), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_last_delta(p, &name, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_messages_json(p, NULL, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  harmony_parser_free(p);

  /* Infallible functions accept NULL. */
  harmony_encoding_free(NULL);
  harmony_parser_free(NULL);
  harmony_tokens_free(NULL);
  harmony_string_free(NULL);
  harmony_error_free(NULL);
  CHECK(harmony_parser_state(NULL) == -1);
  CHECK(harmony_parser_current_role(NULL) == HARMONY_ROLE_NONE);
  CHECK(harmony_parser_message_count(NULL) == 0);
  CHECK(harmony_error_status(NULL) == HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK(harmony_error_message(NULL)[0] == '\0');

  /* NULL name selects the default encoding; the new handle is independent. */
  CHECK_STATUS(harmony_encoding_new(NULL, &e2, NULL), HARMONY_OK);
  harmony_encoding_free(e2);
}

static void test_lengths(void) {
  const char *conv = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}garbage after the end";
  size_t cl = strlen("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  harmony_tokens t = {NULL, 0};
  harmony_string s = {NULL, 0};
  size_t n = 99;
  /* A length shorter than the buffer: only that much is read. */
  CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_CONVERSATION, conv, cl, 0, 0, &t, NULL), HARMONY_OK);
  CHECK(t.len == 5);
  harmony_tokens_free(&t);
  CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_CONVERSATION, conv, cl - 1, 0, 0, &t, NULL), HARMONY_ERROR_INVALID_JSON);
  CHECK(t.data == NULL && t.len == 0);
  /* Length 0, with or without a pointer. */
  CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_CONVERSATION, conv, 0, 0, 0, &t, NULL), HARMONY_ERROR_INVALID_JSON);
  CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_CONVERSATION, NULL, 0, 0, 0, &t, NULL), HARMONY_ERROR_INVALID_JSON);
  CHECK_STATUS(harmony_encode(enc, conv, 0, 0, &t, NULL), HARMONY_OK);
  CHECK(t.data == NULL && t.len == 0);
  CHECK_STATUS(harmony_encode(enc, NULL, 0, HARMONY_ENCODE_ALLOW_SPECIAL, &t, NULL), HARMONY_OK);
  CHECK_STATUS(harmony_encode_into(enc, NULL, 0, 0, NULL, 0, &n, NULL), HARMONY_OK);
  CHECK(n == 0);
  const uint32_t tok[] = {24912, 2375, 4294967295u};
  CHECK_STATUS(harmony_decode(enc, tok, 0, 0, &s, NULL), HARMONY_OK);
  CHECK(s.data && s.len == 0 && s.data[0] == '\0');
  harmony_string_free(&s);
  CHECK_STATUS(harmony_decode(enc, tok, 2, 0, &s, NULL), HARMONY_OK); /* the bad id is past n */
  CHECK(s.len == 11 && strcmp(s.data, "hello world") == 0);
  harmony_string_free(&s);
  harmony_string_free(&s); /* a released string is a no-op */
  CHECK_STATUS(harmony_decode_into(enc, NULL, 0, 0, NULL, 0, &n, NULL), HARMONY_OK);
  CHECK_STATUS(harmony_parse(enc, tok, 0, HARMONY_ROLE_NONE, 0, &s, NULL), HARMONY_OK);
  CHECK(strcmp(s.data, "[]") == 0);
  harmony_string_free(&s);
  /* Sizing protocol: ask with NULL/0, then a buffer one too small, then exact. */
  char exact[11];
  CHECK_STATUS(harmony_decode_into(enc, tok, 2, 0, NULL, 0, &n, NULL), HARMONY_ERROR_BUFFER_TOO_SMALL);
  CHECK(n == 11);
  CHECK_STATUS(harmony_decode_into(enc, tok, 2, 0, exact, 10, &n, NULL), HARMONY_ERROR_BUFFER_TOO_SMALL);
  CHECK_STATUS(harmony_decode_into(enc, tok, 2, 0, exact, 11, &n, NULL), HARMONY_OK);
  CHECK(n == 11 && memcmp(exact, "hello world", 11) == 0);
  /* NUL bytes inside an explicit length are text. */
  CHECK_STATUS(harmony_encode(enc, "a\0b", 3, 0, &t, NULL), HARMONY_OK);
  CHECK_STATUS(harmony_decode(enc, t.data, t.len, 0, &s, NULL), HARMONY_OK);
  CHECK(s.len == 3 && memcmp(s.data, "a\0b", 4) == 0);
  harmony_string_free(&s);
  harmony_tokens_free(&t);
  harmony_tokens_free(&t);
  /* A raw NUL inside JSON is invalid JSON; an escaped one renders. */
  CHECK_STATUS(harmony_render(enc, 1, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\0b\"}]}", 46, 0, 0, &t, NULL),
               HARMONY_ERROR_INVALID_JSON);
  const char *esc = "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]}";
  CHECK_STATUS(harmony_render(enc, 1, esc, strlen(esc), 0, 0, &t, NULL), HARMONY_OK);
  harmony_tokens_free(&t);
}

static void test_out_of_range(void) {
  const char *conv = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  size_t cl = strlen(conv);
  harmony_tokens t = {NULL, 0};
  harmony_string s = {NULL, 0};
  harmony_parser *p = NULL;
  harmony_error *err = NULL;
  const int32_t bad_modes[] = {-1, 4, 5, 1000, INT32_MIN, INT32_MAX};
  for (size_t i = 0; i < sizeof bad_modes / sizeof *bad_modes; i++) {
    CHECK_STATUS(harmony_render(enc, bad_modes[i], conv, cl, 1, 0, &t, &err), HARMONY_ERROR_INVALID_ARGUMENT);
    check_error(HARMONY_ERROR_INVALID_ARGUMENT, err);
  }
  const int32_t bad_roles[] = {-2, 5, 99, INT32_MIN, INT32_MAX};
  for (size_t i = 0; i < sizeof bad_roles / sizeof *bad_roles; i++) {
    CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_COMPLETION, conv, cl, bad_roles[i], 0, &t, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(harmony_parse(enc, NULL, 0, bad_roles[i], 0, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(harmony_parser_new(enc, bad_roles[i], 0, &p, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
    CHECK(p == NULL);
    /* next_role is used by completion mode only */
    CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_CONVERSATION, conv, cl, bad_roles[i], 0, &t, NULL), HARMONY_OK);
    harmony_tokens_free(&t);
  }
  for (int bit = 0; bit < 32; bit++) {
    uint32_t f = (uint32_t)1 << bit;
    harmony_status want = (f & (HARMONY_RENDER_KEEP_ANALYSIS | HARMONY_RENDER_HAS_FUNCTION_TOOLS)) ? HARMONY_OK : HARMONY_ERROR_INVALID_ARGUMENT;
    CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_COMPLETION, conv, cl, 1, f, &t, NULL), want);
    harmony_tokens_free(&t);
    want = (f & (HARMONY_PARSE_LENIENT | HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT | HARMONY_PARSE_RECOVER | HARMONY_PARSE_KEEP_TOKENS)) ? HARMONY_OK : HARMONY_ERROR_INVALID_ARGUMENT;
    CHECK_STATUS(harmony_parse(enc, NULL, 0, -1, f, &s, NULL), want);
    harmony_string_free(&s);
    CHECK_STATUS(harmony_parser_new(enc, -1, f, &p, NULL), want);
    harmony_parser_free(p);
    want = f == HARMONY_ENCODE_ALLOW_SPECIAL ? HARMONY_OK : HARMONY_ERROR_INVALID_ARGUMENT;
    CHECK_STATUS(harmony_encode(enc, "x", 1, f, &t, NULL), want);
    harmony_tokens_free(&t);
    want = f == HARMONY_DECODE_LOSSY ? HARMONY_OK : HARMONY_ERROR_INVALID_ARGUMENT;
    const uint32_t one = 0;
    CHECK_STATUS(harmony_decode(enc, &one, 1, f, &s, NULL), want);
    harmony_string_free(&s);
  }
  /* Token ids out of range. */
  const uint32_t ids[] = {HARMONY_VOCAB_SIZE, 300000, 2147483648u, 4294967294u, 4294967295u};
  for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
    uint32_t two[2] = {24912, ids[i]};
    CHECK_STATUS(harmony_decode(enc, two, 2, 0, &s, &err), HARMONY_ERROR_UNKNOWN_TOKEN);
    CHECK(s.data == NULL);
    check_error(HARMONY_ERROR_UNKNOWN_TOKEN, err);
    CHECK_STATUS(harmony_decode(enc, two, 2, HARMONY_DECODE_LOSSY, &s, NULL), HARMONY_ERROR_UNKNOWN_TOKEN);
    char b[8];
    size_t n = 0;
    CHECK_STATUS(harmony_decode_into(enc, two, 2, 0, b, 8, &n, NULL), HARMONY_ERROR_UNKNOWN_TOKEN);
    const char *name = NULL;
    CHECK_STATUS(harmony_special_token_name(ids[i], &name, &n), HARMONY_ERROR_INVALID_ARGUMENT);
    CHECK(!harmony_token_is_special(ids[i]));
    uint32_t in_header[] = {200006, ids[i], 200008, 24912, 200007};
    uint32_t in_content[] = {200006, 173781, 200008, 24912, ids[i], 200007};
    CHECK_STATUS(harmony_parse(enc, in_header, 5, -1, 0, &s, NULL), HARMONY_ERROR_PARSE);
    CHECK_STATUS(harmony_parse(enc, in_content, 6, -1, 0, &s, NULL), HARMONY_OK);
    CHECK(s.data && strstr(s.data, "hello\xef\xbf\xbd")); /* U+FFFD, as openai-harmony 0.0.8 */
    harmony_string_free(&s);
  }
  const uint32_t *stops = NULL;
  size_t n = 0;
  const int32_t actions[] = {INT32_MIN, -1, 2, INT32_MAX};
  for (size_t i = 0; i < 4; i++) {
    CHECK_STATUS(harmony_stop_tokens(enc, actions[i], &stops, &n), HARMONY_OK);
    CHECK(n == 2 && stops[0] == HARMONY_TOKEN_RETURN && stops[1] == HARMONY_TOKEN_CALL);
  }
  CHECK(strcmp(harmony_status_name(-1), "HARMONY_UNKNOWN_STATUS") == 0);
  CHECK(strcmp(harmony_status_name(INT32_MIN), "HARMONY_UNKNOWN_STATUS") == 0);
  CHECK(strcmp(harmony_status_name(10), "HARMONY_UNKNOWN_STATUS") == 0);
  uint32_t id = 1;
  const char *not_special[] = {"", "<|", "|>", "<||>", "<|start|", "<|START|>", "<|reserved_0|>", "<|reserved_200006|>",
                               "<|reserved_0200017|>", "<|reserved_201089|>", "<|reserved_-1|>", " <|start|>", "<|start|> "};
  for (size_t i = 0; i < sizeof not_special / sizeof *not_special; i++)
    CHECK_STATUS(harmony_special_token_id(not_special[i], strlen(not_special[i]), &id), HARMONY_ERROR_INVALID_ARGUMENT);
}

static void test_invalid_utf8(void) {
  static const char *bad[] = {"\xff", "\xfe\xff", "\x80", "\xbf\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf",
                              "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
                              "\xe6\x97", "\xf0\x9f\x8e", "\xc3"};
  char doc[256], msg[256], text[64];
  harmony_tokens t = {NULL, 0};
  harmony_error *err = NULL;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int dl = snprintf(doc, sizeof doc, "{\"messages\":[{\"role\":\"user\",\"content\":\"ok %s ok\"}]}", bad[i]);
    int ml = snprintf(msg, sizeof msg, "{\"role\":\"user\",\"content\":\"%s\"}", bad[i]);
    int tl = snprintf(text, sizeof text, "hello %s", bad[i]);
    for (int mode = 0; mode < 3; mode++) {
      CHECK_STATUS(harmony_render(enc, mode, doc, (size_t)dl, 1, 0, &t, &err), HARMONY_ERROR_INVALID_UTF8);
      check_error(HARMONY_ERROR_INVALID_UTF8, err);
      err = NULL;
    }
    CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_MESSAGE, msg, (size_t)ml, 0, 0, &t, NULL), HARMONY_ERROR_INVALID_UTF8);
    size_t n = 7;
    uint32_t buf[32];
    CHECK_STATUS(harmony_render_into(enc, 0, doc, (size_t)dl, 1, 0, buf, 32, &n, NULL), HARMONY_ERROR_INVALID_UTF8);
    CHECK(n == 0);
    CHECK_STATUS(harmony_encode(enc, text, (size_t)tl, 0, &t, NULL), HARMONY_ERROR_INVALID_UTF8);
    CHECK(t.data == NULL && t.len == 0);
    CHECK_STATUS(harmony_encode(enc, text, (size_t)tl, HARMONY_ENCODE_ALLOW_SPECIAL, &t, NULL), HARMONY_ERROR_INVALID_UTF8);
    CHECK_STATUS(harmony_encode_into(enc, text, (size_t)tl, 0, buf, 32, &n, NULL), HARMONY_ERROR_INVALID_UTF8);
    uint32_t id;
    CHECK_STATUS(harmony_special_token_id(bad[i], strlen(bad[i]), &id), HARMONY_ERROR_INVALID_UTF8);
    const harmony_encoding *e2 = (const harmony_encoding *)0x1;
    CHECK_STATUS(harmony_encoding_new(bad[i], &e2, NULL), HARMONY_ERROR_INVALID_UTF8);
    CHECK(e2 == NULL);
  }
  /* Tokens whose bytes are not UTF-8: an error, or U+FFFD when lossy. */
  const uint32_t halves[] = {127, 2203, 102};
  harmony_string s = {NULL, 0};
  CHECK_STATUS(harmony_decode(enc, halves, 3, 0, &s, NULL), HARMONY_ERROR_INVALID_UTF8);
  CHECK_STATUS(harmony_decode(enc, halves, 3, HARMONY_DECODE_LOSSY, &s, NULL), HARMONY_OK);
  CHECK(s.data && strstr(s.data, "\xef\xbf\xbd"));
  harmony_string_free(&s);
}

static void test_huge_and_deep(void) {
  harmony_tokens t = {NULL, 0};
  harmony_string s = {NULL, 0};
  size_t n;
  /* 100,000 levels of nesting: a JSON error, not a stack overflow. */
  char *open = repeat("[", 100000, NULL), *close = repeat("]", 100000, NULL);
  size_t ol = strlen(open);
  char *deep = malloc(2 * ol + 1);
  memcpy(deep, open, ol);
  memcpy(deep + ol, close, ol + 1);
  for (int mode = 0; mode < 4; mode++) {
    harmony_error *err = NULL;
    CHECK_STATUS(harmony_render(enc, mode, deep, 2 * ol, 1, 0, &t, &err), HARMONY_ERROR_INVALID_JSON);
    check_error(HARMONY_ERROR_INVALID_JSON, err);
    CHECK_STATUS(harmony_render(enc, mode, open, ol, 1, 0, &t, NULL), HARMONY_ERROR_INVALID_JSON);
  }
  free(open);
  free(close);
  free(deep);
  /* A 3,000-level JSON Schema in tool parameters. */
  const char *pre = "{\"messages\":[{\"role\":\"developer\",\"content\":[{\"type\":\"developer_content\",\"tools\":{\"functions\":"
                    "{\"name\":\"functions\",\"tools\":[{\"name\":\"f\",\"description\":\"d\",\"parameters\":";
  const char *post = "}]}}}]}]}";
  char *lvl = repeat("{\"type\":\"array\",\"items\":", 3000, NULL), *end = repeat("}", 3000, NULL);
  size_t sl = strlen(pre) + strlen(lvl) + strlen("{\"type\":\"string\"}") + strlen(end) + strlen(post);
  char *schema = malloc(sl + 1);
  snprintf(schema, sl + 1, "%s%s{\"type\":\"string\"}%s%s", pre, lvl, end, post);
  harmony_error *err = NULL;
  CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_CONVERSATION, schema, sl, 0, 0, &t, &err), HARMONY_ERROR_INVALID_JSON);
  CHECK(err && strstr(harmony_error_message(err), "recursion limit")); /* the message says why */
  check_error(HARMONY_ERROR_INVALID_JSON, err);
  free(lvl);
  free(end);
  free(schema);

  /* 4 MB of text, 1 MB of one letter, 1 MB of spaces: encode and decode back. */
  const char *units[] = {"hello \xe6\x97\xa5\xe6\x9c\xac <|start|> \xf0\x9f\x8e\x89\n", "a", " "};
  const size_t times[] = {4u << 20 >> 5, 1u << 20, 1u << 20};
  for (int i = 0; i < 3; i++) {
    size_t len;
    char *text = repeat(units[i], times[i], &len);
    CHECK_STATUS(harmony_encode(enc, text, len, 0, &t, NULL), HARMONY_OK);
    for (size_t k = 0; k < t.len; k++)
      if (harmony_token_is_special(t.data[k])) { CHECK(!"special token in ordinary text"); break; }
    CHECK_STATUS(harmony_decode(enc, t.data, t.len, 0, &s, NULL), HARMONY_OK);
    CHECK(s.len == len && memcmp(s.data, text, len) == 0);
    harmony_string_free(&s);
    CHECK_STATUS(harmony_decode_into(enc, t.data, t.len, 0, NULL, 0, &n, NULL), HARMONY_ERROR_BUFFER_TOO_SMALL);
    CHECK(n == len);
    harmony_tokens_free(&t);
    free(text);
  }
  /* 250,000 "<|" without a close nearby, special tokens allowed: linear, and all text. */
  size_t len;
  char *opens = repeat("<|x ", 250000, &len);
  CHECK_STATUS(harmony_encode(enc, opens, len, HARMONY_ENCODE_ALLOW_SPECIAL, &t, NULL), HARMONY_OK);
  for (size_t k = 0; k < t.len; k++)
    if (harmony_token_is_special(t.data[k])) { CHECK(!"special token from no spelling"); break; }
  harmony_tokens_free(&t);
  free(opens);
  /* A 1 MB message renders and parses back. */
  char *big = repeat("ab", 1 << 19, &len);
  char *conv = malloc(len + 100);
  int cl = snprintf(conv, len + 100, "{\"messages\":[{\"role\":\"assistant\",\"channel\":\"final\",\"content\":\"%s\"}]}", big);
  CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_CONVERSATION, conv, (size_t)cl, 0, 0, &t, NULL), HARMONY_OK);
  CHECK_STATUS(harmony_parse(enc, t.data, t.len, HARMONY_ROLE_NONE, 0, &s, NULL), HARMONY_OK);
  CHECK(s.len == len + 53 && strstr(s.data, big) != NULL);
  harmony_string_free(&s);
  harmony_tokens_free(&t);
  free(conv);
  free(big);
}

static void test_parser_misuse(void) {
  harmony_parser *p = NULL;
  harmony_error *err = NULL;
  const char *d;
  size_t n;
  harmony_string s = {NULL, 0};
  CHECK_STATUS(harmony_parser_new(enc, HARMONY_ROLE_NONE, 0, &p, NULL), HARMONY_OK);
  /* An error, then more tokens of every kind, then EOS three times, then more tokens. */
  CHECK_STATUS(harmony_parser_process(p, 5, &err), HARMONY_ERROR_PARSE);
  check_error(HARMONY_ERROR_PARSE, err);
  const uint32_t after[] = {5, 200006, 200008, 4294967295u, 200006, 173781, 200008, 24912, 200007, 200007, 201088, 200002};
  for (size_t i = 0; i < sizeof after / sizeof *after; i++) {
    err = NULL;
    harmony_status st = harmony_parser_process(p, after[i], &err); /* call, then read err */
    check_error(st, err);
    CHECK_NO_PANIC(harmony_parser_last_delta(p, &d, &n));
    CHECK_NO_PANIC(harmony_parser_current_content(p, &d, &n));
    CHECK(harmony_parser_state(p) >= 0 && harmony_parser_state(p) <= 2);
  }
  for (int i = 0; i < 3; i++) {
    err = NULL;
    harmony_status st = harmony_parser_process_eos(p, &err);
    check_error(st, err);
  }
  err = NULL;
  harmony_status st = harmony_parser_process_tokens(p, after, sizeof after / sizeof *after, &err);
  check_error(st, err);
  CHECK_STATUS(harmony_parser_process_tokens(p, NULL, 0, NULL), HARMONY_OK);
  CHECK_STATUS(harmony_parser_process_tokens(p, NULL, 3, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parser_messages_json(p, &s, NULL), HARMONY_OK);
  CHECK(s.data && s.data[0] == '[');
  harmony_string_free(&s);
  harmony_parser_free(p);

  /* Every role and flag combination, EOS straight away and twice. */
  for (int32_t role = -1; role <= 4; role++)
    for (uint32_t flags = 0; flags < 8; flags++) {
      CHECK_STATUS(harmony_parser_new(enc, role, flags, &p, NULL), HARMONY_OK);
      for (int i = 0; i < 2; i++) {
        err = NULL;
        harmony_status st2 = harmony_parser_process_eos(p, &err);
        check_error(st2, err);
        CHECK_NO_PANIC(harmony_parser_current_channel(p, &d, &n));
        CHECK(harmony_parser_current_role(p) >= -1 && harmony_parser_current_role(p) <= 4);
      }
      harmony_parser_free(p);
    }

  /* A parser outlives its encoding handle and a second handle. */
  const harmony_encoding *e2 = NULL;
  CHECK_STATUS(harmony_encoding_new("o200k_harmony", &e2, NULL), HARMONY_OK);
  CHECK_STATUS(harmony_parser_new(e2, HARMONY_ROLE_ASSISTANT, 0, &p, NULL), HARMONY_OK);
  harmony_encoding_free(e2);
  const uint32_t reply[] = {200005, 17196, 200008, 19, 200002};
  CHECK_STATUS(harmony_parser_process_tokens(p, reply, 5, NULL), HARMONY_OK);
  CHECK(harmony_parser_message_count(p) == 1);
  harmony_parser_free(p);
}

/* Issue 14, defect 3: a length or capacity no real array can have (SIZE_MAX, SIZE_MAX / 2,
 * PTRDIFF_MAX + 1: a negative number or garbage converted to size_t) used to abort on a failed
 * allocation, segfault or read past the buffer. Every length parameter rejects it with
 * INVALID_ARGUMENT before reading or allocating, and the outputs keep their reset values. */
static void test_impossible_lengths(void) {
  const size_t huge[] = {SIZE_MAX, SIZE_MAX / 2, (size_t)PTRDIFF_MAX + 1};
  const char *conv = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  const size_t cl = strlen(conv), rl = strlen(req);
  const uint32_t tok[] = {200006, 1428, 200008, 3686, 200007};
  uint32_t buf[64];
  char cbuf[64];
  for (size_t i = 0; i < sizeof huge / sizeof *huge; i++) {
    const size_t h = huge[i];
    harmony_tokens t = {(uint32_t *)0x1, 7};
    harmony_string s = {(char *)0x1, 7};
    size_t n = 7;
    uint32_t id = 7;
    harmony_error *err = NULL;
#define EXPECT_HUGE(call)                                            \
  do {                                                               \
    err = NULL;                                                      \
    CHECK_STATUS((call), HARMONY_ERROR_INVALID_ARGUMENT);            \
    CHECK(err != NULL && strstr(harmony_error_message(err), "length")); \
    harmony_error_free(err);                                         \
  } while (0)
    EXPECT_HUGE(harmony_render(enc, HARMONY_RENDER_CONVERSATION, conv, h, 0, 0, &t, &err));
    CHECK(t.data == NULL && t.len == 0);
    EXPECT_HUGE(harmony_render_into(enc, HARMONY_RENDER_CONVERSATION, conv, h, 0, 0, buf, 64, &n, &err));
    CHECK(n == 0);
    n = 7;
    EXPECT_HUGE(harmony_render_into(enc, HARMONY_RENDER_CONVERSATION, conv, cl, 0, 0, buf, h, &n, &err));
    CHECK(n == 0);
    EXPECT_HUGE(harmony_parse(enc, tok, h, HARMONY_ROLE_NONE, 0, &s, &err));
    CHECK(s.data == NULL && s.len == 0);
    EXPECT_HUGE(harmony_encode(enc, "hi", h, 0, &t, &err));
    EXPECT_HUGE(harmony_encode_into(enc, "hi", h, 0, buf, 64, &n, &err));
    EXPECT_HUGE(harmony_encode_into(enc, "hi", 2, 0, buf, h, &n, &err));
    s.data = (char *)0x1;
    EXPECT_HUGE(harmony_decode(enc, tok, h, 0, &s, &err));
    CHECK(s.data == NULL);
    EXPECT_HUGE(harmony_decode(enc, tok, h, HARMONY_DECODE_LOSSY, &s, &err));
    EXPECT_HUGE(harmony_decode_into(enc, tok, h, 0, cbuf, 64, &n, &err));
    EXPECT_HUGE(harmony_decode_into(enc, tok, 2, 0, cbuf, h, &n, &err));
    CHECK_STATUS(harmony_special_token_id("<|start|>", h, &id), HARMONY_ERROR_INVALID_ARGUMENT);
    CHECK(id == 7);
    EXPECT_HUGE(harmony_json_validate("{}", h, &err));
    EXPECT_HUGE(harmony_chat_render(enc, req, h, NULL, 0, &t, &err));
    EXPECT_HUGE(harmony_chat_render(enc, req, rl, "{}", h, &t, &err));
    EXPECT_HUGE(harmony_chat_parse(enc, tok, h, NULL, 0, &s, &err));
    EXPECT_HUGE(harmony_chat_parse(enc, tok, 0, "{}", h, &s, &err));
    harmony_chat_stream *cs = (harmony_chat_stream *)0x1;
    EXPECT_HUGE(harmony_chat_stream_new(enc, "{}", h, &cs, &err));
    CHECK(cs == NULL);
    /* The parser consumes nothing: it still accepts a whole message afterwards. */
    harmony_parser *p = NULL;
    CHECK_STATUS(harmony_parser_new(enc, HARMONY_ROLE_NONE, 0, &p, NULL), HARMONY_OK);
    EXPECT_HUGE(harmony_parser_process_tokens(p, tok, h, &err));
    CHECK(harmony_parser_state(p) == HARMONY_STREAM_EXPECT_START);
    CHECK_STATUS(harmony_parser_process_tokens(p, tok, 5, NULL), HARMONY_OK);
    CHECK(harmony_parser_message_count(p) == 1);
    harmony_parser_free(p);
#undef EXPECT_HUGE
  }
  /* A token count whose size in bytes would reach PTRDIFF_MAX is rejected too. */
  harmony_string s = {NULL, 0};
  CHECK_STATUS(harmony_decode(enc, tok, (size_t)PTRDIFF_MAX / 4 + 1, 0, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(harmony_parse(enc, tok, SIZE_MAX / 4 + 1, HARMONY_ROLE_NONE, 0, &s, NULL), HARMONY_ERROR_INVALID_ARGUMENT);
  /* Lengths of real buffers work unchanged. */
  harmony_tokens t = {NULL, 0};
  CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_CONVERSATION, conv, cl, 0, 0, &t, NULL), HARMONY_OK);
  harmony_tokens_free(&t);
}

/* ---------------------------------------------------------------------------------------- */
/* Random token soup: harmony_parse and the parser handle must agree exactly. */

static uint64_t rng_state = 0x5eed;
static uint32_t next_rand(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng_state >> 33);
}

static void test_soup(void) {
  static const uint32_t structural[] = {200006, 200008, 200005, 200003, 200007, 200002, 200012, 199998, 199999,
                                        173781, 1428, 17196, 12606, 35644, 220, 4108, 127, 102, 2203, 24912};
  uint32_t tokens[48];
  int agree = 0, ok = 0;
  for (int c = 0; c < 3000; c++) {
    size_t len = next_rand() % 48;
    for (size_t i = 0; i < len; i++) {
      uint32_t r = next_rand();
      switch (r % 8) {
        case 0: tokens[i] = 199998 + (r >> 8) % 1091; break;
        case 1: tokens[i] = (r >> 8) % 199998; break;
        case 2: tokens[i] = (r & 0x100) ? 4294967295u : 201089; break;
        default: tokens[i] = structural[(r >> 8) % (sizeof structural / sizeof *structural)];
      }
    }
    if (c % 2 == 1 && len > 4) { /* start like a completion: inside an assistant header */
      tokens[0] = 200005;
      tokens[1] = 17196;
      tokens[2] = 200008;
    }
    int32_t role = (int32_t)(next_rand() % 6) - 1;
    uint32_t flags = next_rand() % 4;
    harmony_string whole = {NULL, 0}, streamed = {NULL, 0};
    harmony_status ws = harmony_parse(enc, tokens, len, role, flags, &whole, NULL);
    harmony_parser *p = NULL;
    CHECK_STATUS(harmony_parser_new(enc, role, flags, &p, NULL), HARMONY_OK);
    harmony_status ss = HARMONY_OK;
    for (size_t i = 0; i < len && ss == HARMONY_OK; i++) {
      ss = harmony_parser_process(p, tokens[i], NULL);
      const char *d;
      size_t n;
      CHECK_STATUS(harmony_parser_last_delta(p, &d, &n), HARMONY_OK);
    }
    if (ss == HARMONY_OK) ss = harmony_parser_process_eos(p, NULL);
    if (ss == HARMONY_OK) CHECK_STATUS(harmony_parser_messages_json(p, &streamed, NULL), HARMONY_OK);
    CHECK(ws != HARMONY_ERROR_PANIC && ss != HARMONY_ERROR_PANIC);
    if (ws == ss && (ws != HARMONY_OK || (whole.len == streamed.len && memcmp(whole.data, streamed.data, whole.len) == 0)))
      agree++;
    else
      fprintf(stderr, "soup case %d: whole %s, streamed %s\n", c, harmony_status_name(ws), harmony_status_name(ss));
    ok += ws == HARMONY_OK;
    harmony_string_free(&whole);
    harmony_string_free(&streamed);
    harmony_parser_free(p);
  }
  CHECK(agree == 3000);
  CHECK(ok > 100);
}

/* Every special spelling as user content and as header fields stays text. */
static void test_injection(void) {
  char conv[512];
  harmony_tokens t = {NULL, 0};
  for (uint32_t id = 199998; id < HARMONY_VOCAB_SIZE; id++) {
    const char *name;
    size_t nl;
    CHECK_STATUS(harmony_special_token_name(id, &name, &nl), HARMONY_OK);
    int cl = snprintf(conv, sizeof conv,
                      "{\"messages\":[{\"role\":\"tool\",\"name\":\"%.*s\",\"recipient\":\"%.*s\",\"channel\":\"%.*s\","
                      "\"content\":\"%.*s\"}]}",
                      (int)nl, name, (int)nl, name, (int)nl, name, (int)nl, name);
    CHECK_STATUS(harmony_render(enc, HARMONY_RENDER_CONVERSATION, conv, (size_t)cl, 0, 0, &t, NULL), HARMONY_OK);
    /* <|start|> name to=... <|channel|> channel <|message|> content <|end|>: exactly 4 specials */
    size_t specials = 0;
    for (size_t k = 0; k < t.len; k++) specials += harmony_token_is_special(t.data[k]) != 0;
    CHECK(specials == 4);
    CHECK(t.len > 0 && t.data[0] == HARMONY_TOKEN_START && t.data[t.len - 1] == HARMONY_TOKEN_END);
    harmony_tokens_free(&t);
    uint32_t got = 0;
    CHECK_STATUS(harmony_special_token_id(name, nl, &got), HARMONY_OK);
    CHECK(got == id);
  }
}

int main(void) {
  if (harmony_encoding_new(NULL, &enc, NULL) != HARMONY_OK) {
    fprintf(stderr, "cannot create encoding\n");
    return 1;
  }
  test_null_everywhere();
  test_lengths();
  test_out_of_range();
  test_invalid_utf8();
  test_huge_and_deep();
  test_parser_misuse();
  test_impossible_lengths();
  test_soup();
  test_injection();
  harmony_encoding_free(enc);
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("all hostile C checks passed\n");
  return 0;
}
