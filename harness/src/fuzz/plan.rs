//! Which cases of a campaign one run makes: all of `0..cases`, or part K of N
//! (`fuzz --partition K/N`), the cases `i` with `i % N == K - 1`. Each case's mutant
//! comes from its own generator (`Rng::for_case`), so the N parts of one seed together
//! make exactly the cases, numbers and mutants of the whole run. Interleaved rather
//! than in blocks: every part gets early and late cases alike, and so the same mix of
//! slow and fast ones.

use crate::report::Partition;

/// The cases one run makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Cases of the whole campaign (`--cases`).
    pub cases: usize,
    /// The part this run is, if the campaign is partitioned.
    pub part: Option<Partition>,
}

impl Plan {
    /// Every case of `cases`, or those of `part`.
    pub fn new(cases: usize, part: Option<Partition>) -> Self {
        Self { cases, part }
    }

    /// The case numbers this run makes, in order.
    pub fn numbers(&self) -> std::iter::StepBy<std::ops::Range<usize>> {
        let (first, step) = match self.part {
            Some(p) => (p.index.saturating_sub(1), p.count.max(1)),
            None => (0, 1),
        };
        (first.min(self.cases)..self.cases).step_by(step)
    }

    /// How many cases this run makes.
    pub fn len(&self) -> usize {
        self.numbers().len()
    }

    /// Whether this run makes no case (a part beyond the cases).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn part(index: usize, count: usize) -> Option<Partition> {
        Some(Partition { index, count })
    }

    #[test]
    fn a_whole_run_makes_every_case_and_a_part_every_nth() {
        assert!(Plan::new(5, None).numbers().eq(0..5));
        assert_eq!(
            Plan::new(10, part(2, 3)).numbers().collect::<Vec<_>>(),
            [1, 4, 7]
        );
        assert_eq!(Plan::new(10, part(1, 3)).len(), 4);
        assert!(Plan::new(2, part(3, 3)).is_empty(), "more parts than cases");
    }

    proptest! {
        #[test]
        fn the_parts_are_disjoint_and_cover_the_whole_run(cases in 0usize..2000, count in 1usize..40) {
            let mut seen = vec![0u8; cases];
            for index in 1..=count {
                let plan = Plan::new(cases, part(index, count));
                let numbers: Vec<usize> = plan.numbers().collect();
                prop_assert_eq!(numbers.len(), plan.len());
                prop_assert!(numbers.windows(2).all(|w| w[0] < w[1]), "in order");
                for n in numbers {
                    seen[n] += 1;
                }
            }
            prop_assert!(seen.iter().all(|&n| n == 1), "each case in exactly one part");
        }
    }
}
