//! The accelerator probe (`tools/kvm-probe`) as a fixture: under TCG its
//! ring-3 `syscall` reaches the LSTAR stub in ring 0, so the dashboard would
//! let such an accelerator boot the OS. (Under this host's kvm_pvm the same
//! probe reports "syscall not emulated": `host-dashboard/tests/kvm_refusal.rs`.)

use image_builder::BuildOutput;
use image_builder::probe::{Verdict, build_probe, run_probe};

#[test]
fn the_probe_passes_under_tcg() {
    let probe = build_probe(BuildOutput::Capture).expect("the probe builds");
    assert_eq!(run_probe(&probe, image_builder::Accel::Tcg), Verdict::Works);
}
