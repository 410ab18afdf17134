//! A look at JSON text below serde: serde reports no positions for values it accepted, so the
//! JSON formats find their entries' lines by walking the (already validated) text once.

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

#[cfg(test)]
mod tests {
    use super::*;

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
