//! The listener: accepts connections up to the limit and serves each on its own task.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{watch, Semaphore};

use crate::config::ServerConfig;
use crate::connection;
use crate::state::Shared;
use crate::stats::Counters;

/// A bound server, ready to [`run`](Server::run).
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    udp: Option<UdpSocket>,
    shared: Arc<Shared>,
}

impl Server {
    /// Binds the listening socket.
    pub async fn bind(config: ServerConfig) -> std::io::Result<Server> {
        let listener = TcpListener::bind(config.listen).await?;
        let mut config = config;
        config.listen = listener.local_addr()?;
        let udp = if config.udp_port == 0 {
            None
        } else {
            let socket =
                UdpSocket::bind(SocketAddr::new(config.listen.ip(), config.udp_port)).await?;
            config.udp_port = socket.local_addr()?.port();
            Some(socket)
        };
        Ok(Server {
            listener,
            udp,
            shared: Arc::new(Shared::new(config)),
        })
    }

    /// The UDP address bound, when UDP is on.
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp.as_ref().and_then(|u| u.local_addr().ok())
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The state shared by connections (the store and its counters), for tests and embedding.
    pub fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// Serves until `shutdown` completes, then stops accepting, tells open connections to close
    /// after their current batch, and waits for them.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let permits = Arc::new(Semaphore::new(self.shared.config.max_connections));
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        if let Some(udp) = self.udp {
            let shared = Arc::clone(&self.shared);
            tasks.spawn(connection::udp::serve(udp, shared, stop_rx.clone()));
        }
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.shared.runtime.halt.notified() => break,
                accepted = self.listener.accept() => {
                    let Ok((stream, _peer)) = accepted else { continue };
                    let counters: &Counters = &self.shared.store.counters;
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        Counters::bump(&counters.rejected_connections);
                        drop(stream);
                        continue;
                    };
                    Counters::bump(&counters.total_connections);
                    let shared = Arc::clone(&self.shared);
                    let stop = stop_rx.clone();
                    tasks.spawn(async move {
                        connection::serve(stream, shared, stop).await;
                        drop(permit);
                    });
                    while tasks.try_join_next().is_some() {}
                }
            }
        }
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
    }
}
