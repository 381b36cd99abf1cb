//! The order across connections: a request waits until every exchange answered before it in
//! the capture (on any connection) has been answered in the replay, or given up on.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Which answered-in-the-capture exchanges have been answered in the replay, by answer rank.
#[derive(Debug)]
pub struct Order {
    done: Vec<AtomicBool>,
    /// Every rank below this is done.
    watermark: AtomicUsize,
    advance: Mutex<()>,
}

impl Order {
    /// For `n` ranked exchanges.
    pub fn new(n: usize) -> Order {
        Order {
            done: (0..n).map(|_| AtomicBool::new(false)).collect(),
            watermark: AtomicUsize::new(0),
            advance: Mutex::new(()),
        }
    }

    /// How many ranks from the first are done.
    pub fn watermark(&self) -> usize {
        self.watermark.load(Ordering::Acquire)
    }

    /// Marks a rank done.
    pub fn mark(&self, rank: usize) {
        if let Some(d) = self.done.get(rank) {
            d.store(true, Ordering::Release);
        }
        self.advance();
    }

    /// Gives up waiting on every rank below `k` (their answers never came).
    pub fn give_up_to(&self, k: usize) {
        for d in self.done.iter().take(k) {
            d.store(true, Ordering::Release);
        }
        self.advance();
    }

    fn advance(&self) {
        let _g = self.advance.lock().unwrap_or_else(|e| e.into_inner());
        let mut w = self.watermark.load(Ordering::Acquire);
        while self.done.get(w).is_some_and(|d| d.load(Ordering::Acquire)) {
            w += 1;
        }
        self.watermark.store(w, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::Order;

    #[test]
    fn the_watermark_moves_over_done_ranks_only() {
        let o = Order::new(5);
        o.mark(1);
        assert_eq!(o.watermark(), 0);
        o.mark(0);
        assert_eq!(o.watermark(), 2);
        o.give_up_to(4);
        assert_eq!(o.watermark(), 4);
        o.mark(4);
        o.mark(9);
        assert_eq!(o.watermark(), 5);
    }
}
