//! Fixed-width little-endian fields read in order from bytes: the crate's two binary forms, the
//! saved state (`client::saved::binary`) and a pull page ([`crate::protocol::page`]), read
//! with it. Each says in its own error what a field cut short means there.

/// The bytes end before a field does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Short {
    /// Where the field starts, in bytes from the start.
    pub(crate) offset: usize,
}

/// The bytes not read yet, and where they start.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            rest: bytes,
            offset: 0,
        }
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Where the next field starts.
    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    /// The next `n` bytes; fewer left is [`Short`].
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        let short = Short {
            offset: self.offset,
        };
        let (taken, rest) = self.rest.split_at_checked(n).ok_or(short)?;
        self.rest = rest;
        self.offset += n;
        Ok(taken)
    }

    /// The next `N` bytes.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Short> {
        let short = Short {
            offset: self.offset,
        };
        self.take(N)?.try_into().map_err(|_| short)
    }

    /// The next byte.
    pub(crate) fn u8(&mut self) -> Result<u8, Short> {
        self.array::<1>().map(|[byte]| byte)
    }

    /// The next 4 bytes, little-endian.
    pub(crate) fn u32(&mut self) -> Result<u32, Short> {
        self.array().map(u32::from_le_bytes)
    }

    /// The next 8 bytes, little-endian.
    pub(crate) fn u64(&mut self) -> Result<u64, Short> {
        self.array().map(u64::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_in_order_and_a_short_one_names_where_it_starts() {
        let bytes = [7, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9, 9];
        let mut read = Reader::new(&bytes);
        assert_eq!(read.u8(), Ok(7));
        assert_eq!(read.u32(), Ok(1));
        assert_eq!(read.u64(), Ok(2));
        assert_eq!(read.offset(), 13);
        assert_eq!(read.u32(), Err(Short { offset: 13 }));
        // A short field takes nothing.
        assert_eq!(read.rest(), [9, 9]);
        assert_eq!(read.take(2), Ok(&[9, 9][..]));
        assert_eq!(read.take(1), Err(Short { offset: 15 }));
    }
}
