//! Keeps the API keys out of everything the daemon writes. Every key id and secret the daemon
//! resolves (and every value of a variable its profiles name) is registered here; log lines,
//! error messages, `status.json` and printed errors pass through [`redact`], which replaces
//! each registered value with `[redacted]`.
//!
//! This is the last line of defence: messages are written not to contain credentials in the
//! first place (configuration errors never quote values, see `config_file`), but a server or a
//! library may echo a header or a line back, and the operator may have pasted a key where a
//! variable name belongs.

use std::borrow::Cow;
use std::io::Write;
use std::sync::RwLock;

/// Shorter values are not registered: replacing every `1` or `ab` in the output would hide
/// information without protecting anything (Alpaca key ids have 20 characters, secrets 40).
const MIN_LEN: usize = 6;

/// What replaces a registered value.
pub const MASK: &str = "[redacted]";

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a value that must never be written out.
pub fn register(value: &str) {
    let value = value.trim();
    if value.chars().count() < MIN_LEN {
        return;
    }
    let mut all = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    if !all.iter().any(|s| s == value) {
        all.push(value.to_owned());
        // Longest first, so a secret containing another is masked whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `text` with every registered value masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let all = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    if !all.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for s in all.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    Cow::Owned(out)
}

/// A writer that masks registered values in what goes through it, a line at a time (a
/// formatted line may arrive in several writes; a value is never split across two lines).
/// What is left of a line goes out on `flush` and on drop.
pub struct Redacting<W: Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> Redacting<W> {
    /// Masks what is written to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            line: Vec::new(),
        }
    }

    fn emit(&mut self, upto: usize) -> std::io::Result<()> {
        let rest = self.line.split_off(upto);
        let line = std::mem::replace(&mut self.line, rest);
        match std::str::from_utf8(&line) {
            Ok(text) => self.inner.write_all(redact(text).as_bytes()),
            Err(_) => self.inner.write_all(&line),
        }
    }
}

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        while let Some(end) = self.line.iter().position(|b| *b == b'\n') {
            self.emit(end + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.emit(self.line.len())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Redacting<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_masked_wherever_they_appear() {
        register("PKTESTREDACT0000AAAA");
        register("sEcReT-redact-test-0123456789abcdefghijkl");
        register("ab"); // too short to register
        let line = "key PKTESTREDACT0000AAAA secret sEcReT-redact-test-0123456789abcdefghijkl ab";
        assert_eq!(redact(line), "key [redacted] secret [redacted] ab");
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
        let mut out = Vec::new();
        {
            let mut w = Redacting::new(&mut out);
            // A line written in pieces that split the value.
            w.write_all(b"header: PKTESTRED").unwrap();
            w.write_all(b"ACT0000AAAA\nnext PKTESTREDACT0000AAAA")
                .unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "header: [redacted]\nnext [redacted]"
        );
    }
}
