//! JSON Schema → the TypeScript-like signatures gpt-oss reads in its tool sections.
//!
//! The output reproduces openai-harmony 0.0.8 character for character, quirks included:
//! `oneOf` is rendered as a list of ` | ` variants, string defaults are quoted unless the schema
//! is an enum, `integer` becomes `number`, unknown or missing types become `any`, and `anyOf` /
//! `allOf` are not understood (they render as `any`).

use crate::error::{Error, Result};
use serde_json::Value;

/// Deepest schema nesting rendered; JSON input cannot get near it (serde_json stops at 128).
const MAX_DEPTH: usize = 256;

fn has_enum(schema: &Value) -> bool {
    schema.get("enum").and_then(Value::as_array).is_some_and(|a| !a.is_empty())
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn is_nullable(v: &Value) -> bool {
    v.get("nullable").and_then(Value::as_bool).unwrap_or(false)
}

/// `type` text of a variant or property, with ` | null` added for `nullable` schemas.
fn type_with_null(schema: &Value, indent: &str, depth: usize) -> Result<String> {
    let mut t = to_typescript(schema, indent, depth + 1)?;
    if is_nullable(schema) && !t.contains("null") {
        t.push_str(" | null");
    }
    Ok(t)
}

/// How a default value is shown in a comment. Variant and property comments quote a string
/// default unless the schema is an enum, which then shows it bare; top-level `oneOf` variants
/// show an enum's string default as JSON instead.
fn default_comment(default: &Value, schema: &Value, bare_enum_string: bool) -> Result<String> {
    Ok(match default.as_str() {
        Some(s) if !has_enum(schema) => format!("default: \"{s}\""),
        Some(s) if bare_enum_string => format!("default: {s}"),
        _ => format!("default: {}", compact_json(default)?),
    })
}

/// Compact JSON text of `v` as openai-harmony 0.0.8 printed it (serde_json 1.0.140: floats in
/// ryu's shortest form such as `1e20`, which newer serde_json releases print as `1e+20`).
pub(crate) fn compact_json(v: &Value) -> Result<String> {
    let mut out = String::new();
    write_json(v, &mut out, 0)?;
    Ok(out)
}

fn write_json(v: &Value, out: &mut String, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::LimitExceeded(format!("tool parameter default nested deeper than {MAX_DEPTH} levels")));
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => out.push_str(&u.to_string()),
            (None, Some(i), _) => out.push_str(&i.to_string()),
            (None, None, Some(f)) if f.is_finite() => out.push_str(ryu::Buffer::new().format_finite(f)),
            _ => out.push_str("null"),
        },
        Value::String(s) => out.push_str(&serde_json::to_string(s).expect("strings serialise")),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).expect("strings serialise"));
                out.push(':');
                write_json(item, out, depth + 1)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Renders `schema` with `indent` as the current indentation.
pub(crate) fn to_typescript(schema: &Value, indent: &str, depth: usize) -> Result<String> {
    if depth > MAX_DEPTH {
        return Err(Error::LimitExceeded(format!(
            "tool parameter schema nested deeper than {MAX_DEPTH} levels"
        )));
    }
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        let inner = format!("{indent}   ");
        let mut out = String::new();
        for variant in variants {
            out.push('\n');
            out.push_str(indent);
            out.push_str(" | ");
            out.push_str(&type_with_null(variant, &inner, depth)?);
            let mut notes = Vec::new();
            if let Some(d) = str_field(variant, "description") {
                notes.push(d.to_string());
            }
            if let Some(default) = variant.get("default") {
                notes.push(default_comment(default, variant, false)?);
            }
            if !notes.is_empty() {
                out.push_str(" // ");
                out.push_str(&notes.join(" "));
            }
        }
        return Ok(out);
    }
    if let Some(types) = schema.get("type").and_then(Value::as_array) {
        let names: Vec<&str> = types
            .iter()
            .filter_map(Value::as_str)
            .map(|t| if t == "integer" { "number" } else { t })
            .collect();
        if !names.is_empty() {
            return Ok(names.join(" | "));
        }
    }
    let Some(ty) = str_field(schema, "type") else {
        return Ok("any".to_string());
    };
    Ok(match ty {
        "object" => render_object(schema, indent, depth)?,
        "string" => {
            let values: Vec<String> = schema
                .get("enum")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(|s| format!("\"{s}\"")).collect())
                .unwrap_or_default();
            if values.is_empty() {
                "string".to_string()
            } else {
                values.join(" | ")
            }
        }
        "number" | "integer" => "number".to_string(),
        "boolean" => "boolean".to_string(),
        "array" => match schema.get("items") {
            Some(items) => format!("{}[]", to_typescript(items, indent, depth + 1)?),
            None => "Array<any>".to_string(),
        },
        _ => "any".to_string(),
    })
}

fn render_object(schema: &Value, indent: &str, depth: usize) -> Result<String> {
    let mut out = String::new();
    if let Some(d) = str_field(schema, "description") {
        out.push_str(&format!("{indent}// {d}\n"));
    }
    out.push_str("{\n");
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        // A set: a schema may list tens of thousands of properties (a Vec made this quadratic).
        let required: std::collections::HashSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (key, prop) in props {
            let optional = if required.contains(key.as_str()) { "" } else { "?" };
            if let Some(title) = str_field(prop, "title") {
                out.push_str(&format!("{indent}// {title}\n{indent}//\n"));
            }
            let one_of = prop.get("oneOf");
            if one_of.is_none() {
                if let Some(d) = str_field(prop, "description") {
                    out.push_str(&format!("{indent}// {d}\n"));
                }
            }
            if let Some(examples) = prop.get("examples").and_then(Value::as_array) {
                if !examples.is_empty() {
                    out.push_str(&format!("{indent}// Examples:\n"));
                    for ex in examples.iter().filter_map(Value::as_str) {
                        out.push_str(&format!("{indent}// - \"{ex}\"\n"));
                    }
                }
            }
            if let Some(variants) = one_of.and_then(Value::as_array) {
                render_one_of_property(&mut out, key, optional, prop, variants, indent, depth)?;
                continue;
            }
            out.push_str(&format!("{indent}{key}{optional}: "));
            out.push_str(&type_with_null(prop, &format!("{indent}    "), depth)?);
            out.push(',');
            if one_of.is_none() {
                if let Some(default) = prop.get("default") {
                    out.push_str(" // ");
                    out.push_str(&default_comment(default, prop, true)?);
                }
            }
            out.push('\n');
        }
    }
    out.push_str(indent);
    out.push('}');
    Ok(out)
}

fn render_one_of_property(
    out: &mut String,
    key: &str,
    optional: &str,
    prop: &Value,
    variants: &[Value],
    indent: &str,
    depth: usize,
) -> Result<()> {
    let prop_desc = str_field(prop, "description");
    let first_desc = variants.first().and_then(|v| str_field(v, "description"));
    let desc_above = prop_desc.is_some() && prop_desc != first_desc;
    if desc_above {
        out.push_str(&format!("{indent}// {}\n", prop_desc.unwrap_or_default()));
    }
    if let Some(default) = prop.get("default") {
        out.push_str(&format!("{indent}// {}\n", default_comment(default, prop, true)?));
    }
    out.push_str(&format!("{indent}{key}{optional}:\n"));
    let inner = format!("{indent}   ");
    for (i, variant) in variants.iter().enumerate() {
        out.push_str(indent);
        out.push_str(" | ");
        out.push_str(&type_with_null(variant, &inner, depth)?);
        let mut notes = Vec::new();
        if !(i == 0 && desc_above) {
            if let Some(d) = str_field(variant, "description") {
                if Some(d) != prop_desc {
                    notes.push(d.to_string());
                }
            }
        }
        if let Some(default) = variant.get("default") {
            notes.push(default_comment(default, variant, true)?);
        }
        if !notes.is_empty() {
            out.push_str(" // ");
            out.push_str(&notes.join(" "));
        }
        out.push('\n');
    }
    out.push_str(&format!("{indent},\n"));
    Ok(())
}
