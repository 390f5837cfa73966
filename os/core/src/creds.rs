//! A process's user and group ids and MINIX's rules for changing them
//! (`servers/pm/getset.c`).

use kernel_abi::Errno;

/// A process's user and group ids, as MINIX's PM keeps them (`mp_realuid`,
/// `mp_effuid`, `mp_svuid`, and the same for groups). 0 is the superuser.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Real user id.
    pub uid: u32,
    /// Effective user id: what permissions are checked against.
    pub euid: u32,
    /// Saved user id.
    pub suid: u32,
    /// Real group id.
    pub gid: u32,
    /// Effective group id.
    pub egid: u32,
    /// Saved group id.
    pub sgid: u32,
}

/// The superuser's id.
pub const SUPER_USER: u32 = 0;

impl Credentials {
    /// `setuid(uid)`, MINIX's `PM_SETUID` (BSD semantics): allowed to the
    /// superuser or for the real uid; sets real, effective and saved.
    pub fn setuid(&mut self, uid: u32) -> Result<(), Errno> {
        if self.uid != uid && self.euid != SUPER_USER {
            return Err(Errno::EPERM);
        }
        (self.uid, self.euid, self.suid) = (uid, uid, uid);
        Ok(())
    }

    /// `seteuid(uid)`, `PM_SETEUID`: allowed to the superuser or for the
    /// real or saved uid; sets the effective uid only.
    pub fn seteuid(&mut self, uid: u32) -> Result<(), Errno> {
        if self.uid != uid && self.suid != uid && self.euid != SUPER_USER {
            return Err(Errno::EPERM);
        }
        self.euid = uid;
        Ok(())
    }

    /// `setgid(gid)`, `PM_SETGID`: allowed to the superuser or for the real
    /// gid; sets real, effective and saved.
    pub fn setgid(&mut self, gid: u32) -> Result<(), Errno> {
        if self.gid != gid && self.euid != SUPER_USER {
            return Err(Errno::EPERM);
        }
        (self.gid, self.egid, self.sgid) = (gid, gid, gid);
        Ok(())
    }

    /// `setegid(gid)`, `PM_SETEGID`: allowed to the superuser or for the
    /// real or saved gid; sets the effective gid only.
    pub fn setegid(&mut self, gid: u32) -> Result<(), Errno> {
        if self.gid != gid && self.sgid != gid && self.euid != SUPER_USER {
            return Err(Errno::EPERM);
        }
        self.egid = gid;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(uid: u32, gid: u32) -> Credentials {
        Credentials {
            uid,
            euid: uid,
            suid: uid,
            gid,
            egid: gid,
            sgid: gid,
        }
    }

    #[test]
    fn root_may_become_anyone_and_then_not_back() {
        let mut creds = Credentials::default();
        assert_eq!(creds.setgid(7), Ok(()));
        assert_eq!(creds.setuid(5), Ok(()));
        assert_eq!(creds, user(5, 7));
        assert_eq!(creds.setuid(0), Err(Errno::EPERM));
        assert_eq!(creds.setgid(0), Err(Errno::EPERM));
        assert_eq!(creds, user(5, 7));
    }

    #[test]
    fn a_user_may_set_its_own_real_ids() {
        let mut creds = user(5, 7);
        assert_eq!(creds.setuid(5), Ok(()));
        assert_eq!(creds.setgid(7), Ok(()));
        assert_eq!(creds.setuid(6), Err(Errno::EPERM));
        assert_eq!(creds.setegid(8), Err(Errno::EPERM));
    }

    #[test]
    fn seteuid_to_real_or_saved_and_back() {
        // Root drops only its effective uid: it may take it back (saved 0).
        let mut creds = Credentials::default();
        assert_eq!(creds.seteuid(5), Ok(()));
        assert_eq!((creds.uid, creds.euid, creds.suid), (0, 5, 0));
        // Not root in effect now: only its real or saved id.
        assert_eq!(creds.seteuid(6), Err(Errno::EPERM));
        assert_eq!(creds.seteuid(0), Ok(()));
        assert_eq!(creds.setegid(9), Ok(()));
        assert_eq!((creds.gid, creds.egid, creds.sgid), (0, 9, 0));
        // A user with a different saved id.
        let mut creds = Credentials {
            suid: 3,
            ..user(5, 7)
        };
        assert_eq!(creds.seteuid(3), Ok(()));
        assert_eq!(creds.seteuid(4), Err(Errno::EPERM));
        assert_eq!(creds.seteuid(5), Ok(()));
    }
}
