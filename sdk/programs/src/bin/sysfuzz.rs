//! sysfuzz: a system-call fuzzer in ring 3, as trinity and syzkaller are for
//! Linux. Init of the `sysfuzz` image.
//!
//! `sysfuzz driver SEED SECONDS WORKERS ROUNDS` runs ROUNDS rounds of
//! SECONDS each. In a round, WORKERS forked processes issue random system
//! calls as fast as they can, with arguments drawn from generators that know
//! the ABI: pointers into the caller's own regions (a scratch buffer, the
//! heap, a shared region, the unused bottom of the stack) and just past
//! them, its read-only text, kernel and non-canonical addresses, null;
//! live, dead and invalid pids; every signal number and then some;
//! endpoints of the services, of the family and invented ones; flags and
//! lengths at their edges. Workers fork (a few times each), signal and
//! message each other and the services. A worker that dies (a garbage
//! signal handler, `sigreturn` of a random frame, `exit`) is replaced.
//!
//! At the end of a round the driver kills every process of the family
//! (their pids are kept in a shared registry page the generators never
//! point at), reaps them all, waits for the services to ack the exits, and
//! checks the kernel's health at that quiet point: frames in use (page
//! cache aside) and swap slots in use equal what they were after the first
//! round, and the IPC service still answers. It logs
//! `sysfuzz: round N ok|LEAK ...` with the calls made, and exits with the
//! number of failed rounds, which powers the machine off with it.
//!
//! Every run is determined by SEED, the rounds' timing aside (so a crash
//! found by a seed reproduces with that seed, as well as timing allows).
#![cfg_attr(target_os = "none", no_std, no_main)]

use core::sync::atomic::{AtomicU64, Ordering};
use kernel_abi::ipc::{ANY, Message, PAYLOAD_WORDS};
use kernel_abi::{MemInfo, PAGE_SIZE, Syscall};
use userlib::process::ExitStatus;
use userlib::{Signal, memory, println, process, signal, time};

userlib::entry!(run);

/// Pids the registry holds (every process of the family ever forked).
const REGISTRY_SLOTS: usize = 480;
/// How long a worker fuzzes before it exits by itself.
const WORKER_LIFE_MS: u64 = 1_000;
/// How long past that the driver waits before it kills a worker (blocked
/// in a call that never returns).
const WORKER_GRACE_MS: u64 = 200;
/// Workers the driver keeps running at most.
const MAX_WORKERS: usize = 16;
/// Forks one process of the family may make.
const FORKS_PER_PROCESS: u32 = 3;
/// How deep forks may nest below a worker.
const MAX_DEPTH: u32 = 2;
/// Bytes of the scratch buffer the generators point into.
const SCRATCH_BYTES: usize = 2 * PAGE_SIZE as usize;
/// Size of the scratch shared region.
const SHARED_SCRATCH_BYTES: u64 = 2 * PAGE_SIZE;
/// How long the driver waits at a quiet point for memory to settle.
const SETTLE_MS: u64 = 3_000;

/// The registry pages, shared by the whole family: a counter of calls
/// made, the next free slot, then the pids of every process forked.
#[repr(C)]
struct Registry {
    calls: AtomicU64,
    next: AtomicU64,
    /// The highest pid registered.
    highest: AtomicU64,
    pids: [AtomicU64; REGISTRY_SLOTS],
}

/// What a process of the family knows about its world.
struct World {
    registry: &'static Registry,
    /// The scratch shared region (generators point into it).
    shared: u64,
    /// The driver's pid.
    driver: u64,
    ipc: u64,
    acct: u64,
    deadline_ns: u64,
    depth: u32,
    forks: u32,
}

/// xorshift64*: small, fast, and the same sequence for the same seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `bound` (not 0).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[self.below(choices.len() as u64) as usize]
    }
}

/// The buffer the generators point into (never the state of the fuzzer
/// itself: that lives on the stack's top and in `World`).
static mut SCRATCH: [u8; SCRATCH_BYTES] = [0; SCRATCH_BYTES];

fn scratch_base() -> u64 {
    (&raw const SCRATCH) as u64
}

/// A pointer argument: into one of the caller's own regions, just past
/// one, or somewhere it must never reach.
fn pointer(rng: &mut Rng, world: &World) -> u64 {
    let heap = memory::heap_end();
    let stack_bottom = kernel_abi::USER_STACK_TOP - kernel_abi::USER_STACK_SIZE;
    match rng.below(16) {
        0 => 0,
        1..=4 => scratch_base() + rng.below(SCRATCH_BYTES as u64),
        5 => scratch_base() + SCRATCH_BYTES as u64 - rng.below(64),
        6 => world.shared + rng.below(SHARED_SCRATCH_BYTES + 64),
        7 => heap.wrapping_sub(rng.below(2 * PAGE_SIZE)),
        8 => heap + rng.below(PAGE_SIZE),
        // The unused bottom of the stack, and the guard gap below it.
        9 => stack_bottom + rng.below(4 * PAGE_SIZE),
        10 => stack_bottom - rng.below(kernel_abi::USER_STACK_GUARD),
        // Read-only text.
        11 => kernel_abi::USER_IMAGE_BASE + rng.below(8 * PAGE_SIZE),
        // Kernel half, and non-canonical.
        12 => 0xffff_8000_0000_0000 + rng.below(1 << 32),
        13 => 0x0000_8000_0000_0000 + rng.below(1 << 20),
        14 => u64::MAX - rng.below(PAGE_SIZE),
        _ => rng.next(),
    }
}

/// A length: small, at page edges, or absurd.
fn length(rng: &mut Rng) -> u64 {
    match rng.below(8) {
        0 => 0,
        1..=3 => rng.below(256),
        4 => PAGE_SIZE - 1 + rng.below(3),
        5 => rng.below(64 * 1024),
        6 => u64::MAX - rng.below(16),
        _ => rng.next() >> rng.below(64),
    }
}

/// A pid: the caller, its family (alive or dead), the services, the
/// driver, or invented.
fn pid(rng: &mut Rng, world: &World) -> u64 {
    match rng.below(10) {
        0 => u64::from(process::getpid()),
        1 => u64::from(process::getppid()),
        2..=4 => {
            let used = world
                .registry
                .next
                .load(Ordering::Relaxed)
                .min(REGISTRY_SLOTS as u64);
            if used == 0 {
                0
            } else {
                world.registry.pids[rng.below(used) as usize].load(Ordering::Relaxed)
            }
        }
        5 => rng.pick(&[world.ipc, world.acct, world.driver]),
        6 => rng.below(8),
        7 => rng.pick(&[0, u64::MAX, u64::MAX - 1, 1 << 31, 1 << 32]),
        8 => rng.below(2048),
        _ => rng.next(),
    }
}

/// A signal number: the defined ones mostly, then 0 and past the end.
fn signal_number(rng: &mut Rng) -> u64 {
    match rng.below(8) {
        0..=5 => 1 + rng.below(31),
        6 => rng.pick(&[0, 32, 63, 64, 65, 128]),
        _ => rng.next(),
    }
}

/// A word for an argument with no better generator: flags, edges, noise.
fn word(rng: &mut Rng) -> u64 {
    match rng.below(6) {
        0 => rng.below(4),
        1 => 1 << rng.below(64),
        2 => u64::MAX,
        3 => rng.below(1 << 16),
        _ => rng.next(),
    }
}

/// Fills part of the scratch buffer with a message of random content (a
/// request kind the services know, often).
fn scratch_message(rng: &mut Rng) -> u64 {
    let offset = rng.below((SCRATCH_BYTES - size_of::<Message>()) as u64) & !7;
    let mut message = Message::new(rng.below(16), [0; PAYLOAD_WORDS]);
    if rng.one_in(3) {
        message.kind = rng.next();
    }
    for word_slot in message.payload.iter_mut() {
        *word_slot = word(rng);
    }
    let address = scratch_base() + offset;
    // SAFETY: `address` is inside SCRATCH with room for a Message (offset
    // is below its size less a Message's); written unaligned.
    unsafe { core::ptr::write_unaligned(address as *mut Message, message) };
    address
}

/// Makes one random system call.
fn one_call(rng: &mut Rng, world: &mut World) {
    let call = rng.below(30);
    let mut args = [0u64; 6];
    let number = match call {
        0 => {
            // Exit, rarely: a death the driver replaces.
            if !rng.one_in(200) {
                return;
            }
            args[0] = word(rng);
            Syscall::Exit as u64
        }
        1 => {
            args = [pointer(rng, world), length(rng).min(96), 0, 0, 0, 0];
            Syscall::Write as u64
        }
        2 => {
            // Spawn: a real program (which exits at once without `driver`),
            // no such program, or garbage.
            let name: &[u8] = rng.pick(&[b"sysfuzz".as_slice(), b"nosuch", b"", b"ipc"]);
            let at = scratch_base() + rng.below(SCRATCH_BYTES as u64 / 2);
            if rng.one_in(2) {
                // SAFETY: `at` + len is inside SCRATCH (at < half of it).
                unsafe { core::ptr::copy_nonoverlapping(name.as_ptr(), at as *mut u8, name.len()) };
                args = [
                    at,
                    name.len() as u64,
                    pointer(rng, world),
                    length(rng),
                    0,
                    0,
                ];
            } else {
                args = [
                    pointer(rng, world),
                    length(rng),
                    pointer(rng, world),
                    length(rng),
                    0,
                    0,
                ];
            }
            Syscall::Spawn as u64
        }
        3 => {
            fork_one(rng, world);
            return;
        }
        4 => {
            // Without WAIT_NO_HANG, wait blocks until a child ends: seldom.
            let options = if rng.one_in(10) {
                word(rng)
            } else {
                kernel_abi::WAIT_NO_HANG
            };
            args = [pid(rng, world), pointer(rng, world), options, 0, 0, 0];
            Syscall::Wait as u64
        }
        5 => Syscall::GetPid as u64,
        6 => Syscall::GetPpid as u64,
        7 => Syscall::Yield as u64,
        8 => {
            args[0] = if rng.one_in(50) {
                word(rng)
            } else {
                rng.below(2_000_000)
            };
            Syscall::Sleep as u64
        }
        9 => {
            args[0] = match rng.below(4) {
                0 => 0,
                1 => memory::heap_end() + rng.below(256 * 1024),
                2 => memory::heap_end().wrapping_sub(rng.below(64 * 1024)),
                _ => pointer(rng, world),
            };
            Syscall::Brk as u64
        }
        10 => {
            let target = pid(rng, world);
            let mut number = signal_number(rng);
            // The driver blocks every signal it can; the two it cannot
            // (SIGKILL, SIGSTOP) would end or freeze the run.
            if target == world.driver
                && (number == Signal::SIGKILL as u64 || number == Signal::SIGSTOP as u64)
            {
                number = Signal::SIGCONT as u64;
            }
            args = [target, number, 0, 0, 0, 0];
            Syscall::Kill as u64
        }
        11 => {
            // A handler that returns properly (through userlib), or a
            // SigAction of random words (garbage handler or restorer,
            // SIG_DFL, SIG_IGN) in scratch, or a bad pointer.
            if rng.one_in(3)
                && let Some(signal) = Signal::from_number(signal_number(rng))
            {
                let _ = signal::catch(signal, on_signal);
                world.registry.calls.fetch_add(1, Ordering::Relaxed);
                return;
            }
            args = [
                signal_number(rng),
                pointer(rng, world),
                pointer(rng, world),
                0,
                0,
                0,
            ];
            if rng.one_in(2) {
                let (garbage, other) = (rng.next(), rng.next());
                let action = kernel_abi::signal::SigAction {
                    handler: rng.pick(&[0, 1, garbage]),
                    restorer: rng.pick(&[0, other, kernel_abi::USER_IMAGE_BASE]),
                    mask: word(rng),
                };
                let at = scratch_base() + rng.below((SCRATCH_BYTES - 64) as u64);
                // SAFETY: `at` leaves 64 bytes in SCRATCH, more than a
                // SigAction; written unaligned.
                unsafe {
                    core::ptr::write_unaligned(at as *mut kernel_abi::signal::SigAction, action)
                };
                args[1] = at;
            }
            Syscall::SigAction as u64
        }
        12 => {
            args = [rng.below(5), word(rng), pointer(rng, world), 0, 0, 0];
            Syscall::SigProcMask as u64
        }
        13 => {
            // sigreturn of whatever is on the stack: rarely, it usually
            // kills the caller.
            if !rng.one_in(100) {
                return;
            }
            Syscall::SigReturn as u64
        }
        14 => Syscall::Clock as u64,
        15 => {
            args[0] = pointer(rng, world);
            Syscall::VmStats as u64
        }
        16 => {
            args[0] = pointer(rng, world);
            Syscall::MemInfo as u64
        }
        17 => {
            args[0] = match rng.below(4) {
                0 => PAGE_SIZE * (1 + rng.below(16)),
                1 => length(rng),
                _ => PAGE_SIZE,
            };
            Syscall::MapShared as u64
        }
        18..=22 => {
            if call == 19 && !rng.one_in(10) {
                // receive blocks until a message comes: seldom.
                return;
            }
            let destination = match rng.below(6) {
                0 => world.ipc,
                1 => world.acct,
                2 => ANY,
                _ => pid(rng, world),
            };
            let message = if rng.one_in(4) {
                pointer(rng, world)
            } else {
                scratch_message(rng)
            };
            args = [destination, message, 0, 0, 0, 0];
            [
                Syscall::Send,
                Syscall::Receive,
                Syscall::SendRec,
                Syscall::ASend,
                Syscall::Reply,
            ][(call - 18) as usize] as u64
        }
        23 => {
            args[0] = word(rng);
            Syscall::ProcEventMask as u64
        }
        24 => {
            args = [pointer(rng, world), length(rng), 0, 0, 0, 0];
            Syscall::LookupService as u64
        }
        25 => {
            args = [word(rng), word(rng), word(rng), 0, 0, 0];
            Syscall::Bench as u64
        }
        _ => {
            // Numbers past the ABI.
            for arg in args.iter_mut() {
                *arg = word(rng);
            }
            rng.pick(&[26, 27, 64, 255, 1 << 32, u64::MAX])
        }
    };
    if number != Syscall::Exit as u64 && number != Syscall::SigReturn as u64 {
        for extra in args.iter_mut().filter(|arg| **arg == 0) {
            if rng.one_in(8) {
                *extra = rng.next();
            }
        }
    }
    // SAFETY: every pointer argument points into this process's scratch
    // areas or somewhere the kernel must refuse; the fuzzer's own state is
    // never a target, so whatever the kernel writes cannot break it.
    let result = unsafe { userlib::raw::syscall_number(number, args) };
    if number == Syscall::Spawn as u64 && result > 0 {
        register(world.registry, result as u64);
    }
    world.registry.calls.fetch_add(1, Ordering::Relaxed);
}

/// A handler that returns at once.
extern "C" fn on_signal(_signal: u64) {}

/// Forks, if this process may still: the child fuzzes on with its own
/// seed until the deadline.
fn fork_one(rng: &mut Rng, world: &mut World) {
    if world.forks >= FORKS_PER_PROCESS || world.depth >= MAX_DEPTH {
        return;
    }
    world.forks += 1;
    let seed = rng.next();
    match process::fork() {
        Ok(0) => {
            world.depth += 1;
            world.forks = 0;
            fuzz(Rng::new(seed), world);
        }
        Ok(child) => register(world.registry, u64::from(child)),
        Err(_) => {}
    }
}

fn register(registry: &Registry, pid: u64) {
    registry.highest.fetch_max(pid, Ordering::Relaxed);
    let slot = registry.next.fetch_add(1, Ordering::Relaxed) as usize;
    if let Some(entry) = registry.pids.get(slot) {
        entry.store(pid, Ordering::Relaxed);
    }
}

/// The fuzz loop of one process: calls until the deadline, then exit.
fn fuzz(mut rng: Rng, world: &mut World) -> ! {
    loop {
        if time::clock_ns() >= world.deadline_ns {
            process::exit(0);
        }
        one_call(&mut rng, world);
    }
}

/// Frames in use by something other than the page cache, and swap in use.
fn footprint(info: &MemInfo) -> (u64, u64) {
    (
        info.total_frames - info.free_frames - info.cached_pages,
        info.swap_used,
    )
}

/// Kills every process of the family and reaps every child (orphans come
/// to the driver, which is init). The registry may have overflowed, so every
/// pid up to the highest one seen is swept (the services and the driver
/// aside). Returns how many were reaped.
fn end_round(registry: &Registry, world: &World) -> u64 {
    let mut reaped = 0;
    let start = time::clock_ns();
    loop {
        let highest = registry.highest.load(Ordering::Relaxed) + 16;
        for pid in 1..=highest {
            if pid != world.driver && pid != world.ipc && pid != world.acct {
                let _ = signal::kill_raw(pid, Signal::SIGKILL as u64);
            }
        }
        loop {
            match process::try_wait_any() {
                Ok(Some(_)) => reaped += 1,
                Ok(None) => break,
                Err(_) => return reaped, // ECHILD: nobody left.
            }
        }
        let _ = time::sleep_ms(5);
        if time::clock_ns() - start > 20_000_000_000 {
            println!("sysfuzz: FAIL could not reap the family within 20 s");
            return reaped;
        }
    }
}

/// Whether the IPC service still answers a request (an unknown kind gets
/// an error reply, which is an answer).
fn ipc_answers(ipc: u64) -> bool {
    let mut message = Message::new(0xffff, [0; PAYLOAD_WORDS]);
    userlib::ipc::sendrec(ipc, &mut message).is_ok()
}

fn run(args: userlib::Args) -> i32 {
    if args.get(1) != Some("driver") {
        // Spawned by a fuzzing process: nothing to do.
        return 0;
    }
    let seed: u64 = args.number(2).unwrap_or(1);
    let seconds: u64 = args.number(3).unwrap_or(10);
    let workers: usize = args.number::<usize>(4).unwrap_or(4).min(MAX_WORKERS);
    let rounds: u64 = args.number(5).unwrap_or(3);
    // The driver must survive what the family sends it.
    let _ = signal::set_blocked(u64::MAX);

    let registry_address =
        userlib::raw::syscall_plain(Syscall::MapShared, [PAGE_SIZE * 4, 0, 0, 0, 0, 0]);
    let shared =
        userlib::raw::syscall_plain(Syscall::MapShared, [SHARED_SCRATCH_BYTES, 0, 0, 0, 0, 0]);
    if registry_address < 0 || shared < 0 {
        println!("sysfuzz: FAIL cannot map the shared pages");
        return 100;
    }
    // SAFETY: a fresh shared region of four pages, zeroed by the kernel,
    // mapped for as long as the process lives; Registry fits (under 4 KiB)
    // and all-zero atomics are valid.
    let registry: &'static Registry = unsafe { &*(registry_address as u64 as *const Registry) };
    let ipc = userlib::ipc::lookup_service("ipc").map_or(0, u64::from);
    let acct = userlib::ipc::lookup_service("acct").map_or(0, u64::from);
    println!(
        "sysfuzz: seed {seed}, {workers} workers, {rounds} rounds of {seconds} s (ipc {ipc}, acct {acct})"
    );

    let mut steady: Option<(u64, u64)> = None;
    let mut failures = 0;
    let mut total_calls = 0u64;
    for round in 1..=rounds {
        registry.calls.store(0, Ordering::Relaxed);
        registry.next.store(0, Ordering::Relaxed);
        registry.highest.store(0, Ordering::Relaxed);
        for entry in &registry.pids {
            entry.store(0, Ordering::Relaxed);
        }
        let deadline_ns = time::clock_ns() + seconds * 1_000_000_000;
        let mut rng = Rng::new(seed ^ round.wrapping_mul(0x1000_0000_01b3));
        let mut world = World {
            registry,
            shared: shared as u64,
            driver: u64::from(process::getpid()),
            ipc,
            acct,
            deadline_ns,
            depth: 0,
            forks: 0,
        };
        let mut started = 0u64;
        let mut deaths = 0u64;
        // The driver's own workers and when each must be gone (orphans of
        // the family also come to the driver).
        let mut live_workers = [(0u64, 0u64); MAX_WORKERS];
        loop {
            let now = time::clock_ns();
            if now >= deadline_ns {
                break;
            }
            for (pid, kill_at) in live_workers.iter_mut().take(workers) {
                if *pid == 0 {
                    let worker_seed = rng.next();
                    world.deadline_ns = deadline_ns.min(now + WORKER_LIFE_MS * 1_000_000);
                    match process::fork() {
                        Ok(0) => fuzz(Rng::new(worker_seed), &mut world),
                        Ok(child) => {
                            *pid = u64::from(child);
                            *kill_at = world.deadline_ns + WORKER_GRACE_MS * 1_000_000;
                            register(registry, *pid);
                            started += 1;
                        }
                        Err(_) => break,
                    }
                } else if now >= *kill_at {
                    // Blocked for good (in receive, say): end it.
                    let _ = signal::kill_raw(*pid, Signal::SIGKILL as u64);
                }
            }
            match process::try_wait_any() {
                Ok(Some((pid, status))) => {
                    let pid = u64::from(pid);
                    if let Some(slot) = live_workers.iter_mut().find(|slot| slot.0 == pid) {
                        *slot = (0, 0);
                    }
                    if !matches!(status, ExitStatus::Exited(0)) {
                        deaths += 1;
                    }
                }
                _ => {
                    let _ = time::sleep_ms(5);
                }
            }
        }
        let reaped = end_round(registry, &world);
        let calls = registry.calls.load(Ordering::Relaxed);
        total_calls += calls;
        // The services ack the exits; memory comes back once they have.
        let settle_start = time::clock_ns();
        let mut last = footprint(&memory::meminfo());
        loop {
            let _ = time::sleep_ms(200);
            let now = footprint(&memory::meminfo());
            if now == last || time::clock_ns() - settle_start > SETTLE_MS * 1_000_000 {
                last = now;
                break;
            }
            last = now;
        }
        let (frames, swap) = last;
        let (base_frames, base_swap) = *steady.get_or_insert((frames, swap));
        let answers = ipc_answers(ipc);
        if (frames, swap) == (base_frames, base_swap) && answers {
            println!(
                "sysfuzz: round {round} ok: {calls} calls, {started} workers, {deaths} abnormal ends, {reaped} reaped at the end; {frames} frames used, swap {swap}"
            );
        } else {
            failures += 1;
            println!(
                "sysfuzz: round {round} LEAK: {calls} calls; {frames} frames used (steady {base_frames}), swap {swap} (steady {base_swap}), ipc answers: {answers}"
            );
        }
    }
    println!("sysfuzz: done, seed {seed}, {total_calls} calls, {failures} failed rounds");
    failures
}
