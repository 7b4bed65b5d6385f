//! Fixture helpers shared by the wire tests.
#![allow(dead_code)]

use std::fmt::Display;
use std::path::{Path, PathBuf};

/// `core/tests/data/messages/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/messages")
        .join(rel)
}

/// Bytes of a fixture file.
pub fn read(rel: &str) -> Vec<u8> {
    let p = fixture(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// File names (not paths) in a fixture folder with the given extension, sorted.
pub fn files_in(rel_dir: &str, ext: &str) -> Vec<String> {
    let dir = fixture(rel_dir);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(ext))
        .collect();
    names.sort();
    names
}

/// Every `*.txt` under a fixture folder, as paths relative to `messages/`, sorted.
pub fn txt_files_under(rel_dir: &str) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if p.extension().is_some_and(|x| x == "txt") {
                out.push(
                    p.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let base = fixture("");
    let mut out = Vec::new();
    walk(&fixture(rel_dir), &base, &mut out);
    out.sort();
    out
}

/// One block of a `*.examples.json` file extracted from the Binance docs.
pub struct DocBlock {
    /// Index in the file.
    pub index: usize,
    /// Heading path.
    pub section: String,
    /// The parsed JSON re-serialized compactly (`null` blocks are dropped).
    pub json: String,
}

/// The JSON blocks of a docs-extract file.
pub fn doc_blocks(rel: &str) -> Vec<DocBlock> {
    let v: serde_json::Value = serde_json::from_slice(&read(rel)).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, b)| !b["json"].is_null())
        .map(|(index, b)| DocBlock {
            index,
            section: b["section"].as_str().unwrap_or_default().to_owned(),
            json: serde_json::to_string(&b["json"]).unwrap(),
        })
        .collect()
}

/// The parts of a Binance.Net subscription fixture: `>` request lines, `<`
/// ack lines and `=` pushed payloads (a payload runs until the next marker
/// line). Markers may carry a number (`=1`, `<2`).
#[derive(Default, Debug)]
pub struct Exchange {
    /// Requests sent (`>`).
    pub requests: Vec<String>,
    /// Acks received (`<`), raw: may hold placeholders like `|1|`.
    pub acks: Vec<String>,
    /// Pushed payloads (`=`).
    pub payloads: Vec<String>,
}

/// Splits a Binance.Net `.txt` subscription fixture.
pub fn parse_exchange(text: &str) -> Exchange {
    let mut ex = Exchange::default();
    let mut current: Option<(char, String)> = None;
    let flush = |ex: &mut Exchange, cur: Option<(char, String)>| {
        if let Some((m, body)) = cur {
            let body = body.trim().to_owned();
            match m {
                '>' => ex.requests.push(body),
                '<' => ex.acks.push(body),
                _ => ex.payloads.push(body),
            }
        }
    };
    for line in text.lines() {
        let first = line.chars().next();
        if let Some(m @ ('>' | '<' | '=')) = first {
            flush(&mut ex, current.take());
            let rest = line[1..].trim_start_matches(|c: char| c.is_ascii_digit());
            current = Some((m, format!("{rest}\n")));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&mut ex, current);
    ex
}

/// Replaces Binance.Net's `|…|` placeholders with `1`, so an ack parses.
pub fn fill_placeholders(s: &str) -> String {
    let mut out = String::new();
    let mut parts = s.split('|');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let rest: Vec<&str> = parts.collect();
    for (i, part) in rest.iter().enumerate() {
        if i % 2 == 0 {
            out.push('1');
        } else {
            out.push_str(part);
        }
    }
    out
}

/// `x.to_string()`: decimals print with exactly eight places.
pub fn s<T: Display>(x: T) -> String {
    x.to_string()
}
