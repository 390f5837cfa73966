//! Values of the system-call ABI as the kernel reads and writes them in
//! user memory: each is a sequence of little-endian u64 words, exactly the
//! `repr(C)` layout of the `kernel_abi` structs the programs use.

use kernel_abi::ipc::Message;
use kernel_abi::signal::{SavedRegisters, SigAction, SignalFrame};
use kernel_abi::{MemInfo, VmStats, WaitResult};

/// Largest value, in bytes.
pub const MAX_USER_VALUE: usize = 256;

/// A value made of u64 words.
pub trait UserValue: Sized {
    /// Its size in words.
    const WORDS: usize;
    /// Writes its words to `out` (`WORDS` long).
    fn to_words(&self, out: &mut [u64]);
    /// Builds it from `words` (`WORDS` long).
    fn from_words(words: &[u64]) -> Self;
}

impl UserValue for u64 {
    const WORDS: usize = 1;
    fn to_words(&self, out: &mut [u64]) {
        out[0] = *self;
    }
    fn from_words(words: &[u64]) -> Self {
        words[0]
    }
}

impl UserValue for WaitResult {
    const WORDS: usize = 3;
    fn to_words(&self, out: &mut [u64]) {
        out.copy_from_slice(&[self.pid, self.exit_status as u64, self.signal]);
    }
    fn from_words(words: &[u64]) -> Self {
        Self {
            pid: words[0],
            exit_status: words[1] as i64,
            signal: words[2],
        }
    }
}

impl UserValue for VmStats {
    const WORDS: usize = 4;
    fn to_words(&self, out: &mut [u64]) {
        out.copy_from_slice(&[
            self.vm_total,
            self.vm_total_max,
            self.minor_faults,
            self.major_faults,
        ]);
    }
    fn from_words(words: &[u64]) -> Self {
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
    fn to_words(&self, out: &mut [u64]) {
        out.copy_from_slice(&[
            self.free_frames,
            self.total_frames,
            self.swap_used,
            self.swap_total,
            self.cached_pages,
        ]);
    }
    fn from_words(words: &[u64]) -> Self {
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
    fn to_words(&self, out: &mut [u64]) {
        out[0] = self.source;
        out[1] = self.kind;
        out[2..8].copy_from_slice(&self.payload);
        out[8] = u64::from(self.uid) | (u64::from(self.gid) << 32);
    }
    fn from_words(words: &[u64]) -> Self {
        let mut payload = [0; 6];
        payload.copy_from_slice(&words[2..8]);
        Self {
            source: words[0],
            kind: words[1],
            payload,
            uid: words[8] as u32,
            gid: (words[8] >> 32) as u32,
        }
    }
}

impl UserValue for SigAction {
    const WORDS: usize = 3;
    fn to_words(&self, out: &mut [u64]) {
        out.copy_from_slice(&[self.handler, self.restorer, self.mask]);
    }
    fn from_words(words: &[u64]) -> Self {
        Self {
            handler: words[0],
            restorer: words[1],
            mask: words[2],
        }
    }
}

impl UserValue for SignalFrame {
    const WORDS: usize = 4 + 18;
    fn to_words(&self, out: &mut [u64]) {
        let r = &self.registers;
        out.copy_from_slice(&[
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
        ]);
    }
    fn from_words(w: &[u64]) -> Self {
        Self {
            return_address: w[0],
            signal: w[1],
            saved_mask: w[2],
            magic: w[3],
            registers: SavedRegisters {
                rax: w[4],
                rbx: w[5],
                rcx: w[6],
                rdx: w[7],
                rsi: w[8],
                rdi: w[9],
                rbp: w[10],
                r8: w[11],
                r9: w[12],
                r10: w[13],
                r11: w[14],
                r12: w[15],
                r13: w[16],
                r14: w[17],
                r15: w[18],
                rip: w[19],
                rsp: w[20],
                rflags: w[21],
            },
        }
    }
}
