//! Architecture support. Portable kernel code calls only `arch::...`.

pub mod x86_64;
pub use self::x86_64::*;
