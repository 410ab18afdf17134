//! `credwell generate` and `add password --generate`: random passwords from the operating
//! system's generator, drawn without bias, and diceware passphrases from the EFF's long word
//! list (7,776 words, CC BY 3.0 US, Electronic Frontier Foundation; packaged by the
//! `diceware_wordlists` crate).

use std::io::Write;

use anyhow::{Context, Result, bail};
use clap::Args;
use credwell_core::Password;
use diceware_wordlists::Wordlist;
use serde_json::json;
use zeroize::Zeroizing;

use crate::global::Global;
use crate::output::print_json;

/// The lower-case letters.
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
/// The upper-case letters.
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// The decimal digits.
const DIGITS: &str = "0123456789";
/// Every printable ASCII character that is neither a letter, a digit nor a space (OWASP's list of
/// password special characters, less the space).
const SYMBOLS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// The default length of a generated password, in characters.
const DEFAULT_LENGTH: usize = 20;
/// The longest password or passphrase generated (characters, words).
const MAX_LENGTH: usize = 1024;

/// How a password is generated (`credwell generate`, and `add password --generate`).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct GenerateOptions {
    /// The password's length in characters [default: 20].
    #[arg(long, value_name = "N", conflicts_with = "words")]
    pub(crate) length: Option<usize>,
    /// No upper-case letters.
    #[arg(long)]
    pub(crate) no_upper: bool,
    /// No lower-case letters.
    #[arg(long)]
    pub(crate) no_lower: bool,
    /// No digits.
    #[arg(long)]
    pub(crate) no_digits: bool,
    /// No symbols (the ASCII punctuation characters).
    #[arg(long)]
    pub(crate) no_symbols: bool,
    /// A passphrase of N words from the EFF's long word list (about 12.9 bits a word) instead
    /// of characters.
    #[arg(long, value_name = "N")]
    pub(crate) words: Option<usize>,
    /// What goes between the words of a passphrase [default: -].
    #[arg(long, value_name = "TEXT", requires = "words")]
    pub(crate) separator: Option<String>,
}

/// Options of `credwell generate`.
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    #[command(flatten)]
    pub(crate) options: GenerateOptions,
}

/// A generated secret and its entropy: the base-2 logarithm of how many secrets the options
/// could have produced, each as likely as any other.
#[derive(Debug)]
pub(crate) struct Generated {
    /// The password or passphrase.
    pub(crate) password: Password,
    /// Bits of entropy.
    pub(crate) bits: f64,
}

impl GenerateOptions {
    /// Whether any generation option was given (`add` refuses them without `--generate`).
    pub(crate) fn any_given(&self) -> bool {
        self.length.is_some()
            || self.no_upper
            || self.no_lower
            || self.no_digits
            || self.no_symbols
            || self.words.is_some()
            || self.separator.is_some()
    }

    /// The character classes asked for.
    fn classes(&self) -> Vec<&'static str> {
        [
            (!self.no_lower, LOWER),
            (!self.no_upper, UPPER),
            (!self.no_digits, DIGITS),
            (!self.no_symbols, SYMBOLS),
        ]
        .into_iter()
        .filter_map(|(wanted, class)| wanted.then_some(class))
        .collect()
    }

    /// Generates a password (or passphrase) from the operating system's random generator.
    pub(crate) fn generate(&self) -> Result<Generated> {
        self.generate_with(&mut OsRandom)
    }

    fn generate_with(&self, random: &mut impl RandomU32) -> Result<Generated> {
        if let Some(words) = self.words {
            if self.length.is_some() || self.classes().len() < 4 {
                bail!("--words makes a passphrase of words; it takes no character-class options");
            }
            return passphrase(words, self.separator.as_deref().unwrap_or("-"), random);
        }
        let classes = self.classes();
        if classes.is_empty() {
            bail!(
                "every character class is excluded; keep at least one of --no-upper, \
                   --no-lower, --no-digits, --no-symbols off"
            );
        }
        let length = self.length.unwrap_or(DEFAULT_LENGTH);
        if length < classes.len() || length > MAX_LENGTH {
            bail!(
                "--length {length} is out of range: {} to {MAX_LENGTH} characters for {} \
                 character classes",
                classes.len(),
                classes.len()
            );
        }
        characters(length, &classes, random)
    }
}

/// A source of uniformly random 32-bit words.
pub(crate) trait RandomU32 {
    /// The next word.
    fn next_u32(&mut self) -> Result<u32>;
}

/// The operating system's generator (getrandom).
#[derive(Debug)]
struct OsRandom;

impl RandomU32 for OsRandom {
    fn next_u32(&mut self) -> Result<u32> {
        getrandom::u32().map_err(|e| anyhow::anyhow!("the system's random generator failed: {e}"))
    }
}

/// A uniformly random number below `n` (`n` > 0), by rejection: words at or above the largest
/// multiple of `n` that fits in 2^32 are drawn again, so that every remainder is as likely as
/// any other (a plain `word % n` would favour the small ones).
pub(crate) fn below(n: u32, random: &mut impl RandomU32) -> Result<u32> {
    if n == 0 {
        bail!("cannot draw a number below zero");
    }
    let range = 1u64 << 32;
    let limit = range - range % u64::from(n);
    loop {
        let word = random.next_u32()?;
        if u64::from(word) < limit {
            return Ok(word % n);
        }
    }
}

/// `length` characters drawn uniformly from the union of `classes`; a draw that misses a class
/// is thrown away whole, so that every password holding each class is equally likely (placing
/// one character of each class first and shuffling would not be).
fn characters(length: usize, classes: &[&str], random: &mut impl RandomU32) -> Result<Generated> {
    let alphabet: Vec<char> = classes.iter().flat_map(|c| c.chars()).collect();
    let size = u32::try_from(alphabet.len()).context("the alphabet is too large")?;
    let mut password = Zeroizing::new(String::with_capacity(length));
    loop {
        password.clear();
        for _ in 0..length {
            password.push(alphabet[below(size, random)? as usize]);
        }
        if classes
            .iter()
            .all(|class| password.chars().any(|c| class.contains(c)))
        {
            break;
        }
    }
    let sizes: Vec<usize> = classes.iter().map(|c| c.chars().count()).collect();
    Ok(Generated {
        password: Password::new(std::mem::take(&mut *password)),
        bits: covering_bits(length, &sizes),
    })
}

/// log2 of how many strings of `length` characters over the disjoint classes of `sizes` hold at
/// least one character of every class: by inclusion and exclusion, the sum over each set S of
/// classes left out of (-1)^|S| (N - |S's characters|)^length, computed relative to N^length so
/// that it does not overflow.
fn covering_bits(length: usize, sizes: &[usize]) -> f64 {
    let total: usize = sizes.iter().sum();
    let n = total as f64;
    let exponent = i32::try_from(length).unwrap_or(i32::MAX);
    let mut fraction = 0.0;
    for left_out in 0u32..(1 << sizes.len()) {
        let missing: usize = sizes
            .iter()
            .enumerate()
            .filter(|(i, _)| left_out & (1 << i) != 0)
            .map(|(_, s)| s)
            .sum();
        let sign = if left_out.count_ones() % 2 == 0 {
            1.0
        } else {
            -1.0
        };
        fraction += sign * ((total - missing) as f64 / n).powi(exponent);
    }
    length as f64 * n.log2() + fraction.log2()
}

/// `count` words drawn uniformly (with repetition) from the EFF long list, joined by
/// `separator`.
fn passphrase(count: usize, separator: &str, random: &mut impl RandomU32) -> Result<Generated> {
    if count == 0 || count > MAX_LENGTH {
        bail!("--words {count} is out of range: 1 to {MAX_LENGTH} words");
    }
    let list = Wordlist::EffLong.get_list();
    let size = u32::try_from(list.len()).context("the word list is too large")?;
    let mut text = Zeroizing::new(String::new());
    for i in 0..count {
        if i > 0 {
            text.push_str(separator);
        }
        text.push_str(list[below(size, random)? as usize]);
    }
    Ok(Generated {
        password: Password::new(std::mem::take(&mut *text)),
        bits: count as f64 * f64::from(size).log2(),
    })
}

/// `credwell generate`: prints the password (with `--json`, and its entropy in bits).
pub(crate) fn run(global: &Global, args: &GenerateArgs, out: &mut impl Write) -> Result<()> {
    let generated = args.options.generate()?;
    if global.json {
        return print_json(
            out,
            &json!({
                "password": generated.password.expose(),
                "entropyBits": (generated.bits * 10.0).round() / 10.0,
            }),
        );
    }
    writeln!(out, "{}", generated.password.expose())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays fixed words, then fails.
    struct Script(Vec<u32>);

    impl RandomU32 for Script {
        fn next_u32(&mut self) -> Result<u32> {
            if self.0.is_empty() {
                bail!("script exhausted");
            }
            Ok(self.0.remove(0))
        }
    }

    #[test]
    fn below_rejects_the_words_that_would_bias_it() {
        // 2^32 = 3 * 1431655765 + 1: the top word, u32::MAX, would make 0 more likely.
        let mut script = Script(vec![u32::MAX, 5]);
        assert_eq!(below(3, &mut script).unwrap(), 2);
        assert!(script.0.is_empty());
        // For n = 2^31 + 1 only one multiple fits: every word from n up is drawn again.
        let n = (1u32 << 31) + 1;
        let mut script = Script(vec![n, 7]);
        assert_eq!(below(n, &mut script).unwrap(), 7);
        let mut script = Script(vec![n - 1]);
        assert_eq!(below(n, &mut script).unwrap(), n - 1);
        assert!(below(0, &mut Script(vec![1])).is_err());
    }

    #[test]
    fn a_draw_missing_a_class_is_thrown_away_whole() {
        // Digits and lower case: alphabet "abc...z0123456789" (36). Four draws of 'a' miss the
        // digits, so the next four are used.
        let options = GenerateOptions {
            length: Some(4),
            no_upper: true,
            no_symbols: true,
            ..GenerateOptions::default()
        };
        let mut script = Script(vec![0, 0, 0, 0, 26, 1, 27, 2]);
        let generated = options.generate_with(&mut script).unwrap();
        assert_eq!(generated.password.expose(), "0b1c");
    }

    #[test]
    fn every_requested_class_is_present_and_no_other() {
        for _ in 0..200 {
            let options = GenerateOptions {
                length: Some(4),
                ..GenerateOptions::default()
            };
            let generated = options.generate().unwrap();
            let p = generated.password.expose();
            assert_eq!(p.chars().count(), 4);
            for class in [LOWER, UPPER, DIGITS, SYMBOLS] {
                assert!(p.chars().any(|c| class.contains(c)), "{class} missing");
            }
        }
        let options = GenerateOptions {
            length: Some(64),
            no_symbols: true,
            no_upper: true,
            ..GenerateOptions::default()
        };
        let p = options.generate().unwrap().password;
        assert!(
            p.expose()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn bad_options_are_refused_by_name() {
        let none = GenerateOptions {
            no_upper: true,
            no_lower: true,
            no_digits: true,
            no_symbols: true,
            ..GenerateOptions::default()
        };
        assert!(
            none.generate()
                .unwrap_err()
                .to_string()
                .contains("every character class")
        );
        let short = GenerateOptions {
            length: Some(3),
            ..GenerateOptions::default()
        };
        assert!(
            short
                .generate()
                .unwrap_err()
                .to_string()
                .contains("--length 3")
        );
        let words = GenerateOptions {
            words: Some(0),
            ..GenerateOptions::default()
        };
        assert!(
            words
                .generate()
                .unwrap_err()
                .to_string()
                .contains("--words 0")
        );
    }

    #[test]
    fn passphrases_come_from_the_eff_long_list() {
        let list = Wordlist::EffLong.get_list();
        assert_eq!(list.len(), 7776);
        assert_eq!(list[0], "abacus");
        let options = GenerateOptions {
            words: Some(6),
            separator: Some(" ".into()),
            ..GenerateOptions::default()
        };
        let generated = options.generate().unwrap();
        let words: Vec<&str> = generated.password.expose().split(' ').collect();
        assert_eq!(words.len(), 6);
        assert!(words.iter().all(|w| list.contains(w)));
        assert!((generated.bits - 6.0 * 7776f64.log2()).abs() < 1e-9);
    }

    #[test]
    fn entropy_counts_only_passwords_holding_every_class() {
        // One class: plain length * log2(size).
        assert!((covering_bits(10, &[26]) - 10.0 * 26f64.log2()).abs() < 1e-9);
        // Two classes of one character each, length 2: "ab" and "ba" only.
        assert!((covering_bits(2, &[1, 1]) - 1.0).abs() < 1e-9);
        // Digits and lower case, length 3: 36^3 - 26^3 - 10^3.
        let want = f64::from(36u32.pow(3) - 26u32.pow(3) - 10u32.pow(3)).log2();
        assert!((covering_bits(3, &[26, 10]) - want).abs() < 1e-9);
        // The default: 20 of 94 characters, about 131 bits.
        let bits = covering_bits(20, &[26, 26, 10, 32]);
        assert!(bits > 130.0 && bits < 131.1, "{bits}");
    }
}
