//! The manager page's methods (`vault.list`, `vault.delete`, `vault.restore`): what identifies
//! each saved credential and passkey (`credwell_admin::entry`, the shape the command line's
//! `--json` shows too), never a password or a key, a page at a time (a native
//! message to the extension may not exceed 1 MB, and a vault may hold 100,000 records).

use credwell_admin::entry::{credential_entry, passkey_entry};
use credwell_core::{CredentialStore, RecordId, StoreFailure, StoreResult, StoredCredential};
use credwell_passkey::{PasskeyRecord, PasskeyStore as _};
use serde_json::{Value, json};

use crate::bounds;
use crate::lockable::LockableStore;
use crate::protocol::{ListCursor, Reply};
use crate::store::ManagedStore;

/// The most bytes of entries in one page. With the entries' fields cut to the storage bounds
/// (at most about 70 KiB an entry, even if every character needs escaping), a page stays far
/// under the browser's 1 MB limit whatever the vault holds.
const PAGE_BYTES: usize = 512 * 1024;

/// The most credentials one page reads, matching the query or not: a query that matches little
/// answers promptly with a cursor instead of decrypting the whole vault in one request.
const SCAN_LIMIT: usize = 2_000;

/// Credentials read from the store at a time.
const CHUNK: usize = 250;

/// `vault.list`: one page of the credentials, then the passkeys, matching `query`.
pub(crate) async fn list<S: ManagedStore + 'static>(
    store: &LockableStore<S>,
    id: u64,
    query: Option<String>,
    cursor: ListCursor,
    limit: usize,
) -> Reply {
    let query = query.map(|q| q.to_lowercase()).filter(|q| !q.is_empty());
    // A vault re-keyed by another process locks the host, and the page is read again after
    // the unlock (not reported as every record damaged).
    let page = store
        .with_store(|s| {
            let (query, cursor) = (query.clone(), cursor.clone());
            // Decrypting records takes long enough to stall the host's one thread: the page
            // calls waiting behind it are served meanwhile.
            async move {
                tokio::task::spawn_blocking(move || read_page(&*s, query.as_deref(), cursor, limit))
                    .await
                    .unwrap_or_else(|e| Err(StoreFailure::new(e)))
            }
        })
        .await;
    match page {
        Ok(page) => Reply::list_page(id, page.items, page.next.as_ref()),
        Err(e) => store_error(id, &e),
    }
}

/// A page being filled.
struct Page {
    items: Vec<Value>,
    bytes: usize,
    limit: usize,
    next: Option<ListCursor>,
}

impl Page {
    fn new(limit: usize) -> Self {
        Self {
            items: Vec::new(),
            bytes: 0,
            limit,
            next: None,
        }
    }

    /// Adds an entry; false when the page is full (the entry belongs to the next page).
    fn push(&mut self, entry: Value) -> bool {
        let bytes = entry.to_string().len() + 1;
        let full = self.items.len() >= self.limit
            || (!self.items.is_empty() && self.bytes + bytes > PAGE_BYTES);
        if !full {
            self.items.push(entry);
            self.bytes += bytes;
        }
        !full
    }

    /// The page, continued at `next`.
    fn until(mut self, next: ListCursor) -> Self {
        self.next = Some(next);
        self
    }
}

/// Reads the page at `cursor`: credentials by record id, then passkeys by credential id.
fn read_page<S: ManagedStore>(
    store: &S,
    query: Option<&str>,
    cursor: ListCursor,
    limit: usize,
) -> StoreResult<Page> {
    let mut page = Page::new(limit);
    let mut after = match cursor {
        ListCursor::Credentials(after) => after,
        ListCursor::Passkeys(after) => return passkey_page(store, query, &after, page),
    };
    let mut scanned = 0;
    loop {
        let chunk = store.credentials_page(RecordId(after), CHUNK)?;
        for record in &chunk {
            let entry = || credential_entry(record, &bounds::ENTRY_LIMITS);
            if credential_matches(record, query) && !page.push(entry()) {
                return Ok(page.until(ListCursor::Credentials(after)));
            }
            after = record.record.0;
        }
        scanned += chunk.len();
        if chunk.len() < CHUNK {
            return passkey_page(store, query, &[], page);
        }
        if scanned >= SCAN_LIMIT {
            return Ok(page.until(ListCursor::Credentials(after)));
        }
    }
}

/// Fills the rest of `page` with the passkeys whose credential id sorts after `after`.
fn passkey_page<S: ManagedStore>(
    store: &S,
    query: Option<&str>,
    after: &[u8],
    mut page: Page,
) -> StoreResult<Page> {
    let mut passkeys = store.passkey_records()?;
    passkeys.retain(|(_, p)| p.credential_id.as_slice() > after);
    passkeys.sort_unstable_by(|(_, a), (_, b)| a.credential_id.cmp(&b.credential_id));
    let mut last = after;
    for (record, passkey) in &passkeys {
        let entry = || passkey_entry(*record, passkey, &bounds::ENTRY_LIMITS);
        if passkey_matches(passkey, query) && !page.push(entry()) {
            return Ok(page.until(ListCursor::Passkeys(last.to_vec())));
        }
        last = &passkey.credential_id;
    }
    Ok(page)
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
        .with_store(|s| async move { Ok(s.delete_passkey(credential_id)?) })
        .await;
    match deleted {
        Ok(deleted) => Reply::deleted(id, deleted),
        Err(e) => store_error(id, &e),
    }
}

/// `vault.restore`: a passkey a signal hid is offered to pages again. `{"restored": bool}`:
/// whether there was such a hidden passkey.
pub(crate) async fn restore_passkey<S: ManagedStore + 'static>(
    store: &LockableStore<S>,
    id: u64,
    credential_id: &[u8],
) -> Reply {
    let restored = store.with_store(|s| async move {
        let passkeys = S::passkeys(&s);
        match passkeys
            .find(credential_id)
            .await
            .map_err(StoreFailure::new)?
        {
            Some(mut passkey) if passkey.hidden => {
                passkey.hidden = false;
                passkeys.update(passkey).await.map_err(StoreFailure::new)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    });
    match restored.await {
        Ok(restored) => Reply::ok(id, json!({ "restored": restored })),
        Err(e) => store_error(id, &e),
    }
}

fn credential_matches(record: &StoredCredential, query: Option<&str>) -> bool {
    let c = &record.credential;
    matches_query(query, &[&c.origin().to_string(), c.id(), c.name()])
}

fn passkey_matches(passkey: &PasskeyRecord, query: Option<&str>) -> bool {
    let fields = [
        &passkey.rp_id,
        &passkey.user_name,
        &passkey.user_display_name,
    ];
    matches_query(query, &fields.map(String::as_str))
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
