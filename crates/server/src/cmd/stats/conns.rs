//! `stats conns`: the listening socket, then each open connection: its peer, the address it
//! came in on, its state and the seconds since its last command.

use super::{Stat, StatsGroup};
use crate::{Session, Shared};

/// The connections (`stats conns`; text protocol only, as in memcached).
#[derive(Debug, Clone, Copy)]
pub struct Conns;

impl StatsGroup for Conns {
    fn name(&self) -> &'static str {
        "conns"
    }

    fn text_only(&self) -> bool {
        true
    }

    fn collect(&self, shared: &Shared, session: &Session) -> Vec<Stat> {
        let listen = shared.config.listen;
        let now = shared.info.started.elapsed().as_secs();
        let mut stats = vec![
            Stat::new("0:addr", format!("tcp:{listen}")),
            Stat::new("0:state", "conn_listening"),
            Stat::new("0:secs_since_last_cmd", now),
        ];
        for (id, conn) in shared.runtime.conns.list() {
            let state = if id == session.id {
                "conn_parse_cmd"
            } else {
                "conn_new_cmd"
            };
            stats.push(Stat::new(
                format!("{id}:addr"),
                format!("tcp:{}", conn.peer),
            ));
            stats.push(Stat::new(
                format!("{id}:listen_addr"),
                format!("tcp:{listen}"),
            ));
            stats.push(Stat::new(format!("{id}:state"), state));
            stats.push(Stat::new(
                format!("{id}:secs_since_last_cmd"),
                now.saturating_sub(conn.last_cmd()),
            ));
        }
        stats
    }
}
