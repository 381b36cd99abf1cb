//! `memshark proxy --config FILE`: one router per pool of the file, and the file read again on
//! SIGHUP.
//!
//! A reload matches the new pools to the running routers by listen address: a router whose
//! address stays takes the new pool (its clients keep their connections; see
//! `RouterHandle::reload`), a new address gets a new router, and a router whose address is gone
//! is retired (stops accepting, its clients get their pending answers and are closed). A file
//! that does not load, or a new address that cannot be bound, is refused with the reason and
//! nothing changes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use memshark::proxy::pool::PoolConfig;
use memshark::proxy::{Monitor, ProxyCounters, Router, RouterConfig, RouterHandle, TapEvent};

/// The counters and per-server monitors of every router, for the stats line (routers added by
/// a reload join it; retired ones leave it).
pub(super) type Board = Arc<Mutex<Vec<(SocketAddr, Arc<ProxyCounters>, Option<Monitor>)>>>;

/// The routers of a configuration file.
pub(super) struct Pools {
    path: PathBuf,
    limits: Box<dyn Fn(PoolConfig) -> RouterConfig + Send>,
    tap: mpsc::Sender<TapEvent>,
    headless: bool,
    /// The running routers, one per listen address.
    live: Vec<RouterHandle>,
    /// Bound, not running yet (before `run`).
    bound: Vec<Router>,
    board: Board,
    /// SIGHUP, watched from the start (its default action would end the process).
    hangups: Hangups,
}

impl Pools {
    /// Loads `path` and binds one router per pool (nothing runs before [`Pools::run`]).
    pub(super) async fn bind(
        path: &Path,
        limits: Box<dyn Fn(PoolConfig) -> RouterConfig + Send>,
        tap: mpsc::Sender<TapEvent>,
        headless: bool,
    ) -> anyhow::Result<Pools> {
        let mut pools = Pools {
            path: path.to_path_buf(),
            limits,
            tap,
            headless,
            live: Vec::new(),
            bound: Vec::new(),
            board: Arc::default(),
            hangups: hangups(),
        };
        let all = load(path)?;
        for pool in all.clone() {
            let shadow = shadow_of(&all, &pool);
            let router = pools.bind_one(pool, shadow).await?;
            pools.add(router)?;
        }
        Ok(pools)
    }

    /// The stats line's view of the routers.
    pub(super) fn board(&self) -> Board {
        Arc::clone(&self.board)
    }

    /// The first listening address.
    pub(super) fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.live
            .first()
            .map(RouterHandle::listen)
            .ok_or_else(|| std::io::Error::other("no pool"))
    }

    async fn bind_one(
        &self,
        pool: PoolConfig,
        shadow: Option<PoolConfig>,
    ) -> anyhow::Result<Router> {
        let (name, listen) = (pool.name.clone(), pool.listen);
        let servers = addrs(&pool);
        let mut config = (self.limits)(pool);
        config.shadow_pool = shadow;
        let router = Router::bind(config, Some(self.tap.clone()))
            .await
            .with_context(|| format!("pool {name}: listening on {listen}"))?;
        if self.headless {
            eprintln!(
                "memshark proxy: pool {name}: {} → {servers}",
                router.local_addr()?
            );
        }
        Ok(router)
    }

    fn add(&mut self, router: Router) -> std::io::Result<()> {
        let handle = router.handle()?;
        self.board.lock().unwrap_or_else(|p| p.into_inner()).push((
            handle.listen(),
            router.counters(),
            Some(router.monitor()),
        ));
        self.live.push(handle);
        self.bound.push(router);
        Ok(())
    }

    /// Serves until `shutdown`, reloading the file on every SIGHUP; then stops every router,
    /// each giving its clients `grace`.
    pub(super) async fn run(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
        grace: Duration,
    ) {
        let mut hangups = std::mem::take(&mut self.hangups);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut runs = JoinSet::new();
        let spawn = |runs: &mut JoinSet<()>, routers: &mut Vec<Router>| {
            for r in routers.drain(..) {
                let mut stop = stop_rx.clone();
                runs.spawn(r.run(
                    async move {
                        let _ = stop.wait_for(|s| *s).await;
                    },
                    grace,
                ));
            }
        };
        spawn(&mut runs, &mut self.bound);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                Some(()) = next_hangup(&mut hangups) => {
                    self.reload().await;
                    spawn(&mut runs, &mut self.bound);
                }
                Some(_) = runs.join_next(), if !runs.is_empty() => {}
            }
        }
        let _ = stop_tx.send(true);
        while runs.join_next().await.is_some() {}
    }

    /// Reads the file again and applies it, or says why not and changes nothing.
    async fn reload(&mut self) {
        let path = self.path.display().to_string();
        match self.try_reload().await {
            Ok(()) => eprintln!("memshark proxy: SIGHUP: {path} reloaded"),
            Err(e) => eprintln!(
                "memshark proxy: SIGHUP: {path} refused, the running configuration stays: {e:#}"
            ),
        }
    }

    async fn try_reload(&mut self) -> anyhow::Result<()> {
        let pools = load(&self.path)?;
        if let Some(p) = pools.iter().find(|p| p.servers.is_empty()) {
            anyhow::bail!("pool {}: no servers", p.name);
        }
        // First everything that can fail: binding the new addresses.
        let mut kept: Vec<(RouterHandle, PoolConfig)> = Vec::new();
        let mut fresh: Vec<Router> = Vec::new();
        for pool in pools.clone() {
            match self.live.iter().find(|h| h.listen() == pool.listen) {
                Some(h) => kept.push((h.clone(), pool)),
                None => {
                    let shadow = shadow_of(&pools, &pool);
                    fresh.push(self.bind_one(pool, shadow).await?)
                }
            }
        }
        // Then the changes, which cannot.
        for (h, pool) in &kept {
            let name = pool.name.clone();
            let r = h
                .reload(pool.clone(), shadow_of(&pools, pool))
                .with_context(|| format!("pool {name}"))?;
            eprintln!(
                "memshark proxy: pool {name} on {}: {} kept, {} added, {} removed",
                h.listen(),
                list(&r.kept),
                list(&r.added),
                list(&r.removed)
            );
        }
        let gone: Vec<RouterHandle> = self
            .live
            .iter()
            .filter(|h| !kept.iter().any(|(k, _)| k.listen() == h.listen()))
            .cloned()
            .collect();
        for h in gone {
            eprintln!(
                "memshark proxy: pool {} on {}: gone; no longer accepting, its clients close once answered",
                h.pool().name,
                h.listen()
            );
            h.retire();
            self.live.retain(|l| l.listen() != h.listen());
            self.board
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|(a, _, _)| *a != h.listen());
        }
        for r in fresh {
            self.add(r)?;
        }
        Ok(())
    }
}

/// The servers of a pool, comma-separated.
fn addrs(pool: &PoolConfig) -> String {
    let v: Vec<&str> = pool.servers.iter().map(|s| s.addr.as_str()).collect();
    v.join(",")
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(",")
    }
}

/// The pools of a twemproxy configuration file (an error names the file and the line).
pub(super) fn load(path: &Path) -> anyhow::Result<Vec<PoolConfig>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let pools =
        memshark::proxy::pool::load_config(&text).with_context(|| format!("{}", path.display()))?;
    Ok(pools)
}

/// The pool `pool`'s `shadow` names, if any (`load_config` makes sure it is in the file).
fn shadow_of(pools: &[PoolConfig], pool: &PoolConfig) -> Option<PoolConfig> {
    let name = &pool.shadow.as_ref()?.pool;
    pools.iter().find(|p| &p.name == name).cloned()
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

/// SIGHUP, where there is one (if it cannot be watched, the proxy runs without reloads).
fn hangups() -> Hangups {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("memshark proxy: cannot watch SIGHUP ({e}); no reloads");
                None
            }
        }
    }
}

/// The next SIGHUP (never, without one).
async fn next_hangup(h: &mut Hangups) -> Option<()> {
    #[cfg(unix)]
    if let Some(s) = h {
        return s.recv().await;
    }
    #[cfg(not(unix))]
    let _ = h;
    std::future::pending().await
}
