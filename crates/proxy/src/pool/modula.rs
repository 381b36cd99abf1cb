//! twemproxy's `modula` distribution (`nc_modula.c`): each live server takes as many slots as
//! its weight, in twemproxy's server order (sorted by name), and a key goes to slot `hash % total_weight`. The slots
//! are not materialised: a cumulative weight table and a binary search give the same answer
//! whatever the weights.

/// The live servers and their cumulative weights.
#[derive(Debug, Clone, Default)]
pub struct Slots {
    /// `(end, server)`: the server owns slots below `end` and at or above the previous `end`.
    ends: Vec<(u64, u32)>,
}

impl Slots {
    /// Lays out the live servers' slots: `servers` gives `(index, weight)` in slot order,
    /// `alive` whether a server index is live.
    pub fn build(
        servers: impl IntoIterator<Item = (usize, u32)>,
        alive: impl Fn(usize) -> bool,
    ) -> Slots {
        let mut end = 0u64;
        let ends = servers
            .into_iter()
            .filter(|&(i, _)| alive(i))
            .map(|(i, weight)| {
                end += u64::from(weight);
                (end, i as u32)
            })
            .collect();
        Slots { ends }
    }

    /// The total number of slots (the sum of the live weights).
    pub fn len(&self) -> u64 {
        self.ends.last().map_or(0, |&(end, _)| end)
    }

    /// The server owning slot `slot` (which must be below [`Slots::len`]).
    pub fn server_at(&self, slot: u64) -> Option<usize> {
        let at = self.ends.partition_point(|&(end, _)| end <= slot);
        self.ends.get(at).map(|&(_, server)| server as usize)
    }

    /// The server `hash` goes to: slot `hash % total_weight`.
    pub fn dispatch(&self, hash: u32) -> Option<usize> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        // twemproxy computes `hash % ncontinuum` in 32 bits; the total weight fits in 32 bits
        // wherever twemproxy itself works.
        self.server_at(u64::from(hash) % len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_weights() {
        let slots = Slots::build([(0, 1), (1, 2), (2, 3)], |_| true);
        assert_eq!(slots.len(), 6);
        let owners: Vec<_> = (0..6).map(|h| slots.dispatch(h).unwrap()).collect();
        assert_eq!(owners, [0, 1, 1, 2, 2, 2]);
        assert_eq!(slots.dispatch(6), Some(0));
    }

    #[test]
    fn dead_servers_take_no_slots() {
        let slots = Slots::build([(0, 1), (1, 2), (2, 3)], |i| i != 1);
        assert_eq!(slots.len(), 4);
        let owners: Vec<_> = (0..4).map(|h| slots.dispatch(h).unwrap()).collect();
        assert_eq!(owners, [0, 2, 2, 2]);
        assert_eq!(Slots::build([(0, 1)], |_| false).dispatch(5), None);
    }
}
