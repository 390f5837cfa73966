//! Calls every system call of the ABI with invalid arguments and checks
//! that each fails with the error the kernel defines for it (and that the
//! kernel survives): null, unmapped, kernel-half and non-canonical pointers,
//! pointer + length ranges that wrap or run out of user memory, read-only
//! buffers the kernel would have to write, huge lengths, unknown call
//! numbers (including ones that alias real calls if the kernel truncated
//! them), invalid pids and signal numbers, and forged `sigreturn` frames.
//!
//! Prints `badcalls: ok <name> -> <result>` or `badcalls: FAIL <name>:
//! <result> expected <result>` per check, then `badcalls: N checks, M
//! failed`, and exits 0 only if every check passed (else with the number of
//! failures). The `hardening` boot test reads these lines.
//!
//! Calls that must end the caller (forged `sigreturn` frames, `exit` with a
//! status out of range) run in forked children, checked through `wait`.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::vec::Vec;
use kernel_abi::ipc::{Message, PM};
use kernel_abi::signal::{
    FpuState, SIGNAL_FRAME_MAGIC, SavedRegisters, SigAction as Action, SignalFrame,
};
use kernel_abi::{Errno, PAGE_SIZE, Syscall, USER_STACK_TOP, WAIT_NO_HANG};
use userlib::process::{self, ExitStatus};
use userlib::raw::syscall_number;
use userlib::verdict::Tally;
use userlib::{ipc, memory, signal};

userlib::entry!(run);

/// Null.
const NULL: u64 = 0;
/// A user address no region uses.
const UNMAPPED: u64 = 0x0000_5555_0000_0000;
/// The start of the kernel half (the direct map of physical memory).
const KERNEL_DIRECT: u64 = 0xFFFF_8000_0000_0000;
/// Inside the kernel image (linked at 0xFFFFFFFF80000000).
const KERNEL_IMAGE: u64 = 0xFFFF_FFFF_8010_0000;
/// The first non-canonical address above user space.
const NON_CANONICAL: u64 = 0x0000_8000_0000_0000;
/// A non-canonical address with the top bit set.
const NON_CANONICAL_HIGH: u64 = 0x8000_0000_0000_0000;
/// The last word below the end of user space (the range runs past it).
const LAST_USER_WORD: u64 = NON_CANONICAL - 8;
/// The last word of the stack region: a 64-byte value runs out of it.
const STACK_LAST_WORD: u64 = USER_STACK_TOP - 8;

/// What a check expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The call fails with this error.
    Fails(Errno),
    /// The call returns exactly this value.
    Returns(u64),
    /// The call succeeds (any value that is not an error).
    Succeeds,
}

/// One raw system call and its expected result.
struct Case {
    name: &'static str,
    number: u64,
    args: [u64; 6],
    expect: Expect,
}

fn case(name: &'static str, call: Syscall, args: [u64; 6], expect: Expect) -> Case {
    Case {
        name,
        number: call as u64,
        args,
        expect,
    }
}

fn fails(name: &'static str, call: Syscall, args: [u64; 6], errno: Errno) -> Case {
    case(name, call, args, Expect::Fails(errno))
}

fn describe(result: i64) -> Describe {
    Describe(result)
}

/// A raw result as `EFAULT` (for `-errno`) or a number.
struct Describe(i64);

impl core::fmt::Display for Describe {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match Errno::from_return(self.0) {
            Some(errno) if self.0 < 0 => f.write_str(errno.name()),
            _ => write!(f, "{}", self.0),
        }
    }
}

fn run(_args: userlib::Args) -> i32 {
    let mut tally = Tally::new("badcalls");
    let echo = match ipc::lookup_service("echo") {
        Ok(pid) => u64::from(pid),
        Err(error) => {
            tally.check_showing("lookup-echo", false, format_args!("{error:?}"));
            u64::MAX
        }
    };
    for case in raw_cases(echo) {
        // SAFETY: every pointer argument is invalid on purpose or points to
        // memory this program owns and does not rely on (read-only text,
        // live locals); the kernel must refuse the call, which is what is
        // tested.
        let result = unsafe { syscall_number(case.number, case.args) };
        let ok = match case.expect {
            Expect::Fails(errno) => result == errno.as_return(),
            Expect::Returns(value) => result as u64 == value,
            Expect::Succeeds => result >= 0,
        };
        if ok {
            tally.check_showing(case.name, true, format_args!("{}", describe(result)));
        } else {
            let expected = match case.expect {
                Expect::Fails(errno) => describe(errno.as_return()),
                Expect::Returns(value) => describe(value as i64),
                Expect::Succeeds => describe(0),
            };
            tally.check_showing(
                case.name,
                false,
                format_args!("{} expected {expected}", describe(result)),
            );
        }
    }
    brk_cases(&mut tally);
    ended_cases(&mut tally);
    tally.finish()
}

/// The address of this program's (read-only) text.
fn text() -> u64 {
    run as *const () as u64
}

static NAME: &[u8] = b"hello";
static NOT_UTF8: [u8; 4] = [0xff, 0xfe, 0xfd, 0xfc];
static NO_SUCH_SERVICE: &[u8] = b"no-such-service";

fn raw_cases(echo: u64) -> Vec<Case> {
    use Errno::*;
    use Syscall::*;
    let text = text();
    let name = NAME.as_ptr() as u64;
    let me = u64::from(process::getpid());
    let parent = u64::from(process::getppid());
    // A valid message to send (the calls must fail before it matters).
    let message: &'static Message =
        alloc::boxed::Box::leak(alloc::boxed::Box::new(Message::new(0x1234, [0; 6])));
    let message_address = message as *const Message as u64;
    let ack: &'static Message = alloc::boxed::Box::leak(alloc::boxed::Box::new(ipc::ack_message(
        process::getpid(),
        1,
        0,
    )));
    let ack_address = ack as *const Message as u64;
    // Actions with handlers or restorers outside user space.
    let kernel_handler = Action {
        handler: KERNEL_IMAGE,
        restorer: text,
        mask: 0,
    };
    let non_canonical_handler = Action {
        handler: NON_CANONICAL,
        restorer: text,
        mask: 0,
    };
    let no_restorer = Action {
        handler: text,
        restorer: 0,
        mask: 0,
    };
    let kernel_restorer = Action {
        handler: text,
        restorer: KERNEL_DIRECT,
        mask: 0,
    };
    let default_action = Action::default();
    // The values must outlive this function: the calls run after it returns.
    let action = |value: Action| {
        alloc::boxed::Box::leak(alloc::boxed::Box::new(value)) as *const Action as u64
    };
    let pointers: [(&'static str, u64); 6] = [
        ("null", NULL),
        ("unmapped", UNMAPPED),
        ("kernel", KERNEL_DIRECT),
        ("kernel-image", KERNEL_IMAGE),
        ("non-canonical", NON_CANONICAL),
        ("non-canonical-high", NON_CANONICAL_HIGH),
    ];
    let mut cases = Vec::new();

    // Unknown call numbers, including ones a truncating kernel would take
    // for exit (256, 1 << 32) or write (1 << 32 | 1).
    for (label, number) in [
        ("unknown-34", Syscall::ALL.len() as u64),
        ("unknown-255", 255),
        ("unknown-256", 256),
        ("unknown-9999", 9999),
        ("unknown-1<<32", 1 << 32),
        ("unknown-1<<32|1", (1 << 32) | 1),
        ("unknown-i64-min", 1 << 63),
        ("unknown-u64-max", u64::MAX),
    ] {
        cases.push(Case {
            name: label,
            number,
            args: [0; 6],
            expect: Expect::Fails(ENOSYS),
        });
    }

    // write(text, len)
    let write_cases: [(&'static str, u64); 6] = [
        ("write-null", NULL),
        ("write-unmapped", UNMAPPED),
        ("write-kernel", KERNEL_DIRECT),
        ("write-kernel-image", KERNEL_IMAGE),
        ("write-non-canonical", NON_CANONICAL),
        ("write-non-canonical-high", NON_CANONICAL_HIGH),
    ];
    for (label, address) in write_cases {
        cases.push(fails(label, Write, [address, 16, 0, 0, 0, 0], EFAULT));
    }
    cases.push(fails(
        "write-len-wraps",
        Write,
        [text, u64::MAX, 0, 0, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "write-len-1<<40",
        Write,
        [text, 1 << 40, 0, 0, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "write-into-kernel-half",
        Write,
        [text, KERNEL_DIRECT - text + 16, 0, 0, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "write-past-user-end",
        Write,
        [LAST_USER_WORD, 16, 0, 0, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "write-past-stack-top",
        Write,
        [STACK_LAST_WORD, 16, 0, 0, 0, 0],
        EFAULT,
    ));

    // spawn(name, len, args, len)
    cases.push(fails(
        "spawn-name-null",
        Spawn,
        [NULL, 5, 0, 0, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "spawn-name-kernel",
        Spawn,
        [KERNEL_DIRECT, 5, 0, 0, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "spawn-name-non-canonical",
        Spawn,
        [NON_CANONICAL, 5, 0, 0, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "spawn-name-past-user-end",
        Spawn,
        [LAST_USER_WORD, 16, 0, 0, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "spawn-name-len-65",
        Spawn,
        [name, 65, 0, 0, 0, 0],
        EINVAL,
    ));
    cases.push(fails(
        "spawn-name-len-u64-max",
        Spawn,
        [name, u64::MAX, 0, 0, 0, 0],
        EINVAL,
    ));
    cases.push(fails(
        "spawn-name-not-utf8",
        Spawn,
        [NOT_UTF8.as_ptr() as u64, 4, 0, 0, 0, 0],
        EINVAL,
    ));
    cases.push(fails(
        "spawn-args-kernel",
        Spawn,
        [name, 5, KERNEL_DIRECT, 8, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "spawn-args-unmapped",
        Spawn,
        [name, 5, UNMAPPED, 8, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "spawn-args-len-1<<40",
        Spawn,
        [name, 5, text, 1 << 40, 0, 0],
        EINVAL,
    ));
    cases.push(fails(
        "spawn-args-len-u64-max",
        Spawn,
        [name, 5, text, u64::MAX, 0, 0],
        EINVAL,
    ));
    cases.push(fails(
        "spawn-args-not-utf8",
        Spawn,
        [name, 5, NOT_UTF8.as_ptr() as u64, 4, 0, 0],
        EINVAL,
    ));

    // wait(pid, result, options): the result pointer is checked first.
    for (label, address) in [
        ("wait-result-kernel", KERNEL_DIRECT),
        ("wait-result-kernel-image", KERNEL_IMAGE),
        ("wait-result-non-canonical", NON_CANONICAL),
        ("wait-result-unmapped", UNMAPPED),
        ("wait-result-read-only-text", text),
        ("wait-result-past-stack-top", STACK_LAST_WORD),
    ] {
        cases.push(fails(
            label,
            Wait,
            [u64::MAX, address, WAIT_NO_HANG, 0, 0, 0],
            EFAULT,
        ));
    }
    for (label, pid) in [
        ("wait-pid-0", 0),
        ("wait-pid-99999", 99_999),
        ("wait-pid-u32-max", u64::from(u32::MAX)),
        ("wait-pid-minus-2", -2i64 as u64),
        ("wait-pid-i64-min", 1 << 63),
        ("wait-pid-parent", parent),
    ] {
        cases.push(fails(
            label,
            Wait,
            [pid, NULL, WAIT_NO_HANG, 0, 0, 0],
            ECHILD,
        ));
    }
    for (label, options) in [
        ("wait-options-unknown-bit", WAIT_NO_HANG | 2),
        ("wait-options-u64-max", u64::MAX),
    ] {
        cases.push(fails(
            label,
            Wait,
            [u64::MAX, NULL, options, 0, 0, 0],
            EINVAL,
        ));
    }

    // Calls without arguments ignore garbage in the argument registers.
    let garbage = [KERNEL_DIRECT, u64::MAX, NON_CANONICAL, 1 << 63, 7, 9];
    cases.push(case(
        "getpid-garbage-args",
        GetPid,
        garbage,
        Expect::Returns(me),
    ));
    cases.push(case(
        "getppid-garbage-args",
        GetPpid,
        garbage,
        Expect::Returns(parent),
    ));
    cases.push(case(
        "yield-garbage-args",
        Yield,
        garbage,
        Expect::Returns(0),
    ));
    cases.push(case("clock-garbage-args", Clock, garbage, Expect::Succeeds));

    // kill(pid, signal): invalid pids (a truncating kernel would signal
    // pid 1 for 1 << 32 | 1), then invalid signals to ourselves.
    for (label, pid) in [
        ("kill-pid-0", 0),
        ("kill-pid-minus-1", u64::MAX),
        ("kill-pid-99999", 99_999),
        ("kill-pid-u32-max", u64::from(u32::MAX)),
        ("kill-pid-1<<32|1", (1 << 32) | 1),
    ] {
        cases.push(fails(label, Kill, [pid, 10, 0, 0, 0, 0], ESRCH));
    }
    // Signal 0 only checks that the process exists (POSIX, MINIX).
    cases.push(case(
        "kill-signal-0",
        Kill,
        [me, 0, 0, 0, 0, 0],
        Expect::Returns(0),
    ));
    for (label, number) in [
        ("kill-signal-16", 16),
        ("kill-signal-32", 32),
        ("kill-signal-65", 65),
        ("kill-signal-255", 255),
        ("kill-signal-1<<32|10", (1 << 32) | 10),
        ("kill-signal-u64-max", u64::MAX),
    ] {
        cases.push(fails(label, Kill, [me, number, 0, 0, 0, 0], EINVAL));
    }

    // sigaction(signal, new, old)
    let valid = action(default_action);
    for (label, number) in [
        ("sigaction-signal-0", 0),
        ("sigaction-signal-65", 65),
        ("sigaction-signal-255", 255),
        ("sigaction-signal-1<<32|10", (1 << 32) | 10),
        ("sigaction-sigkill", 9),
        ("sigaction-sigstop", 19),
    ] {
        cases.push(fails(
            label,
            Syscall::SigAction,
            [number, valid, 0, 0, 0, 0],
            EINVAL,
        ));
    }
    for (label, address) in [
        ("sigaction-new-kernel", KERNEL_DIRECT),
        ("sigaction-new-non-canonical", NON_CANONICAL),
        ("sigaction-new-unmapped", UNMAPPED),
        ("sigaction-new-past-user-end", LAST_USER_WORD),
    ] {
        cases.push(fails(
            label,
            Syscall::SigAction,
            [10, address, 0, 0, 0, 0],
            EFAULT,
        ));
    }
    for (label, address) in [
        ("sigaction-old-kernel", KERNEL_DIRECT),
        ("sigaction-old-kernel-image", KERNEL_IMAGE),
        ("sigaction-old-read-only-text", text),
        ("sigaction-old-past-stack-top", STACK_LAST_WORD),
    ] {
        cases.push(fails(
            label,
            Syscall::SigAction,
            [10, 0, address, 0, 0, 0],
            EFAULT,
        ));
    }
    for (label, value) in [
        ("sigaction-handler-kernel", action(kernel_handler)),
        (
            "sigaction-handler-non-canonical",
            action(non_canonical_handler),
        ),
        ("sigaction-restorer-null", action(no_restorer)),
        ("sigaction-restorer-kernel", action(kernel_restorer)),
    ] {
        cases.push(fails(
            label,
            Syscall::SigAction,
            [10, value, 0, 0, 0, 0],
            EINVAL,
        ));
    }

    // sigprocmask(how, mask, old)
    for (label, how) in [
        ("sigprocmask-how-3", 3),
        ("sigprocmask-how-u64-max", u64::MAX),
    ] {
        cases.push(fails(label, SigProcMask, [how, 0, 0, 0, 0, 0], EINVAL));
    }
    for (label, address) in [
        ("sigprocmask-old-kernel", KERNEL_DIRECT),
        ("sigprocmask-old-non-canonical", NON_CANONICAL),
        ("sigprocmask-old-read-only-text", text),
        ("sigprocmask-old-past-user-end", LAST_USER_WORD),
    ] {
        cases.push(fails(label, SigProcMask, [0, 0, address, 0, 0, 0], EFAULT));
    }

    // vmstats(result), meminfo(result): the kernel writes.
    for (call, prefix) in [(VmStats, "vmstats"), (MemInfo, "meminfo")] {
        for (label, address) in pointers {
            cases.push(Case {
                name: leak_label(prefix, label),
                number: call as u64,
                args: [address, 0, 0, 0, 0, 0],
                expect: Expect::Fails(EFAULT),
            });
        }
        for (label, address) in [
            ("read-only-text", text),
            ("past-stack-top", STACK_LAST_WORD),
            ("past-user-end", LAST_USER_WORD),
        ] {
            cases.push(Case {
                name: leak_label(prefix, label),
                number: call as u64,
                args: [address, 0, 0, 0, 0, 0],
                expect: Expect::Fails(EFAULT),
            });
        }
    }

    // map_shared(len)
    for (label, len) in [
        ("map-shared-0", 0),
        ("map-shared-64MiB+1", 64 * 1024 * 1024 + 1),
        ("map-shared-1<<40", 1 << 40),
        ("map-shared-u64-max", u64::MAX),
    ] {
        cases.push(fails(label, MapShared, [len, 0, 0, 0, 0, 0], EINVAL));
    }

    // send, asend, sendrec: the message is read first.
    for (call, prefix) in [(Send, "send"), (ASend, "asend"), (SendRec, "sendrec")] {
        for (label, address) in pointers {
            cases.push(Case {
                name: leak_label(prefix, label),
                number: call as u64,
                args: [echo, address, 0, 0, 0, 0],
                expect: Expect::Fails(EFAULT),
            });
        }
        for (label, address) in [
            ("past-stack-top", STACK_LAST_WORD),
            ("past-user-end", LAST_USER_WORD),
        ] {
            cases.push(Case {
                name: leak_label(prefix, label),
                number: call as u64,
                args: [echo, address, 0, 0, 0, 0],
                expect: Expect::Fails(EFAULT),
            });
        }
        for (label, dst, errno) in [
            ("dst-99999", 99_999, ESRCH),
            ("dst-u32-max", u64::from(u32::MAX), ESRCH),
            ("dst-u64-max", u64::MAX, ESRCH),
            ("dst-echo+1<<32", echo | (1 << 32), ESRCH),
            ("dst-self", me, EINVAL),
            ("dst-pm-not-an-ack", PM, ENOSYS),
        ] {
            cases.push(Case {
                name: leak_label(prefix, label),
                number: call as u64,
                args: [dst, message_address, 0, 0, 0, 0],
                expect: Expect::Fails(errno),
            });
        }
        // An ordinary program's ack (asend is pubtest's
        // subscribe-permissions check; send and sendrec are the others).
        cases.push(Case {
            name: leak_label(prefix, "pm-ack-from-ordinary-program"),
            number: call as u64,
            args: [PM, ack_address, 0, 0, 0, 0],
            expect: Expect::Fails(ENOSYS),
        });
    }
    // sendrec writes the reply into the buffer: a read-only one is refused
    // before anything is sent.
    cases.push(fails(
        "sendrec-read-only-text",
        SendRec,
        [echo, text, 0, 0, 0, 0],
        EFAULT,
    ));

    // receive(src, buffer): the buffer is checked before blocking.
    for (label, address) in pointers {
        cases.push(Case {
            name: leak_label("receive", label),
            number: Receive as u64,
            args: [u64::MAX, address, 0, 0, 0, 0],
            expect: Expect::Fails(EFAULT),
        });
    }
    cases.push(fails(
        "receive-read-only-text",
        Receive,
        [u64::MAX, text, 0, 0, 0, 0],
        EFAULT,
    ));
    cases.push(fails(
        "receive-past-stack-top",
        Receive,
        [u64::MAX, STACK_LAST_WORD, 0, 0, 0, 0],
        EFAULT,
    ));
    let buffer: &'static mut Message = alloc::boxed::Box::leak(alloc::boxed::Box::default());
    let buffer_address = buffer as *mut Message as u64;
    for (label, src) in [
        ("receive-src-99999", 99_999),
        ("receive-src-u32-max", u64::from(u32::MAX)),
        ("receive-src-echo+1<<32", echo | (1 << 32)),
    ] {
        cases.push(fails(
            label,
            Receive,
            [src, buffer_address, 0, 0, 0, 0],
            ESRCH,
        ));
    }

    // reply(dst, message)
    for (label, address) in pointers {
        cases.push(Case {
            name: leak_label("reply", label),
            number: Reply as u64,
            args: [echo, address, 0, 0, 0, 0],
            expect: Expect::Fails(EFAULT),
        });
    }
    for (label, dst, errno) in [
        ("reply-dst-99999", 99_999, ESRCH),
        ("reply-dst-u64-max", u64::MAX, ESRCH),
        ("reply-dst-pm", PM, ESRCH),
        ("reply-dst-self", me, EINVAL),
    ] {
        cases.push(fails(
            label,
            Reply,
            [dst, message_address, 0, 0, 0, 0],
            errno,
        ));
    }

    // proceventmask(mask): as MINIX, permission comes first, whatever the
    // mask (unknown bits are accepted from a service: pubtest's check; a
    // mask wider than 32 bits is EINVAL for a service, not truncated to
    // another), then an ordinary program's unsubscribe.
    for (label, mask) in [
        ("proceventmask-bit-7", 0x80),
        ("proceventmask-1<<32|1", (1 << 32) | 1),
        ("proceventmask-u64-max", u64::MAX),
    ] {
        cases.push(fails(label, ProcEventMask, [mask, 0, 0, 0, 0, 0], EPERM));
    }
    cases.push(fails(
        "proceventmask-unsubscribe-ordinary",
        ProcEventMask,
        [0, 0, 0, 0, 0, 0],
        EPERM,
    ));

    // lookup_service(name, len)
    for (label, address) in pointers {
        cases.push(Case {
            name: leak_label("lookup-service", label),
            number: LookupService as u64,
            args: [address, 4, 0, 0, 0, 0],
            expect: Expect::Fails(EFAULT),
        });
    }
    cases.push(fails(
        "lookup-service-len-33",
        LookupService,
        [name, 33, 0, 0, 0, 0],
        EINVAL,
    ));
    cases.push(fails(
        "lookup-service-len-u64-max",
        LookupService,
        [name, u64::MAX, 0, 0, 0, 0],
        EINVAL,
    ));
    cases.push(fails(
        "lookup-service-not-utf8",
        LookupService,
        [NOT_UTF8.as_ptr() as u64, 4, 0, 0, 0, 0],
        EINVAL,
    ));
    cases.push(fails(
        "lookup-service-unknown",
        LookupService,
        [
            NO_SUCH_SERVICE.as_ptr() as u64,
            NO_SUCH_SERVICE.len() as u64,
            0,
            0,
            0,
            0,
        ],
        ESRCH,
    ));
    cases.push(fails(
        "lookup-service-ordinary-program",
        LookupService,
        [b"badcalls".as_ptr() as u64, 8, 0, 0, 0, 0],
        ESRCH,
    ));

    // bench: not booted with bench=on.
    cases.push(fails("bench-disabled", Bench, [0, 1, 0, 0, 0, 0], ENOSYS));
    cases.push(fails(
        "bench-disabled-bad-kind",
        Bench,
        [u64::MAX, u64::MAX, u64::MAX, 0, 0, 0],
        ENOSYS,
    ));
    cases
}

/// `prefix-label` as a `'static` name (the program runs once; the few
/// bytes are never freed).
fn leak_label(prefix: &str, label: &str) -> &'static str {
    let mut text = alloc::string::String::with_capacity(prefix.len() + label.len() + 1);
    text.push_str(prefix);
    text.push('-');
    text.push_str(label);
    alloc::boxed::Box::leak(text.into_boxed_str())
}

/// `brk` refuses a move it cannot make by returning the break unchanged
/// (as Linux does); each refused move must leave it where it was. The
/// break is put back after each case, so a wrongly granted move does not
/// spoil the next.
fn brk_cases(tally: &mut Tally) {
    use kernel_abi::{USER_STACK_GUARD, USER_STACK_SIZE};
    let stack_bottom = USER_STACK_TOP - USER_STACK_SIZE;
    let before = memory::heap_end();
    for (label, new_end) in [
        ("brk-kernel", KERNEL_DIRECT),
        ("brk-non-canonical", NON_CANONICAL),
        ("brk-u64-max", u64::MAX),
        ("brk-below-heap", 1),
        ("brk-over-the-stack", USER_STACK_TOP),
        ("brk-onto-the-stack", stack_bottom),
        (
            "brk-into-the-stack-guard",
            stack_bottom - USER_STACK_GUARD + PAGE_SIZE,
        ),
    ] {
        let result = userlib::raw::syscall_plain(Syscall::Brk, [new_end, 0, 0, 0, 0, 0]);
        let after = memory::heap_end();
        tally.check_showing(
            label,
            result as u64 == before && after == before,
            format_args!("{result:#x} (break {before:#x})"),
        );
        if after != before {
            let _ = memory::brk(before);
        }
    }
}

/// How a forked child is expected to end.
struct Ended {
    name: &'static str,
    body: fn() -> !,
    expect: ExitStatus,
}

const SIGSEGV: u64 = 11;

/// Calls that end the caller, each in a forked child.
fn ended_cases(tally: &mut Tally) {
    let cases = [
        Ended {
            name: "exit-status-u64-max",
            body: exit_u64_max,
            expect: ExitStatus::Exited(-1),
        },
        Ended {
            name: "exit-status-1<<32|7",
            body: exit_wide_status,
            expect: ExitStatus::Exited(7),
        },
        Ended {
            name: "fork-garbage-args",
            body: fork_with_garbage,
            expect: ExitStatus::Exited(0),
        },
        Ended {
            name: "sigreturn-without-a-frame",
            body: sigreturn_without_frame,
            expect: ExitStatus::Killed(SIGSEGV),
        },
        Ended {
            name: "sigreturn-stack-in-kernel",
            body: sigreturn_kernel_stack,
            expect: ExitStatus::Killed(SIGSEGV),
        },
        Ended {
            name: "sigreturn-rip-non-canonical",
            body: sigreturn_non_canonical_rip,
            expect: ExitStatus::Killed(SIGSEGV),
        },
        Ended {
            name: "sigreturn-rip-kernel",
            body: sigreturn_kernel_rip,
            expect: ExitStatus::Killed(SIGSEGV),
        },
        Ended {
            name: "sigreturn-rsp-non-canonical",
            body: sigreturn_non_canonical_rsp,
            expect: ExitStatus::Killed(SIGSEGV),
        },
        Ended {
            name: "sigreturn-privileged-rflags",
            body: sigreturn_privileged_rflags,
            expect: ExitStatus::Exited(0),
        },
        Ended {
            name: "syscall-with-nested-task-flag",
            body: syscall_with_nested_task,
            expect: ExitStatus::Exited(0),
        },
        Ended {
            name: "syscall-with-kernel-stack-pointer",
            body: syscall_with_kernel_rsp,
            expect: ExitStatus::Exited(0),
        },
    ];
    for case in cases {
        let status = match process::fork() {
            Ok(0) => (case.body)(),
            Ok(child) => process::wait_for(child),
            Err(error) => Err(error),
        };
        record_ended(tally, case.name, status, case.expect);
    }
    interrupted_sleep_case(tally);
}

fn record_ended(
    tally: &mut Tally,
    name: &str,
    status: userlib::SysResult<ExitStatus>,
    expect: ExitStatus,
) {
    tally.check_showing(
        name,
        status == Ok(expect),
        format_args!("{status:?} expected {expect:?}"),
    );
}

/// A child sleeps "forever" (the deadline saturates) and the parent's
/// SIGUSR1 must end the sleep with EINTR (the child then exits 4). The
/// handler is installed before the fork, so the child inherits it and no
/// signal can find it unprepared; the parent signals until the child ends,
/// as one signal could land after the fork but before the sleep starts.
fn interrupted_sleep_case(tally: &mut Tally) {
    let _ = signal::catch(userlib::Signal::SIGUSR1, on_usr1);
    let status = match process::fork() {
        Ok(0) => sleep_forever(),
        Ok(child) => loop {
            let _ = signal::kill(child, userlib::Signal::SIGUSR1);
            let _ = userlib::time::sleep_ms(20);
            match process::try_wait_for(child) {
                Ok(Some(status)) => break Ok(status),
                Ok(None) => {}
                Err(error) => break Err(error),
            }
        },
        Err(error) => Err(error),
    };
    let _ = signal::default(userlib::Signal::SIGUSR1);
    record_ended(
        tally,
        "sleep-u64-max-interrupted",
        status,
        ExitStatus::Exited(4),
    );
}

fn exit_u64_max() -> ! {
    userlib::raw::syscall_plain(Syscall::Exit, [u64::MAX, 0, 0, 0, 0, 0]);
    process::exit(100)
}

fn exit_wide_status() -> ! {
    userlib::raw::syscall_plain(Syscall::Exit, [(1 << 32) | 7, 0, 0, 0, 0, 0]);
    process::exit(100)
}

/// Forks with garbage in every argument register (fork takes none): the
/// grandchild exits 0, which this child passes on.
fn fork_with_garbage() -> ! {
    let garbage = [KERNEL_DIRECT, u64::MAX, NON_CANONICAL, 1 << 63, 7, 9];
    let pid = userlib::raw::syscall_plain(Syscall::Fork, garbage);
    match pid {
        0 => process::exit(0),
        pid if pid > 0 => match process::wait_for(pid as u32) {
            Ok(ExitStatus::Exited(status)) => process::exit(status as i32),
            _ => process::exit(2),
        },
        _ => process::exit(3),
    }
}

extern "C" fn on_usr1(_signal: u64) {}

/// Sleeps "forever" (the deadline saturates) under the SIGUSR1 handler
/// inherited from the parent, whose signal ends it with EINTR: exit 4.
fn sleep_forever() -> ! {
    let slept = userlib::raw::syscall_plain(Syscall::Sleep, [u64::MAX, 0, 0, 0, 0, 0]);
    process::exit(if slept == Errno::EINTR.as_return() {
        4
    } else {
        1
    })
}

fn sigreturn_without_frame() -> ! {
    let junk = [0u64; 64];
    let address = core::hint::black_box(&junk) as *const [u64; 64] as u64;
    userlib::raw::sigreturn_at(address + 256)
}

fn sigreturn_kernel_stack() -> ! {
    userlib::raw::sigreturn_at(KERNEL_DIRECT + 0x1000)
}

/// A genuine-looking frame (right magic) restoring `rip`, `rsp`, `rflags`.
fn forged_sigreturn(rip: u64, rsp: u64, rflags: u64) -> ! {
    let frame = alloc::boxed::Box::leak(alloc::boxed::Box::new(SignalFrame {
        return_address: 0,
        signal: 10,
        saved_mask: 0,
        magic: SIGNAL_FRAME_MAGIC,
        registers: SavedRegisters {
            rip,
            rsp,
            rflags,
            ..SavedRegisters::default()
        },
        fpu: FpuState::INITIAL,
    }));
    userlib::raw::sigreturn_at(frame as *const SignalFrame as u64 + 8)
}

fn landing_stack() -> u64 {
    let stack = alloc::vec![0u8; 4096].leak();
    (stack.as_ptr() as u64 + 4096) & !15
}

fn sigreturn_non_canonical_rip() -> ! {
    forged_sigreturn(NON_CANONICAL, landing_stack(), 0x202)
}

fn sigreturn_kernel_rip() -> ! {
    forged_sigreturn(KERNEL_IMAGE, landing_stack(), 0x202)
}

fn sigreturn_non_canonical_rsp() -> ! {
    forged_sigreturn(landing as *const () as u64, NON_CANONICAL, 0x202)
}

/// Asks for IOPL 3, interrupts off, single-step and nested-task in the
/// restored flags; [`landing`] exits 0 only if none of them was granted.
fn sigreturn_privileged_rflags() -> ! {
    let rflags = 0x3000 | 0x4000 | 0x100;
    forged_sigreturn(landing as *const () as u64, landing_stack(), rflags)
}

/// Exits with a status naming the privileged flags it runs with: IOPL (bits
/// 0-1), interrupts off (bit 2), nested task (bit 3); 0 if none. (Were
/// single-step granted, the trap after its first instruction would kill it.)
#[cfg(target_os = "none")]
#[unsafe(naked)]
extern "C" fn landing() -> ! {
    core::arch::naked_asm!(
        "pushfq",
        "pop rsi",
        "mov rdi, rsi",
        "shr rdi, 12",
        "and rdi, 3",
        "mov rax, rsi",
        "shr rax, 9",
        "and rax, 1",
        "xor rax, 1",
        "shl rax, 2",
        "or rdi, rax",
        "mov rax, rsi",
        "shr rax, 14",
        "and rax, 1",
        "shl rax, 3",
        "or rdi, rax",
        "mov eax, {exit}",
        "syscall",
        "ud2",
        exit = const Syscall::Exit as u64,
    )
}

#[cfg(not(target_os = "none"))]
extern "C" fn landing() -> ! {
    process::exit(0)
}

/// Sets the nested-task flag (any program may, with `popfq`) and makes a
/// system call: the kernel must not carry the flag into its own `iretq`
/// (which faults in long mode when it is set). Exits 0 if `getpid` answered
/// correctly.
fn syscall_with_nested_task() -> ! {
    let expected = u64::from(process::getpid());
    let got: u64;
    // SAFETY: only flags and registers change; the flag is cleared again
    // before any other code runs.
    unsafe {
        core::arch::asm!(
            "pushfq",
            "or qword ptr [rsp], 0x4000",
            "popfq",
            "syscall",
            "pushfq",
            "and qword ptr [rsp], ~0x4000",
            "popfq",
            inlateout("rax") Syscall::GetPid as u64 => got,
            lateout("rcx") _,
            lateout("r11") _,
        )
    }
    process::exit(if got == expected { 0 } else { 1 })
}

/// Makes a system call with the stack pointer in the kernel half: the
/// kernel never uses the user stack, so the call works and the program
/// goes on once it restores its own. Exits 0 if `getpid` answered.
fn syscall_with_kernel_rsp() -> ! {
    let expected = u64::from(process::getpid());
    let got: u64;
    // SAFETY: the stack pointer is saved in a callee-saved register and
    // restored before any memory access through it.
    unsafe {
        core::arch::asm!(
            "mov r12, rsp",
            "mov rsp, {kernel}",
            "syscall",
            "mov rsp, r12",
            kernel = in(reg) KERNEL_DIRECT + 0x1000,
            inlateout("rax") Syscall::GetPid as u64 => got,
            out("r12") _,
            lateout("rcx") _,
            lateout("r11") _,
        )
    }
    process::exit(if got == expected { 0 } else { 1 })
}
