//! Kernel log lines, sent as `Log` frames with pid 0.

use crate::telemetry;
use core::fmt::{self, Write};
use kernel_core::text::TextBuffer;
use protocol::message::{Log, LogLevel, Message};

/// Longest log line sent; longer ones are cut.
const MAX_LINE: usize = 200;

/// Formats and sends one kernel log line.
pub fn write(level: LogLevel, arguments: fmt::Arguments<'_>) {
    let mut text = TextBuffer::<MAX_LINE>::new();
    let _ = text.write_fmt(arguments);
    telemetry::send(Message::Log(Log {
        level,
        pid: 0,
        text: text.as_str(),
    }));
}

/// Sends a kernel log line: `klog!(Info, "booted in {} ms", ms)`.
#[macro_export]
macro_rules! klog {
    ($level:ident, $($arg:tt)*) => {
        $crate::log::write(protocol::message::LogLevel::$level, format_args!($($arg)*))
    };
}
