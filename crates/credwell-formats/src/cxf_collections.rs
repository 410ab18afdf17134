//! CXF's collections as credwell's folders, both ways. An account's `collections` (CXF 1.0,
//! the Collection entity, [spec]) each name the items filed in them and may hold
//! `subCollections`: an item in a collection is a login in the folder of its title,
//! `Parent/Child` in a sub-collection. credwell files a login in one folder: an item in several
//! collections is read into the first (in the file's order), and the others are reported as
//! not stored.
//!
//! [spec]: https://fidoalliance.org/specifications-credential-exchange-specifications/

use std::collections::HashMap;

use credential_exchange_format::{B64Url, Collection, LinkedItem};
use serde_json::Value;

/// The folders of the items an account's `collections` name, by the item's id as the file
/// writes it, in the file's order.
///
/// The collections are read as JSON values, leniently: a collection without a title is a
/// folder without a name, and a member that is not a list is no member at all, so that the
/// items are read whatever an exporter adds or leaves out.
pub(super) fn folders(collections: &Value) -> HashMap<String, Vec<String>> {
    let mut folders = HashMap::new();
    walk(collections, None, &mut folders);
    folders
}

/// Adds the folders of `collections`, sub-collections of `parent` (when they are), to
/// `folders`. The depth is bounded by the JSON reader's (128 levels).
fn walk(collections: &Value, parent: Option<&str>, folders: &mut HashMap<String, Vec<String>>) {
    for collection in collections.as_array().into_iter().flatten() {
        let title = collection.get("title").and_then(Value::as_str);
        let title = title.unwrap_or_default();
        let path = match parent {
            Some(parent) => format!("{parent}/{title}"),
            None => title.to_owned(),
        };
        let items = collection.get("items").and_then(Value::as_array);
        for id in items
            .into_iter()
            .flatten()
            .filter_map(|l| l.get("item")?.as_str())
        {
            folders.entry(id.to_owned()).or_default().push(path.clone());
        }
        if let Some(sub) = collection.get("subCollections") {
            walk(sub, Some(&path), folders);
        }
    }
}

/// A folder and the collections below it, as the writer gathers them.
#[derive(Default)]
struct Node {
    title: String,
    items: Vec<B64Url>,
    children: Vec<Node>,
}

/// The collections that file each item in its folder: one per name of a folder path, nested as
/// the path is (`Finance/Banks` is the collection `Banks` inside `Finance`). `filed` gives each
/// item's folder (`""`: none) and id.
pub(super) fn to_cxf<'a>(filed: impl Iterator<Item = (&'a str, &'a B64Url)>) -> Vec<Collection> {
    let mut root = Node::default();
    for (folder, id) in filed.filter(|(folder, _)| !folder.is_empty()) {
        let mut node = &mut root;
        for name in folder.split('/') {
            let at = match node.children.iter().position(|c| c.title == name) {
                Some(at) => at,
                None => {
                    node.children.push(Node {
                        title: name.to_owned(),
                        ..Node::default()
                    });
                    node.children.len() - 1
                }
            };
            node = &mut node.children[at];
        }
        node.items.push(id.clone());
    }
    let mut count = 0;
    root.children
        .into_iter()
        .map(|n| collection(n, &mut count))
        .collect()
}

/// The collection of `node`; `count` numbers the collections for their ids (unique in the
/// file, and saying nothing of what is in them).
fn collection(node: Node, count: &mut u64) -> Collection {
    *count += 1;
    let mut id = b"folder".to_vec();
    id.extend_from_slice(&count.to_be_bytes());
    let children: Vec<Collection> = (node.children.into_iter())
        .map(|n| collection(n, count))
        .collect();
    Collection {
        id: B64Url::from(id),
        creation_at: None,
        modified_at: None,
        title: node.title,
        subtitle: None,
        items: (node.items.into_iter())
            .map(|item| LinkedItem {
                item,
                account: None,
            })
            .collect(),
        sub_collections: (!children.is_empty()).then_some(children),
        extensions: None,
    }
}
