//! Shrinking: from a failing input, keep trying the campaign's simpler candidates while
//! one still fails the same oracle, within a bounded number of tries.

use std::future::Future;

/// Candidates tried per finding at most.
pub const MAX_STEPS: usize = 200;

/// Whether `candidate` is strictly simpler than `current`: shorter, or as long and
/// smaller byte-wise. Shrinking accepts only these, so it always ends.
pub fn simpler(candidate: &[u8], current: &[u8]) -> bool {
    (candidate.len(), candidate) < (current.len(), current)
}

/// Shrinks `input`: `candidates` proposes simpler inputs, `fails` says whether one
/// still fails the same oracle (with the problem). Returns the simplest failing input
/// found, its problem (`None` if no candidate failed) and the candidates tried.
pub async fn shrink<C, F, Fut>(
    input: Vec<u8>,
    candidates: C,
    mut fails: F,
    max_steps: usize,
) -> (Vec<u8>, Option<String>, usize)
where
    C: Fn(&[u8]) -> Vec<Vec<u8>>,
    F: FnMut(Vec<u8>) -> Fut,
    Fut: Future<Output = Option<String>>,
{
    let mut current = input;
    let mut problem = None;
    let mut steps = 0;
    'outer: while steps < max_steps {
        for candidate in candidates(&current) {
            if !simpler(&candidate, &current) {
                continue;
            }
            if steps >= max_steps {
                break 'outer;
            }
            steps += 1;
            if let Some(p) = fails(candidate.clone()).await {
                current = candidate;
                problem = Some(p);
                continue 'outer;
            }
        }
        break;
    }
    (current, problem, steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::fuzz::byte_candidates;
    use proptest::prelude::*;

    fn run<F: Fn(&[u8]) -> bool>(input: &[u8], failing: F) -> (Vec<u8>, Option<String>, usize) {
        let failing = &failing;
        futures_executor(shrink(
            input.to_vec(),
            |i| byte_candidates(i, 64),
            |c| async move { failing(&c).then(|| "fails".to_string()) },
            MAX_STEPS,
        ))
    }

    /// Runs a future that never waits on anything external.
    fn futures_executor<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn a_byte_that_fails_alone_is_found() {
        let (min, problem, _) = run(b"aaaaXaaaaaaa", |i| i.contains(&b'X'));
        assert_eq!(min, b"X");
        assert!(problem.is_some());
    }

    #[test]
    fn nothing_simpler_leaves_the_input() {
        let (min, problem, steps) = run(b"abc", |i| i == b"abc");
        assert_eq!(min, b"abc");
        assert_eq!(problem, None);
        assert!(steps > 0);
    }

    proptest! {
        #[test]
        fn the_shrunk_input_still_fails_and_is_no_larger(input in proptest::collection::vec(any::<u8>(), 1..200), needle in any::<u8>()) {
            let fails = |i: &[u8]| i.iter().filter(|b| **b >= needle).count() >= 2;
            prop_assume!(fails(&input));
            let (min, _, steps) = run(&input, fails);
            prop_assert!(fails(&min));
            prop_assert!(min.len() <= input.len());
            prop_assert!(steps <= MAX_STEPS);
        }

        #[test]
        fn candidates_are_all_simpler(input in proptest::collection::vec(any::<u8>(), 0..100)) {
            for c in byte_candidates(&input, 1000) {
                prop_assert!(simpler(&c, &input));
            }
        }
    }
}
