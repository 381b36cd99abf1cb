use super::*;
use memshark_traffic::source::{self, Source};
use memshark_traffic::transaction::Joiner;

#[test]
fn batches_match_their_schema() {
    for fixture in ["ascii", "binary", "meta", "large", "any-sll2"] {
        let mut messages = MessagesTable::default();
        let mut txns = TransactionsTable::default();
        let mut joiner = Joiner::new();
        let mut n = 0;
        source::run(
            Source::file(format!("../../fixtures/{fixture}.pcap")),
            &[11211],
            source::from_fn(|m| {
                messages.push(&m);
                joiner.push(&m, &mut |t| txns.push(&t));
                n += 1;
                true
            }),
        )
        .expect("fixture reads");
        joiner.finish(&mut |t| txns.push(&t));
        assert_eq!(messages.len(), n);
        let batch = messages.finish().expect("messages batch");
        assert_eq!(
            (batch.num_rows(), batch.schema()),
            (n, MessagesTable::schema())
        );
        assert!(messages.is_empty());
        let rows = txns.len();
        let batch = txns.finish().expect("transactions batch");
        assert_eq!(batch.num_rows(), rows);
    }
}
