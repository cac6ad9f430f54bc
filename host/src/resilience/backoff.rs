//! Exponential backoff with full jitter.
//!
//! The delay before retry `n` (0-based) is drawn uniformly from
//! `[0, min(max, base * multiplier^n)]`. Full jitter spreads the retries of
//! many devices that failed together (a flapping switch, a restarted jump
//! host) instead of having them all come back at the same instant.

use rand::Rng;
use std::time::Duration;

/// Exponential backoff with full jitter, at millisecond resolution (the
/// resolution of tokio's timer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Ceiling of the first delay (attempt 0).
    pub base: Duration,
    /// Ceiling of every delay, however many attempts came before.
    pub max: Duration,
    /// Growth of the ceiling per attempt; 2.0 doubles it. Values below 1.0
    /// shrink it; negative or NaN values count as 0 (only attempt 0 waits).
    pub multiplier: f64,
}

impl Default for Backoff {
    /// 500 ms, doubling, capped at 10 s.
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            max: Duration::from_secs(10),
            multiplier: 2.0,
        }
    }
}

impl Backoff {
    /// The largest delay `attempt` may get: `min(max, base * multiplier^attempt)`,
    /// rounded down to whole milliseconds.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        Duration::from_millis(self.ceiling_ms(attempt))
    }

    fn ceiling_ms(&self, attempt: u32) -> u64 {
        let max = self.max.as_millis() as f64;
        let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
        // `f64::max` also turns NaN into 0.
        let multiplier = self.multiplier.max(0.0);
        let grown = self.base.as_millis() as f64 * multiplier.powi(exponent);
        // `grown` is infinite once the power overflows, and NaN for 0 × ∞.
        if grown.is_nan() {
            0
        } else {
            // In [0, max]; `as` saturates should `max` exceed u64 milliseconds.
            grown.clamp(0.0, max) as u64
        }
    }

    /// The delay before retry `attempt` (0-based), drawn from `rng`: uniform
    /// in `[0, ceiling(attempt)]`. Deterministic for a seeded `rng`.
    pub fn delay_with(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        Duration::from_millis(rng.random_range(0..=self.ceiling_ms(attempt)))
    }

    /// The delay before retry `attempt` (0-based), drawn from the thread's
    /// random number generator.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, &mut rand::rng())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn backoff() -> Backoff {
        Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(5),
            multiplier: 2.0,
        }
    }

    #[test]
    fn delays_stay_within_zero_and_the_ceiling_for_many_attempts() {
        let b = backoff();
        let mut rng = StdRng::seed_from_u64(7);
        for attempt in 0..200 {
            for _ in 0..50 {
                assert!(b.delay_with(attempt, &mut rng) <= b.ceiling(attempt));
            }
        }
    }

    #[test]
    fn ceiling_grows_by_the_multiplier_until_capped_at_max() {
        let b = backoff();
        let expected = [100, 200, 400, 800, 1600, 3200, 5000, 5000];
        for (attempt, ms) in expected.into_iter().enumerate() {
            assert_eq!(b.ceiling(attempt as u32), Duration::from_millis(ms));
        }
        assert_eq!(b.ceiling(u32::MAX), b.max);
    }

    #[test]
    fn attempt_zero_waits_at_most_base() {
        let b = backoff();
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..1000 {
            assert!(b.delay_with(0, &mut rng) <= b.base);
        }
    }

    #[test]
    fn max_below_base_caps_even_the_first_delay() {
        let b = Backoff {
            max: Duration::from_millis(30),
            ..backoff()
        };
        assert_eq!(b.ceiling(0), Duration::from_millis(30));
    }

    #[test]
    fn delays_grow_exponentially_in_expectation() {
        let b = Backoff {
            max: Duration::from_secs(3600),
            ..backoff()
        };
        let mut rng = StdRng::seed_from_u64(42);
        let mean = |attempt, rng: &mut StdRng| {
            let n = 4000;
            let total: f64 = (0..n)
                .map(|_| b.delay_with(attempt, rng).as_secs_f64())
                .sum();
            total / n as f64
        };
        let means: Vec<f64> = (0..6).map(|a| mean(a, &mut rng)).collect();
        for (attempt, m) in means.iter().enumerate() {
            // The mean of uniform [0, c] is c / 2.
            let half_ceiling = b.ceiling(attempt as u32).as_secs_f64() / 2.0;
            assert!((m / half_ceiling - 1.0).abs() < 0.1, "attempt {attempt}");
        }
        for pair in means.windows(2) {
            let ratio = pair[1] / pair[0];
            assert!((1.7..2.3).contains(&ratio), "ratio {ratio}");
        }
    }

    #[test]
    fn same_seed_gives_the_same_delays() {
        let b = backoff();
        let draw = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..10)
                .map(|a| b.delay_with(a, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
    }

    #[test]
    fn degenerate_settings_give_zero_not_a_panic() {
        let zero_base = Backoff {
            base: Duration::ZERO,
            multiplier: 1e300,
            ..backoff()
        };
        assert_eq!(zero_base.ceiling(1000), Duration::ZERO);
        let negative = Backoff {
            multiplier: -2.0,
            ..backoff()
        };
        assert_eq!(negative.ceiling(0), negative.base);
        assert_eq!(negative.ceiling(2), Duration::ZERO);
        let nan = Backoff {
            multiplier: f64::NAN,
            ..backoff()
        };
        assert_eq!(nan.delay(3), Duration::ZERO);
    }
}
