use futures::executor::block_on;

use super::*;
use crate::webauthn::rp_id::{RpId, RpIdError};

fn origin(s: &str) -> Origin {
    Origin::parse(s).unwrap()
}

fn list(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn allows(items: &[&str], caller: &str) -> bool {
    origins_list_allows(&list(items), &origin(caller), MAX_LABELS)
}

/// Runs the whole procedure for `caller` asking for `rp_id`, with `related` serving documents.
fn validate(
    related: &ScriptedRelatedOrigins,
    caller: &str,
    rp_id: &str,
) -> Result<String, RelatedOriginsError> {
    block_on(related_origins_validation(related, &origin(caller), rp_id))
}

fn serving(document: &str) -> ScriptedRelatedOrigins {
    ScriptedRelatedOrigins::new().with("shopping.com", WellKnownResponse::json(document))
}

const SHOPPING: &str = r#"{"origins": ["https://shopping.co.uk", "https://shopping.ie",
    "https://shopping.ca", "https://shopping.net", "https://myshoppingrewards.com"]}"#;

#[test]
fn the_specs_example_lists_the_country_domains_of_one_rp() {
    let related = serving(SHOPPING);
    for caller in [
        "https://shopping.co.uk",
        "https://shopping.ie",
        "https://myshoppingrewards.com",
    ] {
        assert_eq!(
            validate(&related, caller, "shopping.com").as_deref(),
            Ok("shopping.com"),
            "{caller}"
        );
    }
    assert_eq!(
        validate(&related, "https://shopping.de", "shopping.com"),
        Err(RelatedOriginsError::NotListed("https://shopping.de".into()))
    );
    assert_eq!(related.fetched(), ["shopping.com"; 4]);
}

#[test]
fn the_match_is_same_origin_scheme_host_and_port() {
    // A listed path, query or default port does not matter; another subdomain, scheme or port
    // does.
    assert!(allows(
        &["https://shopping.co.uk:443/login?x=1"],
        "https://shopping.co.uk"
    ));
    assert!(!allows(
        &["https://www.shopping.co.uk"],
        "https://shopping.co.uk"
    ));
    assert!(!allows(
        &["https://shopping.co.uk:8443"],
        "https://shopping.co.uk"
    ));
    assert!(allows(
        &["https://shopping.co.uk:8443"],
        "https://shopping.co.uk:8443"
    ));
    assert!(allows(
        &["https://SHOPPING.co.uk"],
        "https://shopping.co.uk"
    ));
}

#[test]
fn non_https_origins_never_match_an_https_caller() {
    assert!(!allows(
        &["http://shopping.co.uk"],
        "https://shopping.co.uk"
    ));
    assert!(!allows(&["wss://shopping.co.uk"], "https://shopping.co.uk"));
    // They still count as a label seen (step 4.7): after five such labels, a sixth label is
    // skipped.
    assert!(!allows(
        &[
            "http://a.com",
            "http://b.com",
            "http://c.com",
            "http://d.com",
            "http://e.com",
            "https://shopping.co.uk",
        ],
        "https://shopping.co.uk"
    ));
}

#[test]
fn the_match_must_happen_within_the_first_five_labels() {
    let five_others = [
        "https://alpha.com",
        "https://bravo.com",
        "https://charlie.com",
        "https://delta.com",
        "https://echo.com",
    ];
    // A sixth label is never looked at.
    let mut items = five_others.to_vec();
    items.push("https://shopping.co.uk");
    assert!(!allows(&items, "https://shopping.co.uk"));
    // Four other labels leave room for the caller's.
    assert!(allows(&items[1..], "https://shopping.co.uk"));
    // Once five labels are seen, origins with one of those labels are still compared.
    let mut items = five_others.to_vec();
    items.push("https://www.charlie.com");
    assert!(allows(&items, "https://www.charlie.com"));
    // The label is the registrable domain's first label: shopping.de shares shopping.co.uk's.
    let mut items = vec!["https://shopping.co.uk"];
    items.extend(&five_others[..4]);
    items.push("https://shopping.de");
    assert!(allows(&items, "https://shopping.de"));
    // With maxLabels 1 only the first label counts.
    assert!(!origins_list_allows(
        &list(&["https://a.com", "https://shopping.co.uk"]),
        &origin("https://shopping.co.uk"),
        1
    ));
}

#[test]
fn duplicates_do_not_use_up_labels() {
    let mut items = vec!["https://alpha.com"; 20];
    items.extend([
        "https://www.alpha.com",
        "https://bravo.com",
        "https://bravo.com",
        "https://charlie.com",
        "https://delta.com",
        "https://shopping.co.uk",
    ]);
    assert!(allows(&items, "https://shopping.co.uk"));
    // The same origin listed twice is found either time.
    assert!(allows(
        &["https://shopping.co.uk", "https://shopping.co.uk"],
        "https://shopping.co.uk"
    ));
}

#[test]
fn hosts_without_a_registrable_label_are_skipped_and_take_no_label() {
    // IP addresses, public suffixes, single labels, unparsable items and opaque origins have no
    // label (steps 4.1 to 4.4): they neither match nor count.
    let mut items = vec![
        "https://192.0.2.1",
        "https://[2001:db8::1]",
        "https://co.uk",
        "https://github.io",
        "https://localhost",
        "not a url",
        "null",
        "data:text/plain,hi",
        "",
    ];
    items.extend([
        "https://alpha.com",
        "https://bravo.com",
        "https://charlie.com",
        "https://delta.com",
        "https://shopping.co.uk",
    ]);
    assert!(allows(&items, "https://shopping.co.uk"));
    assert!(!allows(&["https://co.uk"], "https://co.uk"));
    assert!(!allows(&["https://localhost"], "https://localhost"));
    for host in ["192.0.2.1", "[2001:db8::1]", "co.uk", "localhost", "com"] {
        assert_eq!(
            registrable_origin_label(&url::Host::parse(host).unwrap()),
            None,
            "{host}"
        );
    }
    for (host, label) in [
        ("shopping.co.uk", "shopping"),
        ("www.shopping.co.uk", "shopping"),
        ("shopping.de", "shopping"),
        ("alice.github.io", "alice"),
        ("xn--bcher-kva.example", "xn--bcher-kva"),
    ] {
        assert_eq!(
            registrable_origin_label(&url::Host::parse(host).unwrap()),
            Some(label),
            "{host}"
        );
    }
}

#[test]
fn malformed_documents_are_security_errors() {
    for (body, expected) in [
        ("", RelatedOriginsError::NotAJsonObject),
        ("not json", RelatedOriginsError::NotAJsonObject),
        (
            r#"["https://shopping.co.uk"]"#,
            RelatedOriginsError::NotAJsonObject,
        ),
        (r#""https://x""#, RelatedOriginsError::NotAJsonObject),
        (
            r#"{"origins": ["https://shopping.co.uk"]"#,
            RelatedOriginsError::NotAJsonObject,
        ),
        ("{}", RelatedOriginsError::NoOrigins),
        (r#"{"origins": null}"#, RelatedOriginsError::NoOrigins),
        (
            r#"{"origins": "https://shopping.co.uk"}"#,
            RelatedOriginsError::NoOrigins,
        ),
        (
            r#"{"origins": {"0": "https://shopping.co.uk"}}"#,
            RelatedOriginsError::NoOrigins,
        ),
        (
            r#"{"origins": ["https://shopping.co.uk", 5]}"#,
            RelatedOriginsError::NoOrigins,
        ),
        (
            r#"{"Origins": ["https://shopping.co.uk"]}"#,
            RelatedOriginsError::NoOrigins,
        ),
    ] {
        assert_eq!(
            validate(&serving(body), "https://shopping.co.uk", "shopping.com"),
            Err(expected),
            "{body:?}"
        );
    }
    // An empty list is an array of strings: the caller is simply not listed.
    assert!(matches!(
        validate(
            &serving(r#"{"origins": []}"#),
            "https://shopping.co.uk",
            "shopping.com"
        ),
        Err(RelatedOriginsError::NotListed(_))
    ));
    // Other members are ignored.
    assert!(
        validate(
            &serving(r#"{"comment": 1, "origins": ["https://shopping.co.uk"]}"#),
            "https://shopping.co.uk",
            "shopping.com"
        )
        .is_ok()
    );
}

#[test]
fn the_response_must_be_a_200_application_json_over_https() {
    let body = r#"{"origins": ["https://shopping.co.uk"]}"#;
    let check = |response: WellKnownResponse| {
        let related = ScriptedRelatedOrigins::new().with("shopping.com", response);
        validate(&related, "https://shopping.co.uk", "shopping.com")
    };
    for status in [201, 204, 301, 404, 500] {
        assert_eq!(
            check(WellKnownResponse::new(
                status,
                Some("application/json"),
                body
            )),
            Err(RelatedOriginsError::Status(status))
        );
    }
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        " application/json ;charset=UTF-8",
    ] {
        assert!(
            check(WellKnownResponse::new(200, Some(content_type), body)).is_ok(),
            "{content_type}"
        );
    }
    for content_type in [
        Some("text/json"),
        Some("application/jsonp"),
        Some("text/html"),
        Some("application/manifest+json"),
        Some(""),
        None,
    ] {
        assert_eq!(
            check(WellKnownResponse::new(200, content_type, body)),
            Err(RelatedOriginsError::ContentType(
                content_type.map(str::to_owned)
            )),
            "{content_type:?}"
        );
    }
    // Redirects may be followed, but only to https:.
    assert!(
        check(
            WellKnownResponse::json(body).with_url("https://www.shopping.com/.well-known/webauthn")
        )
        .is_ok()
    );
    assert!(matches!(
        check(WellKnownResponse::json(body).with_url("http://shopping.com/.well-known/webauthn")),
        Err(RelatedOriginsError::NotHttps(_))
    ));
    assert!(matches!(
        check(WellKnownResponse::json(body).with_url("not a url")),
        Err(RelatedOriginsError::NotHttps(_))
    ));
}

#[test]
fn documents_over_the_size_limit_are_refused() {
    let padding = " ".repeat(MAX_DOCUMENT_BYTES);
    let big = format!(r#"{{"origins": ["https://shopping.co.uk"]}}{padding}"#);
    assert_eq!(
        validate(&serving(&big), "https://shopping.co.uk", "shopping.com"),
        Err(RelatedOriginsError::TooLarge(big.len()))
    );
    let mut exact = r#"{"origins": ["https://shopping.co.uk"]}"#.to_owned();
    exact.push_str(&" ".repeat(MAX_DOCUMENT_BYTES - exact.len()));
    assert!(validate(&serving(&exact), "https://shopping.co.uk", "shopping.com").is_ok());
}

#[test]
fn fetch_failures_are_security_errors() {
    for error in [
        WellKnownFetchError::Failed("connection refused".into()),
        WellKnownFetchError::TimedOut,
        WellKnownFetchError::TooLarge,
        WellKnownFetchError::NotSupported,
    ] {
        let related = ScriptedRelatedOrigins::new().failing("shopping.com", error.clone());
        assert_eq!(
            validate(&related, "https://shopping.co.uk", "shopping.com"),
            Err(RelatedOriginsError::Fetch(error))
        );
    }
    // Nothing scripted: the fetch fails.
    assert!(matches!(
        validate(
            &ScriptedRelatedOrigins::new(),
            "https://shopping.co.uk",
            "shopping.com"
        ),
        Err(RelatedOriginsError::Fetch(WellKnownFetchError::Failed(_)))
    ));
}

#[test]
fn an_rp_id_that_is_not_a_domain_is_refused_without_a_fetch() {
    let related = serving(SHOPPING);
    for rp_id in ["192.0.2.1", "[::1]", "", "a b.com", "exa%mple.com"] {
        assert!(
            matches!(
                validate(&related, "https://shopping.co.uk", rp_id),
                Err(RelatedOriginsError::NotADomain(_))
            ),
            "{rp_id:?}"
        );
    }
    assert!(related.fetched().is_empty());
    // The RP ID is fetched and returned canonicalized.
    assert_eq!(
        validate(&related, "https://shopping.co.uk", "SHOPPING.com").as_deref(),
        Ok("shopping.com")
    );
    assert_eq!(related.fetched(), ["shopping.com"]);
}

#[test]
fn an_rp_id_outside_the_public_suffix_lists_registrable_domains_is_refused_without_a_fetch() {
    // A page must not make the client fetch intranet names, public suffixes or names under a
    // suffix the list does not know.
    let related = ScriptedRelatedOrigins::new();
    for rp_id in [
        "intranet",
        "localhost",
        "printer.lan",
        "nas.corp",
        "nas.internal",
        "com",
        "co.uk",
        "github.io",
    ] {
        assert!(
            matches!(
                validate(&related, "https://shopping.co.uk", rp_id),
                Err(RelatedOriginsError::NotRegistrable(_))
            ),
            "{rp_id:?}"
        );
    }
    assert!(related.fetched().is_empty());
    // Registrable domains and names under them (private suffixes included) are fetched.
    for rp_id in ["shopping.com", "login.shopping.com", "shop.github.io"] {
        let _ = validate(&related, "https://shopping.co.uk", rp_id);
    }
    assert_eq!(
        related.fetched(),
        ["shopping.com", "login.shopping.com", "shop.github.io"]
    );
}

#[test]
fn the_page_sees_one_message_whatever_the_related_origins_reason() {
    // The reason (a status, a content type, a redirect's target) is what another host answered:
    // the page's SecurityError must not carry it.
    let reasons = [
        WellKnownResponse {
            status: 404,
            ..WellKnownResponse::json("{}")
        },
        WellKnownResponse {
            content_type: Some("text/html; secret=1".into()),
            ..WellKnownResponse::json("{}")
        },
        WellKnownResponse {
            url: Some("http://10.0.0.1/admin".into()),
            ..WellKnownResponse::json("{}")
        },
        WellKnownResponse::json(r#"{"origins": ["https://elsewhere.com"]}"#),
    ];
    let mut messages = std::collections::BTreeSet::new();
    for response in reasons {
        let related = ScriptedRelatedOrigins::new().with("shopping.com", response);
        let refused = block_on(RpId::for_caller(
            &origin("https://evil.com"),
            Some("shopping.com"),
            &related,
        ))
        .unwrap_err();
        assert!(matches!(refused, RpIdError::NotRelated { .. }));
        messages.insert(refused.to_string());
    }
    let printer = block_on(RpId::for_caller(
        &origin("https://evil.com"),
        Some("printer.lan"),
        &ScriptedRelatedOrigins::new(),
    ))
    .unwrap_err()
    .to_string();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = messages.pop_first().unwrap();
    for secret in ["404", "text/html", "10.0.0.1", "elsewhere"] {
        assert!(!message.contains(secret), "{message}");
    }
    assert!(
        printer.ends_with("related origins do not allow it"),
        "{printer}"
    );
}

fn rp_id(
    related: &ScriptedRelatedOrigins,
    caller: &str,
    requested: Option<&str>,
) -> Result<String, RpIdError> {
    block_on(RpId::for_caller(&origin(caller), requested, related)).map(|r| r.as_str().to_owned())
}

#[test]
fn rp_id_validation_asks_for_the_document_only_for_a_foreign_rp_id() {
    let related = serving(SHOPPING);
    // Equal, a registrable suffix, or absent: no fetch.
    assert_eq!(
        rp_id(&related, "https://www.shopping.com", Some("shopping.com")).unwrap(),
        "shopping.com"
    );
    assert_eq!(
        rp_id(&related, "https://shopping.com", None).unwrap(),
        "shopping.com"
    );
    assert!(related.fetched().is_empty());
    // Foreign: the procedure decides.
    assert_eq!(
        rp_id(&related, "https://shopping.co.uk", Some("shopping.com")).unwrap(),
        "shopping.com"
    );
    let refused = rp_id(&related, "https://evil.example", Some("shopping.com")).unwrap_err();
    assert!(matches!(
        refused,
        RpIdError::NotRelated {
            reason: RelatedOriginsError::NotListed(_),
            ..
        }
    ));
    assert_eq!(related.fetched(), ["shopping.com"; 2]);
    // The opaque-origin and effective-domain checks come first.
    assert_eq!(
        block_on(RpId::for_caller(
            &Origin::new_opaque(),
            Some("shopping.com"),
            &related
        )),
        Err(RpIdError::OpaqueOrigin)
    );
    assert!(matches!(
        rp_id(&related, "https://192.0.2.1", Some("shopping.com")),
        Err(RpIdError::InvalidEffectiveDomain(_))
    ));
    assert_eq!(related.fetched().len(), 2);
    // Without related origin requests: today's behaviour, no fetch.
    let none = block_on(RpId::for_caller(
        &origin("https://shopping.co.uk"),
        Some("shopping.com"),
        &NoRelatedOrigins,
    ));
    assert!(matches!(none, Err(RpIdError::NotASuffix { .. })));
}
