/* Renders a conversation, prints the prompt tokens, then streams a completion through the
 * parser token by token and prints each content delta as it arrives.
 *
 *   usage: harmony_c_example [conversation.json]   (default: examples/conversation.json) */
#include <harmony.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
  fclose(f);
  if (buf) { buf[n] = 0; *len = (size_t)n; }
  return buf;
}

static int fail(const char *what, harmony_error *err) {
  fprintf(stderr, "%s: %s (%s)\n", what, harmony_error_message(err), harmony_status_name(harmony_error_status(err)));
  harmony_error_free(err);
  return 1;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "examples/conversation.json";
  size_t len = 0;
  char *json = read_file(path, &len);
  if (!json) { fprintf(stderr, "cannot read %s\n", path); return 1; }

  const harmony_encoding *enc = NULL;
  harmony_error *err = NULL;
  if (harmony_encoding_new(NULL, &enc, &err) != HARMONY_OK) return fail("encoding", err);

  harmony_tokens prompt;
  if (harmony_render(enc, HARMONY_RENDER_COMPLETION, json, len, HARMONY_ROLE_ASSISTANT, 0, &prompt, &err) != HARMONY_OK)
    return fail("render", err);
  printf("prompt: %zu tokens:", prompt.len);
  for (size_t i = 0; i < prompt.len; i++) printf(" %u", prompt.data[i]);
  printf("\n");

  /* A completion as a model would sample it (here: encoded text with special tokens). */
  const char *reply = "<|channel|>analysis<|message|>The tool says 21°C and clear.<|end|>"
                      "<|start|>assistant<|channel|>final<|message|>It is 21 °C and sunny in Tokyo ☀️.<|return|>";
  harmony_tokens completion;
  if (harmony_encode(enc, reply, strlen(reply), HARMONY_ENCODE_ALLOW_SPECIAL, &completion, &err) != HARMONY_OK)
    return fail("encode", err);

  harmony_parser *parser = NULL;
  if (harmony_parser_new(enc, HARMONY_ROLE_ASSISTANT, 0, &parser, &err) != HARMONY_OK) return fail("parser", err);
  for (size_t i = 0; i < completion.len; i++) {
    if (harmony_parser_process(parser, completion.data[i], &err) != HARMONY_OK) return fail("process", err);
    const char *delta, *channel;
    size_t dn, cn;
    harmony_parser_last_delta(parser, &delta, &dn);
    harmony_parser_current_channel(parser, &channel, &cn);
    if (delta) printf("[%.*s] %.*s\n", (int)cn, channel ? channel : "", (int)dn, delta);
  }
  if (harmony_parser_process_eos(parser, &err) != HARMONY_OK) return fail("eos", err);
  harmony_string messages;
  harmony_parser_messages_json(parser, &messages, NULL);
  printf("messages: %s\n", messages.data);

  harmony_string_free(&messages);
  harmony_parser_free(parser);
  harmony_tokens_free(&completion);
  harmony_tokens_free(&prompt);
  harmony_encoding_free(enc);
  free(json);
  return 0;
}
