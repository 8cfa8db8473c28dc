#!/usr/bin/env python3
"""Writes tests/recover/corpus.jsonl: real malformed gpt-oss completions from public reports,
each with the messages recover mode must give (checked by hand against the report).

A case: `source` (the public report), `shape`, `role` (the role the completion starts inside
the header of, as after a completion prompt, or null when it starts with <|start|>), `parts`
(strings, encoded with special-token spellings as special tokens, and raw token ids), and
`messages` (the expected wire JSON, with "repairs"). Regenerate: python3 tests/recover/make_corpus.py
"""
import json, os

def m(content, channel=None, recipient=None, content_type=None, repairs=None, role="assistant", name=None):
    d = {"role": role}
    if name is not None: d["name"] = name
    if recipient is not None: d["recipient"] = recipient
    d["content"] = content
    if channel is not None: d["channel"] = channel
    if content_type is not None: d["content_type"] = content_type
    if repairs: d["repairs"] = repairs
    return d

STRAY = "stray token after message"
TWH = "text without header"
HWM = "header without <|message|>"
V50690 = "https://github.com/vllm-project/vllm/issues/50690"
H80 = "https://github.com/openai/harmony/issues/80"
H82 = "https://github.com/openai/harmony/pull/82"
H38 = "https://github.com/openai/harmony/issues/38"
H48 = "https://github.com/openai/harmony/issues/48"
H60 = "https://github.com/openai/harmony/issues/60"
H83 = "https://github.com/openai/harmony/pull/83"
H114 = "https://github.com/openai/harmony/pull/114"
H144 = "https://github.com/openai/harmony/pull/144"
V22519 = "https://github.com/vllm-project/vllm/issues/22519"
V27243 = "https://github.com/vllm-project/vllm/issues/27243"
V22386 = "https://github.com/vllm-project/vllm/pull/22386"
V26480 = "https://github.com/vllm-project/vllm/issues/26480"
V28303 = "https://github.com/vllm-project/vllm/pull/28303"
V35884 = "https://github.com/vllm-project/vllm/pull/35884"
V43408 = "https://github.com/vllm-project/vllm/pull/43408"
V47062 = "https://github.com/vllm-project/vllm/pull/47062"
TT386 = "https://github.com/tenstorrent/vllm/issues/386"
SG10576 = "https://github.com/sgl-project/sglang/pull/10576"
SG31019 = "https://github.com/sgl-project/sglang/issues/31019"
MLX156 = "https://github.com/cubist38/mlx-openai-server/pull/156"
MLX178 = "https://github.com/cubist38/mlx-openai-server/pull/178"
LCPP27720 = "https://github.com/ggml-org/llama.cpp/issues/27720"
LCPP15181 = "https://github.com/ggml-org/llama.cpp/pull/15181"
LCPP15158 = "https://github.com/ggml-org/llama.cpp/pull/15158"
LMS942 = "https://github.com/lmstudio-ai/lmstudio-bug-tracker/issues/942"
VMLX562 = "https://github.com/waybarrios/vllm-mlx/pull/562"
TILES145 = "https://github.com/tilesprivacy/tiles/issues/145"
QVAC1812 = "https://github.com/tetherto/qvac/pull/1812"

H80_TOKENS = [2161, 976, 1825, 382, 57246, 15543, 316, 2338, 261, 4232, 13790, 350, 72, 2560, 4213, 187928, 11, 23802, 8110, 741, 1328, 382, 829, 32510, 3100, 25, 15543, 97471, 198937, 13, 20953, 41897, 13, 16344, 316, 7562, 11, 581, 2804, 41897, 13, 200007, 200006, 173781, 200005, 35644, 200008, 2167, 2804, 41897, 13, 200007, 200006, 173781, 200005, 17196, 200008, 40, 4572, 23045, 11, 889, 357, 665, 1573, 1652, 483]
H80_REASONING = "...\n\nThe user is requesting instructions to break a food truck (i.e., sabotage, illegal activity). This is disallowed content: instructions facilitating wrongdoing. Must refuse. According to policy, we must refuse."
CALL = '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"location":"Tokyo"}'
CALL_MSG = lambda repairs=None: m('{"location":"Tokyo"}', "commentary", "functions.get_weather", "<|constrain|>json", repairs)
F0 = 172  # the first byte of a 4-byte character, a token that is not UTF-8 on its own

cases = [
    # --- stray tokens after a finished message
    ("end-then-return", V50690, "<|return|> after <|end|>", "assistant", ["<|channel|>final<|message|>Answer<|end|><|return|>"], [m("Answer", "final", repairs=[STRAY])]),
    ("end-then-end", V50690, "a second <|end|>", "assistant", ["<|channel|>final<|message|>Answer<|end|><|end|>"], [m("Answer", "final", repairs=[STRAY])]),
    ("return-then-return", V50690, "a tail after the final <|return|>", "assistant", ["<|channel|>final<|message|>Answer<|return|><|return|>"], [m("Answer", "final", repairs=[STRAY])]),
    ("text-after-end", V50690, "plain text after <|end|>", "assistant", ["<|channel|>final<|message|>Answer<|end|>Thanks for asking."], [m("Answer", "final"), m("Thanks for asking.", "final", repairs=[TWH])]),
    ("text-after-return", V50690, "text after the completion ended", "assistant", ["<|channel|>final<|message|>Answer<|return|> Let me know if you need more."], [m("Answer", "final", repairs=[STRAY])]),
    ("call-then-call", "https://github.com/charmbracelet/crush/issues/611", "Unexpected token 200012 while expecting start token", "assistant", [CALL + "<|call|><|call|>"], [CALL_MSG([STRAY])]),
    ("call-then-constrain", V22386, "Unexpected token 200003 (<|constrain|>) after a call", "assistant", [CALL + "<|call|><|constrain|>json"], [CALL_MSG([STRAY])]),
    ("end-punctuation-start", V43408, "`<|end|> 364 <|start|>`: a stray token between messages", "assistant", ["<|channel|>analysis<|message|>Think.<|end|>", 364, "<|start|>assistant<|channel|>final<|message|>Done<|return|>"], [m("Think.", "analysis"), m("Done", "final", repairs=[STRAY])]),
    ("return-then-call", V27243, "Unexpected token 200012 after a final answer", "assistant", ["<|channel|>final<|message|>It is sunny.<|return|><|call|>"], [m("It is sunny.", "final", repairs=[STRAY])]),
    # --- repeated <|start|> and repeated roles
    ("double-start", V43408, "role tokens twice: <|start|><|start|>assistant", None, ["<|start|><|start|>assistant<|channel|>final<|message|>Hi<|return|>"], [m("Hi", "final", repairs=["repeated <|start|>"])]),
    ("start-again-after-prompt", TT386, "Unknown role: <|start|>assistant (the completion repeats the prompt's <|start|>assistant)", "assistant", ["<|start|>assistant<|channel|>final<|message|>4<|return|>"], [m("4", "final", repairs=["repeated <|start|>"])]),
    ("assistantassistant", TT386, "Unknown role: assistantassistant", None, ["<|start|>assistantassistant<|channel|>final<|message|>4<|return|>"], [m("4", "final", repairs=["repeated role"])]),
    ("assistantassistant-after-prompt", TT386, "Unknown role: assistantassistant, inside the prompt's header (0.0.8 reads it as the recipient)", "assistant", ["assistantassistant<|channel|>analysis<|message|>Add them.<|end|><|start|>assistant<|channel|>final<|message|>4<|return|>"], [m("Add them.", "analysis", repairs=["repeated role"]), m("4", "final")]),
    ("double-start-with-role", V43408, "<|start|><|start|>assistant in the middle of a completion", "assistant", ["<|channel|>analysis<|message|>Compute.<|end|><|start|><|start|>assistant<|channel|>final<|message|>42<|return|>"], [m("Compute.", "analysis"), m("42", "final", repairs=["repeated <|start|>"])]),
    # --- headers without <|message|>, text without a header
    ("refusal-without-header", H80, "a refusal with no channel or <|message|> (the tokens of the report)", "assistant", [H80_TOKENS, " that.<|return|>"], [m(H80_REASONING, "analysis", repairs=[TWH]), m("We must refuse.", "analysis"), m("I’m sorry, but I can’t help with that.", "final")]),
    ("bare-refusal", V28303, "a refusal right after the prompt, ended by <|return|>", "assistant", ["I’m sorry, but I can’t help with that.<|return|>"], [m("I’m sorry, but I can’t help with that.", "final", repairs=[TWH])]),
    ("bare-refusal-eos", V28303, "a refusal right after the prompt, the engine stripped <|return|>", "assistant", ["I’m sorry, but I can’t help with that."], [m("I’m sorry, but I can’t help with that.", "final", repairs=[TWH])]),
    ("final-without-message", H82, "stop token before the expected <|message|>", "assistant", ["<|channel|>final I can’t help with that.<|return|>"], [m("I can’t help with that.", "final", repairs=[HWM])]),
    ("analysis-without-message", H82, "an analysis header with its text and no <|message|>", "assistant", ["<|channel|>analysis We need to refuse.<|end|><|start|>assistant<|channel|>final<|message|>Sorry.<|return|>"], [m("We need to refuse.", "analysis", repairs=[HWM]), m("Sorry.", "final")]),
    ("final-body-trapped-in-header", V47062, "a final channel that omits <|message|>, body trapped in the header, stream ends", "assistant", ["<|channel|>analysis<|message|>Compute.<|end|><|start|>assistant<|channel|>final The answer is 42."], [m("Compute.", "analysis"), m("The answer is 42.", "final", repairs=[HWM])]),
    ("json-after-end", SG31019, "structured output: the JSON follows <|end|> with no final header", "assistant", ['<|channel|>analysis<|message|>reasoning text<|end|>{"country":"France","capital":"Paris"}'], [m("reasoning text", "analysis"), m('{"country":"France","capital":"Paris"}', "final", repairs=[TWH])]),
    ("call-header-ended-by-call", H82, "a tool-call header ended by <|call|> with no <|message|>", "assistant", ["<|channel|>commentary to=functions.get_time <|constrain|>json<|call|>"], [m("", "commentary", "functions.get_time", "<|constrain|>json", [HWM])]),
    ("constrain-text-in-header", TILES145, "`<|constrain|>write: edit file with content.<|end|><|start|>assistant`", "assistant", ["<|channel|>commentary to=functions.write <|constrain|>write: edit file with content.<|end|><|start|>assistant<|channel|>final<|message|>Done.<|return|>"], [m("edit file with content.", "commentary", "functions.write", "<|constrain|>write:", [HWM]), m("Done.", "final")]),
    # --- malformed channel markers
    ("empty-channel", H48, "channel marker present but no channel value", "assistant", ["<|channel|><|message|>Hello<|end|>"], [m("Hello", repairs=["channel marker without a value"])]),
    ("empty-channel-mid", V43408, "empty channel `<|channel|><|message|>` in the middle of a completion", "assistant", ["<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|><|message|>Answer.<|return|>"], [m("Think.", "analysis"), m("Answer.", repairs=["channel marker without a value"])]),
    ("doubled-channel-to-assistant", LCPP27720, "a doubled `<|channel|>commentary to=assistant<|channel|>commentary?` before the well-formed messages", "assistant", ["<|channel|>commentary to=assistant<|channel|>commentary?<|end|><|start|>assistant<|channel|>analysis<|message|>The user says hi.<|end|><|start|>assistant<|channel|>final<|message|>Hello!<|return|>"], [m("The user says hi.", "analysis", repairs=["repeated channel marker", HWM]), m("Hello!", "final")]),
    ("question-marks-channel", LCPP27720, "free text `??` after <|channel|>, then the real messages", "assistant", ["<|channel|>??<|end|><|start|>assistant<|channel|>final<|message|>Hi there.<|return|>"], [m("Hi there.", "final", repairs=[HWM])]),
    ("glued-second-channel", LCPP27720, "a second <|channel|> glued to the recipient: to=functions.bash<|channel|>commentary", "assistant", ['<|channel|>commentary to=functions.bash<|channel|>commentary json<|message|>{"cmd":"ls"}<|call|>'], [m('{"cmd":"ls"}', "commentary", "functions.bash", "json", ["repeated channel marker"])]),
    ("dashed-commentary", H38, "unexpected tokens remaining in message header: [\"––commentary\"]", "assistant", ['<|channel|>commentary ––commentary to=functions.get_weather json<|message|>{"city":"Paris"}<|call|>'], [m('{"city":"Paris"}', "commentary", "functions.get_weather", "json", ["unexpected words in header"])]),
    ("constrain-response", H60, "unexpected tokens remaining in message header: [\"<|constrain|>response\"]", "assistant", ['<|channel|>commentary <|constrain|>response to=functions.respond json<|message|>{"answer":4}<|call|>'], [m('{"answer":4}', "commentary", "functions.respond", "<|constrain|>response", ["unexpected words in header"])]),
    ("comment-ary-without-start", V22519, "Unexpected token 12606 (\"comment\"): a second call with no <|start|> or <|channel|>", "assistant", [CALL + "<|call|>", 12606, 815, ' to=functions.get_weather <|constrain|>json<|message|>{"location":"Paris"}<|call|>'], [CALL_MSG(), m('{"location":"Paris"}', "commentary", "functions.get_weather", "<|constrain|>json", ["missing <|start|>", "channel without <|channel|>"])]),
    ("channel-without-start", H60, "<|channel|> right after <|end|>, no <|start|>assistant", "assistant", ["<|channel|>analysis<|message|>Look it up.<|end|><|channel|>final<|message|>Paris.<|return|>"], [m("Look it up.", "analysis"), m("Paris.", "final", repairs=["missing <|start|>"])]),
    ("message-not-ended", "https://github.com/lablup/mlxcel/issues/654", "analysis, then <|start|>assistant with no <|end|> before it", "assistant", ["<|channel|>analysis<|message|>Need to read the file.<|start|>assistant<|channel|>commentary to=functions.read_file <|constrain|>json<|message|>{\"path\":\"/etc/hosts\"}<|call|>"], [m("Need to read the file.", "analysis", repairs=["message not ended"]), m('{"path":"/etc/hosts"}', "commentary", "functions.read_file", "<|constrain|>json")]),
    ("channel-inside-content", "https://github.com/kekzl/imp/pull/768", "<|channel|>final straight after the reasoning, no <|end|><|start|>assistant", "assistant", ["<|channel|>analysis<|message|>Simple sum.<|channel|>final<|message|>4<|return|>"], [m("Simple sum.", "analysis", repairs=["message not ended"]), m("4", "final")]),
    # --- recipients and channels in any order
    ("to-before-channel", LCPP15181, "the recipient in the role part: assistant to=functions.get_weather<|channel|>commentary", None, ['<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"location":"Lima"}<|call|>'], [m('{"location":"Lima"}', "commentary", "functions.get_weather", "<|constrain|>json")]),
    ("to-before-channel-json", LCPP15158, "commentary to=functions.NAME json (no <|constrain|>)", None, ['<|start|>assistant<|channel|>commentary to=functions.shell json<|message|>{"cmd":["ls"]}<|call|>'], [m('{"cmd":["ls"]}', "commentary", "functions.shell", "json")]),
    ("lmstudio-call-eos", LMS942, "a tool call whose <|call|> never reached the parser", None, ['<|start|>assistant<|channel|>commentary to=functions.get_ecs_instructions<|constrain|>json<|message|>{"data":{"envs":{"sd":{}}}}'], [m('{"data":{"envs":{"sd":{}}}}', "commentary", "functions.get_ecs_instructions", "<|constrain|>json")]),
    # --- <|constrain|> without a recipient (PR #144)
    ("constrain-without-recipient", H144, "structured output: final <|constrain|>json with no recipient", "assistant", ['<|channel|>final <|constrain|>json<|message|>{"country":"France","capital":"Paris"}<|return|>'], [m('{"country":"France","capital":"Paris"}', "final", content_type="<|constrain|>json")]),
    ("constrain-without-recipient-analysis-first", H144, "reasoning, then a constrained final answer", "assistant", ['<|channel|>analysis<|message|>Return JSON.<|end|><|start|>assistant<|channel|>final <|constrain|>json<|message|>{"ok":true}<|return|>'], [m("Return JSON.", "analysis"), m('{"ok":true}', "final", content_type="<|constrain|>json")]),
    # --- tool calls ended by the wrong token or by nothing
    ("call-ended-by-return", SG10576, "a tool call followed by <|return|> rather than <|call|>", "assistant", ["<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant" + CALL + "<|return|>"], [m("Need weather.", "analysis"), CALL_MSG(["tool call ended by <|return|>"])]),
    ("call-ended-by-end", MLX178, "GPT-OSS fails to emit its stop token: the call ends with <|end|>", "assistant", [CALL + "<|end|>"], [CALL_MSG(["tool call ended by <|end|>"])]),
    ("call-ended-by-eos", MLX156, "GPT-OSS doesn't always output the <|call|> marker (stream ends)", "assistant", [CALL], [CALL_MSG()]),
    ("call-ended-by-eos-stripped", QVAC1812, "<|call|> is an end-of-generation token and is stripped", "assistant", ["<|channel|>analysis<|message|>Look up the time.<|end|><|start|>assistant<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{\"timezone\":\"Asia/Tokyo\"}"], [m("Look up the time.", "analysis"), m('{"timezone":"Asia/Tokyo"}', "commentary", "functions.get_time", "<|constrain|>json")]),
    # --- tool calls on the analysis channel
    ("analysis-call-ffgrep", VMLX562, "the recipient on the analysis channel (content type `code`)", "assistant", ['<|channel|>analysis<|message|>We need to run ffgrep. Let us search.\n<|end|><|start|>assistant<|channel|>analysis to=functions.ffgrep code<|message|>\n{"path":"","pattern":"TextualDisplayView"}<|call|>'], [m("We need to run ffgrep. Let us search.\n", "analysis"), m('\n{"path":"","pattern":"TextualDisplayView"}', "commentary", "functions.ffgrep", "code", ["function call on the analysis channel"])]),
    ("analysis-call", V35884, "function calls on the analysis channel instead of commentary", "assistant", ['<|channel|>analysis to=functions.get_weather <|constrain|>json<|message|>{"city":"Berlin"}<|call|>'], [m('{"city":"Berlin"}', "commentary", "functions.get_weather", "<|constrain|>json", ["function call on the analysis channel"])]),
    ("analysis-builtin-browser", V35884, "a built-in tool on analysis stays on analysis", "assistant", ['<|channel|>analysis to=browser.search code<|message|>{"query":"weather"}<|call|>'], [m('{"query":"weather"}', "analysis", "browser.search", "code")]),
    # --- invalid UTF-8 and unknown ids
    ("invalid-utf8-mid", V26480, "invalid UTF-8 generated mid-message; the text after it keeps streaming", "assistant", ["<|channel|>final<|message|>Hello ", F0, "world<|return|>"], [m("Hello \ufffdworld", "final", repairs=["invalid UTF-8"])]),
    ("invalid-utf8-end", H83, "a character cut short by the stop token", "assistant", ["<|channel|>final<|message|>ok ", F0, "<|end|>"], [m("ok \ufffd", "final", repairs=["invalid UTF-8"])]),
    ("split-emoji", H83, "a valid character split over three tokens is not a repair", "assistant", ["<|channel|>final<|message|>melting ", 4103, 104, 254, "<|return|>"], [m("melting 🫠", "final")]),
    ("unknown-id", H83, "an id outside the vocabulary no longer holds the rest of the message back", "assistant", ["<|channel|>final<|message|>x", 201089, "abc<|return|>"], [m("x\ufffdabc", "final", repairs=["unknown token id"])]),
    # --- well-formed output stays as strict parsing reads it
    ("well-formed", H80, "a well-formed reasoning + final completion: no repairs", "assistant", ["<|channel|>analysis<|message|>We must refuse.<|end|><|start|>assistant<|channel|>final<|message|>I’m sorry, but I can’t help with that.<|return|>"], [m("We must refuse.", "analysis"), m("I’m sorry, but I can’t help with that.", "final")]),
]

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "corpus.jsonl"), "w", encoding="utf-8") as f:
    for (cid, source, shape, role, parts, messages) in cases:
        flat = []
        for p in parts:
            flat.extend(p if isinstance(p, list) else [p])
        f.write(json.dumps({"id": cid, "source": source, "shape": shape, "role": role, "parts": flat, "messages": messages}, ensure_ascii=False) + "\n")
print(len(cases), "cases")
