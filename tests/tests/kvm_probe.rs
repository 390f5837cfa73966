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

/// The kernel's own answer, for a host where KVM is kvm_pvm (the dashboard
/// refuses such a KVM up front; this boots the kernel there anyway, as
/// `--print-qemu` or a hand-run QEMU would): every `syscall` faults at
/// LSTAR in user mode, and instead of killing the program with SIGSEGV the
/// kernel names the cause once and runs each such fault as the system call
/// it is, so the demo's programs run. Under TCG the same path is proved by
/// `hardening::a_jump_from_ring_3_to_the_system_call_entry_runs_as_a_system_call`;
/// on a host without kvm_pvm this test says so and has nothing to check.
#[test]
fn under_kvm_pvm_the_kernel_names_the_unemulated_syscall_and_runs_it() {
    if !std::path::Path::new(image_builder::probe::KVM_PVM_MODULE).exists() {
        eprintln!("not a kvm_pvm host: the symptom cannot be produced here (see hardening.rs)");
        return;
    }
    let options = image_builder::QemuOptions {
        accel: image_builder::Accel::Kvm,
        ..Default::default()
    };
    let run = boot_tests::boot_with("umip", std::time::Duration::from_secs(120), &options);
    let said = run.log_lines().iter().any(|(pid, line)| {
        *pid == 0 && line.starts_with("syscall not emulated: a user-mode page fault at LSTAR")
    });
    assert!(said, "{}", run.describe());
    // Its checks ran (each needs system calls), and the children that read
    // descriptor tables died of SIGSEGV as under TCG, for that alone.
    run.assert_no_failed_checks();
    let lines: Vec<&str> = run.log_lines().into_iter().map(|(_, line)| line).collect();
    assert!(
        lines.contains(&"traps: 5 checks, 0 failed"),
        "{}",
        run.describe()
    );
    assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
}
