//! The OpenAI Chat Completions bridge: requests in the shapes of the OpenAI API docs and the
//! gpt-oss tool-calling examples of openai/harmony's docs render token for token like the
//! reference renders the equivalent Harmony conversation; responses fold from chunks; round
//! trips re-render to the model's own tokens.

mod common;

use harmony::chat_completions::{join_chunks, parse_response, render_request, request_to_conversation, stream_chunks, ChatOptions};
use harmony::{AllowedSpecial, Role};
use serde_json::{json, Value};

fn opts() -> ChatOptions {
    ChatOptions { conversation_start_date: Some("2025-06-28".into()), ..ChatOptions::default() }
}

/// The reference's rendering (for completion by the assistant) of a hand-written Harmony
/// conversation.
fn reference_render(conv: Value) -> Vec<u32> {
    let conv: openai_harmony::chat::Conversation = serde_json::from_value(conv).unwrap();
    common::reference().render_conversation_for_completion(&conv, openai_harmony::chat::Role::Assistant, None).unwrap()
}

fn system(effort: &str, fn_tools: bool) -> Value {
    let _ = fn_tools;
    json!({"role": "system", "content": [{"type": "system_content",
        "model_identity": "You are ChatGPT, a large language model trained by OpenAI.",
        "reasoning_effort": effort, "conversation_start_date": "2025-06-28", "knowledge_cutoff": "2024-06",
        "channel_config": {"valid_channels": ["analysis", "commentary", "final"], "channel_required": true}}]})
}

fn weather_tool_schema() -> Value {
    json!({"type": "object", "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "format": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"}},
        "required": ["location"]})
}

#[test]
fn developer_and_user_messages() {
    let request = json!({"model": "gpt-oss-120b", "messages": [
        {"role": "developer", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hello!"}], "temperature": 0.7, "stream": false});
    let want = reference_render(json!({"messages": [system("Medium", false),
        {"role": "developer", "content": [{"type": "developer_content", "instructions": "You are a helpful assistant."}]},
        {"role": "user", "content": "Hello!"}]}));
    assert_eq!(render_request(&request.to_string(), &opts()).unwrap(), want);
}

#[test]
fn system_and_developer_messages_join_and_text_parts() {
    let request = json!({"reasoning_effort": "high", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Answer in "}, {"type": "text", "text": "French."}]},
        {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": " there"}]}]});
    let want = reference_render(json!({"messages": [system("High", false),
        {"role": "developer", "content": [{"type": "developer_content", "instructions": "Be brief.\n\nAnswer in French."}]},
        {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": " there"}]}]}));
    assert_eq!(render_request(&request.to_string(), &opts()).unwrap(), want);
}

/// The function-calling flow of the harmony docs: a tool is declared, the assistant reasons
/// and calls it, the tool answers, and the model is asked to continue.
#[test]
fn tool_calling_flow_matches_reference() {
    let request = json!({"model": "gpt-oss-20b", "reasoning_effort": "low",
        "tools": [{"type": "function", "function": {"name": "get_current_weather",
            "description": "Gets the current weather in the provided location.", "parameters": weather_tool_schema()}}],
        "tool_choice": "auto",
        "messages": [
            {"role": "system", "content": "Always respond in riddles"},
            {"role": "user", "content": "What is the weather like in SF?"},
            {"role": "assistant", "content": null, "reasoning_content": "Need to use function get_current_weather.",
             "tool_calls": [{"id": "call_abc", "type": "function",
                "function": {"name": "get_current_weather", "arguments": "{\"location\":\"San Francisco\"}"}}]},
            {"role": "tool", "tool_call_id": "call_abc", "content": "{\"sunny\": true, \"temperature\": 20}"}]});
    let want = reference_render(json!({"messages": [system("Low", true),
        {"role": "developer", "content": [{"type": "developer_content", "instructions": "Always respond in riddles",
            "tools": {"functions": {"name": "functions", "tools": [{"name": "get_current_weather",
                "description": "Gets the current weather in the provided location.", "parameters": weather_tool_schema()}]}}}]},
        {"role": "user", "content": "What is the weather like in SF?"},
        {"role": "assistant", "channel": "analysis", "content": "Need to use function get_current_weather."},
        {"role": "assistant", "channel": "commentary", "recipient": "functions.get_current_weather",
         "content_type": "<|constrain|>json", "content": "{\"location\":\"San Francisco\"}"},
        {"role": "tool", "name": "functions.get_current_weather", "recipient": "assistant", "channel": "commentary",
         "content": "{\"sunny\": true, \"temperature\": 20}"}]}));
    let ours = render_request(&request.to_string(), &opts()).unwrap();
    assert_eq!(ours, want);
    let text = harmony::tokenizer::decode_utf8(&ours).unwrap();
    assert!(text.contains("Calls to these tools must go to the commentary channel: 'functions'."));
    assert!(text.ends_with("<|start|>assistant"));
}

/// Earlier turns' reasoning is dropped once the assistant has answered (gpt-oss's rule).
#[test]
fn earlier_analysis_is_dropped_after_a_final_answer() {
    let request = json!({"messages": [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "reasoning_content": "Simple.", "content": "4"},
        {"role": "user", "content": "3+3?"}]});
    let want = reference_render(json!({"messages": [system("Medium", false),
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "channel": "final", "content": "4"},
        {"role": "user", "content": "3+3?"}]}));
    assert_eq!(render_request(&request.to_string(), &opts()).unwrap(), want);
}

#[test]
fn response_format_and_tool_choice_none() {
    let request = json!({"tool_choice": "none",
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object", "properties": {"n": {"type": "number"}}}}},
        "messages": [{"role": "user", "content": "n?"}]});
    let conv = request_to_conversation(&request.to_string(), &opts()).unwrap();
    let dev = conv.messages.iter().find(|m| m.author.role == Role::Developer).expect("developer message");
    assert_eq!(dev.content.len(), 1, "tool_choice none hides the tools: {dev:?}");
    let harmony::Content::Text(t) = &dev.content[0] else { panic!("response formats text") };
    assert_eq!(t.text, "# Response Formats\n\n## answer\n\n{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\"}}}");
}

#[test]
fn request_errors_name_what_is_wrong() {
    let cases = [
        (json!({"messages": [{"role": "wizard", "content": "x"}]}), "messages[0].role: unknown role `wizard`"),
        (json!({"messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]}), "unknown tool_call_id `nope`"),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}),
            "messages[0].content[0]: unsupported content part type `image_url`",
        ),
        (json!({"messages": "hi"}), "request.messages: expected an array"),
        (json!({"reasoning_effort": "max", "messages": []}), "reasoning_effort"),
        (json!([1]), "request: expected an object"),
    ];
    for (req, needle) in cases {
        let e = render_request(&req.to_string(), &opts()).unwrap_err().to_string();
        assert!(e.contains(needle), "{e} should contain {needle}");
    }
    assert!(render_request("{", &opts()).is_err());
}

fn completion(text: &str) -> Vec<u32> {
    harmony::tokenizer::encode(text, AllowedSpecial::All)
}

#[test]
fn response_with_reasoning_and_answer() {
    let c =
        completion("<|channel|>analysis<|message|>User asks 2+2.<|end|><|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>");
    let r = parse_response(&c, &ChatOptions::default()).unwrap();
    assert_eq!(r["object"], "chat.completion");
    let choice = &r["choices"][0];
    assert_eq!(choice["message"]["content"], "2 + 2 = 4.");
    assert_eq!(choice["message"]["reasoning_content"], "User asks 2+2.");
    assert_eq!(choice["message"]["role"], "assistant");
    assert!(choice["message"].get("tool_calls").is_none());
    assert_eq!(choice["finish_reason"], "stop");
}

#[test]
fn response_with_tool_call_in_docs_form() {
    // The docs' form puts the recipient after the channel.
    let c = completion("<|channel|>analysis<|message|>Need to use function get_current_weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_current_weather <|constrain|>json<|message|>{\"location\":\"San Francisco\"}<|call|>");
    let r = parse_response(&c, &ChatOptions::default()).unwrap();
    let m = &r["choices"][0]["message"];
    assert_eq!(m["content"], Value::Null);
    let call = &m["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_current_weather");
    assert_eq!(call["function"]["arguments"], "{\"location\":\"San Francisco\"}");
    let id = call["id"].as_str().unwrap();
    assert!(id.starts_with("call_") && id.len() == 29, "{id}");
    assert_eq!(r["choices"][0]["finish_reason"], "tool_calls");
    // random by default, reproducible with a seed
    assert_ne!(parse_response(&c, &ChatOptions::default()).unwrap(), r);
    let seeded = ChatOptions { tool_call_id_seed: Some(42), ..ChatOptions::default() };
    assert_eq!(parse_response(&c, &seeded).unwrap(), parse_response(&c, &seeded).unwrap());
}

#[test]
fn truncated_completion_finishes_with_length() {
    let c = completion("<|channel|>final<|message|>The answer is");
    let r = parse_response(&c, &ChatOptions::default()).unwrap();
    assert_eq!(r["choices"][0]["finish_reason"], "length");
    assert_eq!(r["choices"][0]["message"]["content"], "The answer is");
    let header_cut = completion("<|channel|>fin");
    assert_eq!(parse_response(&header_cut, &ChatOptions::default()).unwrap()["choices"][0]["finish_reason"], "length");
}

#[test]
fn options_must_be_an_object_of_known_fields() {
    assert_eq!(ChatOptions::from_json("").unwrap(), ChatOptions::default());
    assert_eq!(ChatOptions::from_json("{\"model\":\"m\"}").unwrap().model, "m");
    for bad in ["[]", "[null,\"m\"]", "{\"colour\":1}", "{\"created\":-1}", "7"] {
        assert!(ChatOptions::from_json(bad).is_err(), "{bad}");
    }
}

#[test]
fn unknown_tokens_are_errors_in_the_bridge() {
    let mut c = completion("<|channel|>final<|message|>Hi");
    c.push(201_089);
    let e = parse_response(&c, &ChatOptions::default()).unwrap_err();
    assert_eq!(e, harmony::Error::UnknownToken(201_089));
}

#[test]
fn chunks_join_to_the_response_and_look_like_openai_chunks() {
    let c = completion("<|channel|>analysis<|message|>Think 日本 🎉.<|end|><|start|>assistant<|channel|>commentary<|message|>Checking.<|end|><|start|>assistant to=functions.lookup<|channel|>commentary <|constrain|>json<|message|>{\"q\": \"日本\"}<|call|>");
    let o = ChatOptions {
        id: "chatcmpl-1".into(),
        created: 1_700_000_000,
        model: "gpt-oss-20b".into(),
        tool_call_id_seed: Some(1),
        ..ChatOptions::default()
    };
    let chunks = stream_chunks(&c, &o).unwrap();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(chunks[1..].iter().all(|ch| ch["choices"][0]["delta"].get("role").is_none()));
    for ch in &chunks {
        assert_eq!(ch["object"], "chat.completion.chunk");
        assert_eq!(ch["id"], "chatcmpl-1");
        assert_eq!(ch["created"], 1_700_000_000u64);
    }
    let first_call = chunks.iter().find(|ch| ch["choices"][0]["delta"]["tool_calls"].is_array()).unwrap();
    let tc = &first_call["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(tc["index"], 0);
    assert_eq!(tc["function"]["name"], "lookup");
    assert_eq!(tc["function"]["arguments"], "");
    assert!(tc["id"].is_string());
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(last["choices"][0]["delta"], json!({}));
    // joining the deltas by hand gives the non-streaming response
    let (mut content, mut reasoning, mut args) = (String::new(), String::new(), String::new());
    for ch in &chunks {
        let d = &ch["choices"][0]["delta"];
        content += d["content"].as_str().unwrap_or("");
        reasoning += d["reasoning_content"].as_str().unwrap_or("");
        if let Some(a) = d["tool_calls"][0]["function"]["arguments"].as_str() {
            args += a;
        }
    }
    let r = parse_response(&c, &o).unwrap();
    let m = &r["choices"][0]["message"];
    assert_eq!(m["content"], content.as_str());
    assert_eq!(m["content"], "Checking.");
    assert_eq!(m["reasoning_content"], reasoning.as_str());
    assert_eq!(m["reasoning_content"], "Think 日本 🎉.");
    assert_eq!(m["tool_calls"][0]["function"]["arguments"], args.as_str());
    assert_eq!(m["tool_calls"][0]["function"]["arguments"], "{\"q\": \"日本\"}");
    assert_eq!(m["tool_calls"][0]["id"], tc["id"]);
}

/// A response appended to its request re-renders to the prompt followed by the model's own
/// tokens (the final `<|return|>` / `<|call|>` as the conversation renders it, and the
/// analysis dropped once a final answer exists).
#[test]
fn round_trip_rerenders_the_models_tokens() {
    let request = json!({"tools": [{"type": "function", "function": {"name": "get_current_weather", "parameters": weather_tool_schema()}}],
        "messages": [{"role": "user", "content": "Weather in SF?"}]});
    let prompt = render_request(&request.to_string(), &opts()).unwrap();
    // Turn 1: reasoning then a tool call, in the form the renderer writes.
    let turn1 = completion("<|channel|>analysis<|message|>Call the tool.<|end|><|start|>assistant to=functions.get_current_weather<|channel|>commentary <|constrain|>json<|message|>{\"location\":\"SF\"}<|call|>");
    let resp = parse_response(&turn1, &ChatOptions::default()).unwrap();
    let mut msg = resp["choices"][0]["message"].clone();
    let call_id = msg["tool_calls"][0]["id"].clone();
    let mut req2 = request.clone();
    req2["messages"].as_array_mut().unwrap().push(msg.take());
    req2["messages"].as_array_mut().unwrap().push(json!({"role": "tool", "tool_call_id": call_id, "content": "{\"temp\":20}"}));
    let prompt2 = render_request(&req2.to_string(), &opts()).unwrap();
    // prompt2 = prompt + turn1 + the tool message + <|start|>assistant
    assert_eq!(&prompt2[..prompt.len()], &prompt[..]);
    assert_eq!(&prompt2[prompt.len()..prompt.len() + turn1.len()], &turn1[..]);
    let tool_msg = harmony::tokenizer::decode_utf8(&prompt2[prompt.len() + turn1.len()..]).unwrap();
    assert_eq!(
        tool_msg,
        "<|start|>functions.get_current_weather to=assistant<|channel|>commentary<|message|>{\"temp\":20}<|end|><|start|>assistant"
    );
    // Turn 2: reasoning then the final answer; re-rendered, the earlier analysis is dropped.
    let turn2 =
        completion("<|channel|>analysis<|message|>It is 20.<|end|><|start|>assistant<|channel|>final<|message|>20 degrees.<|return|>");
    let resp2 = parse_response(&turn2, &ChatOptions::default()).unwrap();
    assert_eq!(resp2["choices"][0]["finish_reason"], "stop");
    let mut req3 = req2.clone();
    req3["messages"].as_array_mut().unwrap().push(resp2["choices"][0]["message"].clone());
    let conv3 = request_to_conversation(&req3.to_string(), &opts()).unwrap();
    let training = harmony::render::render_for_training(&conv3, &harmony::RenderOptions::default()).unwrap();
    let text = harmony::tokenizer::decode_utf8(&training).unwrap();
    assert!(!text.contains("Call the tool.") && !text.contains("It is 20."), "analysis dropped: {text}");
    let final_part = completion("<|start|>assistant<|channel|>final<|message|>20 degrees.<|return|>");
    assert!(training.ends_with(&final_part));
    // Before the final answer, the turn so far (with its analysis) renders to exactly the
    // model's tokens.
    let mut req_mid = req2.clone();
    let mut analysis_only = resp2["choices"][0]["message"].clone();
    analysis_only["content"] = Value::Null;
    req_mid["messages"].as_array_mut().unwrap().push(analysis_only);
    let mid = render_request(&req_mid.to_string(), &opts()).unwrap();
    let mut expected = prompt2.clone();
    expected.extend(completion("<|channel|>analysis<|message|>It is 20.<|end|><|start|>assistant"));
    assert_eq!(mid, expected);
}

#[test]
fn cli_chat_commands() {
    use std::io::Write;
    let run = |args: &[&str], input: &[u8]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_harmony"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let request = json!({"messages": [{"role": "user", "content": "Hello!"}]}).to_string();
    let o = run(&["chat", "render", "--date", "2025-06-28"], request.as_bytes());
    assert_eq!(o.status.code(), Some(0));
    let tokens: Vec<u32> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(tokens, render_request(&request, &opts()).unwrap());
    let c = serde_json::to_string(&completion("<|channel|>final<|message|>Hi!<|return|>")).unwrap();
    let whole = run(&["chat", "parse"], c.as_bytes());
    let v: Value = serde_json::from_slice(&whole.stdout).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "Hi!");
    let streamed = run(&["chat", "parse", "--stream"], c.as_bytes());
    let chunks: Vec<Value> = serde_json::from_slice(&streamed.stdout).unwrap();
    assert_eq!(chunks.last().unwrap()["choices"][0]["finish_reason"], "stop");
    let lines = run(&["chat", "render", "--jsonl"], format!("{request}\n{{\"messages\":[{{\"role\":\"x\"}}]}}\n").as_bytes());
    assert_eq!(lines.status.code(), Some(1));
    assert_eq!(String::from_utf8(lines.stdout).unwrap().lines().count(), 2);
}

// ---------------------------------------------------------------------------------------
// Issue 11 §2: the bridge fixed against vLLM's mapping and the OpenAI SDK.
// ---------------------------------------------------------------------------------------

fn seeded() -> ChatOptions {
    ChatOptions { tool_call_id_seed: Some(11), ..ChatOptions::default() }
}

fn parse(text: &str, o: &ChatOptions) -> Value {
    let tokens = completion(text);
    let r = parse_response(&tokens, o).unwrap();
    // The response is always the fold of the stream (same options, same ids).
    if o.tool_call_id_seed.is_some() || o.tool_call_id_prefix.is_some() {
        assert_eq!(join_chunks(&stream_chunks(&tokens, o).unwrap(), o), r, "stream == response for {text}");
    }
    r
}

fn message(r: &Value) -> &Value {
    &r["choices"][0]["message"]
}

fn finish(r: &Value) -> &str {
    r["choices"][0]["finish_reason"].as_str().unwrap()
}

/// A structured-output answer (openai/harmony PR #144; our own `# Response Formats` invites
/// it) is content, never a tool call named `<|constrain|>json`.
#[test]
fn constrained_final_answer_is_content() {
    for o in [seeded(), ChatOptions { fix_constrain_recipient: true, ..seeded() }] {
        let r = parse("<|channel|>final <|constrain|>json<|message|>{\"n\": 4}<|return|>", &o);
        assert_eq!(message(&r)["content"], "{\"n\": 4}");
        assert!(message(&r).get("tool_calls").is_none(), "{r}");
        assert_eq!(finish(&r), "stop");
        let glued = parse("<|channel|>final<|constrain|>json<|message|>{}<|return|>", &o);
        assert_eq!(message(&glued)["content"], "{}");
    }
}

/// Only `functions.NAME` recipients are tool calls; built-in tools and garbage recipients
/// go to reasoning (vLLM routes built-in tool calls there).
#[test]
fn only_function_recipients_are_tool_calls() {
    let r = parse(
        "<|channel|>analysis<|message|>Search it.<|end|><|start|>assistant<|channel|>analysis to=browser.search<|message|>{\"query\":\"x\"}<|call|>",
        &seeded(),
    );
    assert!(message(&r).get("tool_calls").is_none(), "{r}");
    assert_eq!(message(&r)["reasoning_content"], "Search it.\n{\"query\":\"x\"}");
    assert_eq!(message(&r)["content"], Value::Null);
    assert_eq!(finish(&r), "stop", "the model stopped on <|call|>");
    for recipient in ["python", "container.exec", "functions.", "browser.open"] {
        let r = parse(&format!("<|channel|>commentary to={recipient}<|message|>print(1)<|call|>"), &seeded());
        assert!(message(&r).get("tool_calls").is_none(), "{recipient}: {r}");
        assert_eq!(message(&r)["reasoning_content"], "print(1)", "{recipient}");
    }
    // A glued second channel marker (issue 11) still names the function.
    let r = parse("<|channel|>commentary to=functions.bash<|channel|>commentary<|message|>{\"cmd\":\"ls\"}<|call|>", &seeded());
    assert_eq!(message(&r)["tool_calls"][0]["function"]["name"], "bash");
    // A function call on the analysis channel is a call.
    let r = parse("<|channel|>analysis to=functions.f <|constrain|>json<|message|>{}<|call|>", &seeded());
    assert_eq!(message(&r)["tool_calls"][0]["function"]["name"], "f");
}

/// get_weather for Tokyo and Paris in one completion: two ids, never one.
#[test]
fn tool_call_ids_are_unique() {
    let text = "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Tokyo\"}<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>";
    let r = parse(text, &seeded());
    let calls = message(&r)["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0]["id"], calls[1]["id"]);
    assert_eq!(finish(&r), "tool_calls");
    // The same call in two requests: different ids unless the caller asks for the same seed.
    let one = "<|channel|>commentary to=functions.get_weather<|message|>{}<|call|>";
    let (a, b) = (parse(one, &ChatOptions::default()), parse(one, &ChatOptions::default()));
    assert_ne!(message(&a)["tool_calls"][0]["id"], message(&b)["tool_calls"][0]["id"]);
    let (c, d) = (parse(one, &seeded()), parse(one, &seeded()));
    assert_eq!(message(&c)["tool_calls"][0]["id"], message(&d)["tool_calls"][0]["id"]);
    let other = ChatOptions { tool_call_id_seed: Some(12), ..ChatOptions::default() };
    assert_ne!(message(&c)["tool_calls"][0]["id"], message(&parse(one, &other))["tool_calls"][0]["id"]);
    for r in [&a, &b, &c, &d] {
        let id = message(r)["tool_calls"][0]["id"].as_str().unwrap();
        assert!(id.len() == 29 && id.starts_with("call_") && id[5..].bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    }
    let prefixed = ChatOptions { tool_call_id_prefix: Some("req7-\"x\"-".into()), ..ChatOptions::default() };
    let r = parse(text, &prefixed);
    assert_eq!(message(&r)["tool_calls"][0]["id"], "req7-\"x\"-0");
    assert_eq!(message(&r)["tool_calls"][1]["id"], "req7-\"x\"-1");
}

/// Several messages of one kind are joined with "\n" (vLLM's convention), streamed too.
#[test]
fn messages_of_one_kind_join_with_newlines() {
    let r = parse(
        "<|channel|>analysis<|message|>First.<|end|><|start|>assistant<|channel|>analysis<|message|>Second.<|end|><|start|>assistant<|channel|>commentary<|message|>Let me check.<|end|><|start|>assistant<|channel|>final<|message|>Done.<|return|>",
        &seeded(),
    );
    assert_eq!(message(&r)["reasoning_content"], "First.\nSecond.");
    assert_eq!(message(&r)["content"], "Let me check.\nDone.");
    // An empty message adds no separator.
    let r = parse("<|channel|>final<|message|><|end|><|start|>assistant<|channel|>final<|message|>A<|return|>", &seeded());
    assert_eq!(message(&r)["content"], "A");
}

#[test]
fn finish_reasons() {
    let engine = |f: &str| ChatOptions { finish_reason: Some(serde_json::from_value(json!(f)).unwrap()), ..seeded() };
    let call = "<|channel|>commentary to=functions.f <|constrain|>json<|message|>{\"a\":1}";
    let cases: Vec<(String, ChatOptions, &str)> = vec![
        ("<|channel|>final<|message|>Hi<|return|>".into(), seeded(), "stop"),
        (format!("{call}<|call|>"), seeded(), "tool_calls"),
        // The engine stripped <|call|>: complete arguments are a completed call.
        (call.into(), seeded(), "tool_calls"),
        ("<|channel|>commentary to=functions.f<|message|>{\"a\":".into(), seeded(), "length"),
        ("<|channel|>commentary to=functions.f<|message|>{\"a\":".into(), engine("stop"), "tool_calls"),
        (call.into(), engine("length"), "length"),
        ("<|channel|>final<|message|>Hi".into(), seeded(), "length"),
        ("<|channel|>final<|message|>Hi".into(), engine("stop"), "stop"),
        ("<|channel|>analysis<|message|>Thinking.<|end|>".into(), seeded(), "length"),
        ("<|channel|>final<|message|>Hi<|end|>".into(), seeded(), "length"),
        ("<|channel|>final<|message|>Hi<|end|>".into(), engine("stop"), "stop"),
        ("<|channel|>final<|message|>Hi<|return|>".into(), engine("content_filter"), "content_filter"),
        (String::new(), seeded(), "length"),
    ];
    for (text, o, want) in cases {
        assert_eq!(finish(&parse(&text, &o)), want, "{text} with {:?}", o.finish_reason);
    }
    assert!(ChatOptions::from_json("{\"finish_reason\":\"abort\"}").is_err());
    assert!(ChatOptions::from_json("{\"finish_reason\":\"length\",\"tool_call_id_seed\":3,\"reasoning_field\":\"reasoning\"}").is_ok());
}

#[test]
fn tool_choice_and_parallel_tool_calls_on_the_output_side() {
    let two = "<|channel|>commentary to=functions.a<|message|>{}<|end|><|start|>assistant<|channel|>commentary to=functions.b<|message|>{}<|call|>";
    let names = |r: &Value| -> Vec<String> {
        message(r)["tool_calls"]
            .as_array()
            .map_or(vec![], |c| c.iter().map(|c| c["function"]["name"].as_str().unwrap().to_string()).collect())
    };
    let with = |req: Value| seeded().with_request(&req.to_string()).unwrap();
    let r = parse(two, &with(json!({"messages": [], "parallel_tool_calls": false})));
    assert_eq!(names(&r), ["a"]);
    assert_eq!(finish(&r), "tool_calls");
    let r = parse(two, &with(json!({"messages": [], "tool_choice": "none"})));
    assert!(names(&r).is_empty());
    assert_eq!(finish(&r), "stop", "ended on <|call|>");
    let r = parse(two, &with(json!({"messages": [], "tool_choice": {"type": "function", "function": {"name": "b"}}})));
    assert_eq!(names(&r), ["b"]);
    assert_eq!(finish(&r), "stop", "a forced call is reported as OpenAI does");
    let r = parse(two, &with(json!({"messages": [], "tool_choice": "required"})));
    assert_eq!(names(&r), ["a", "b"]);
    assert!(seeded().with_request("{\"tool_choice\":\"sometimes\"}").is_err());
}

#[test]
fn reasoning_field_in_and_out() {
    let o = ChatOptions { reasoning_field: harmony::chat_completions::ReasoningField::Reasoning, ..seeded() };
    let r = parse("<|channel|>analysis<|message|>Hmm.<|end|><|start|>assistant<|channel|>final<|message|>Yes.<|return|>", &o);
    assert_eq!(message(&r)["reasoning"], "Hmm.");
    assert!(message(&r).get("reasoning_content").is_none());
    // Either name is accepted on input.
    for field in ["reasoning", "reasoning_content"] {
        let req = json!({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", field: "R.", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "c1", "content": "ok"}]});
        let text = harmony::tokenizer::decode_utf8(&render_request(&req.to_string(), &opts()).unwrap()).unwrap();
        assert!(text.contains("<|channel|>analysis<|message|>R.<|end|>"), "{field}: {text}");
    }
}

/// The format guide drops the analysis of every earlier turn that ended in a final answer
/// (0.0.8's renderer drops only what precedes the first final answer).
#[test]
fn analysis_of_every_answered_turn_is_dropped() {
    let request = json!({"tools": [{"type": "function", "function": {"name": "f"}}], "messages": [
        {"role": "user", "content": "1?"},
        {"role": "assistant", "reasoning_content": "R1.", "content": "A1"},
        {"role": "user", "content": "2?"},
        {"role": "assistant", "reasoning_content": "R2.", "content": "A2"},
        {"role": "user", "content": "3?"},
        {"role": "assistant", "reasoning_content": "R3.", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c", "content": "ok"}]});
    let text = harmony::tokenizer::decode_utf8(&render_request(&request.to_string(), &opts()).unwrap()).unwrap();
    assert!(!text.contains("R1.") && !text.contains("R2."), "{text}");
    assert!(text.contains("<|channel|>analysis<|message|>R3.<|end|>"), "the current turn keeps its reasoning: {text}");
    // The raw renderer keeps 0.0.8's rule (R2 survives there).
    let conv = request_to_conversation(&request.to_string(), &opts()).unwrap();
    assert!(!conv.messages.iter().any(|m| m.channel.as_deref() == Some("analysis") && format!("{m:?}").contains("R2.")));
}

#[test]
fn empty_instructions_render_nothing_and_text_parts_join() {
    let request = json!({"messages": [{"role": "system", "content": ""}, {"role": "developer", "content": []},
        {"role": "user", "content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo wor"}, {"type": "text", "text": "ld"}]}]});
    let want = reference_render(json!({"messages": [system("Medium", false), {"role": "user", "content": "Hello world"}]}));
    assert_eq!(render_request(&request.to_string(), &opts()).unwrap(), want);
    let split = reference_render(json!({"messages": [system("Medium", false), {"role": "user", "content": [
        {"type": "text", "text": "Hel"}, {"type": "text", "text": "lo wor"}, {"type": "text", "text": "ld"}]}]}));
    assert_ne!(split, want, "the parts would encode differently one by one");
}

/// `# Response Formats` at the end of the developer message, after the tools (format guide,
/// "Structured output"), encoded as one text.
#[test]
fn response_formats_close_the_developer_message() {
    let request = json!({"tools": [{"type": "function", "function": {"name": "f", "description": "F."}}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "shopping_list", "description": "Items.", "schema": {"type": "object"}}},
        "messages": [{"role": "developer", "content": "Be helpful."}, {"role": "user", "content": "List."}]});
    let tokens = render_request(&request.to_string(), &opts()).unwrap();
    let text = harmony::tokenizer::decode_utf8(&tokens).unwrap();
    let dev_start = text.find("<|start|>developer<|message|>").unwrap();
    let dev = &text[dev_start..text[dev_start..].find("<|end|>").unwrap() + dev_start];
    assert!(dev.starts_with("<|start|>developer<|message|># Instructions\n\nBe helpful.\n\n# Tools\n\n## functions\n\n"), "{dev}");
    assert!(
        dev.ends_with("} // namespace functions\n\n# Response Formats\n\n## shopping_list\n\n// Items.\n{\"type\":\"object\"}"),
        "{dev}"
    );
    let body = &dev["<|start|>developer<|message|>".len()..];
    let encoded = harmony::tokenizer::encode(body, AllowedSpecial::None);
    let at = tokens.windows(encoded.len()).position(|w| w == encoded.as_slice());
    assert!(at.is_some(), "the developer text is encoded as one text");
}

/// Model output is not bad input: malformed completions recover instead of failing
/// (shapes listed in issue 11).
#[test]
fn malformed_completions_recover() {
    let cases: &[(&str, &str, &str)] = &[
        // (completion, expected content, expected reasoning)
        ("<|channel|>final<|message|>Hi<|return|><|return|>", "Hi", ""),
        ("<|channel|>final<|message|>Hi<|end|>stray text", "Hi\nstray text", ""),
        ("<|channel|>final<|message|>Hi<|end|><|channel|>final<|message|>Again<|return|>", "Hi\nAgain", ""),
        ("<|start|>assistant<|channel|>final<|message|>Doubled start<|return|>", "Doubled start", ""),
        ("<|channel|><|message|>No channel name<|end|>", "No channel name", ""),
        ("I can't help with that.", "I can't help with that.", ""),
        // Header-less text ended by `<|end|>` is the analysis the model forgot to label (the
        // tokens of openai/harmony#80 show it: the final answer follows later), so it is
        // reasoning, and with no final answer the finish reason says the turn is unfinished.
        ("I can't help with that.<|end|>", "", "I can't help with that."),
        ("I can't help with that.<|return|>", "I can't help with that.", ""),
        ("<|channel|>analysis<|message|>A<|end|><|constrain|><|call|><|start|>assistant<|channel|>final<|message|>B<|return|>", "B", "A"),
    ];
    for (text, content, reasoning) in cases {
        let r = parse(text, &seeded());
        assert_eq!(message(&r)["content"].as_str().unwrap_or(""), *content, "{text}: {r}");
        assert_eq!(message(&r)["reasoning_content"].as_str().unwrap_or(""), *reasoning, "{text}: {r}");
    }
}

mod properties {
    use super::*;
    use harmony::SpecialToken;
    use proptest::prelude::*;

    /// Token ids a model can emit, weighted towards Harmony's control tokens and the words
    /// of headers, so that random sequences reach every state.
    fn token() -> impl Strategy<Value = u32> {
        let words: Vec<u32> =
            ["assistant", "analysis", "final", "commentary", " to=functions.f", " to=python", "json", "{\"a\":1}", "Hi", " ", "日本", "\n"]
                .iter()
                .flat_map(|w| completion(w))
                .collect();
        prop_oneof![
            4 => prop::sample::select(vec![
                SpecialToken::Start.id(), SpecialToken::End.id(), SpecialToken::Message.id(), SpecialToken::Channel.id(),
                SpecialToken::Constrain.id(), SpecialToken::Return.id(), SpecialToken::Call.id(),
            ]),
            4 => prop::sample::select(words),
            1 => 0u32..harmony::tokenizer::VOCAB_SIZE,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

        /// No sequence of valid ids makes the bridge fail; the stream folds to the response;
        /// the response appended to its request renders again.
        #[test]
        fn any_valid_ids_parse_and_round_trip(tokens in prop::collection::vec(token(), 0..40), seed in any::<u64>()) {
            let o = ChatOptions { tool_call_id_seed: Some(seed), ..ChatOptions::default() };
            let r = parse_response(&tokens, &o).unwrap();
            let chunks = stream_chunks(&tokens, &o).unwrap();
            prop_assert_eq!(&join_chunks(&chunks, &o), &r);
            let reason = r["choices"][0]["finish_reason"].as_str().unwrap();
            prop_assert!(["stop", "length", "tool_calls"].contains(&reason));
            let ids: Vec<&Value> = r["choices"][0]["message"]["tool_calls"].as_array().into_iter().flatten().map(|c| &c["id"]).collect();
            for (i, id) in ids.iter().enumerate() {
                prop_assert!(!ids[..i].contains(id), "ids are unique");
            }
            let mut request = json!({"tools": [{"type": "function", "function": {"name": "f"}}], "messages": [{"role": "user", "content": "q"}]});
            let msg = r["choices"][0]["message"].clone();
            request["messages"].as_array_mut().unwrap().push(msg);
            for id in ids {
                request["messages"].as_array_mut().unwrap().push(json!({"role": "tool", "tool_call_id": id, "content": "ok"}));
            }
            prop_assert!(render_request(&request.to_string(), &opts()).is_ok(), "{}", request);
        }

        /// `process_delta` gives what `process` gives, token for token (a `Content` or
        /// `Reasoning` text written as the chunk it stands for, byte for byte), with every
        /// option that changes the chunks, the two calls mixed in one stream, and the same
        /// last chunk and response.
        #[test]
        fn process_delta_is_process(
            tokens in prop::collection::vec(token(), 0..60),
            variant in 0usize..4,
            mix in any::<u64>(),
        ) {
            use harmony::chat_completions::{ChatStream, Delta, ReasoningField, ToolChoice};
            let mut o = ChatOptions { tool_call_id_seed: Some(3), id: "a\"b".into(), model: "m😊".into(), ..ChatOptions::default() };
            match variant {
                1 => o.reasoning_field = ReasoningField::Reasoning,
                2 => o.tool_choice = ToolChoice::None,
                3 => o.parallel_tool_calls = false,
                _ => {}
            }
            let (mut a, mut b, mut c) = (ChatStream::new(o.clone()), ChatStream::new(o.clone()), ChatStream::new(o.clone()));
            a.accumulate();
            b.accumulate();
            let field = o.reasoning_field.as_str();
            for (i, &t) in tokens.iter().enumerate() {
                let want = a.process(t).unwrap().map(str::to_string);
                let prefix = b.chunk_prefix().to_string();
                let written = |key: &str, text: &str| {
                    format!("{prefix}\"{key}\":{}}},\"finish_reason\":null}}]}}", serde_json::to_string(text).unwrap())
                };
                let got = match b.process_delta(t).unwrap() {
                    Delta::None => None,
                    Delta::Content(text) => Some(written("content", text)),
                    Delta::Reasoning(text) => Some(written(field, text)),
                    Delta::Json(json) => Some(json.to_string()),
                };
                prop_assert_eq!(&got, &want, "token {} of {:?}", i, tokens);
                // The two calls share the stream's state.
                let mixed = if mix >> (i % 64) & 1 == 1 {
                    c.process(t).unwrap().map(str::to_string)
                } else {
                    match c.process_delta(t).unwrap() {
                        Delta::None => None,
                        Delta::Content(text) => Some(written("content", text)),
                        Delta::Reasoning(text) => Some(written(field, text)),
                        Delta::Json(json) => Some(json.to_string()),
                    }
                };
                prop_assert_eq!(&mixed, &want, "mixed, token {} of {:?}", i, tokens);
            }
            prop_assert!(b.process_delta(harmony::tokenizer::VOCAB_SIZE).is_err());
            let last = a.finish().unwrap().to_string();
            prop_assert_eq!(b.finish().unwrap(), last.as_str());
            prop_assert_eq!(c.finish().unwrap(), last.as_str());
            prop_assert_eq!(a.response(), b.response());
            prop_assert!(b.process_delta(1).is_err());
        }
    }
}

/// The realistic shapes: reasoning, a preamble, a call, an answer, text with escapes; every
/// chunk but the role's and the call's is a plain `Content` / `Reasoning` delta, equal to the
/// chunk `process` writes.
#[test]
fn process_delta_takes_the_common_chunks_without_json() {
    use harmony::chat_completions::{ChatStream, Delta};
    let tokens = completion(
        "<|channel|>analysis<|message|>Think \"hard\" \\ \n\t\u{1} 😊 about it.<|end|>\
         <|start|>assistant<|channel|>commentary<|message|>Let me check.<|end|>\
         <|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>\
         <|start|>assistant<|channel|>final<|message|>It is sunny in Paris.<|return|>",
    );
    let (mut a, mut b) = (ChatStream::new(seeded()), ChatStream::new(seeded()));
    let (mut content, mut reasoning, mut json) = (0, 0, 0);
    for &t in &tokens {
        let want = a.process(t).unwrap().map(|c| serde_json::from_str::<Value>(c).unwrap());
        let chunk = |key: &str, text: &str| {
            let mut c = want.clone().expect("a chunk");
            c["choices"][0]["delta"] = json!({ key: text });
            c
        };
        let got = match b.process_delta(t).unwrap() {
            Delta::None => None,
            Delta::Content(s) => {
                content += 1;
                Some(chunk("content", s))
            }
            Delta::Reasoning(s) => {
                reasoning += 1;
                Some(chunk("reasoning_content", s))
            }
            Delta::Json(c) => {
                json += 1;
                Some(serde_json::from_str::<Value>(c).unwrap())
            }
        };
        assert_eq!(got, want);
    }
    assert_eq!(a.finish().unwrap(), b.finish().unwrap());
    // The role's chunk, the call's announcement and its arguments' chunks are JSON; the
    // text of the two turns is not.
    assert!(content >= 8 && reasoning >= 8, "{content} content, {reasoning} reasoning, {json} JSON");
    assert!(json >= 2 && json <= 12, "{json} JSON chunks");
}

#[test]
fn cli_chat_parse_options() {
    use std::io::Write;
    let run = |args: &[&str], input: &[u8]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_harmony"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let c = serde_json::to_string(&completion("<|channel|>analysis<|message|>R<|end|><|start|>assistant<|channel|>final<|message|>Hi"))
        .unwrap();
    let o = run(&["chat", "parse", "--finish-reason", "stop", "--reasoning-field", "reasoning"], c.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["choices"][0]["message"]["reasoning"], "R");
    let call = serde_json::to_string(&completion("<|channel|>commentary to=functions.f<|message|>{}<|call|>")).unwrap();
    let a = run(&["chat", "parse", "--id-seed", "5"], call.as_bytes());
    let b = run(&["chat", "parse", "--id-seed", "5", "--stream"], call.as_bytes());
    let (a, b): (Value, Vec<Value>) = (serde_json::from_slice(&a.stdout).unwrap(), serde_json::from_slice(&b.stdout).unwrap());
    let announced = b.iter().find(|c| c["choices"][0]["delta"]["tool_calls"].is_array()).unwrap();
    assert_eq!(a["choices"][0]["message"]["tool_calls"][0]["id"], announced["choices"][0]["delta"]["tool_calls"][0]["id"]);
    let dir = std::env::temp_dir().join(format!("harmony-cli-chat-{}", std::process::id()));
    std::fs::write(&dir, r#"{"messages":[],"tool_choice":"none"}"#).unwrap();
    let n = run(&["chat", "parse", "--request", dir.to_str().unwrap()], call.as_bytes());
    let n: Value = serde_json::from_slice(&n.stdout).unwrap();
    assert!(n["choices"][0]["message"].get("tool_calls").is_none());
    std::fs::remove_file(&dir).ok();
    let bad = run(&["chat", "parse", "--finish-reason", "abort"], call.as_bytes());
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown variant `abort`"));
}

/// `harmony_chat_stream_next` lends the chunks `harmony_chat_stream_process` copies, from one
/// reused buffer, and checks its arguments like every entry point.
#[test]
fn ffi_chat_stream_next_lends_the_same_chunks() {
    use harmony::ffi::chat::*;
    use harmony::ffi::{
        harmony_encoding, harmony_encoding_free, harmony_encoding_new, harmony_status, harmony_string, harmony_string_free,
    };
    use std::ffi::c_char;
    use std::ptr::{null, null_mut};
    let tokens = completion("<|channel|>analysis<|message|>Think 日本.<|end|><|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{\"a\": 1}<|call|>");
    let opts = br#"{"tool_call_id_seed":3}"#;
    let mut enc: *const harmony_encoding = null();
    // SAFETY (all blocks): valid pointers as each function documents; each handle freed once.
    unsafe {
        assert_eq!(harmony_encoding_new(null(), &mut enc, null_mut()), harmony_status::HARMONY_OK);
        let (mut a, mut b): (*mut harmony_chat_stream, *mut harmony_chat_stream) = (null_mut(), null_mut());
        assert_eq!(harmony_chat_stream_new(enc, opts.as_ptr().cast(), opts.len(), &mut a, null_mut()), harmony_status::HARMONY_OK);
        assert_eq!(harmony_chat_stream_new(enc, opts.as_ptr().cast(), opts.len(), &mut b, null_mut()), harmony_status::HARMONY_OK);
        let mut lent = Vec::new();
        let mut copied = Vec::new();
        let mut previous: *const c_char = null();
        let mut moves = 0;
        for &t in &tokens {
            let (mut data, mut len): (*const c_char, usize) = (null(), 7);
            assert_eq!(harmony_chat_stream_next(a, t, &mut data, &mut len, null_mut()), harmony_status::HARMONY_OK);
            if !data.is_null() {
                assert_eq!(*data.add(len), 0, "NUL-terminated");
                lent.push(String::from_utf8(std::slice::from_raw_parts(data.cast::<u8>(), len).to_vec()).unwrap());
                if previous != data {
                    moves += 1; // only when the buffer grows
                }
                previous = data;
            } else {
                assert_eq!(len, 0);
            }
            let mut s = harmony_string { data: null_mut(), len: 0 };
            assert_eq!(harmony_chat_stream_process(b, t, &mut s, null_mut()), harmony_status::HARMONY_OK);
            if !s.data.is_null() {
                copied.push(String::from_utf8(std::slice::from_raw_parts(s.data.cast::<u8>(), s.len).to_vec()).unwrap());
            }
            harmony_string_free(&mut s);
        }
        assert_eq!(lent, copied);
        assert!(lent.len() < tokens.len(), "header tokens produce no chunk");
        assert!(moves <= 3, "one buffer, reused ({moves} moves for {} chunks)", lent.len());
        let (mut data, mut len): (*const c_char, usize) = (null(), 0);
        assert_eq!(
            harmony_chat_stream_next(null_mut(), 1, &mut data, &mut len, null_mut()),
            harmony_status::HARMONY_ERROR_INVALID_ARGUMENT
        );
        assert_eq!(harmony_chat_stream_next(a, 1, null_mut(), &mut len, null_mut()), harmony_status::HARMONY_ERROR_INVALID_ARGUMENT);
        assert_eq!(harmony_chat_stream_next(a, 1, &mut data, null_mut(), null_mut()), harmony_status::HARMONY_ERROR_INVALID_ARGUMENT);
        assert_eq!(harmony_chat_stream_next(a, 201_089, &mut data, &mut len, null_mut()), harmony_status::HARMONY_ERROR_UNKNOWN_TOKEN);
        assert!(data.is_null() && len == 0);
        let mut s = harmony_string { data: null_mut(), len: 0 };
        assert_eq!(harmony_chat_stream_finish(a, &mut s, null_mut()), harmony_status::HARMONY_OK);
        harmony_string_free(&mut s);
        assert_eq!(harmony_chat_stream_next(a, 1, &mut data, &mut len, null_mut()), harmony_status::HARMONY_ERROR_INVALID_ARGUMENT);
        harmony_chat_stream_free(a);
        harmony_chat_stream_free(b);
        harmony_encoding_free(enc);
    }
}

/// Ending reasoning on demand (issue 16 §3): an engine caps the analysis at a budget of
/// tokens — anywhere, also inside the header — injects `force_answer_tokens`, and the model
/// answers. The reasoning so far stays reasoning, the answer is content (or the forced call a
/// tool call), and the batch parse of everything fed gives the streamed response.
#[test]
fn a_reasoning_budget_ends_in_the_answer() {
    use harmony::chat_completions::ChatStream;
    use harmony::parse::Answer;
    let analysis = completion("<|channel|>analysis<|message|>Let me think about this very carefully, step by step.");
    let header = completion("<|channel|>analysis<|message|>").len();
    for budget in 0..=analysis.len() {
        for (answer, reply, want_finish) in
            [(Answer::Final, "42<|return|>", "stop"), (Answer::Call("get_weather"), "{\"city\":\"Paris\"}<|call|>", "tool_calls")]
        {
            let mut s = ChatStream::new(seeded());
            s.accumulate();
            let mut fed = Vec::new();
            for &t in &analysis[..budget] {
                s.process(t).unwrap();
                fed.push(t);
            }
            let forced = s.force_answer_tokens(answer);
            assert!(!forced.is_empty());
            for t in forced.into_iter().chain(completion(reply)) {
                s.process(t).unwrap();
                fed.push(t);
            }
            s.finish().unwrap();
            let r = s.response().unwrap();
            let what = format!("budget {budget}, {answer:?}: {r}");
            assert_eq!(finish(&r), want_finish, "{what}");
            let m = message(&r);
            match answer {
                Answer::Final => assert_eq!(m["content"], "42", "{what}"),
                Answer::Call(_) => {
                    assert_eq!(m["content"], Value::Null, "{what}");
                    assert_eq!(m["tool_calls"][0]["function"]["name"], "get_weather", "{what}");
                    assert_eq!(m["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Paris\"}", "{what}");
                }
            }
            if budget > header {
                let thought = harmony::tokenizer::decode_utf8(&analysis[header..budget]).unwrap();
                assert_eq!(m["reasoning_content"], thought.as_str(), "{what}");
            }
            assert_eq!(parse_response(&fed, &seeded()).unwrap(), r, "{what}: batch");
        }
    }
}

/// Prefill and continuation (issue 16 §2): the last assistant message with `"prefix": true`
/// renders open — the reference's rendering of the same conversation without the message's
/// stop token, its analysis kept — and the continuation parses as that message's text.
#[test]
fn a_prefix_message_renders_open_and_its_continuation_parses() {
    let reference_open = |messages: Vec<Value>| -> Vec<u32> {
        let conv: openai_harmony::chat::Conversation = serde_json::from_value(json!({ "messages": messages })).unwrap();
        let mut t = common::reference().render_conversation(&conv, None).unwrap();
        let last = t.pop().unwrap();
        assert!([200007, 200012].contains(&last), "the reference ends the message with <|end|> or <|call|>");
        t
    };
    let user = json!({"role": "user", "content": "What is 6 times 7?"});
    let tool = json!({"type": "function", "function": {"name": "calc", "parameters": {"type": "object", "properties": {"expr": {"type": "string"}}}}});
    let cases = [
        // (prefix message, expected conversation tail, continuation, content, reasoning, call arguments, finish)
        (
            json!({"role": "assistant", "reasoning_content": "Easy.", "content": "The answer is", "prefix": true}),
            vec![json!({"role": "assistant", "channel": "analysis", "content": "Easy."}), json!({"role": "assistant", "channel": "final", "content": "The answer is"})],
            " 42.<|return|>",
            Some(" 42."),
            None,
            None,
            "stop",
        ),
        (
            json!({"role": "assistant", "reasoning_content": "Six times seven", "prefix": true}),
            vec![json!({"role": "assistant", "channel": "analysis", "content": "Six times seven"})],
            " is 42.<|end|><|start|>assistant<|channel|>final<|message|>42<|return|>",
            Some("42"),
            Some(" is 42."),
            None,
            "stop",
        ),
        (
            json!({"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "calc", "arguments": "{\"expr\":"}}], "prefix": true}),
            vec![json!({"role": "assistant", "channel": "commentary", "recipient": "functions.calc", "content_type": "<|constrain|>json", "content": "{\"expr\":"})],
            "\"6*7\"}<|call|>",
            None,
            None,
            Some("\"6*7\"}"),
            "tool_calls",
        ),
    ];
    for (prefix, tail, continuation, content, reasoning, args, want_finish) in cases {
        let request = json!({"messages": [user.clone(), prefix], "tools": [tool.clone()]});
        let functions = json!({"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {"name": "functions", "tools": [
            {"name": "calc", "description": "", "parameters": {"type": "object", "properties": {"expr": {"type": "string"}}}}]}}}]});
        let mut want = vec![system("Medium", true), functions, json!({"role": "user", "content": "What is 6 times 7?"})];
        want.extend(tail);
        let tokens = render_request(&request.to_string(), &opts()).unwrap();
        assert_eq!(tokens, reference_open(want), "{request}");
        let o = seeded().with_request(&request.to_string()).unwrap();
        assert!(o.continuation.is_some());
        let r = parse_response(&completion(continuation), &o).unwrap();
        let m = message(&r);
        assert_eq!(m["content"].as_str(), content, "{r}");
        assert_eq!(m["reasoning_content"].as_str(), reasoning, "{r}");
        assert_eq!(m["tool_calls"][0]["function"]["arguments"].as_str(), args, "{r}");
        assert_eq!(finish(&r), want_finish, "{r}");
        assert_eq!(join_chunks(&stream_chunks(&completion(continuation), &o).unwrap(), &o), r);
    }
    // Without the prefix option the same continuation is not what the model meant.
    let r = parse_response(&completion(" 42.<|return|>"), &seeded()).unwrap();
    assert_ne!(message(&r)["content"], " 42.");
    // A prefix anywhere but on the last assistant message is an error naming it.
    for bad in [
        json!({"messages": [{"role": "user", "content": "hi", "prefix": true}]}),
        json!({"messages": [{"role": "assistant", "content": "a", "prefix": true}, user.clone()]}),
        json!({"messages": [user.clone(), {"role": "assistant", "content": "a", "prefix": "yes"}]}),
    ] {
        let e = render_request(&bad.to_string(), &opts()).unwrap_err().to_string();
        assert!(e.contains(".prefix"), "{e}");
    }
}

/// The options' `request` field (for C and the wrappers) applies the request as
/// `with_request` does: tool_choice, parallel_tool_calls and a prefix continuation.
#[test]
fn options_carry_the_request() {
    let request = json!({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "The answer is", "prefix": true}],
        "tool_choice": "none", "parallel_tool_calls": false});
    let from_json = ChatOptions::from_json(&json!({"tool_call_id_seed": 3, "request": request}).to_string()).unwrap();
    let direct = ChatOptions { tool_call_id_seed: Some(3), ..ChatOptions::default() }.with_request(&request.to_string()).unwrap();
    assert_eq!(from_json, direct);
    assert_eq!(from_json.continuation.as_ref().unwrap().channel.as_deref(), Some("final"));
    assert!(!from_json.parallel_tool_calls);
    let e = ChatOptions::from_json(r#"{"request": 5}"#).unwrap_err().to_string();
    assert!(e.contains("request"), "{e}");
}

// ---------------------------------------------------------------- tool names (issue 16 §1)

/// A request whose function names are not TypeScript identifiers renders, token for token,
/// what the reference renders for the same conversation under the mapped identifiers: in the
/// declarations, the earlier call and the tool result.
#[test]
fn tool_names_that_are_not_identifiers_render_as_identifiers() {
    let declared = ["get weather", "get_weather", "name.with.dots", "123tool", "𝓸𝓵𝓵𝓪𝓶𝓪", "get-weather"];
    let rendered = ["get_weather_2", "get_weather", "name_with_dots", "_123tool", "𝓸𝓵𝓵𝓪𝓶𝓪", "get_weather_3"];
    let tools: Vec<Value> = declared.iter().map(|n| json!({"type": "function", "function": {"name": n, "parameters": weather_tool_schema()}})).collect();
    let request = json!({"tools": tools, "messages": [
        {"role": "user", "content": "Weather in SF?"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get weather", "arguments": "{\"location\":\"SF\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"}]});
    let ref_tools: Vec<Value> = rendered.iter().map(|n| json!({"name": n, "description": "", "parameters": weather_tool_schema()})).collect();
    let want = reference_render(json!({"messages": [system("Medium", true),
        {"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {"name": "functions", "tools": ref_tools}}}]},
        {"role": "user", "content": "Weather in SF?"},
        {"role": "assistant", "channel": "commentary", "recipient": "functions.get_weather_2", "content_type": "<|constrain|>json", "content": "{\"location\":\"SF\"}"},
        {"role": "tool", "name": "functions.get_weather_2", "recipient": "assistant", "channel": "commentary", "content": "sunny"}]}));
    let ours = render_request(&request.to_string(), &opts()).unwrap();
    assert_eq!(ours, want);
    let text = harmony::tokenizer::decode_utf8(&ours).unwrap();
    for r in rendered {
        assert!(text.contains(&format!("type {r} = ")), "{r}: {text}");
    }
    assert!(!text.contains("get weather") && !text.contains("name.with.dots") && !text.contains("type 123tool"), "{text}");

    // The simplest case of the issue.
    let one = json!({"tools": [{"type": "function", "function": {"name": "get weather"}}], "messages": [{"role": "user", "content": "?"}]});
    let text = harmony::tokenizer::decode_utf8(&render_request(&one.to_string(), &opts()).unwrap()).unwrap();
    assert!(text.contains("type get_weather = () => any;"), "{text}");
}

/// Identifier names (every normal request) render exactly as 0.0.8 renders them verbatim.
#[test]
fn identifier_tool_names_render_unchanged() {
    let names = ["get_weather", "$", "_private", "a$b", "Get2", "x_2"];
    let tools: Vec<Value> = names.iter().map(|n| json!({"type": "function", "function": {"name": n}})).collect();
    let request = json!({"tools": tools, "messages": [{"role": "user", "content": "Hi"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "a$b", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"}]});
    let ref_tools: Vec<Value> = names.iter().map(|n| json!({"name": n, "description": ""})).collect();
    let want = reference_render(json!({"messages": [system("Medium", true),
        {"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {"name": "functions", "tools": ref_tools}}}]},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "channel": "commentary", "recipient": "functions.a$b", "content_type": "<|constrain|>json", "content": "{}"},
        {"role": "tool", "name": "functions.a$b", "recipient": "assistant", "channel": "commentary", "content": "ok"}]}));
    assert_eq!(render_request(&request.to_string(), &opts()).unwrap(), want);
}

fn named_tools_request() -> Value {
    json!({"tools": [
        {"type": "function", "function": {"name": "get weather", "parameters": weather_tool_schema()}},
        {"type": "function", "function": {"name": "get_weather"}},
        {"type": "function", "function": {"name": "name.with.dots"}}],
        "messages": [{"role": "user", "content": "Weather in SF?"}]})
}

/// A call of the identifier the model saw comes back under the name the request declared,
/// streamed and not; without the request's tools, under the name the model wrote; a call of
/// a function nobody declared is reported as written (ollama issue #11991: never a crash).
#[test]
fn calls_are_reported_under_the_declared_name() {
    let request = json!({"tools": [{"type": "function", "function": {"name": "get weather"}}], "messages": []}).to_string();
    let o = ChatOptions { tool_call_id_prefix: Some("call_".into()), ..ChatOptions::default() }.with_request(&request).unwrap();
    let tokens = completion("<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{}<|call|>");
    let resp = parse_response(&tokens, &o).unwrap();
    let call = &resp["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get weather");
    assert_eq!(call["function"]["arguments"], "{}");
    assert_eq!(resp["choices"][0]["finish_reason"], "tool_calls");
    let chunks = stream_chunks(&tokens, &o).unwrap();
    assert_eq!(join_chunks(&chunks, &o), resp);
    assert!(chunks.iter().any(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "get weather"));
    // Options JSON (the C ABI's and the CLI's way) carries the same `tools`.
    let from_json = ChatOptions::from_json(&json!({"tools": [{"type": "function", "function": {"name": "get weather"}}]}).to_string()).unwrap();
    assert_eq!(parse_response(&tokens, &from_json).unwrap()["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get weather");

    // Without the tools: the name the model wrote.
    assert_eq!(parse_response(&tokens, &ChatOptions::default()).unwrap()["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get_weather");

    // The three names of one request, and two undeclared ones.
    let o = ChatOptions::default().with_request(&named_tools_request().to_string()).unwrap();
    for (wrote, want) in [
        ("get_weather_2", "get weather"),
        ("get_weather", "get_weather"),
        ("name_with_dots", "name.with.dots"),
        ("nobody_declared_me", "nobody_declared_me"),
        ("get-weather", "get-weather"),
    ] {
        let tokens = completion(&format!("<|channel|>commentary to=functions.{wrote} <|constrain|>json<|message|>{{}}<|call|>"));
        let resp = parse_response(&tokens, &o).unwrap();
        assert_eq!(resp["choices"][0]["message"]["tool_calls"][0]["function"]["name"], want, "{wrote}");
    }
}

/// `tool_choice` names the declared function; the call of its identifier is that function.
#[test]
fn a_named_tool_choice_matches_the_declared_name() {
    let mut request = named_tools_request();
    request["tool_choice"] = json!({"type": "function", "function": {"name": "get weather"}});
    let o = ChatOptions::default().with_request(&request.to_string()).unwrap();
    let tokens = completion(
        "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{}<|call|><|start|>assistant<|channel|>commentary to=functions.get_weather_2 <|constrain|>json<|message|>{\"location\":\"SF\"}<|call|>",
    );
    let resp = parse_response(&tokens, &o).unwrap();
    let calls = resp["choices"][0]["message"]["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["function"]["name"], "get weather");
    assert_eq!(calls[0]["function"]["arguments"], "{\"location\":\"SF\"}");
}

/// A response with a call of a mapped name, appended to its request with the tool's answer,
/// re-renders to the model's own tokens.
#[test]
fn round_trip_with_a_mapped_name_rerenders_the_models_tokens() {
    let request = named_tools_request();
    let prompt = render_request(&request.to_string(), &opts()).unwrap();
    let turn = completion("<|channel|>analysis<|message|>Call it.<|end|><|start|>assistant to=functions.get_weather_2<|channel|>commentary <|constrain|>json<|message|>{\"location\":\"SF\"}<|call|>");
    let o = ChatOptions::default().with_request(&request.to_string()).unwrap();
    let mut msg = parse_response(&turn, &o).unwrap()["choices"][0]["message"].clone();
    assert_eq!(msg["tool_calls"][0]["function"]["name"], "get weather");
    let call_id = msg["tool_calls"][0]["id"].clone();
    let mut req2 = request.clone();
    req2["messages"].as_array_mut().unwrap().push(msg.take());
    req2["messages"].as_array_mut().unwrap().push(json!({"role": "tool", "tool_call_id": call_id, "content": "sunny"}));
    let prompt2 = render_request(&req2.to_string(), &opts()).unwrap();
    assert_eq!(&prompt2[..prompt.len()], &prompt[..]);
    assert_eq!(&prompt2[prompt.len()..prompt.len() + turn.len()], &turn[..]);
    let tool_msg = harmony::tokenizer::decode_utf8(&prompt2[prompt.len() + turn.len()..]).unwrap();
    assert_eq!(tool_msg, "<|start|>functions.get_weather_2 to=assistant<|channel|>commentary<|message|>sunny<|end|><|start|>assistant");
}

/// Parallel tool calls (issue 16 §5): several calls in one assistant turn render in order
/// (as the reference renders the equivalent conversation), each tool result finds its call by
/// id, a completion with several calls parses into them in order, and the response appended
/// to the request renders again with the calls in the same order.
#[test]
fn parallel_tool_calls_render_parse_and_round_trip_in_order() {
    let tools = json!([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
        {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]);
    let call = |id: &str, name: &str, city: &str| json!({"id": id, "type": "function", "function": {"name": name, "arguments": format!("{{\"city\":\"{city}\"}}")}});
    let request = json!({"tools": tools, "messages": [
        {"role": "user", "content": "Weather in Tokyo and time in Paris?"},
        {"role": "assistant", "content": null, "tool_calls": [call("a", "get_weather", "Tokyo"), call("b", "get_time", "Paris")]},
        {"role": "tool", "tool_call_id": "b", "content": "12:00"},
        {"role": "tool", "tool_call_id": "a", "content": "sunny"}]});
    let functions = json!({"role": "developer", "content": [{"type": "developer_content", "tools": {"functions": {"name": "functions", "tools": [
        {"name": "get_weather", "description": "", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
        {"name": "get_time", "description": "", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]}}}]});
    let msg = |name: &str, city: &str| json!({"role": "assistant", "channel": "commentary", "recipient": format!("functions.{name}"),
        "content_type": "<|constrain|>json", "content": format!("{{\"city\":\"{city}\"}}")});
    let result = |name: &str, text: &str| json!({"role": "tool", "name": format!("functions.{name}"), "recipient": "assistant", "channel": "commentary", "content": text});
    let want = reference_render(json!({"messages": [system("Medium", true), functions,
        {"role": "user", "content": "Weather in Tokyo and time in Paris?"},
        msg("get_weather", "Tokyo"), msg("get_time", "Paris"), result("get_time", "12:00"), result("get_weather", "sunny")]}));
    assert_eq!(render_request(&request.to_string(), &opts()).unwrap(), want);

    let completion = completion(
        "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Oslo\"}<|call|>\
         <|start|>assistant<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{\"city\":\"Rome\"}<|call|>",
    );
    let o = seeded().with_request(&request.to_string()).unwrap();
    let r = parse_response(&completion, &o).unwrap();
    let calls: Vec<(&str, &str)> = message(&r)["tool_calls"].as_array().unwrap().iter()
        .map(|c| (c["function"]["name"].as_str().unwrap(), c["function"]["arguments"].as_str().unwrap())).collect();
    assert_eq!(calls, [("get_weather", "{\"city\":\"Oslo\"}"), ("get_time", "{\"city\":\"Rome\"}")]);
    assert_eq!(finish(&r), "tool_calls");
    let mut next = request.clone();
    next["messages"].as_array_mut().unwrap().push(message(&r).clone());
    let text = harmony::tokenizer::decode_utf8(&render_request(&next.to_string(), &opts()).unwrap()).unwrap();
    let (w, t) = (text.rfind("to=functions.get_weather").unwrap(), text.rfind("to=functions.get_time").unwrap());
    assert!(w < t && text[w..].contains("Oslo") && text[t..].contains("Rome"), "{text}");
    // parallel_tool_calls: false keeps the first call only.
    let single = ChatOptions { parallel_tool_calls: false, ..o };
    assert_eq!(message(&parse_response(&completion, &single).unwrap())["tool_calls"].as_array().unwrap().len(), 1);
}
