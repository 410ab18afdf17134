use super::*;
use serde_json::json;

#[test]
fn empty_and_unknown_options_request_nothing() {
    for v in [
        json!({}),
        json!(null),
        json!({"x": "y"}),
        json!({"mediation": "required"}),
    ] {
        let o = CredentialRequestOptions::from_json(&v).unwrap();
        assert!(o.relevant_types().is_empty(), "{v}");
    }
}
