//! The binary page: every page comes back as it was written; every byte sequence that is not a
//! page (cut short anywhere, bad flags, counts and lengths beyond the limits or the body, bytes
//! after it) is an error naming the field and its byte, never a panic or an allocation the body
//! does not back.

use proptest::prelude::*;

use super::{
    ACCEPT, FIXED, Field, HEADER, MAGIC, MEDIA_TYPE, PageError, accepts, decode, encode, is_page,
};
use crate::RecordId;
use crate::protocol::{Bytes, MAX_PULL_RECORDS, MAX_SEALED_BYTES, PullReply, Record};

fn record(n: u8, deleted: bool, sealed: &[u8]) -> Record {
    Record {
        id: RecordId([n; 16]),
        revision: 1_000 + u64::from(n),
        deleted,
        sealed: Bytes(sealed.to_vec()),
    }
}

/// Three records: one with sealed bytes, a deletion, and one with none at all.
fn sample() -> PullReply {
    PullReply {
        records: vec![
            record(1, false, b"sealed one"),
            record(2, true, b"tomb"),
            record(3, false, b""),
        ],
        cursor: 1_003,
        more: true,
        horizon: 7,
    }
}

/// Each field of `page` in order: what it is, where it starts, how long it is.
fn fields(page: &PullReply) -> Vec<(Field, usize, usize)> {
    let mut fields = vec![
        (Field::Magic, 0, 5),
        (Field::Cursor, 5, 8),
        (Field::Horizon, 13, 8),
        (Field::More, 21, 1),
        (Field::Count, 22, 4),
    ];
    let mut at = HEADER;
    for (n, record) in page.records.iter().enumerate() {
        let n = n + 1;
        let length = record.sealed.0.len();
        for (field, size) in [
            (Field::Id(n), 16),
            (Field::Revision(n), 8),
            (Field::Deleted(n), 1),
            (Field::Length(n), 4),
            (Field::Sealed(n), length),
        ] {
            fields.push((field, at, size));
            at += size;
        }
    }
    fields
}

#[test]
fn a_page_is_laid_out_as_documented() {
    let page = encode(&sample()).unwrap();
    assert_eq!(&page[..5], b"\0cwp\x01");
    assert_eq!(page[5..13], 1_003u64.to_le_bytes());
    assert_eq!(page[13..21], 7u64.to_le_bytes());
    assert_eq!(page[21], 1);
    assert_eq!(page[22..26], 3u32.to_le_bytes());
    assert_eq!(page[26..42], [1; 16]);
    assert_eq!(page[42..50], 1_001u64.to_le_bytes());
    assert_eq!(page[50], 0);
    assert_eq!(page[51..55], 10u32.to_le_bytes());
    assert_eq!(&page[55..65], b"sealed one");
    // The deletion's flag.
    assert_eq!(page[65 + 16 + 8], 1);
    let end = fields(&sample()).last().map(|&(_, at, size)| at + size);
    assert_eq!(Some(page.len()), end);
    assert_eq!(decode(&page).unwrap(), sample());
}

#[test]
fn an_empty_last_page_round_trips() {
    let empty = PullReply {
        records: Vec::new(),
        cursor: 42,
        more: false,
        horizon: 0,
    };
    let page = encode(&empty).unwrap();
    assert_eq!(page.len(), HEADER);
    assert_eq!(decode(&page).unwrap(), empty);
}

#[test]
fn a_page_at_the_limits_round_trips() {
    let mut full = PullReply {
        records: (0..MAX_PULL_RECORDS)
            .map(|n| Record {
                id: RecordId([(n % 251) as u8; 16]),
                revision: u64::from(n) + 1,
                deleted: n % 2 == 0,
                sealed: Bytes(vec![(n % 7) as u8; 3]),
            })
            .collect(),
        cursor: u64::MAX,
        more: true,
        horizon: u64::MAX,
    };
    full.records[500].sealed = Bytes(vec![0xAB; MAX_SEALED_BYTES]);
    assert_eq!(decode(&encode(&full).unwrap()).unwrap(), full);
}

#[test]
fn a_page_cut_anywhere_names_the_field_it_ends_in() {
    let page = encode(&sample()).unwrap();
    for (field, at, size) in fields(&sample()) {
        // Every cut inside the field, and the cut just before it (an empty field has only that).
        for cut in at..at + size.max(1) {
            if cut >= page.len() {
                break;
            }
            assert_eq!(
                decode(&page[..cut]),
                Err(PageError::Truncated { field, offset: at }),
                "cut at {cut}"
            );
        }
    }
    // The empty sealed bytes of the last record are all there when the page stops after its
    // length: that is the whole page.
    assert!(decode(&page).is_ok());
}

#[test]
fn another_form_or_json_is_not_a_page() {
    assert_eq!(
        decode(br#"{"records":[],"cursor":0,"more":false}"#),
        Err(PageError::Magic)
    );
    let mut page = encode(&sample()).unwrap();
    page[4] = 2;
    assert_eq!(decode(&page), Err(PageError::Magic));
    assert_eq!(decode(b"\0cwx"), Err(PageError::Magic));
    // A beginning of the magic is a page cut short.
    assert_eq!(
        decode(b"\0cw"),
        Err(PageError::Truncated {
            field: Field::Magic,
            offset: 0
        })
    );
    assert_eq!(
        decode(b""),
        Err(PageError::Truncated {
            field: Field::Magic,
            offset: 0
        })
    );
}

#[test]
fn flags_other_than_0_and_1_are_refused() {
    let mut page = encode(&sample()).unwrap();
    page[21] = 2;
    let error = decode(&page).unwrap_err();
    assert_eq!(
        error,
        PageError::NotAFlag {
            field: Field::More,
            offset: 21,
            value: 2
        }
    );
    assert_eq!(
        error.to_string(),
        "the more flag at byte 21 is 2, not 0 or 1"
    );
    let mut page = encode(&sample()).unwrap();
    let at = 65 + 16 + 8;
    page[at] = 2;
    let error = decode(&page).unwrap_err();
    assert_eq!(
        error,
        PageError::NotAFlag {
            field: Field::Deleted(2),
            offset: at,
            value: 2
        }
    );
    assert_eq!(
        error.to_string(),
        format!("record 2's deleted flag at byte {at} is 2, not 0 or 1")
    );
}

#[test]
fn a_count_beyond_the_records_or_the_limit_is_refused_before_any_allocation() {
    // One more than the page holds: the missing record's id is cut short.
    let mut page = encode(&sample()).unwrap();
    page[22..26].copy_from_slice(&4u32.to_le_bytes());
    assert_eq!(
        decode(&page),
        Err(PageError::Truncated {
            field: Field::Id(4),
            offset: page.len()
        })
    );
    // Over the limit, and the largest count there is: refused as counts, nothing reserved.
    for count in [MAX_PULL_RECORDS + 1, u32::MAX] {
        page[22..26].copy_from_slice(&count.to_le_bytes());
        let error = decode(&page).unwrap_err();
        assert_eq!(
            error,
            PageError::TooMany {
                count: u64::from(count),
                offset: 22
            }
        );
        assert!(error.to_string().contains("at most 1000"), "{error}");
    }
    // A count the limit allows but the body cannot hold: cut short, not a reservation.
    page[22..26].copy_from_slice(&MAX_PULL_RECORDS.to_le_bytes());
    assert!(matches!(
        decode(&page[..HEADER]),
        Err(PageError::Truncated {
            field: Field::Id(1),
            offset: HEADER
        })
    ));
}

#[test]
fn a_length_over_the_limit_is_refused_whether_or_not_the_bytes_follow() {
    let mut page = encode(&sample()).unwrap();
    let at = HEADER + FIXED - 4;
    for length in [MAX_SEALED_BYTES as u32 + 1, u32::MAX] {
        page[at..at + 4].copy_from_slice(&length.to_le_bytes());
        let error = decode(&page).unwrap_err();
        assert_eq!(
            error,
            PageError::TooLarge {
                field: Field::Length(1),
                offset: at,
                length: u64::from(length)
            }
        );
        assert!(
            error
                .to_string()
                .starts_with("record 1's length at byte 51"),
            "{error}"
        );
    }
    // Backed by as many bytes: still over the limit.
    let over = MAX_SEALED_BYTES + 1;
    let mut page = encode(&PullReply {
        records: Vec::new(),
        ..sample()
    })
    .unwrap();
    page[22..26].copy_from_slice(&1u32.to_le_bytes());
    page.extend_from_slice(&[1; 16 + 8]);
    page.push(0);
    page.extend_from_slice(&(over as u32).to_le_bytes());
    page.extend_from_slice(&vec![1; over]);
    assert!(matches!(
        decode(&page),
        Err(PageError::TooLarge {
            field: Field::Length(1),
            ..
        })
    ));
    // A length the page does not hold: cut short in the sealed bytes.
    let mut page = encode(&sample()).unwrap();
    page[at..at + 4].copy_from_slice(&1_000u32.to_le_bytes());
    assert!(matches!(
        decode(&page),
        Err(PageError::Truncated {
            field: Field::Sealed(1),
            offset: 55
        })
    ));
}

#[test]
fn bytes_after_the_last_record_are_refused() {
    let mut page = encode(&sample()).unwrap();
    let end = page.len();
    page.extend_from_slice(b"xy");
    let error = decode(&page).unwrap_err();
    assert_eq!(
        error,
        PageError::Trailing {
            offset: end,
            extra: 2
        }
    );
    assert_eq!(
        error.to_string(),
        format!("2 byte(s) follow the last record, from byte {end}")
    );
}

#[test]
fn a_page_a_device_would_refuse_is_not_encoded() {
    let mut large = sample();
    large.records[1].sealed = Bytes(vec![0; MAX_SEALED_BYTES + 1]);
    assert_eq!(
        encode(&large),
        Err(PageError::TooLarge {
            field: Field::Length(2),
            offset: HEADER + FIXED + 10 + FIXED - 4,
            length: MAX_SEALED_BYTES as u64 + 1
        })
    );
    let many = PullReply {
        records: vec![record(1, false, b"x"); MAX_PULL_RECORDS as usize + 1],
        ..sample()
    };
    assert_eq!(
        encode(&many),
        Err(PageError::TooMany {
            count: u64::from(MAX_PULL_RECORDS) + 1,
            offset: 22
        })
    );
}

#[test]
fn the_form_is_asked_for_by_name_and_not_with_q_0() {
    assert!(accepts(ACCEPT));
    assert!(ACCEPT.starts_with(MEDIA_TYPE));
    assert!(accepts("application/vnd.credwell.page"));
    assert!(accepts(
        "application/json, Application/VND.credwell.Page ;q=0.5"
    ));
    assert!(accepts(
        "text/html;level=1, application/vnd.credwell.page;q=0.001"
    ));
    for refused in [
        "",
        "*/*",
        "application/*",
        "application/json",
        "application/vnd.credwell.pages",
        "application/vnd.credwell.page;q=0",
        "application/vnd.credwell.page; Q = 0.000",
        "application/vnd.credwell.page;q=0., application/json",
    ] {
        assert!(!accepts(refused), "{refused}");
    }
    assert!(is_page(MEDIA_TYPE));
    assert!(is_page("Application/Vnd.Credwell.Page; charset=binary"));
    assert!(!is_page("application/json"));
    assert!(!is_page("application/vnd.credwell.page2"));
}

prop_compose! {
    fn any_record()(
        id in any::<[u8; 16]>(),
        revision in any::<u64>(),
        deleted in any::<bool>(),
        sealed in proptest::collection::vec(any::<u8>(), 0..200),
    ) -> Record {
        Record { id: RecordId(id), revision, deleted, sealed: Bytes(sealed) }
    }
}

prop_compose! {
    fn any_page()(
        records in proptest::collection::vec(any_record(), 0..24),
        cursor in any::<u64>(),
        more in any::<bool>(),
        horizon in any::<u64>(),
    ) -> PullReply {
        PullReply { records, cursor, more, horizon }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_page_round_trips(page in any_page()) {
        let bytes = encode(&page).unwrap();
        let sealed: usize = page.records.iter().map(|r| r.sealed.0.len()).sum();
        prop_assert_eq!(bytes.len(), HEADER + page.records.len() * FIXED + sealed);
        prop_assert_eq!(decode(&bytes).unwrap(), page);
    }

    /// A page with one byte changed, cut, or both is refused or is another page that encodes
    /// to the very same bytes (the form has one encoding per page): never a panic.
    #[test]
    fn a_damaged_page_is_refused_or_exactly_another(
        page in any_page(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = encode(&page).unwrap();
        let at = at.index(bytes.len());
        bytes[at] = byte;
        let length = cut.index(bytes.len() + 1);
        for bytes in [&bytes[..], &bytes[..length]] {
            if let Ok(decoded) = decode(bytes) {
                prop_assert_eq!(encode(&decoded).unwrap(), bytes);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut framed = MAGIC.to_vec();
        framed.extend_from_slice(&bytes);
        for bytes in [&bytes[..], &framed[..]] {
            if let Ok(decoded) = decode(bytes) {
                prop_assert_eq!(encode(&decoded).unwrap(), bytes);
            }
        }
    }
}
