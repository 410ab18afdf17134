//! The manager page's methods (`vault.list`, `vault.delete`): what identifies each saved
//! credential and passkey, never a password or a key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::{Credential, CredentialStore, RecordId, StoreFailure, StoredCredential};
use credwell_passkey::PasskeyRecord;
use serde_json::{Value, json};

use crate::lockable::LockableStore;
use crate::protocol::Reply;
use crate::store::ManagedStore;

/// `vault.list`: every credential, then every passkey, filtered by `query`.
pub(crate) async fn list<S: ManagedStore + 'static>(
    store: &LockableStore<S>,
    id: u64,
    query: Option<String>,
) -> Reply {
    // Decrypting every record of a large vault takes long enough (about 2 s for 100,000) to
    // stall the host's one thread: the page calls waiting behind it are served meanwhile.
    let listed = match store.current().await {
        Ok(s) => tokio::task::spawn_blocking(move || Ok((s.all_credentials()?, s.all_passkeys()?)))
            .await
            .unwrap_or_else(|e| Err(StoreFailure::new(e))),
        Err(e) => Err(e),
    };
    match listed {
        Ok((all, passkeys)) => {
            let query = query.map(|q| q.to_lowercase()).filter(|q| !q.is_empty());
            let mut list = credential_entries(&all, query.as_deref());
            list.extend(passkey_entries(&passkeys, query.as_deref()));
            Reply::ok(id, Value::Array(list))
        }
        Err(e) => store_error(id, &e),
    }
}

/// `vault.delete` of a credential.
pub(crate) async fn delete<S: ManagedStore>(
    store: &LockableStore<S>,
    id: u64,
    record: RecordId,
) -> Reply {
    match store.remove(record).await {
        Ok(deleted) => Reply::deleted(id, deleted),
        Err(e) => store_error(id, &e),
    }
}

/// `vault.delete` of a passkey.
pub(crate) async fn delete_passkey<S: ManagedStore>(
    store: &LockableStore<S>,
    id: u64,
    credential_id: &[u8],
) -> Reply {
    let deleted = store
        .current()
        .await
        .and_then(|s| s.delete_passkey(credential_id));
    match deleted {
        Ok(deleted) => Reply::deleted(id, deleted),
        Err(e) => store_error(id, &e),
    }
}

/// The credential entries matching `query` (lower case).
fn credential_entries(all: &[StoredCredential], query: Option<&str>) -> Vec<Value> {
    all.iter()
        .filter(|r| {
            let c = &r.credential;
            matches_query(query, &[&c.origin().to_string(), c.id(), c.name()])
        })
        .map(|r| {
            let c = &r.credential;
            json!({
                "record": r.record.0,
                "type": c.credential_type().as_str(),
                "origin": c.origin().to_string(),
                "id": c.id(),
                "name": c.name(),
                "iconURL": c.icon_url(),
                "provider": match c {
                    Credential::Federated(f) => Some(f.provider.clone()),
                    _ => None,
                },
                "created": r.created,
                "updated": r.updated,
            })
        })
        .collect()
}

/// The passkey entries matching `query` (lower case): what identifies each one, never its key.
fn passkey_entries(passkeys: &[PasskeyRecord], query: Option<&str>) -> Vec<Value> {
    passkeys
        .iter()
        .filter(|p| matches_query(query, &[&p.rp_id, &p.user_name, &p.user_display_name]))
        .map(|p| {
            json!({
                "type": "public-key",
                "rpId": p.rp_id,
                "credentialId": URL_SAFE_NO_PAD.encode(&p.credential_id),
                "id": p.user_name,
                "name": p.user_display_name,
                "created": p.created_at,
            })
        })
        .collect()
}

/// The manager page's filter: no query, or one of `fields` contains it (`query` is lower case).
fn matches_query(query: Option<&str>, fields: &[&str]) -> bool {
    query.is_none_or(|q| fields.iter().any(|field| field.to_lowercase().contains(q)))
}

/// A store failure: logged, and named to the manager page without its details.
fn store_error(id: u64, error: &StoreFailure) -> Reply {
    tracing::warn!("store failure: {error}");
    Reply::vault_unavailable(id, "the vault could not be read")
}
