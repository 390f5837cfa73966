//! Two processes take turns through a pair of semaphores (from the IPC
//! service): the parent forks, then each waits for its own semaphore and
//! posts the other's, for the number of rounds given as the first argument
//! (default 20).
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::sem::{self, IPC_CREAT, IPC_PRIVATE, IPC_RMID, SemOp};
use userlib::{println, process, time};

userlib::entry!(run);

fn turn(id: u64, wait: u16, post: u16) -> bool {
    let take = SemOp {
        num: wait,
        op: -1,
        flags: 0,
    };
    let give = SemOp {
        num: post,
        op: 1,
        flags: 0,
    };
    sem::semop(id, &[take]).is_ok() && sem::semop(id, &[give]).is_ok()
}

fn run(args: userlib::Args) -> i32 {
    let rounds: u32 = args.number(1).unwrap_or(20);
    let Ok(id) = sem::semget(IPC_PRIVATE, 2, IPC_CREAT) else {
        println!("pingpong: no semaphores (is the ipc service running?)");
        return 1;
    };
    let _ = sem::semop(
        id,
        &[SemOp {
            num: 0,
            op: 1,
            flags: 0,
        }],
    );
    match process::fork() {
        Ok(0) => {
            for _ in 0..rounds {
                if !turn(id, 1, 0) {
                    return 2;
                }
            }
            0
        }
        Ok(child) => {
            let start = time::clock_ns();
            let mut done = 0;
            for _ in 0..rounds {
                if !turn(id, 0, 1) {
                    break;
                }
                done += 1;
            }
            let status = process::wait_for(child);
            let _ = sem::semctl(id, 0, IPC_RMID, 0);
            let elapsed_us = (time::clock_ns() - start) / 1000;
            println!("pingpong: {done} rounds in {elapsed_us} us, child {status:?}");
            0
        }
        Err(_) => 3,
    }
}
