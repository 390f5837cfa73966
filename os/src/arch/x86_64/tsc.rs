//! The TSC frequency, and where it came from.
//!
//! In order of preference:
//! 1. CPUID leaf 0x15 with the crystal frequency (`ECX`) filled in: exact.
//! 2. The hypervisor leaf 0x40000010 (`EAX` = TSC kHz; VMware's convention,
//!    which KVM and others follow), when the hypervisor's range reaches it.
//! 3. CPUID leaf 0x16 (`EAX` = base frequency in MHz), which equals the
//!    TSC rate on the CPUs that have it.
//! 4. Measuring against the PIT ([`super::pit`]).
//! 5. Measuring against the RTC's periodic flag ([`super::rtc`]), on
//!    machines without a PIT (`microvm,pit=off`).
//!
//! QEMU under TCG offers none of the CPUID leaves (its highest basic leaf is
//! 0xD, its hypervisor range ends at 0x40000001), on q35 and microvm alike,
//! so there the PIT is used; it exists on both. Firecracker and Cloud
//! Hypervisor guests (KVM) usually get leaf 0x15 or 0x40000010.

use core::arch::x86_64::__cpuid;

/// Where the TSC frequency came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TscSource {
    /// CPUID leaf 0x15 (TSC/crystal ratio and crystal frequency).
    CpuidCrystal,
    /// The hypervisor's CPUID leaf 0x40000010.
    Hypervisor,
    /// CPUID leaf 0x16 (base frequency).
    CpuidBase,
    /// Measured against PIT channel 0.
    Pit,
    /// Measured against the RTC's periodic flag.
    Rtc,
}

const HYPERVISOR_PRESENT: u32 = 1 << 31;

fn from_leaf_0x15(max_leaf: u32) -> Option<u64> {
    if max_leaf < 0x15 {
        return None;
    }
    let leaf = __cpuid(0x15);
    let (denominator, numerator, crystal_hz) = (leaf.eax, leaf.ebx, leaf.ecx);
    (denominator != 0 && numerator != 0 && crystal_hz != 0)
        .then(|| u64::from(crystal_hz) * u64::from(numerator) / u64::from(denominator))
}

fn from_hypervisor_leaf() -> Option<u64> {
    if __cpuid(1).ecx & HYPERVISOR_PRESENT == 0 {
        return None;
    }
    let max_leaf = __cpuid(0x4000_0000).eax;
    if max_leaf < 0x4000_0010 {
        return None;
    }
    let khz = __cpuid(0x4000_0010).eax;
    (khz != 0).then(|| u64::from(khz) * 1000)
}

fn from_leaf_0x16(max_leaf: u32) -> Option<u64> {
    if max_leaf < 0x16 {
        return None;
    }
    let mhz = __cpuid(0x16).eax & 0xFFFF;
    (mhz != 0).then(|| u64::from(mhz) * 1_000_000)
}

/// The TSC frequency in Hz and its source; `None` when the CPU does not
/// state it and neither a PIT nor an RTC counts.
pub fn frequency() -> Option<(u64, TscSource)> {
    let max_leaf = __cpuid(0).eax;
    from_leaf_0x15(max_leaf)
        .map(|hz| (hz, TscSource::CpuidCrystal))
        .or_else(|| from_hypervisor_leaf().map(|hz| (hz, TscSource::Hypervisor)))
        .or_else(|| from_leaf_0x16(max_leaf).map(|hz| (hz, TscSource::CpuidBase)))
        .or_else(|| super::pit::calibrate_tsc_hz(1).map(|hz| (hz, TscSource::Pit)))
        .or_else(|| super::rtc::calibrate_tsc_hz().map(|hz| (hz, TscSource::Rtc)))
}
