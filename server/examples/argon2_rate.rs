//! The machine's raw Argon2id rate with Warden's parameters (m = 19 MiB, t = 2, p = 1): the
//! limit password sign-ins are measured against (`scripts/bench-hashing-memory`). Each of
//! `threads` threads verifies a password against a hash for `seconds`, reusing its own work
//! area, as fast as it can; prints hashes per second.
//!
//!   cargo run --release -p server --example argon2_rate -- <threads> <seconds>
#![allow(clippy::print_stdout, clippy::expect_used, clippy::unwrap_used)]

use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let params = Params::new(19 * 1024, 2, 1, None).unwrap();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let params = params.clone();
                scope.spawn(move || {
                    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
                    let mut blocks = vec![Block::default(); params.block_count()];
                    let mut out = [0u8; 32];
                    let mut n = 0;
                    while Instant::now() < deadline {
                        argon
                            .hash_password_into_with_memory(
                                b"Wrong-pass1",
                                b"somesaltsomesalt",
                                &mut out,
                                &mut blocks[..],
                            )
                            .unwrap();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: u64 = counts.iter().sum();
    let rate = total as f64 / started.elapsed().as_secs_f64();
    println!("{rate:.1}");
}
