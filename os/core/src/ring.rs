//! A fixed-size byte ring that takes whole frames or nothing.
//!
//! The telemetry path appends complete encoded frames and the serial drain
//! takes bytes off the front at whatever pace the UART allows. A frame that
//! does not fit is refused whole, so the byte stream never holds half a frame
//! that was not meant to be sent.

/// A byte ring of capacity `N`.
pub struct ByteRing<const N: usize> {
    buffer: [u8; N],
    /// Index of the oldest byte.
    head: usize,
    /// Bytes held.
    len: usize,
}

impl<const N: usize> Default for ByteRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ByteRing<N> {
    /// An empty ring.
    pub const fn new() -> Self {
        Self {
            buffer: [0; N],
            head: 0,
            len: 0,
        }
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the ring holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes that can still be pushed.
    pub fn free(&self) -> usize {
        N - self.len
    }

    /// Appends all of `bytes`, or nothing if they do not fit.
    ///
    /// # Return values
    /// `true` if the bytes were appended, `false` if the ring had less than
    /// `bytes.len()` bytes free (nothing was written).
    pub fn push_all(&mut self, bytes: &[u8]) -> bool {
        if bytes.len() > self.free() {
            return false;
        }
        let tail = (self.head + self.len) % N;
        let first = bytes.len().min(N - tail);
        self.buffer[tail..tail + first].copy_from_slice(&bytes[..first]);
        self.buffer[..bytes.len() - first].copy_from_slice(&bytes[first..]);
        self.len += bytes.len();
        true
    }

    /// The oldest bytes that are contiguous in memory (possibly fewer than
    /// [`Self::len`] when the data wraps around).
    pub fn front(&self) -> &[u8] {
        let end = (self.head + self.len).min(N);
        &self.buffer[self.head..end]
    }

    /// Removes `count` bytes from the front (at most [`Self::len`]).
    pub fn consume(&mut self, count: usize) {
        let count = count.min(self.len);
        self.head = (self.head + count) % N;
        self.len -= count;
        if self.len == 0 {
            self.head = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain<const N: usize>(ring: &mut ByteRing<N>) -> Vec<u8> {
        let mut out = Vec::new();
        while !ring.is_empty() {
            let chunk = ring.front().to_vec();
            ring.consume(chunk.len());
            out.extend(chunk);
        }
        out
    }

    #[test]
    fn refuses_what_does_not_fit_and_keeps_what_it_has() {
        let mut ring = ByteRing::<8>::new();
        assert!(ring.push_all(b"abcde"));
        assert!(!ring.push_all(b"1234"));
        assert!(ring.push_all(b"123"));
        assert_eq!(ring.free(), 0);
        assert_eq!(drain(&mut ring), b"abcde123");
    }

    #[test]
    fn wraps_around() {
        let mut ring = ByteRing::<8>::new();
        assert!(ring.push_all(b"abcdef"));
        ring.consume(4);
        assert!(ring.push_all(b"ghijk"));
        assert_eq!(ring.front(), b"efgh");
        assert_eq!(drain(&mut ring), b"efghijk");
    }

    proptest! {
        /// Whatever the interleaving of pushes and partial drains, the bytes
        /// that come out are exactly the accepted pushes, in order.
        #[test]
        fn output_is_the_accepted_input_in_order(
            operations in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..12), 0usize..10), 0..200)
        ) {
            let mut ring = ByteRing::<16>::new();
            let mut accepted: Vec<u8> = Vec::new();
            let mut output = Vec::new();
            for (bytes, take) in operations {
                if ring.push_all(&bytes) {
                    accepted.extend(&bytes);
                }
                let n = take.min(ring.front().len());
                output.extend(&ring.front()[..n]);
                ring.consume(n);
                prop_assert!(ring.len() <= 16);
            }
            output.extend(drain(&mut ring));
            prop_assert_eq!(output, accepted);
        }
    }
}
