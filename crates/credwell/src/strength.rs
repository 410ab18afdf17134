//! Strength estimates of vault passphrases (zxcvbn, Dropbox's estimator of how many guesses a
//! cracker needs): a weak one is warned about, never refused.

use zxcvbn::{Score, zxcvbn};

/// The lowest zxcvbn score taken as strong: 3, "safely unguessable" (about 10^10 guesses), the
/// estimator's own threshold for "too weak" below it.
const STRONG: Score = Score::Three;

/// What makes `passphrase` weak, as a warning to print, or `None` when it is strong. The text
/// names the estimate and the patterns found, never the passphrase.
pub(crate) fn weak_passphrase_warning(passphrase: &str) -> Option<String> {
    let estimate = zxcvbn(passphrase, &["credwell", "vault", "password", "passphrase"]);
    if estimate.score() >= STRONG {
        return None;
    }
    let mut reasons: Vec<String> = Vec::new();
    if let Some(feedback) = estimate.feedback() {
        if let Some(warning) = feedback.warning() {
            reasons.push(warning.to_string());
        }
        reasons.extend(feedback.suggestions().iter().map(ToString::to_string));
    }
    if passphrase.chars().count() < 12 {
        reasons.push(format!(
            "It has {} characters; 12 or more are better.",
            passphrase.chars().count()
        ));
    }
    Some(format!(
        "warning: the vault passphrase is weak: zxcvbn scores it {} of 4 (about 10^{:.1} \
         guesses; 3 or more is strong). {} `credwell generate --words 6` makes a strong one.",
        u8::from(estimate.score()),
        estimate.guesses_log10().max(0.0),
        reasons.join(" ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passphrases_are_named_without_the_passphrase() {
        let warning = weak_passphrase_warning("password1").unwrap();
        assert!(warning.contains("scores it 0 of 4") || warning.contains("scores it 1 of 4"));
        assert!(warning.contains("common password"), "{warning}");
        assert!(warning.contains("9 characters"), "{warning}");
        assert!(!warning.contains("password1"), "{warning}");
        let repeated = weak_passphrase_warning("aaaaaaaaaaaaaaaa").unwrap();
        assert!(repeated.contains("Repeats like"), "{repeated}");
        assert!(!repeated.contains("characters;"), "{repeated}");
    }

    #[test]
    fn strong_passphrases_pass() {
        assert_eq!(
            weak_passphrase_warning("correct-staple-yonder-gravel-umpire"),
            None
        );
        assert_eq!(weak_passphrase_warning("R7#qv!2Lx9@mZp4w"), None);
    }
}
