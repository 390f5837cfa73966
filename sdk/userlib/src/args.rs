//! Program arguments: the kernel places them NUL-separated on the stack.

/// The arguments a program was started with; the first is its name.
#[derive(Clone, Copy)]
pub struct Args {
    bytes: &'static [u8],
}

impl Args {
    /// Wraps the NUL-separated argument bytes.
    pub fn from_bytes(bytes: &'static [u8]) -> Self {
        Self { bytes }
    }

    /// Iterates over the arguments.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> {
        let bytes = self.bytes;
        bytes
            .split(|&byte| byte == 0)
            .filter(|arg| !arg.is_empty())
            .map(|arg| core::str::from_utf8(arg).unwrap_or("?"))
    }

    /// Argument `index` (0 is the program name).
    pub fn get(&self, index: usize) -> Option<&'static str> {
        self.iter().nth(index)
    }

    /// Argument `index` parsed as a number.
    pub fn number<T: core::str::FromStr>(&self, index: usize) -> Option<T> {
        self.get(index)?.parse().ok()
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none (not even a name).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
