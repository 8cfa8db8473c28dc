/* Renders a conversation, prints the prompt tokens, then streams a completion through the
 * parser with one harmony_parser_step call per token and prints each content delta as it
 * arrives, and each message as it ends.
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

  /* Stop sampling on <|return|> / <|call|> (the assistant-actions set), not on <|end|>,
   * which also ends the analysis message that comes before the answer. */
  const uint32_t *stops;
  size_t nstops;
  harmony_stop_tokens(enc, 1, &stops, &nstops);

  /* One call per sampled token: the event carries the delta, the message boundaries and
   * the current channel / recipient as views into the parser (valid until the next call). */
  harmony_parser *parser = NULL;
  if (harmony_parser_new(enc, HARMONY_ROLE_ASSISTANT, 0, &parser, &err) != HARMONY_OK) return fail("parser", err);
  harmony_parser_event ev;
  int stopped = 0;
  for (size_t i = 0; i < completion.len && !stopped; i++) {
    if (harmony_parser_step(parser, completion.data[i], &ev, &err) != HARMONY_OK) return fail("step", err);
    if (ev.flags & HARMONY_EVENT_DELTA)
      printf("[%.*s] %.*s\n", (int)ev.channel.len, ev.channel.data ? ev.channel.data : "", (int)ev.delta.len, ev.delta.data);
    if (ev.flags & HARMONY_EVENT_MESSAGE_ENDED)
      printf("-- message %zu ended (%.*s%s%.*s)\n", ev.message_count - 1, (int)ev.channel.len,
             ev.channel.data ? ev.channel.data : "", ev.recipient.data ? " to " : "", (int)ev.recipient.len,
             ev.recipient.data ? ev.recipient.data : "");
    for (size_t k = 0; k < nstops; k++) stopped |= completion.data[i] == stops[k];
  }
  if (harmony_parser_step_eos(parser, &ev, &err) != HARMONY_OK) return fail("eos", err);

  /* Completed messages without JSON. */
  for (size_t m = 0; m < harmony_parser_message_count(parser); m++) {
    harmony_message_view v;
    harmony_parser_message(parser, m, &v, NULL);
    printf("message %zu: %.*s: %.*s\n", m, (int)v.channel.len, v.channel.data ? v.channel.data : "", (int)v.content.len,
           v.content.data);
  }
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
