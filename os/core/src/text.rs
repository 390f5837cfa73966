//! Formatting into a fixed buffer, for log lines and panic messages that must
//! not allocate.

use core::fmt;

/// A string of at most `N` bytes that silently truncates (at a character
/// boundary) what does not fit, and remembers that it did.
pub struct TextBuffer<const N: usize> {
    bytes: [u8; N],
    len: usize,
    truncated: bool,
}

impl<const N: usize> Default for TextBuffer<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> TextBuffer<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
            truncated: false,
        }
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        // Only whole characters are ever copied in, so this cannot fail.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }

    /// Whether some text did not fit.
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

impl<const N: usize> fmt::Write for TextBuffer<N> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = N - self.len;
        let mut take = text.len().min(room);
        while !text.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        if take < text.len() {
            self.truncated = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn keeps_what_fits_and_cuts_at_a_character_boundary() {
        let mut text = TextBuffer::<6>::new();
        write!(text, "abcdé€").unwrap();
        assert_eq!(text.as_str(), "abcdé");
        assert!(text.truncated());
    }

    #[test]
    fn short_text_is_untouched() {
        let mut text = TextBuffer::<16>::new();
        write!(text, "pid {}", 7).unwrap();
        assert_eq!((text.as_str(), text.truncated()), ("pid 7", false));
    }
}
