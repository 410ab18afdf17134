//! A look at JSON text below serde: serde reports no positions for values it accepted, so the
//! JSON formats find their entries' lines by walking the (already validated) text once; and the
//! reading of a whole document, with where and why it fails in words.

use serde::de::DeserializeOwned;

use super::cxf::data_error;

/// `bytes` as text, or the 1-based line on which they stop being UTF-8.
pub(super) fn utf8(bytes: &[u8]) -> Result<&str, u64> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        1 + before.iter().filter(|&&b| b == b'\n').count() as u64
    })
}

/// A whole JSON document read as `T`, with its text (for [`tokens`]), or the 1-based line and
/// the reason it cannot be: not UTF-8, cut short, not JSON, or not a `T`, said as `not_a`
/// followed by what is wrong (`"it is not a 1PUX export: its accounts"`, then `"has a missing
/// field ..."`).
pub(super) fn document<'a, T: DeserializeOwned>(
    bytes: &'a [u8],
    not_a: &str,
) -> Result<(&'a str, T), (u64, String)> {
    let text = utf8(bytes).map_err(|line| (line, "it is not UTF-8 text".to_owned()))?;
    let value = serde_json::from_str(text).map_err(|e| {
        let line = u64::try_from(e.line()).unwrap_or(0);
        let why = match e.classify() {
            serde_json::error::Category::Eof => "it ends in the middle of the JSON".into(),
            serde_json::error::Category::Syntax => {
                format!("it is not valid JSON (column {})", e.column())
            }
            _ => format!("{not_a} {}", data_error(&e)),
        };
        (line, why)
    })?;
    Ok((text, value))
}

/// What [`tokens`] yields: a whole string, or one byte outside strings that is not white space
/// (punctuation, or a byte of a number or literal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Token<'a> {
    /// A string's text between its quotes, escapes left as they are.
    String(&'a str),
    /// Any other byte that is not white space.
    Other(u8),
}

/// Each token of `text` with the 1-based line it starts on, in one pass.
pub(super) fn tokens(text: &str) -> impl Iterator<Item = (u64, Token<'_>)> {
    let bytes = text.as_bytes();
    let (mut i, mut line) = (0, 1_u64);
    std::iter::from_fn(move || {
        loop {
            let &c = bytes.get(i)?;
            let starts_on = line;
            i += 1;
            match c {
                b'\n' => line += 1,
                b' ' | b'\t' | b'\r' => {}
                b'"' => {
                    let start = i;
                    while let Some(&s) = bytes.get(i) {
                        match s {
                            b'"' => break,
                            b'\\' => i += 1,
                            b'\n' => line += 1,
                            _ => {}
                        }
                        i += 1;
                    }
                    // `"` and `\` are ASCII: both ends are character boundaries.
                    let content = text.get(start..i.min(bytes.len())).unwrap_or_default();
                    i += 1;
                    return Some((starts_on, Token::String(content)));
                }
                _ => return Some((starts_on, Token::Other(c))),
            }
        }
    })
}

/// Each string of `text` (what [`tokens`] yields as [`Token::String`]) with the byte offset of
/// its opening quote, in one pass that looks at nothing else: [`Lines::of`] gives the line of
/// the few whose line is wanted. Finding an id's item among millions of tokens with [`tokens`],
/// which counts every line and stops at every byte outside strings, was the slowest part of
/// reading a large file after the JSON parse itself.
pub(super) fn strings(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        // Outside strings only a quote matters here: it opens one. (memchr looks at many bytes
        // at once; a byte-by-byte search was most of the cost of a large file's lines.)
        let open = i + memchr::memchr(b'"', bytes.get(i..)?)?;
        let start = open + 1;
        i = start;
        // An escape's next byte is part of it, whatever it is (a quote included). A string
        // left open runs to the end of the text.
        loop {
            let next = bytes
                .get(i..)
                .and_then(|rest| memchr::memchr2(b'"', b'\\', rest));
            let Some(at) = next else {
                i = bytes.len();
                break;
            };
            i += at;
            if bytes[i] == b'"' {
                break;
            }
            i += 2;
        }
        let end = i.min(bytes.len());
        // `"` and `\` are ASCII: both ends are character boundaries.
        let content = text.get(start..end).unwrap_or_default();
        i = end + 1;
        Some((open, content))
    })
}

/// The 1-based lines of byte offsets of a text, asked for in increasing order: each call
/// counts only the newlines since the one before. Every newline counts, as [`tokens`] counts
/// them, but for one that follows a backslash inside a string, which [`tokens`] passes over:
/// valid JSON has no newline inside a string at all, and the texts are valid JSON (serde read
/// them first).
pub(super) struct Lines<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            counted_to: 0,
            line: 1,
        }
    }

    /// The line of the byte at `offset` (not before the offset of the previous call).
    pub(super) fn of(&mut self, offset: usize) -> u64 {
        let to = offset.min(self.bytes.len()).max(self.counted_to);
        let newlines = self.bytes[self.counted_to..to]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines as u64;
        self.counted_to = to;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`strings`] and [`Lines`] give, as [`tokens`] gives it: each string and its line.
    fn strings_with_lines(text: &str) -> Vec<(u64, &str)> {
        let mut lines = Lines::new(text);
        strings(text).map(|(at, s)| (lines.of(at), s)).collect()
    }

    fn strings_of_tokens(text: &str) -> Vec<(u64, &str)> {
        tokens(text)
            .filter_map(|(line, t)| match t {
                Token::String(s) => Some((line, s)),
                Token::Other(_) => None,
            })
            .collect()
    }

    #[test]
    fn strings_are_the_string_tokens_on_their_lines() {
        for text in [
            "{\"a\\\"b\": [1,\n  \"x\ny\"], \"c\": true}",
            "\n\n  \"id\" : \"\\\\\"\n,\"\\\"\\\\\"\n\"é\\é\" \"last",
            "\"ab\\",
            "\"ab\\\"",
            "",
            "no strings\n at all",
            "\"\"\"\"\n\"\"",
            "[\"unterminated\n",
            "{\"k\": \"v\\u0022\", \"w\": \"\\n\"}\n{\"k\":\"é\"}",
        ] {
            assert_eq!(
                strings_with_lines(text),
                strings_of_tokens(text),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        /// Any text but one with a backslash before a newline (see [`Lines`]).
        #[test]
        fn strings_agree_with_tokens_on_any_text(text in "[\"\\\\\n a{}:,é]{0,40}") {
            proptest::prop_assume!(!text.contains("\\\n"));
            proptest::prop_assert_eq!(strings_with_lines(&text), strings_of_tokens(&text));
        }
    }

    #[test]
    fn strings_punctuation_and_lines() {
        let text = "{\"a\\\"b\": [1,\n  \"x\ny\"], \"c\": true}";
        let got: Vec<_> = tokens(text).collect();
        assert_eq!(
            got,
            [
                (1, Token::Other(b'{')),
                (1, Token::String("a\\\"b")),
                (1, Token::Other(b':')),
                (1, Token::Other(b'[')),
                (1, Token::Other(b'1')),
                (1, Token::Other(b',')),
                (2, Token::String("x\ny")),
                (3, Token::Other(b']')),
                (3, Token::Other(b',')),
                (3, Token::String("c")),
                (3, Token::Other(b':')),
                (3, Token::Other(b't')),
                (3, Token::Other(b'r')),
                (3, Token::Other(b'u')),
                (3, Token::Other(b'e')),
                (3, Token::Other(b'}')),
            ]
        );
        // An unterminated string ends the text without a panic.
        assert_eq!(
            tokens("\"ab\\").collect::<Vec<_>>(),
            [(1, Token::String("ab\\"))]
        );
    }
}
