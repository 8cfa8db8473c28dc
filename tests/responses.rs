//! The OpenAI Responses API bridge: requests in the shapes of the Responses API docs render
//! token for token like the reference (openai-harmony 0.0.8) renders the equivalent Harmony
//! conversation; bad requests fail naming the item; any valid token ids parse; and (property)
//! a response's output items appended to its request re-render to the model's own tokens,
//! minus the analysis the format guide drops.

mod common;

use harmony::responses::{parse_response, render_request, stream_events, ResponsesOptions, ResponsesStream};
use harmony::{AllowedSpecial, Message, Role};
use proptest::prelude::*;
use serde_json::{json, Value};

fn opts() -> ResponsesOptions {
    ResponsesOptions { conversation_start_date: Some("2025-06-28".into()), ..ResponsesOptions::default() }
}

fn reference_render(messages: Vec<Value>) -> Vec<u32> {
    let conv: openai_harmony::chat::Conversation = serde_json::from_value(json!({ "messages": messages })).unwrap();
    // (0.0.8's auto-drop does nothing here: no expected conversation ends with a final answer
    // after analysis.)
    common::reference().render_conversation_for_completion(&conv, openai_harmony::chat::Role::Assistant, None).unwrap()
}

fn system(effort: &str, browser: bool) -> Value {
    let mut content = json!({"type": "system_content",
        "model_identity": "You are ChatGPT, a large language model trained by OpenAI.",
        "reasoning_effort": effort, "conversation_start_date": "2025-06-28", "knowledge_cutoff": "2024-06",
        "channel_config": {"valid_channels": ["analysis", "commentary", "final"], "channel_required": true}});
    if browser {
        content["tools"] = json!({"browser": openai_harmony::chat::ToolNamespaceConfig::browser()});
    }
    json!({"role": "system", "content": [content]})
}

fn developer(instructions: Option<&str>, tools: Option<Value>) -> Value {
    let mut c = json!({"type": "developer_content"});
    if let Some(i) = instructions {
        c["instructions"] = json!(i);
    }
    if let Some(t) = tools {
        c["tools"] = json!({"functions": {"name": "functions", "tools": t}});
    }
    json!({"role": "developer", "content": [c]})
}

fn weather_params() -> Value {
    json!({"type": "object", "properties": {"location": {"type": "string", "description": "City"}}, "required": ["location"]})
}

fn weather_tool() -> Value {
    json!({"type": "function", "name": "get_weather", "description": "Gets the weather", "parameters": weather_params(), "strict": true})
}

fn render(request: Value) -> Vec<u32> {
    render_request(&request.to_string(), &opts()).unwrap()
}

fn render_err(request: Value) -> String {
    render_request(&request.to_string(), &opts()).unwrap_err().to_string()
}

fn encode(text: &str) -> Vec<u32> {
    harmony::tokenizer::encode(text, AllowedSpecial::All)
}

#[test]
fn string_input_and_instructions() {
    let got = render(json!({"model": "gpt-oss-120b", "instructions": "Be brief.", "input": "Hello!", "temperature": 0.2}));
    let want =
        reference_render(vec![system("Medium", false), developer(Some("Be brief."), None), json!({"role": "user", "content": "Hello!"})]);
    assert_eq!(got, want);
}

#[test]
fn system_and_developer_items_join_instructions_and_empty_ones_render_nothing() {
    let got = render(json!({"instructions": "First.", "reasoning": {"effort": "high"}, "input": [
        {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "Second, "}, {"type": "input_text", "text": "joined."}]},
        {"role": "developer", "content": ""},
        {"role": "user", "content": [{"type": "input_text", "text": "Hi"}, {"type": "input_text", "text": " there"}]}]}));
    let want = reference_render(vec![
        system("High", false),
        developer(Some("First.\n\nSecond, joined."), None),
        json!({"role": "user", "content": "Hi there"}),
    ]);
    assert_eq!(got, want);
    // No instructions at all: no developer message.
    let got = render(json!({"input": [{"role": "system", "content": ""}, {"role": "user", "content": "x"}]}));
    assert_eq!(got, reference_render(vec![system("Medium", false), json!({"role": "user", "content": "x"})]));
}

#[test]
fn reasoning_effort_values() {
    for (effort, want) in [("low", "Low"), ("minimal", "Low"), ("medium", "Medium"), ("high", "High")] {
        let got = render(json!({"reasoning": {"effort": effort}, "input": "x"}));
        assert_eq!(got, reference_render(vec![system(want, false), json!({"role": "user", "content": "x"})]), "{effort}");
    }
    assert!(render_err(json!({"reasoning": {"effort": "extreme"}, "input": "x"})).contains("request.reasoning.effort"));
}

#[test]
fn function_tools_and_tool_choice_none() {
    let got = render(json!({"input": "Weather?", "tools": [weather_tool()], "tool_choice": "auto", "parallel_tool_calls": false}));
    let tools = json!([{"name": "get_weather", "description": "Gets the weather", "parameters": weather_params()}]);
    let want =
        reference_render(vec![system("Medium", false), developer(None, Some(tools)), json!({"role": "user", "content": "Weather?"})]);
    assert_eq!(got, want);
    let got = render(json!({"input": "Weather?", "tools": [weather_tool()], "tool_choice": "none"}));
    assert_eq!(got, reference_render(vec![system("Medium", false), json!({"role": "user", "content": "Weather?"})]));
}

#[test]
fn web_search_tool_is_the_browser_namespace() {
    let got = render(json!({"input": "News?", "tools": [{"type": "web_search"}]}));
    assert_eq!(got, reference_render(vec![system("Medium", true), json!({"role": "user", "content": "News?"})]));
}

#[test]
fn json_schema_format_is_a_response_formats_section() {
    let schema = json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]});
    let got = render(json!({"instructions": "Extract.", "input": "Ada", "text": {"format": {
        "type": "json_schema", "name": "person", "description": "A person", "schema": schema, "strict": true}}}));
    let section = format!("# Response Formats\n\n## person\n\n// A person\n{schema}");
    let want = reference_render(vec![
        system("Medium", false),
        developer(Some(&format!("Extract.\n\n{section}")), None),
        json!({"role": "user", "content": "Ada"}),
    ]);
    assert_eq!(got, want);
}

#[test]
fn multi_turn_tool_use_with_several_calls_and_reasoning_between_calls() {
    // Turn 1 ended with a final answer: its reasoning is dropped. Turn 2 is still running
    // (two calls and their outputs): its reasoning is kept.
    let call = |id: &str, city: &str| json!({"type": "function_call", "call_id": id, "name": "get_weather", "arguments": format!("{{\"location\":\"{city}\"}}")});
    let got = render(json!({"tools": [weather_tool()], "input": [
        {"role": "user", "content": "Hi"},
        {"type": "reasoning", "id": "rs_1", "summary": [], "content": [{"type": "reasoning_text", "text": "Greet."}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello!", "annotations": []}]},
        {"role": "user", "content": "Weather in Tokyo and Paris?"},
        {"type": "reasoning", "id": "rs_2", "summary": [{"type": "summary_text", "text": "Two cities."}]},
        {"type": "message", "role": "assistant", "phase": "commentary", "content": [{"type": "output_text", "text": "Checking."}]},
        call("call_a", "Tokyo"), call("call_b", "Paris"),
        {"type": "function_call_output", "call_id": "call_b", "output": "{\"temp\":18}"},
        {"type": "function_call_output", "call_id": "call_a", "output": [{"type": "input_text", "text": "{\"temp\":25}"}]},
    ]}));
    let tools = json!([{"name": "get_weather", "description": "Gets the weather", "parameters": weather_params()}]);
    let fc = |city: &str| {
        json!({"role": "assistant", "channel": "commentary", "recipient": "functions.get_weather",
        "content_type": "<|constrain|>json", "content": format!("{{\"location\":\"{city}\"}}")})
    };
    let out = |text: &str| json!({"role": "tool", "name": "functions.get_weather", "recipient": "assistant", "channel": "commentary", "content": text});
    let want = reference_render(vec![
        system("Medium", false),
        developer(None, Some(tools)),
        json!({"role": "user", "content": "Hi"}),
        json!({"role": "assistant", "channel": "final", "content": "Hello!"}),
        json!({"role": "user", "content": "Weather in Tokyo and Paris?"}),
        json!({"role": "assistant", "channel": "analysis", "content": "Two cities."}),
        json!({"role": "assistant", "channel": "commentary", "content": "Checking."}),
        fc("Tokyo"),
        fc("Paris"),
        out("{\"temp\":18}"),
        out("{\"temp\":25}"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn web_search_call_items_are_browser_calls() {
    let got = render(json!({"tools": [{"type": "web_search_preview"}], "input": [
        {"role": "user", "content": "News?"},
        {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search", "query": "news"}},
        {"type": "web_search_call", "id": "ws_2", "status": "completed", "action": {"type": "open_page", "url": "https://a.example"}},
        {"type": "web_search_call", "id": "ws_3", "status": "completed", "action": {"type": "find_in_page", "pattern": "x", "url": "https://a.example"}},
    ]}));
    let b = |name: &str, args: &str| json!({"role": "assistant", "channel": "analysis", "recipient": format!("browser.{name}"), "content_type": "code", "content": args});
    let want = reference_render(vec![
        system("Medium", true),
        json!({"role": "user", "content": "News?"}),
        b("search", "{\"query\":\"news\"}"),
        b("open", "{\"id\":\"https://a.example\"}"),
        b("find", "{\"pattern\":\"x\"}"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn bad_requests_name_the_item() {
    let cases = [
        (
            json!({"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "https://x"}]}]}),
            "request.input[0].content[0]",
            "input_image",
        ),
        (
            json!({"input": [{"role": "user", "content": "a"}, {"role": "user", "content": [{"type": "input_text", "text": "b"}, {"type": "input_file", "file_id": "f"}]}]}),
            "request.input[1].content[1]",
            "input_file",
        ),
        (json!({"input": [{"type": "function_call_output", "call_id": "call_x", "output": "1"}]}), "request.input[0]", "call_x"),
        (json!({"input": [{"type": "item_reference", "id": "x"}]}), "request.input[0].type", "item_reference"),
        (json!({"input": [{"role": "critic", "content": "x"}]}), "request.input[0].role", "critic"),
        (json!({"input": "x", "tools": [{"type": "file_search"}]}), "request.tools[0]", "file_search"),
        (json!({"input": [{"type": "function_call", "call_id": "c"}]}), "request.input[0]", "name"),
        (json!({"input": 3}), "request.input", "a number"),
        (json!({"model": "x"}), "request", "input"),
    ];
    for (request, path, word) in cases {
        let e = render_err(request.clone());
        assert!(e.contains(path) && e.contains(word), "{request}: {e}");
    }
}

// ---------------------------------------------------------------- the parse side

fn completion(text: &str) -> Vec<u32> {
    encode(text)
}

#[test]
fn events_fold_into_the_response() {
    let tokens = completion("<|channel|>analysis<|message|>Hmm.<|end|><|start|>assistant<|channel|>final<|message|>Hi<|return|>");
    let events = stream_events(&tokens, &opts()).unwrap();
    let response = parse_response(&tokens, &opts()).unwrap();
    assert_eq!(events.last().unwrap()["type"], "response.completed");
    assert_eq!(events.last().unwrap()["response"], response);
    let mut kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    kinds.dedup(); // one delta event per content token
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.reasoning_text.delta",
            "response.reasoning_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(response["output"][0]["content"][0]["text"], "Hmm.");
    assert_eq!(response["output"][1]["content"][0]["text"], "Hi");
}

#[test]
fn unknown_token_is_an_error_and_a_finished_stream_says_so() {
    let mut s = ResponsesStream::new(opts());
    assert!(s.process(harmony::tokenizer::VOCAB_SIZE).unwrap_err().to_string().contains(&harmony::tokenizer::VOCAB_SIZE.to_string()));
    s.finish().unwrap();
    assert!(s.finish().unwrap_err().to_string().contains("finished"));
    assert!(s.process(1).unwrap_err().to_string().contains("finished"));
}

#[test]
fn a_split_utf8_character_cut_off_by_the_end_is_in_the_deltas() {
    // "🌸" is several byte tokens; cut the stream after the first of them.
    let mut tokens = completion("<|channel|>final<|message|>a");
    let flower = harmony::tokenizer::encode("🌸", AllowedSpecial::None);
    assert!(flower.len() > 1, "{flower:?}");
    tokens.push(flower[0]);
    let events = stream_events(&tokens, &opts()).unwrap();
    let deltas: String =
        events.iter().filter(|e| e["type"] == "response.output_text.delta").map(|e| e["delta"].as_str().unwrap()).collect();
    let response = events.last().unwrap()["response"].clone();
    assert_eq!(response["status"], "incomplete");
    assert_eq!(deltas, response["output"][0]["content"][0]["text"].as_str().unwrap());
}

// ---------------------------------------------------------------- properties

/// One assistant message the model may write, in the renderer's header order.
#[derive(Debug, Clone)]
enum Out {
    Analysis(String),
    Preamble(String),
    Call(String, String),
    Search(String),
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 .,!?'\"{}:é日🌸\n-]{0,24}"
}

fn out() -> impl Strategy<Value = Out> {
    prop_oneof![
        text().prop_map(Out::Analysis),
        text().prop_map(Out::Preamble),
        ("[a-z_]{1,10}", text()).prop_map(|(n, a)| Out::Call(n, a)),
        "[a-z ]{0,12}".prop_map(Out::Search),
    ]
}

fn message(o: &Out) -> Message {
    match o {
        Out::Analysis(t) => Message::new(Role::Assistant, t.as_str()).with_channel("analysis"),
        Out::Preamble(t) => Message::new(Role::Assistant, t.as_str()).with_channel("commentary"),
        Out::Call(n, a) => Message::new(Role::Assistant, a.as_str())
            .with_channel("commentary")
            .with_recipient(format!("functions.{n}"))
            .with_content_type("<|constrain|>json"),
        Out::Search(q) => Message::new(Role::Assistant, json!({"query": q}).to_string())
            .with_channel("analysis")
            .with_recipient("browser.search")
            .with_content_type("code"),
    }
}

fn rendered(m: &Message) -> Vec<u32> {
    harmony::render::render_message(m, false).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Output items appended to the request's input re-render to the model's own tokens;
    /// when the completion ends with a final answer, minus the turn's analysis.
    #[test]
    fn round_trip(user in text(), outs in prop::collection::vec(out(), 0..5), last in prop::option::of(text())) {
        let request = json!({"input": [{"role": "user", "content": user}], "tools": [weather_tool(), {"type": "web_search"}]});
        let prompt = render(request.clone());
        let start_assistant = encode("<|start|>assistant");
        let mut msgs: Vec<Message> = outs.iter().map(message).collect();
        if let Some(t) = &last {
            msgs.push(Message::new(Role::Assistant, t.as_str()).with_channel("final"));
        }
        // The model's tokens: the messages as rendered, continuing the prompt's
        // `<|start|>assistant`, a final answer ending in `<|return|>`.
        let mut model: Vec<u32> = msgs.iter().flat_map(rendered).collect();
        if model.is_empty() {
            return Ok(());
        }
        model.drain(..start_assistant.len());
        if last.is_some() {
            *model.last_mut().unwrap() = harmony::SpecialToken::Return.id();
        }
        let response = parse_response(&model, &opts()).unwrap();
        let mut request2 = request.clone();
        let items = response["output"].as_array().unwrap().clone();
        request2["input"].as_array_mut().unwrap().extend(items);
        let kept: Vec<u32> = msgs
            .iter()
            .filter(|m| last.is_none() || m.channel.as_deref() != Some("analysis") || m.recipient.is_some())
            .flat_map(rendered)
            .collect();
        let mut want = prompt[..prompt.len() - start_assistant.len()].to_vec();
        want.extend(kept);
        want.extend(&start_assistant);
        prop_assert_eq!(render(request2), want);
    }

    /// Any valid token ids: no error, a well-formed event sequence whose last response is
    /// the non-streamed response.
    #[test]
    fn any_valid_ids_parse(tokens in prop::collection::vec(prop_oneof![
        0u32..harmony::tokenizer::VOCAB_SIZE,
        prop::sample::select(vec![200002u32, 200003, 200005, 200006, 200007, 200008, 200012, 173781]),
    ], 0..60)) {
        let events = stream_events(&tokens, &opts()).unwrap();
        for (i, e) in events.iter().enumerate() {
            prop_assert_eq!(e["sequence_number"].as_u64(), Some(i as u64));
        }
        let last = events.last().unwrap();
        prop_assert!(last["type"] == "response.completed" || last["type"] == "response.incomplete");
        let done: Vec<Value> = events.iter().filter(|e| e["type"] == "response.output_item.done").map(|e| e["item"].clone()).collect();
        prop_assert_eq!(&Value::Array(done), &last["response"]["output"]);
        prop_assert_eq!(&parse_response(&tokens, &opts()).unwrap(), &last["response"]);
    }
}

/// The text path (`process_json`, behind `harmony_responses_stream_next` and `_process`) gives
/// byte for byte the serialisation of `process`'s events, token by token (`None` exactly when
/// there are none), on `tokens` and then on the same tokens cut before their last one.
fn assert_text_path_is_the_values_path(tokens: &[u32], options: &ResponsesOptions) {
    let (mut a, mut b) = (ResponsesStream::new(options.clone()), ResponsesStream::new(options.clone()));
    for &t in tokens {
        let values = a.process(t).unwrap();
        let text = b.process_json(t).unwrap().map(str::to_string);
        let want = (!values.is_empty()).then(|| Value::Array(values).to_string());
        assert_eq!(text, want, "token {t} of {tokens:?}");
    }
}

#[test]
fn text_path_escapes_like_serde_json() {
    // Every control character, quotes and backslashes in text, in a call's arguments and in
    // the ids (derived from the response id, and the call's declared name).
    let controls: String = (0u8..0x20).map(char::from).chain("\"\\\u{7f}é🌸".chars()).collect();
    let o = ResponsesOptions {
        id: "resp_\"quoted\"\\".into(),
        response_fields: serde_json::from_value(json!({"tools": named_tools()})).unwrap(),
        ..opts()
    };
    let text = format!(
        "<|channel|>analysis<|message|>{controls}<|end|><|start|>assistant<|channel|>commentary<|message|>{controls}<|end|>\
         <|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{{\"a\": \"{controls}\"}}<|call|>\
         <|start|>assistant<|channel|>analysis to=browser.search code<|message|>{{\"query\": \"x\"}}<|call|>\
         <|start|>assistant<|channel|>final<|message|>{controls}<|return|>"
    );
    let tokens = completion(&text);
    assert_text_path_is_the_values_path(&tokens, &o);
    assert_text_path_is_the_values_path(&tokens, &opts());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn text_path_is_the_values_path(outs in prop::collection::vec(out(), 0..5), last in prop::option::of(text()), cut in 0usize..8) {
        let mut msgs: Vec<Message> = outs.iter().map(message).collect();
        if let Some(t) = &last {
            msgs.push(Message::new(Role::Assistant, t.as_str()).with_channel("final"));
        }
        let mut model: Vec<u32> = msgs.iter().flat_map(rendered).collect();
        model.truncate(model.len().saturating_sub(cut));
        assert_text_path_is_the_values_path(&model, &opts());
    }

    #[test]
    fn text_path_on_any_valid_ids(tokens in prop::collection::vec(prop_oneof![
        0u32..harmony::tokenizer::VOCAB_SIZE,
        prop::sample::select(vec![200002u32, 200003, 200005, 200006, 200007, 200008, 200012, 173781]),
    ], 0..60)) {
        assert_text_path_is_the_values_path(&tokens, &opts());
    }
}

/// Regression (found by `round_trip`): a browser call on the analysis channel before the final
/// answer was dropped with the turn's reasoning, orphaning it; calls are actions and stay.
#[test]
fn browser_calls_survive_the_dropped_reasoning() {
    let got = render(json!({"tools": [{"type": "web_search"}], "input": [
        {"role": "user", "content": "News?"},
        {"type": "reasoning", "id": "rs_1", "summary": [], "content": [{"type": "reasoning_text", "text": "Search."}]},
        {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search", "query": "news"}},
        {"type": "message", "role": "assistant", "content": "Here."},
    ]}));
    let want = reference_render(vec![
        system("Medium", true),
        json!({"role": "user", "content": "News?"}),
        json!({"role": "assistant", "channel": "analysis", "recipient": "browser.search", "content_type": "code", "content": "{\"query\":\"news\"}"}),
        json!({"role": "assistant", "channel": "final", "content": "Here."}),
    ]);
    assert_eq!(got, want);
}

// ---------------------------------------------------------------- the CLI

fn cli(args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_harmony"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn cli_responses_render_and_parse() {
    let request = json!({"input": "Hi", "instructions": "Be brief."}).to_string();
    let out = cli(&["responses", "render", "--date", "2025-06-28"], &request);
    assert!(out.status.success());
    let tokens: Vec<u32> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tokens, render(json!({"input": "Hi", "instructions": "Be brief."})));

    let completion = serde_json::to_string(&completion("<|channel|>final<|message|>Hello<|return|>")).unwrap();
    let out = cli(&["responses", "parse", "--options", r#"{"id":"resp_cli"}"#], &completion);
    let response: Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = parse_response(&completion_tokens(&completion), &ResponsesOptions { id: "resp_cli".into(), ..ResponsesOptions::default() })
        .unwrap();
    assert_eq!(response, want);
    let out = cli(&["responses", "parse", "--stream"], &completion);
    let events: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(events.last().unwrap()["type"], "response.completed");

    // --jsonl: one answer per line; a bad line is an error object and exit status 1.
    let out = cli(&["responses", "render", "--jsonl"], &format!("{request}\n{{\"input\":[{{\"type\":\"item_reference\"}}]}}\n"));
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines[0].is_array() && lines[1]["error"].as_str().unwrap().contains("request.input[0].type"));
    // A bad request without --jsonl: stderr names the item, exit status 1.
    let out = cli(&["responses", "render"], r#"{"input":[{"role":"user","content":[{"type":"input_image"}]}]}"#);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("request.input[0].content[0]"));
    let out = cli(&["responses", "parse", "--options", "{\"colour\":1}"], "[]");
    assert_eq!(out.status.code(), Some(1));
}

fn completion_tokens(json_array: &str) -> Vec<u32> {
    serde_json::from_str(json_array).unwrap()
}

/// `tool_choice` and `parallel_tool_calls` (copied from the request into `response_fields`)
/// are honoured on the output side, as by the Chat bridge (issue 13).
#[test]
fn tool_choice_and_parallel_tool_calls_on_the_output_side() {
    let tokens = completion(
        "<|channel|>commentary to=functions.f <|constrain|>json<|message|>{\"a\":1}<|call|>\
         <|start|>assistant<|channel|>commentary to=functions.g <|constrain|>json<|message|>{\"b\":2}<|call|>",
    );
    let calls = |fields: Value| -> Vec<String> {
        let o = ResponsesOptions { response_fields: fields.as_object().unwrap().clone(), ..opts() };
        let r = parse_response(&tokens, &o).unwrap();
        r["output"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["type"] == "function_call")
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(calls(json!({})), ["f", "g"]);
    assert_eq!(calls(json!({"tool_choice": "auto"})), ["f", "g"]);
    assert_eq!(calls(json!({"tool_choice": "required"})), ["f", "g"]);
    assert_eq!(calls(json!({"tool_choice": "none"})), Vec::<String>::new());
    assert_eq!(calls(json!({"tool_choice": {"type": "function", "name": "g"}})), ["g"]);
    assert_eq!(calls(json!({"parallel_tool_calls": false})), ["f"]);
    assert_eq!(calls(json!({"tool_choice": {"type": "web_search_preview"}})), ["f", "g"], "a hosted tool choice is auto here");
    // The response echoes the request's choice.
    let o = ResponsesOptions { response_fields: json!({"tool_choice": "none"}).as_object().unwrap().clone(), ..opts() };
    assert_eq!(parse_response(&tokens, &o).unwrap()["tool_choice"], "none");
}

/// Errors of a Responses request name it, not the Chat Completions request whose shape
/// helpers it shares (found by the Python package's tests).
#[test]
fn request_errors_name_the_responses_request() {
    let e = render_err(json!({"input": [{"type": "message", "role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]}));
    assert!(e.contains("responses request") && !e.contains("chat completions"), "{e}");
    assert!(e.contains("request.input[0].content[0]"), "{e}");
}

// ---------------------------------------------------------------- tool names (issue 16 §1)

fn named_tools() -> Value {
    json!([
        {"type": "function", "name": "get weather", "description": "Gets the weather", "parameters": weather_params()},
        {"type": "function", "name": "get_weather", "description": "Also"},
        {"type": "web_search"},
        {"type": "function", "name": "123tool"},
    ])
}

/// Function names that are not TypeScript identifiers render as the reference renders the
/// mapped identifiers: in the declarations, `function_call` and `function_call_output` items.
#[test]
fn tool_names_that_are_not_identifiers_render_as_identifiers() {
    let got = render(json!({"tools": named_tools(), "input": [
        {"role": "user", "content": "Weather?"},
        {"type": "function_call", "call_id": "c1", "name": "get weather", "arguments": "{\"location\":\"SF\"}"},
        {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        {"type": "function_call", "call_id": "c2", "name": "123tool", "arguments": "{}"},
    ]}));
    let tools = json!([
        {"name": "get_weather_2", "description": "Gets the weather", "parameters": weather_params()},
        {"name": "get_weather", "description": "Also"},
        {"name": "_123tool", "description": ""},
    ]);
    let want = reference_render(vec![
        system("Medium", true),
        developer(None, Some(tools)),
        json!({"role": "user", "content": "Weather?"}),
        json!({"role": "assistant", "channel": "commentary", "recipient": "functions.get_weather_2", "content_type": "<|constrain|>json", "content": "{\"location\":\"SF\"}"}),
        json!({"role": "tool", "name": "functions.get_weather_2", "recipient": "assistant", "channel": "commentary", "content": "sunny"}),
        json!({"role": "assistant", "channel": "commentary", "recipient": "functions._123tool", "content_type": "<|constrain|>json", "content": "{}"}),
    ]);
    assert_eq!(got, want);
    let text = harmony::tokenizer::decode_utf8(&got).unwrap();
    assert!(text.contains("type get_weather_2 = ") && text.contains("type _123tool = () => any;") && !text.contains("get weather"), "{text}");
}

/// With the request's tools in `response_fields.tools` (as servers echo them), a call of the
/// identifier is a `function_call` item under the declared name; `tool_choice` names the
/// declared name; undeclared names are reported as written.
#[test]
fn calls_are_reported_under_the_declared_name() {
    let with = |fields: Value| ResponsesOptions { response_fields: fields.as_object().unwrap().clone(), ..opts() };
    let call = |name: &str| completion(&format!("<|channel|>commentary to=functions.{name} <|constrain|>json<|message|>{{}}<|call|>"));
    let o = with(json!({"tools": named_tools()}));
    for (wrote, want) in [("get_weather_2", "get weather"), ("get_weather", "get_weather"), ("_123tool", "123tool"), ("nobody", "nobody")] {
        let tokens = call(wrote);
        let r = parse_response(&tokens, &o).unwrap();
        assert_eq!(r["output"][0]["type"], "function_call", "{wrote}");
        assert_eq!(r["output"][0]["name"], want, "{wrote}");
        let events = stream_events(&tokens, &o).unwrap();
        let added = events.iter().find(|e| e["type"] == "response.output_item.added").unwrap();
        assert_eq!(added["item"]["name"], want, "{wrote}");
    }
    // Without the tools: the name the model wrote.
    assert_eq!(parse_response(&call("get_weather_2"), &opts()).unwrap()["output"][0]["name"], "get_weather_2");

    let o = with(json!({"tools": named_tools(), "tool_choice": {"type": "function", "name": "get weather"}}));
    let mut tokens = call("get_weather");
    tokens.extend(completion("<|start|>assistant"));
    tokens.extend(call("get_weather_2"));
    let r = parse_response(&tokens, &o).unwrap();
    let output = r["output"].as_array().unwrap();
    assert_eq!(output.len(), 1, "{output:?}");
    assert_eq!(output[0]["name"], "get weather");
}

/// The response's items appended to its request re-render to the model's own tokens.
#[test]
fn round_trip_with_a_mapped_name_rerenders_the_models_tokens() {
    let request = json!({"tools": named_tools(), "input": [{"role": "user", "content": "Weather?"}]});
    let prompt = render(request.clone());
    let turn = completion("<|channel|>analysis<|message|>Call it.<|end|><|start|>assistant to=functions.get_weather_2<|channel|>commentary <|constrain|>json<|message|>{\"location\":\"SF\"}<|call|>");
    let o = ResponsesOptions { response_fields: json!({"tools": named_tools()}).as_object().unwrap().clone(), ..opts() };
    let r = parse_response(&turn, &o).unwrap();
    assert_eq!(r["output"][1]["name"], "get weather");
    let mut req2 = request.clone();
    req2["input"].as_array_mut().unwrap().extend(r["output"].as_array().unwrap().iter().cloned());
    let prompt2 = render(req2);
    assert_eq!(&prompt2[..prompt.len()], &prompt[..]);
    assert_eq!(&prompt2[prompt.len()..prompt.len() + turn.len()], &turn[..]);
}

/// `harmony_responses_stream_next` lends the event arrays `harmony_responses_stream_process`
/// copies (NULL where `_process` gives `[]`), from one reused buffer, and checks its arguments
/// like every entry point.
#[test]
fn ffi_responses_stream_next_lends_the_same_events() {
    use harmony::ffi::responses::*;
    use harmony::ffi::{
        harmony_encoding, harmony_encoding_free, harmony_encoding_new, harmony_status, harmony_string, harmony_string_free,
    };
    use std::ffi::c_char;
    use std::ptr::{null, null_mut};
    let tokens = completion("<|channel|>analysis<|message|>Think 日本.<|end|><|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{\"a\": 1}<|call|>");
    let opts = br#"{"id":"resp_7"}"#;
    let mut enc: *const harmony_encoding = null();
    // SAFETY (all blocks): valid pointers as each function documents; each handle freed once.
    unsafe {
        assert_eq!(harmony_encoding_new(null(), &mut enc, null_mut()), harmony_status::HARMONY_OK);
        let (mut a, mut b): (*mut harmony_responses_stream, *mut harmony_responses_stream) = (null_mut(), null_mut());
        assert_eq!(harmony_responses_stream_new(enc, opts.as_ptr().cast(), opts.len(), &mut a, null_mut()), harmony_status::HARMONY_OK);
        assert_eq!(harmony_responses_stream_new(enc, opts.as_ptr().cast(), opts.len(), &mut b, null_mut()), harmony_status::HARMONY_OK);
        let (mut lent, mut copied, mut none) = (Vec::new(), Vec::new(), 0);
        let mut previous: *const c_char = null();
        let mut moves = 0;
        for &t in &tokens {
            let (mut data, mut len): (*const c_char, usize) = (null(), 7);
            assert_eq!(harmony_responses_stream_next(a, t, &mut data, &mut len, null_mut()), harmony_status::HARMONY_OK);
            if !data.is_null() {
                assert_eq!(*data.add(len), 0, "NUL-terminated");
                lent.push(String::from_utf8(std::slice::from_raw_parts(data.cast::<u8>(), len).to_vec()).unwrap());
                if previous != data {
                    moves += 1; // only when the buffer grows
                }
                previous = data;
            } else {
                assert_eq!(len, 0);
                none += 1;
            }
            let mut s = harmony_string { data: null_mut(), len: 0 };
            assert_eq!(harmony_responses_stream_process(b, t, &mut s, null_mut()), harmony_status::HARMONY_OK);
            let text = String::from_utf8(std::slice::from_raw_parts(s.data.cast::<u8>(), s.len).to_vec()).unwrap();
            if text != "[]" {
                copied.push(text);
            }
            harmony_string_free(&mut s);
        }
        assert_eq!(lent, copied);
        assert_eq!(lent.len() + none, tokens.len());
        assert!(none > 0, "header tokens produce no event");
        assert!(moves <= 3, "one buffer, reused ({moves} moves for {} arrays)", lent.len());
        let (mut data, mut len): (*const c_char, usize) = (null(), 0);
        assert_eq!(
            harmony_responses_stream_next(null_mut(), 1, &mut data, &mut len, null_mut()),
            harmony_status::HARMONY_ERROR_INVALID_ARGUMENT
        );
        assert_eq!(harmony_responses_stream_next(a, 1, null_mut(), &mut len, null_mut()), harmony_status::HARMONY_ERROR_INVALID_ARGUMENT);
        assert_eq!(harmony_responses_stream_next(a, 1, &mut data, null_mut(), null_mut()), harmony_status::HARMONY_ERROR_INVALID_ARGUMENT);
        assert_eq!(harmony_responses_stream_next(a, 201_089, &mut data, &mut len, null_mut()), harmony_status::HARMONY_ERROR_UNKNOWN_TOKEN);
        assert!(data.is_null() && len == 0);
        let mut s = harmony_string { data: null_mut(), len: 0 };
        assert_eq!(harmony_responses_stream_finish(a, &mut s, null_mut()), harmony_status::HARMONY_OK);
        harmony_string_free(&mut s);
        assert_eq!(harmony_responses_stream_next(a, 1, &mut data, &mut len, null_mut()), harmony_status::HARMONY_ERROR_INVALID_ARGUMENT);
        harmony_responses_stream_free(a);
        harmony_responses_stream_free(b);
        harmony_encoding_free(enc);
    }
}
