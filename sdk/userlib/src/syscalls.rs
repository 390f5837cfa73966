//! Every system call: its number, arguments, result, errors, the wrapper in
//! this crate and in the C library (`sdk/libc`), and its MINIX 3
//! counterpart.
//!
//! The calling convention ([`crate::raw::syscall`]): `rax` = number;
//! arguments in `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`; the result in
//! `rax`, `-errno` on failure. The kernel preserves every other register
//! but `rcx` and `r11`. Numbers, structures and error values are in the
//! `kernel_abi` crate (`os/abi`), shared with the kernel. Any call may
//! fail with `EFAULT` when a pointer argument does not lie in the caller's
//! memory with the right permission (the kernel counts it as a bad
//! pointer, shown on the dashboard), and an unknown number fails with
//! `ENOSYS`.
//!
//! MINIX splits these between the kernel, PM (process manager), VM and
//! the IPC server; here the kernel serves all but the semaphores. "MINIX"
//! names the library call or message a MINIX 3 program would use.
//!
//! ## Processes
//!
//! | # | call | arguments → result | errors | userlib | C | MINIX |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | 0 | exit | status → never returns | — | [`process::exit`] | `_exit` | `_exit` (PM_EXIT) |
//! | 2 | spawn | name, args (NUL-separated) → child pid | ENOENT no such program in the image, ENOEXEC not a valid ELF, E2BIG arguments too long, EAGAIN process table full, ENOMEM, EINVAL not UTF-8 | [`process::spawn`] | `wt_spawn` | `fork` + `execve` (PM_FORK, PM_EXEC) |
//! | 3 | fork | → child pid, 0 in the child | EAGAIN process table full, ENOMEM | [`process::fork`] | `fork` | `fork` (PM_FORK; VM copies the address space, here copy-on-write) |
//! | 4 | wait | pid or -1, `*mut WaitResult`, options (`WAIT_NO_HANG`) → pid, or 0 | ECHILD no such child, EINTR a caught signal, EINVAL bad options | [`process::wait_for`], [`process::wait_any`], [`process::try_wait_for`], [`process::reap`] | `waitpid`, `wait` | `waitpid` (PM_WAITPID) |
//! | 5 | getpid | → pid | — | [`process::getpid`] | `getpid` | `getpid` (PM_GETPID) |
//! | 6 | getppid | → parent's pid | — | [`process::getppid`] | `getppid` | `getppid` |
//! | 7 | yield | → 0 | — | [`process::yield_now`] | `sched_yield` | `sched_yield` |
//!
//! ## Time and the log
//!
//! | # | call | arguments → result | errors | userlib | C | MINIX |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | 1 | write | text, length → bytes taken (one log line, at most the kernel's line length) | EFAULT | [`io::write`], [`println!`](crate::println) | `write`, stdio | `write` to the console (VFS) |
//! | 8 | sleep | nanoseconds → 0 | EINTR a caught signal | [`time::sleep_ns`], [`time::sleep_ms`] | `sleep`, `usleep` | `nanosleep`, `usleep` |
//! | 14 | clock | → nanoseconds since boot | — | [`time::clock_ns`] | `wt_clock_ns` | `clock_gettime(CLOCK_MONOTONIC)` |
//!
//! ## Memory
//!
//! | # | call | arguments → result | errors | userlib | C | MINIX |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | 9 | brk | new end (0 asks) → the heap's end (unchanged when refused) | ENOMEM (as an unchanged end) | [`memory::brk`], [`memory::sbrk`], the global allocator | `brk`, `sbrk`, `malloc` | `brk` (VM_BRK) |
//! | 15 | vmstats | `*mut VmStats` → 0 | EFAULT | [`memory::vmstats`] | `wt_vmstats` | `vm_info_usage` / `getrusage` |
//! | 16 | meminfo | `*mut MemInfo` → 0 | EFAULT | [`memory::meminfo`] | `wt_meminfo` | `vm_info_stats` |
//! | 17 | map_shared | length → address of a new shared region (inherited by fork) | EINVAL length 0, ENOMEM | [`memory::map_shared`] | `mmap(MAP_SHARED\|MAP_ANONYMOUS)`, `map_shared` | `mmap(MAP_SHARED)` / `shmget`+`shmat` |
//!
//! ## Signals
//!
//! | # | call | arguments → result | errors | userlib | C | MINIX |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | 10 | kill | pid, signal → 0 | ESRCH no such process, EINVAL bad signal, EPERM a system service | [`signal::kill`] | `kill`, `raise` | `kill` (PM_KILL) |
//! | 11 | sigaction | signal, `*const SigAction`, `*mut SigAction` → 0 | EINVAL bad signal, SIGKILL or SIGSTOP | [`signal::catch`], [`signal::ignore`], [`signal::default`] | `sigaction`, `signal` | `sigaction` (PM_SIGACTION) |
//! | 12 | sigprocmask | how, mask, `*mut u64` → 0 | EINVAL bad how | [`signal::block`], [`signal::unblock`], [`signal::set_blocked`] | `sigprocmask` | `sigprocmask` (PM_SIGPROCMASK) |
//! | 13 | sigreturn | → the interrupted `rax` | (a bad frame kills the process) | the handler's restorer | `__restore_rt` | `sigreturn` (PM_SIGRETURN) |
//!
//! ## Messages and services
//!
//! | # | call | arguments → result | errors | userlib | C | MINIX |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | 18 | send | destination, `*const Message` → 0 | ESRCH, EPERM not a service, EDEADSRCDST it died, EINTR | [`ipc::send`] | `wt_send` | `ipc_send` |
//! | 19 | receive | source or ANY, `*mut Message` → how it was sent (`Call`) | ESRCH, EINTR | [`ipc::receive`] | `wt_receive` | `ipc_receive` (+ `IPC_STATUS_CALL`) |
//! | 20 | sendrec | destination, `*mut Message` → 0, the reply in the message | as send | [`ipc::sendrec`] | `wt_sendrec` | `ipc_sendrec` |
//! | 21 | asend | destination, `*const Message` → 0 | EAGAIN mailbox full, ESRCH, EPERM | [`ipc::asend`] | `wt_asend` | `ipc_senda` / `asynsend3` |
//! | 22 | reply | destination, `*const Message` → 0 | EAGAIN not waiting for us, ESRCH | [`ipc::reply`] | `wt_reply` | `ipc_sendnb` of a reply |
//! | 23 | proceventmask | mask of `EventKind` bits → 0 | EPERM not a service | [`ipc::subscribe`] | — | `proceventmask` (PM_PROCEVENTMASK) |
//! | 24 | lookup_service | name → pid | ESRCH none, EINVAL bad name | [`ipc::lookup_service`] | `wt_lookup_service` | `ds_retrieve_label_endpt` (DS) |
//! | 25 | bench | kind, argument, argument → a measurement | ENOSYS unless booted with `bench=on` | [`bench`](crate::bench) | — | — |
//!
//! ## Semaphores (messages to the IPC service)
//!
//! Not system calls: each is a `sendrec` to the privileged service `ipc`
//! (the image must start it), in the message layout of [`sem`]. Errors come
//! back in the reply.
//!
//! | request | userlib | C | MINIX |
//! | --- | --- | --- | --- |
//! | SEMGET `[key, nsems, flags]` → id | [`sem::semget`] | `semget` | `semget` (IPC_SEMGET) |
//! | SEMOP `[id, count, op0..op3]` → 0 | [`sem::semop`] | `semop` | `semop` (IPC_SEMOP) |
//! | SEMCTL `[id, num, cmd, arg]` → value | [`sem::semctl`] | `semctl` | `semctl` (IPC_SEMCTL) |
//!
//! ## Examples
//!
//! A system service (`privileged = true` in the image) that subscribes to
//! process events and acks each, as MINIX services do with
//! `proceventmask`; the process stays frozen until every subscriber acked:
//!
//! ```no_run
//! use userlib::ipc::{self, ANY, EventKind, ProcessEvent};
//! ipc::subscribe(EventKind::Exit.bit() | EventKind::Signal.bit()).unwrap();
//! loop {
//!     let message = ipc::receive(ANY).unwrap();
//!     if let Some(event) = ProcessEvent::from_message(&message) {
//!         userlib::println!("{:?} of pid {}", event.kind, event.pid);
//!         event.ack().unwrap();
//!     }
//! }
//! ```
//!
//! A semaphore shared by a parent and its child (the image runs the `ipc`
//! service):
//!
//! ```no_run
//! use userlib::sem::{self, IPC_CREAT, IPC_PRIVATE, SETVAL, SemOp};
//! let id = sem::semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
//! sem::semctl(id, 0, SETVAL, 0).unwrap();
//! if userlib::process::fork() == Ok(0) {
//!     // Waits until the parent posts (EINTR if a caught signal arrives,
//!     // EIDRM if the set is removed).
//!     sem::semop(id, &[SemOp { num: 0, op: -1, flags: 0 }]).unwrap();
//!     userlib::process::exit(0);
//! }
//! sem::semop(id, &[SemOp { num: 0, op: 1, flags: 0 }]).unwrap();
//! ```
//!
//! [`process::exit`]: crate::process::exit
//! [`process::spawn`]: crate::process::spawn
//! [`process::fork`]: crate::process::fork
//! [`process::wait_for`]: crate::process::wait_for
//! [`process::wait_any`]: crate::process::wait_any
//! [`process::try_wait_for`]: crate::process::try_wait_for
//! [`process::reap`]: crate::process::reap
//! [`process::getpid`]: crate::process::getpid
//! [`process::getppid`]: crate::process::getppid
//! [`process::yield_now`]: crate::process::yield_now
//! [`io::write`]: crate::io::write
//! [`time::sleep_ns`]: crate::time::sleep_ns
//! [`time::sleep_ms`]: crate::time::sleep_ms
//! [`time::clock_ns`]: crate::time::clock_ns
//! [`memory::brk`]: crate::memory::brk
//! [`memory::sbrk`]: crate::memory::sbrk
//! [`memory::vmstats`]: crate::memory::vmstats
//! [`memory::meminfo`]: crate::memory::meminfo
//! [`memory::map_shared`]: crate::memory::map_shared
//! [`signal::kill`]: crate::signal::kill
//! [`signal::catch`]: crate::signal::catch
//! [`signal::ignore`]: crate::signal::ignore
//! [`signal::default`]: crate::signal::default
//! [`signal::block`]: crate::signal::block
//! [`signal::unblock`]: crate::signal::unblock
//! [`signal::set_blocked`]: crate::signal::set_blocked
//! [`ipc::send`]: crate::ipc::send
//! [`ipc::receive`]: crate::ipc::receive
//! [`ipc::sendrec`]: crate::ipc::sendrec
//! [`ipc::asend`]: crate::ipc::asend
//! [`ipc::reply`]: crate::ipc::reply
//! [`ipc::subscribe`]: crate::ipc::subscribe
//! [`ipc::lookup_service`]: crate::ipc::lookup_service
//! [`sem`]: crate::sem
//! [`sem::semget`]: crate::sem::semget
//! [`sem::semop`]: crate::sem::semop
//! [`sem::semctl`]: crate::sem::semctl
