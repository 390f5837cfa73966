//! Error numbers returned (negated) by system calls. Values follow Linux.

/// A system-call error.
#[repr(i64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    /// Operation not permitted (e.g. subscribing to process events from an
    /// ordinary program).
    EPERM = 1,
    /// No such program.
    ENOENT = 2,
    /// No such process.
    ESRCH = 3,
    /// The call was interrupted by a signal.
    EINTR = 4,
    /// Argument list too long.
    E2BIG = 7,
    /// Exec format error (a program that is not a valid ELF for us).
    ENOEXEC = 8,
    /// No child to wait for.
    ECHILD = 10,
    /// Try again: a queue is full or a table is full.
    EAGAIN = 11,
    /// Out of memory, or a table that allows no more entries.
    ENOMEM = 12,
    /// Permission denied (an `ipc_perm` mode that does not allow it).
    EACCES = 13,
    /// A bad address was passed.
    EFAULT = 14,
    /// It already exists.
    EEXIST = 17,
    /// Invalid argument.
    EINVAL = 22,
    /// Too large (a semaphore number past the set's end).
    EFBIG = 27,
    /// No space left (no free semaphore set).
    ENOSPC = 28,
    /// Result out of range (a semaphore value past `SEMVMX`).
    ERANGE = 34,
    /// No such system call, or a call only system services may make.
    ENOSYS = 38,
    /// The identifier was removed (a semaphore set deleted while waiting).
    EIDRM = 43,
    /// The peer died or is gone.
    EDEADSRCDST = 125,
}

impl Errno {
    /// The value a system call returns for this error.
    pub const fn as_return(self) -> i64 {
        -(self as i64)
    }

    /// Decodes a negative system-call return value.
    pub fn from_return(value: i64) -> Option<Self> {
        let all = [
            Errno::EPERM,
            Errno::ENOENT,
            Errno::ESRCH,
            Errno::EINTR,
            Errno::E2BIG,
            Errno::ENOEXEC,
            Errno::ECHILD,
            Errno::EAGAIN,
            Errno::ENOMEM,
            Errno::EACCES,
            Errno::EFAULT,
            Errno::EEXIST,
            Errno::EINVAL,
            Errno::EFBIG,
            Errno::ENOSPC,
            Errno::ERANGE,
            Errno::ENOSYS,
            Errno::EIDRM,
            Errno::EDEADSRCDST,
        ];
        all.into_iter().find(|errno| errno.as_return() == value)
    }

    /// The conventional name.
    pub fn name(self) -> &'static str {
        match self {
            Errno::EPERM => "EPERM",
            Errno::ENOENT => "ENOENT",
            Errno::ESRCH => "ESRCH",
            Errno::EINTR => "EINTR",
            Errno::E2BIG => "E2BIG",
            Errno::ENOEXEC => "ENOEXEC",
            Errno::ECHILD => "ECHILD",
            Errno::EAGAIN => "EAGAIN",
            Errno::ENOMEM => "ENOMEM",
            Errno::EACCES => "EACCES",
            Errno::EFAULT => "EFAULT",
            Errno::EFBIG => "EFBIG",
            Errno::ENOSPC => "ENOSPC",
            Errno::ERANGE => "ERANGE",
            Errno::EEXIST => "EEXIST",
            Errno::EINVAL => "EINVAL",
            Errno::ENOSYS => "ENOSYS",
            Errno::EIDRM => "EIDRM",
            Errno::EDEADSRCDST => "EDEADSRCDST",
        }
    }
}
