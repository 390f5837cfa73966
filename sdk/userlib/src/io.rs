//! Writing to the system log (shown by the dashboard with the writer's pid).
//!
//! Each write is one log line (the kernel cuts it at its line length);
//! [`crate::println!`] formats one.
//!
//! ```no_run
//! userlib::println!("{} pages left", 42);
//! userlib::io::write("a line as it is").unwrap();
//! ```

use crate::SysResult;
use crate::raw::{check, syscall};
use core::fmt::{self, Write};
use kernel_abi::Syscall;

/// Writes one line of text to the log.
pub fn write(text: &str) -> SysResult<usize> {
    // SAFETY: the pointer and length describe `text`, which the kernel only
    // reads.
    let result = unsafe {
        syscall(
            Syscall::Write,
            [text.as_ptr() as u64, text.len() as u64, 0, 0, 0, 0],
        )
    };
    check(result).map(|written| written as usize)
}

/// A line being formatted; longer lines are cut.
struct LineBuffer {
    bytes: [u8; 256],
    len: usize,
}

impl Write for LineBuffer {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut take = text.len().min(self.bytes.len() - self.len);
        while !text.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// Formats and writes one line (used by [`crate::println!`]).
pub fn write_fmt(arguments: fmt::Arguments<'_>) {
    let mut line = LineBuffer {
        bytes: [0; 256],
        len: 0,
    };
    let _ = line.write_fmt(arguments);
    let text = core::str::from_utf8(&line.bytes[..line.len]).unwrap_or("<invalid utf-8>");
    let _ = write(text);
}

/// Writes a formatted line to the system log.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::io::write_fmt(format_args!($($arg)*)) };
}
