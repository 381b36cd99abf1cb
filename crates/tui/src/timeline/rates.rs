//! Operations per second, per op, over the last minute of traffic time (for sparklines).

use memshark_traffic::dissect::{Kind, Message};

/// How many one-second buckets are kept.
pub const WINDOW: usize = 60;

/// Per-op counts of requests in one-second buckets of traffic time.
#[derive(Debug, Clone)]
pub struct Rates {
    /// The second (since the epoch) of the newest bucket.
    newest: u64,
    /// (op name, ring of counts); the ring slot of second `s` is `s % WINDOW`. By name, so a
    /// binary and a text `get` count together.
    ops: Vec<(&'static str, [u32; WINDOW])>,
    /// All requests, same ring.
    total: [u32; WINDOW],
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            newest: 0,
            ops: Vec::new(),
            total: [0; WINDOW],
        }
    }
}

impl Rates {
    /// Counts a request (responses are ignored).
    pub fn add(&mut self, m: &Message) {
        if m.kind() != Kind::Request || m.problem.is_some() {
            return;
        }
        let name = m.op_name();
        let sec = m.origin.ts.as_nanos() / 1_000_000_000;
        if sec + WINDOW as u64 <= self.newest {
            return;
        }
        if sec > self.newest {
            let steps = (sec - self.newest).min(WINDOW as u64);
            for s in 1..=steps {
                let slot = ((self.newest + s) % WINDOW as u64) as usize;
                self.total[slot] = 0;
                for (_, ring) in &mut self.ops {
                    ring[slot] = 0;
                }
            }
            self.newest = sec;
        }
        let slot = (sec % WINDOW as u64) as usize;
        self.total[slot] += 1;
        let at = self
            .ops
            .iter()
            .position(|(op, _)| std::ptr::eq(*op, name))
            .or_else(|| self.ops.iter().position(|(op, _)| *op == name));
        match at.and_then(|i| self.ops.get_mut(i)) {
            Some((_, ring)) => ring[slot] += 1,
            None => {
                let mut ring = [0; WINDOW];
                ring[slot] = 1;
                self.ops.push((name, ring));
            }
        }
    }

    fn ordered(&self, ring: &[u32; WINDOW]) -> Vec<u64> {
        (0..WINDOW as u64)
            .map(|i| {
                let sec = (self.newest + 1 + i) % WINDOW as u64;
                u64::from(ring[sec as usize])
            })
            .collect()
    }

    /// Every op with its last minute, oldest second first, busiest op first.
    pub fn per_op(&self) -> Vec<(&'static str, Vec<u64>)> {
        let mut v: Vec<_> = self
            .ops
            .iter()
            .map(|(op, ring)| (*op, self.ordered(ring)))
            .collect();
        v.sort_by_key(|(op, s)| (std::cmp::Reverse(s.iter().sum::<u64>()), *op));
        v
    }

    /// All requests, oldest second first.
    pub fn total(&self) -> Vec<u64> {
        self.ordered(&self.total)
    }

    /// Requests in the newest complete second.
    pub fn last_second(&self) -> u64 {
        let s = self.total();
        s.get(WINDOW - 2).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memshark_protocol::binary::Opcode;
    use memshark_traffic::capture::{Direction, Origin, Timestamp};
    use memshark_traffic::dissect::Proto;

    fn req(op: &'static str, sec: u64) -> Message {
        let a = "127.0.0.1:1".parse().unwrap();
        let origin = Origin::new(1, a, a, Direction::ToServer)
            .at(0, Timestamp::from_nanos(sec * 1_000_000_000 + 5));
        let opcode = Opcode::from_name(op).expect("an opcode");
        Message::new(origin, Proto::Binary).with_op(opcode)
    }

    #[test]
    fn buckets_roll_over_and_old_seconds_are_ignored() {
        let mut r = Rates::default();
        for _ in 0..3 {
            r.add(&req("get", 1000));
        }
        r.add(&req("set", 1001));
        r.add(&req("get", 1001));
        let per = r.per_op();
        assert_eq!(per[0].0, "get");
        assert_eq!(&per[0].1[WINDOW - 2..], &[3, 1]);
        assert_eq!(r.last_second(), 3);
        r.add(&req("get", 1000 + WINDOW as u64 + 1));
        assert_eq!(r.total().iter().sum::<u64>(), 1, "the old minute is gone");
        r.add(&req("get", 5));
        assert_eq!(r.total().iter().sum::<u64>(), 1, "too old to count");
    }
}
