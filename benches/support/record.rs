//! Side-by-side bookkeeping: every measured routine records its per-iteration times under a
//! key, and each [`Row`] pairs one of ours with the reference's to print a ratio.

use criterion::{black_box, measurement::WallTime, Bencher};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

static SAMPLES: Mutex<BTreeMap<String, Vec<(u64, f64)>>> = Mutex::new(BTreeMap::new());

/// Measures `f` as a criterion routine and records (iterations, ns per iteration) per sample.
pub fn measure<R>(b: &mut Bencher<'_, WallTime>, key: &str, mut f: impl FnMut() -> R) {
    b.iter_custom(|iters| {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f());
        }
        let elapsed = start.elapsed();
        record(key, iters, elapsed.as_nanos() as f64 / iters as f64);
        elapsed
    })
}

pub fn record(key: &str, iters: u64, ns_per_iter: f64) {
    SAMPLES.lock().unwrap().entry(key.to_string()).or_default().push((iters, ns_per_iter));
}

/// Lower quartile of the samples' ns per iteration, each sample weighted by its iteration
/// count (so criterion's short warm-up samples count little). The lower quartile rather than
/// the median: on a shared machine, load from other processes only ever adds time.
pub fn typical_ns(key: &str) -> Option<f64> {
    let map = SAMPLES.lock().unwrap();
    let mut s = map.get(key)?.clone();
    if s.is_empty() {
        return None;
    }
    s.sort_by(|a, b| a.1.total_cmp(&b.1));
    let total: u64 = s.iter().map(|x| x.0).sum();
    let mut acc = 0;
    for (iters, ns) in &s {
        acc += iters;
        if acc * 4 >= total {
            return Some(*ns);
        }
    }
    s.last().map(|x| x.1)
}

/// How a row compares ours with the other side.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    /// Ratio = reference time per unit / our time per unit.
    Speedup,
    /// Ours via the C ABI vs ours called directly: reports the added ns per unit.
    Overhead,
    /// Ours on one input relative to ours on another: time ratio (e.g. "2.1× prose").
    Relative,
}

/// One line of the results table.
pub struct Row {
    pub op: &'static str,
    pub input: String,
    pub ours_key: String,
    pub other_key: String,
    /// Units (tokens, bytes, processes) per iteration of ours and of the other side.
    pub ours_units: f64,
    pub other_units: f64,
    pub unit: &'static str,
    /// Tokens produced or consumed per iteration of ours (for tokens/s), if meaningful.
    pub ours_tokens: Option<f64>,
    pub kind: Kind,
    pub note: String,
}

fn fmt_time(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.1} ns", ns)
    }
}

fn fmt_rate(per_s: f64) -> String {
    if per_s >= 1e9 {
        format!("{:.2} G", per_s / 1e9)
    } else if per_s >= 1e6 {
        format!("{:.1} M", per_s / 1e6)
    } else if per_s >= 1e3 {
        format!("{:.1} k", per_s / 1e3)
    } else {
        format!("{:.1}", per_s)
    }
}

/// Per-unit time as text: "12.3 ns/token" (or the whole time for one-unit rows).
fn per_unit(ns: f64, units: f64, unit: &str) -> String {
    if units == 1.0 {
        fmt_time(ns)
    } else {
        format!("{}/{unit}", fmt_time(ns / units))
    }
}

/// Prints the table and, if `$HARMONY_BENCH_RESULTS` is set, appends one JSON object per row
/// to that file (scripts/bench.sh turns them into benches/RESULTS.md).
pub fn report(rows: &[Row]) {
    let out_path = std::env::var_os("HARMONY_BENCH_RESULTS");
    let mut lines = Vec::new();
    println!("\n{:=<100}", "");
    println!("{:<22} {:<34} {:>16} {:>16} {:>10}", "operation", "input", "ours", "other", "ratio");
    for r in rows {
        let (Some(ours), Some(other)) = (typical_ns(&r.ours_key), typical_ns(&r.other_key)) else {
            continue;
        };
        let ours_u = ours / r.ours_units;
        let other_u = other / r.other_units;
        let ratio = match r.kind {
            Kind::Speedup => format!("{:.1}×", other_u / ours_u),
            Kind::Overhead => format!("{:+.1} ns", ours_u - other_u),
            Kind::Relative => format!("{:.2}×", ours_u / other_u),
        };
        let ours_s = per_unit(ours, r.ours_units, r.unit);
        let other_s = per_unit(other, r.other_units, r.unit);
        let tps = r.ours_tokens.map(|t| fmt_rate(t / (ours / 1e9)));
        println!("{:<22} {:<34} {:>16} {:>16} {:>10}", r.op, r.input, ours_s, other_s, ratio);
        let obj = serde_json::json!({
            "op": r.op, "input": r.input, "kind": match r.kind { Kind::Speedup => "speedup", Kind::Overhead => "overhead", Kind::Relative => "relative" },
            "ours_ns": ours, "other_ns": other, "ours_units": r.ours_units, "other_units": r.other_units,
            "unit": r.unit, "ours": ours_s, "other": other_s, "ratio": ratio,
            "ratio_value": match r.kind { Kind::Speedup => other_u / ours_u, Kind::Overhead => ours_u - other_u, Kind::Relative => ours_u / other_u },
            "tokens_per_s": tps, "note": r.note,
        });
        lines.push(obj.to_string());
    }
    println!("{:=<100}", "");
    if let Some(path) = out_path {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).expect("open results file");
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
    }
}

/// Appends a free-form fact (e.g. memory use) to the results file and prints it.
pub fn fact(name: &str, value: String) {
    println!("{name}: {value}");
    if let Some(path) = std::env::var_os("HARMONY_BENCH_RESULTS") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).expect("open results file");
        writeln!(f, "{}", serde_json::json!({"fact": name, "value": value})).unwrap();
    }
}
