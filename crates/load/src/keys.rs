//! Random numbers and key choice.

/// A small fast PRNG (xorshift64*); a load generator needs speed, not cryptography.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How keys are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Every key equally likely.
    Uniform,
    /// Zipf with this exponent: key rank `r` has weight `1 / r^s`.
    Zipf(f64),
}

impl std::str::FromStr for Distribution {
    type Err = super::LoadError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            None if s == "uniform" => Ok(Distribution::Uniform),
            None if s == "zipf" => Ok(Distribution::Zipf(1.0)),
            Some(("zipf", e)) => e
                .parse::<f64>()
                .ok()
                .filter(|e| *e > 0.0 && e.is_finite())
                .map(Distribution::Zipf)
                .ok_or_else(|| super::LoadError::Config(format!("bad zipf exponent {e:?}"))),
            _ => Err(super::LoadError::Config(format!(
                "unknown distribution {s:?} (uniform or zipf:S)"
            ))),
        }
    }
}

/// Draws key numbers. Zipf sampling uses a cumulative table (8 bytes a key, built once).
#[derive(Debug)]
pub struct KeyChooser {
    keys: u64,
    cdf: Option<Vec<f64>>,
}

/// Largest key count for which a Zipf table is built; beyond it the tail is uniform.
const MAX_ZIPF_TABLE: u64 = 4_000_000;

impl KeyChooser {
    /// A chooser over `keys` keys.
    pub fn new(keys: u64, distribution: Distribution) -> KeyChooser {
        let cdf = match distribution {
            Distribution::Uniform => None,
            Distribution::Zipf(s) => {
                let n = keys.min(MAX_ZIPF_TABLE);
                let mut acc = 0.0;
                let mut cdf: Vec<f64> = (1..=n)
                    .map(|r| {
                        acc += 1.0 / (r as f64).powf(s);
                        acc
                    })
                    .collect();
                for c in &mut cdf {
                    *c /= acc;
                }
                Some(cdf)
            }
        };
        KeyChooser { keys, cdf }
    }

    /// A key number in `0..keys`.
    pub fn pick(&self, rng: &mut Rng) -> u64 {
        match &self.cdf {
            None => rng.below(self.keys),
            Some(cdf) => {
                let u = rng.unit();
                cdf.partition_point(|&c| c < u) as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_favours_low_ranks() {
        let c = KeyChooser::new(1000, Distribution::Zipf(1.0));
        let mut rng = Rng::new(7);
        let draws: Vec<u64> = (0..20_000).map(|_| c.pick(&mut rng)).collect();
        assert!(draws.iter().all(|&k| k < 1000));
        let top = draws.iter().filter(|&&k| k == 0).count();
        let mid = draws.iter().filter(|&&k| k == 500).count();
        assert!(top > 50 * mid.max(1), "top {top} mid {mid}");
    }

    #[test]
    fn distributions_parse() {
        assert_eq!(
            "uniform".parse::<Distribution>().unwrap(),
            Distribution::Uniform
        );
        assert_eq!(
            "zipf:0.9".parse::<Distribution>().unwrap(),
            Distribution::Zipf(0.9)
        );
        assert!("zipf:-1".parse::<Distribution>().is_err());
    }
}
