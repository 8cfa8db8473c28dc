//! JSON text → Python objects, built as `json.loads` builds them, for the JSON the core writes
//! (the Chat Completions chunks): one pass, no intermediate `serde_json::Value`, no Python
//! frame, object keys reused. `None` for anything this does not handle exactly as `json.loads`
//! would (an integer beyond i64, a lone surrogate escape, malformed text); the caller then
//! calls `json.loads`, so the result is always `json.loads`'s.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyList, PyString};

/// The Python strings of recent object keys and of the top-level object's string values (a
/// chunk repeats the same dozen keys, and its id, object and model): 256 direct-mapped slots.
/// Python strings are immutable, so handing one out again is only visible to `is`.
pub struct Keys(Vec<Option<(Box<str>, Py<PyString>)>>);

impl Default for Keys {
    fn default() -> Self {
        Keys((0..256).map(|_| None).collect())
    }
}

impl Keys {
    fn get<'py>(&mut self, py: Python<'py>, key: &str) -> Bound<'py, PyString> {
        let b = key.as_bytes();
        let mut h = b.len() as u32;
        for &c in b.iter().take(4).chain(b.iter().skip(b.len().saturating_sub(4))) {
            h = h.wrapping_mul(31).wrapping_add(c as u32);
        }
        let slot = &mut self.0[((h ^ (h >> 9)) & 255) as usize];
        if let Some((k, s)) = slot {
            if &**k == key {
                return s.bind(py).clone();
            }
        }
        let s = PyString::new(py, key);
        *slot = Some((key.into(), s.clone().unbind()));
        s
    }
}

/// `json.loads(text)`, or `None` (see the module comment). With `top_values`, the string
/// values of the top-level object go through `keys` too (a chunk's id, object and model; not
/// for a delta, whose values are text that rarely repeats).
pub fn loads<'py>(py: Python<'py>, text: &str, keys: &mut Keys, top_values: bool) -> Option<Bound<'py, PyAny>> {
    let mut p = Parser { b: text.as_bytes(), s: text, i: 0, keys, depth: 0, top_values };
    let v = p.value(py)?;
    p.ws();
    (p.i == p.b.len()).then_some(v)
}

struct Parser<'a, 'k> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
    keys: &'k mut Keys,
    depth: usize,
    top_values: bool,
}

impl<'a> Parser<'a, '_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn value<'py>(&mut self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.ws();
        match *self.b.get(self.i)? {
            b'{' => {
                self.nest()?;
                self.i += 1;
                let dict = PyDict::new(py);
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if self.b.get(self.i) != Some(&b'"') {
                            return None;
                        }
                        let key = self.string()?;
                        let key = self.keys.get(py, &key);
                        self.eat(b':')?;
                        let v = self.value(py)?;
                        dict.set_item(key, v).ok()?;
                        self.ws();
                        match self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                self.depth -= 1;
                Some(dict.into_any())
            }
            b'[' => {
                self.nest()?;
                self.i += 1;
                let list = PyList::empty(py);
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        list.append(self.value(py)?).ok()?;
                        self.ws();
                        match self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                self.depth -= 1;
                Some(list.into_any())
            }
            b'"' => {
                let s = self.string()?;
                if self.depth == 1 && self.top_values {
                    return Some(self.keys.get(py, &s).into_any());
                }
                Some(PyString::new(py, &s).into_any())
            }
            b't' => self.word("true", || pyo3::types::PyBool::new(py, true).to_owned().into_any()),
            b'f' => self.word("false", || pyo3::types::PyBool::new(py, false).to_owned().into_any()),
            b'n' => self.word("null", || py.None().into_bound(py)),
            b'-' | b'0'..=b'9' => self.number(py),
            _ => None,
        }
    }

    /// Nesting as deep as json.loads takes without a RecursionError is far beyond any chunk;
    /// deeper text goes to json.loads, which decides.
    fn nest(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= 64).then_some(())
    }

    fn word<'py>(&mut self, w: &str, v: impl FnOnce() -> Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
        self.b[self.i..].starts_with(w.as_bytes()).then(|| {
            self.i += w.len();
            v()
        })
    }

    fn number<'py>(&mut self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.b.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i - from
        };
        let int_digits = digits(self);
        if int_digits == 0 || (int_digits > 1 && self.b[self.i - int_digits] == b'0') {
            return None; // not JSON (json.loads decides how to fail)
        }
        let mut float = false;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            float = true;
            if digits(self) == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            float = true;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        let text = &self.s[start..self.i];
        if float {
            // float(text): both round correctly to the nearest double.
            return Some(PyFloat::new(py, text.parse::<f64>().ok()?).into_any());
        }
        // Beyond i64 json.loads makes a big int: left to it.
        text.parse::<i64>().ok()?.into_pyobject(py).ok().map(Bound::into_any)
    }

    /// A string at `self.i` (on its opening quote), unescaped.
    fn string(&mut self) -> Option<std::borrow::Cow<'a, str>> {
        self.i += 1;
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    self.i += 1;
                    return Some(std::borrow::Cow::Borrowed(&self.s[start..self.i - 1]));
                }
                b'\\' => break,
                0..=0x1f => return None, // a control character: json.loads refuses it
                _ => self.i += 1,
            }
        }
        let mut out = String::from(&self.s[start..self.i]);
        loop {
            let c = *self.b.get(self.i)?;
            match c {
                b'"' => {
                    self.i += 1;
                    return Some(std::borrow::Cow::Owned(out));
                }
                b'\\' => {
                    let e = *self.b.get(self.i + 1)?;
                    self.i += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                // A surrogate pair; a lone surrogate is left to json.loads.
                                if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return None;
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                            } else {
                                char::from_u32(hi)? // None for a lone low surrogate
                            };
                            out.push(c);
                        }
                        _ => return None,
                    }
                }
                0..=0x1f => return None,
                _ => {
                    let from = self.i;
                    while let Some(&c) = self.b.get(self.i) {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        self.i += 1;
                    }
                    out.push_str(&self.s[from..self.i]);
                }
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(h, 16).ok()
    }
}
