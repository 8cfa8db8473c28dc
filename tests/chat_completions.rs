//! The OpenAI Chat Completions bridge: requests in the shapes of the OpenAI API docs and the
//! gpt-oss tool-calling examples of openai/harmony's docs render token for token like the
//! reference renders the equivalent Harmony conversation; responses fold from chunks; round
//! trips re-render to the model's own tokens.

mod common;

use harmony::chat_completions::{parse_response, render_request, request_to_conversation, stream_chunks, ChatOptions};
use harmony::{AllowedSpecial, Role};
use serde_json::{json, Value};

fn opts() -> ChatOptions {
    ChatOptions { conversation_start_date: Some("2025-06-28".into()), ..ChatOptions::default() }
}

/// The reference's rendering (for completion by the assistant) of a hand-written Harmony
/// conversation.
fn reference_render(conv: Value) -> Vec<u32> {
    let conv: openai_harmony::chat::Conversation = serde_json::from_value(conv).unwrap();
    common::reference()
        .render_conversation_for_completion(&conv, openai_harmony::chat::Role::Assistant, None)
        .unwrap()
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
    let harmony::Content::DeveloperContent(d) = &dev.content[0] else { panic!("developer content") };
    assert!(d.tools.is_none(), "tool_choice none hides the tools");
    assert_eq!(
        d.instructions.as_deref(),
        Some("# Response Formats\n\n## answer\n\n{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\"}}}")
    );
}

#[test]
fn request_errors_name_what_is_wrong() {
    let cases = [
        (json!({"messages": [{"role": "wizard", "content": "x"}]}), "messages[0].role: unknown role `wizard`"),
        (json!({"messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]}), "unknown tool_call_id `nope`"),
        (json!({"messages": [{"role": "assistant", "tool_calls": [{"id": "a", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}]}),
            "messages[0].tool_calls[0].function.arguments: is not valid JSON"),
        (json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}),
            "messages[0].content[0]: unsupported content part type `image_url`"),
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
    let c = completion("<|channel|>analysis<|message|>User asks 2+2.<|end|><|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>");
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
    assert!(id.starts_with("call_") && id.len() == 21, "{id}");
    assert_eq!(r["choices"][0]["finish_reason"], "tool_calls");
    // deterministic
    assert_eq!(parse_response(&c, &ChatOptions::default()).unwrap(), r);
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
    let o = ChatOptions { id: "chatcmpl-1".into(), created: 1_700_000_000, model: "gpt-oss-20b".into(), ..ChatOptions::default() };
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
    assert_eq!(tool_msg, "<|start|>functions.get_current_weather to=assistant<|channel|>commentary<|message|>{\"temp\":20}<|end|><|start|>assistant");
    // Turn 2: reasoning then the final answer; re-rendered, the earlier analysis is dropped.
    let turn2 = completion("<|channel|>analysis<|message|>It is 20.<|end|><|start|>assistant<|channel|>final<|message|>20 degrees.<|return|>");
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
    let keep = harmony::render::render_for_training(&conv3, &harmony::RenderOptions { auto_drop_analysis: false }).unwrap();
    let mut expected = prompt2[..prompt2.len() - 2].to_vec();
    expected.extend(completion("<|start|>assistant"));
    expected.extend(&turn2);
    assert_eq!(keep, expected, "without dropping, the conversation re-renders to exactly the model's tokens");
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
