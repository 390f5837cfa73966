//! Values of the system-call ABI as the kernel reads and writes them in
//! user memory: each is a sequence of little-endian u64 words, exactly the
//! `repr(C)` layout of the `kernel_abi` structs the programs use.

use kernel_abi::ipc::Message;
use kernel_abi::signal::{SIGNAL_FRAME_FPU_OFFSET, SavedRegisters, SigAction};
use kernel_abi::{MemInfo, VmStats, WaitResult};

/// Largest value, in bytes.
pub const MAX_USER_VALUE: usize = 256;

/// The words of a value: always the largest size, of which a value uses
/// its first `WORDS` (the rest are zero). Fixed-size arrays, so that the
/// conversions below can neither index out of bounds nor panic.
pub type Words = [u64; MAX_USER_VALUE / 8];

/// Writes `values` to the first words of `out`.
fn put(out: &mut Words, values: &[u64]) {
    for (slot, value) in out.iter_mut().zip(values) {
        *slot = *value;
    }
}

/// Checks at compile time that each value's words fill exactly its
/// `repr(C)` struct in `kernel_abi` (every field a u64, so equal sizes mean
/// the words are the fields in order): a field added to an ABI struct and
/// not to its conversion here stops the build.
macro_rules! words_fill_the_struct {
    ($($value:ty),* $(,)?) => {
        $(const _: () = assert!(
            <$value as UserValue>::WORDS * 8 == core::mem::size_of::<$value>()
                && <$value as UserValue>::WORDS * 8 <= MAX_USER_VALUE
        );)*
    };
}

words_fill_the_struct!(u64, WaitResult, VmStats, MemInfo, Message, SigAction);

/// A value made of u64 words.
pub trait UserValue: Sized {
    /// Its size in words (at most `MAX_USER_VALUE / 8`).
    const WORDS: usize;
    /// Writes its words to the first `WORDS` of `out`.
    fn to_words(&self, out: &mut Words);
    /// Builds it from the first `WORDS` of `words`.
    fn from_words(words: &Words) -> Self;
}

impl UserValue for u64 {
    const WORDS: usize = 1;
    fn to_words(&self, out: &mut Words) {
        put(out, &[*self]);
    }
    fn from_words(words: &Words) -> Self {
        let [value, ..] = *words;
        value
    }
}

impl UserValue for WaitResult {
    const WORDS: usize = 3;
    fn to_words(&self, out: &mut Words) {
        put(out, &[self.pid, self.exit_status as u64, self.signal]);
    }
    fn from_words(words: &Words) -> Self {
        Self {
            pid: words[0],
            exit_status: words[1] as i64,
            signal: words[2],
        }
    }
}

impl UserValue for VmStats {
    const WORDS: usize = 4;
    fn to_words(&self, out: &mut Words) {
        put(
            out,
            &[
                self.vm_total,
                self.vm_total_max,
                self.minor_faults,
                self.major_faults,
            ],
        );
    }
    fn from_words(words: &Words) -> Self {
        Self {
            vm_total: words[0],
            vm_total_max: words[1],
            minor_faults: words[2],
            major_faults: words[3],
        }
    }
}

impl UserValue for MemInfo {
    const WORDS: usize = 5;
    fn to_words(&self, out: &mut Words) {
        put(
            out,
            &[
                self.free_frames,
                self.total_frames,
                self.swap_used,
                self.swap_total,
                self.cached_pages,
            ],
        );
    }
    fn from_words(words: &Words) -> Self {
        Self {
            free_frames: words[0],
            total_frames: words[1],
            swap_used: words[2],
            swap_total: words[3],
            cached_pages: words[4],
        }
    }
}

impl UserValue for Message {
    const WORDS: usize = 9;
    fn to_words(&self, out: &mut Words) {
        let [p0, p1, p2, p3, p4, p5] = self.payload;
        let ids = u64::from(self.uid) | (u64::from(self.gid) << 32);
        put(out, &[self.source, self.kind, p0, p1, p2, p3, p4, p5, ids]);
    }
    fn from_words(words: &Words) -> Self {
        let [source, kind, p0, p1, p2, p3, p4, p5, ids, ..] = *words;
        Self {
            source,
            kind,
            payload: [p0, p1, p2, p3, p4, p5],
            uid: ids as u32,
            gid: (ids >> 32) as u32,
        }
    }
}

impl UserValue for SigAction {
    const WORDS: usize = 3;
    fn to_words(&self, out: &mut Words) {
        put(out, &[self.handler, self.restorer, self.mask]);
    }
    fn from_words(words: &Words) -> Self {
        Self {
            handler: words[0],
            restorer: words[1],
            mask: words[2],
        }
    }
}

/// A `kernel_abi::signal::SignalFrame` up to its FPU area: the words the
/// kernel reads and writes as one value. The 512-byte FPU area follows at
/// `SIGNAL_FRAME_FPU_OFFSET` and is copied as bytes (too large for a
/// [`UserValue`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignalFrameHead {
    /// Where the handler returns: the restorer.
    pub return_address: u64,
    /// The signal being handled.
    pub signal: u64,
    /// The blocked mask to restore.
    pub saved_mask: u64,
    /// `SIGNAL_FRAME_MAGIC`, checked by `sigreturn`.
    pub magic: u64,
    /// The interrupted registers.
    pub registers: SavedRegisters,
}

const _: () = assert!(<SignalFrameHead as UserValue>::WORDS * 8 == SIGNAL_FRAME_FPU_OFFSET);

impl UserValue for SignalFrameHead {
    const WORDS: usize = 4 + 18;
    fn to_words(&self, out: &mut Words) {
        let r = &self.registers;
        put(
            out,
            &[
                self.return_address,
                self.signal,
                self.saved_mask,
                self.magic,
                r.rax,
                r.rbx,
                r.rcx,
                r.rdx,
                r.rsi,
                r.rdi,
                r.rbp,
                r.r8,
                r.r9,
                r.r10,
                r.r11,
                r.r12,
                r.r13,
                r.r14,
                r.r15,
                r.rip,
                r.rsp,
                r.rflags,
            ],
        );
    }
    fn from_words(words: &Words) -> Self {
        Self {
            return_address: words[0],
            signal: words[1],
            saved_mask: words[2],
            magic: words[3],
            registers: SavedRegisters {
                rax: words[4],
                rbx: words[5],
                rcx: words[6],
                rdx: words[7],
                rsi: words[8],
                rdi: words[9],
                rbp: words[10],
                r8: words[11],
                r9: words[12],
                r10: words[13],
                r11: words[14],
                r12: words[15],
                r13: words[16],
                r14: words[17],
                r15: words[18],
                rip: words[19],
                rsp: words[20],
                rflags: words[21],
            },
        }
    }
}
