//! The key derivation a KeePass database asks for, read from its outer header before the
//! database is opened, so that a crafted file cannot make credwell (or the agent) allocate what
//! it likes: the `keepass` crate runs the derivation the file names (Argon2 with the file's
//! memory, AES-KDF with the file's rounds) before it can tell a wrong password, and an
//! allocation it cannot make aborts the process.
//!
//! The outer header is in clear in both versions credwell reads (KeePass's descriptions:
//! <https://keepass.info/help/kb/kdbx_4.html> for KDBX 4, <https://keepass.info/help/kb/kdbx.html>
//! for both):
//!
//! 1. 4 + 4 bytes of signature, then the format version as a little-endian `u16` minor and
//!    `u16` major (3 for KDBX 3.1, 4 for KDBX 4).
//! 2. Fields, each a one-byte id, a little-endian length (`u16` in KDBX 3.1, `u32` in KDBX 4)
//!    and that many bytes; id 0 ends the header.
//! 3. KDBX 3.1: field 6 is the AES-KDF's rounds (`u64`), the only derivation it has.
//! 4. KDBX 4: field 11 is the KDF's parameters, a "variant dictionary": a `u16` version whose
//!    high byte is 1, then items (a type byte, 0 ending them; a `u32` key length and the key; a
//!    `u32` value length and the value). `$UUID` names the KDF; Argon2 (d and id) has `M`, its
//!    memory in bytes (`u64`), `I` its passes (`u64`) and `P` its lanes (`u32`); AES-KDF has
//!    `R`, its rounds (`u64`).
//!
//! What is not understood here is left to the crate, which refuses it when it opens the file:
//! this reader only looks for the costs, and refuses only a cost above the caps below.

/// The most memory credwell lets a database's Argon2 ask for: 4 GiB (KeePassXC's default is 64
/// MiB; its settings offer up to a few GiB).
pub(crate) const MAX_ARGON2_MEMORY: u64 = 4 << 30;
/// The most Argon2 lanes: each is a thread's worth of memory blocks (KeePassXC offers up to the
/// machine's threads).
pub(crate) const MAX_ARGON2_LANES: u64 = 256;

/// Field ids of the outer header.
const END: u8 = 0;
const KDBX3_TRANSFORM_ROUNDS: u8 = 6;
const KDBX4_KDF_PARAMETERS: u8 = 11;

/// The costs a database's header names, as far as they were found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct KdfCost {
    /// Argon2's memory, in bytes.
    pub(super) memory: Option<u64>,
    /// Argon2's lanes.
    pub(super) lanes: Option<u64>,
    /// AES-KDF's rounds (KDBX 3.1's field, or KDBX 4's `R`).
    pub(super) rounds: Option<u64>,
}

impl KdfCost {
    /// Why a database asking for this is not opened, if it is refused: the cost and the cap,
    /// nothing of the database's content.
    pub(super) fn refusal(&self) -> Option<String> {
        if let Some(memory) = self.memory.filter(|&m| m > MAX_ARGON2_MEMORY) {
            return Some(format!(
                "the KeePass database asks for {} MiB of memory to derive its key, more than \
                 credwell allows ({} MiB): it was not opened",
                memory >> 20,
                MAX_ARGON2_MEMORY >> 20
            ));
        }
        if let Some(lanes) = self.lanes.filter(|&l| l > MAX_ARGON2_LANES) {
            return Some(format!(
                "the KeePass database asks for {lanes} Argon2 lanes to derive its key, more than \
                 credwell allows ({MAX_ARGON2_LANES}): it was not opened"
            ));
        }
        None
    }
}

/// A cursor over the header's bytes; every read is bounds-checked (a short file ends the walk).
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// A little-endian unsigned value of 4 or 8 bytes.
fn unsigned(bytes: &[u8]) -> Option<u64> {
    match bytes.len() {
        4 => Some(u64::from(u32::from_le_bytes(bytes.try_into().ok()?))),
        8 => Some(u64::from_le_bytes(bytes.try_into().ok()?)),
        _ => None,
    }
}

/// The costs named by the outer header of `bytes` (a file whose signature was checked). A
/// header that ends early, or a version this does not know, gives what was found so far.
pub(super) fn kdf_cost(bytes: &[u8]) -> KdfCost {
    let mut cost = KdfCost::default();
    let mut b = Bytes(bytes);
    // Step 1: signature and version.
    if b.take(8).is_none() {
        return cost;
    }
    let (Some(_minor), Some(major)) = (b.u16(), b.u16()) else {
        return cost;
    };
    let kdbx4 = match major {
        3 => false,
        4 => true,
        _ => return cost,
    };
    // Step 2: the fields, until the end field.
    loop {
        let Some(id) = b.u8() else { return cost };
        let length = if kdbx4 {
            b.u32().map(|n| n as usize)
        } else {
            b.u16().map(usize::from)
        };
        let Some(value) = length.and_then(|n| b.take(n)) else {
            return cost;
        };
        match id {
            END => return cost,
            // Step 3.
            KDBX3_TRANSFORM_ROUNDS if !kdbx4 => cost.rounds = unsigned(value),
            // Step 4.
            KDBX4_KDF_PARAMETERS if kdbx4 => read_kdf_parameters(value, &mut cost),
            _ => {}
        }
    }
}

/// Step 4: the costs in a KDBX 4 KDF parameters' variant dictionary.
fn read_kdf_parameters(dictionary: &[u8], cost: &mut KdfCost) {
    let mut b = Bytes(dictionary);
    // The version's high byte is 1 in every version KeePass has written.
    if b.u16().is_none_or(|v| v >> 8 != 1) {
        return;
    }
    loop {
        let Some(kind) = b.u8() else { return };
        if kind == 0 {
            return;
        }
        let key = b.u32().and_then(|n| b.take(n as usize));
        let value = b.u32().and_then(|n| b.take(n as usize));
        let (Some(key), Some(value)) = (key, value) else {
            return;
        };
        match key {
            b"M" => cost.memory = unsigned(value),
            b"P" => cost.lanes = unsigned(value),
            b"R" => cost.rounds = unsigned(value),
            _ => {}
        }
    }
}
