//! An async binary-protocol client with pipelining.
//!
//! One [`Client`] owns one TCP connection. Any number of calls may be in flight on it at once
//! (it is `Clone`, and cloning shares the connection): each request carries a fresh opaque and
//! a reader task hands every answer to the call waiting for that opaque. `get_multi` sends one
//! GETKQ per key and a NOOP in one write, so it costs one round trip.
//!
//! ```no_run
//! # async fn demo() -> Result<(), memshark_protocol::client::ClientError> {
//! use memshark_protocol::client::Client;
//!
//! let client = Client::connect("127.0.0.1:11211").await?;
//! client.set(b"greeting", b"hello", 0, 0).await?;
//! let item = client.get(b"greeting").await?.expect("just stored");
//! assert_eq!(&item.value[..], b"hello");
//! let hits = client.get_multi(&[&b"greeting"[..], b"missing"]).await?;
//! assert_eq!(hits.len(), 1);
//! # Ok(())
//! # }
//! ```

mod error;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio::sync::{oneshot, Semaphore};
use tokio_util::codec::FramedRead;

pub use error::ClientError;

use crate::binary::{
    BinaryCodec, CounterExtras, Extras, Opcode, Packet, Request, Status, DEFAULT_MAX_BODY_LEN,
};

/// Timeouts and limits of a client.
#[derive(Debug, Clone, Copy)]
pub struct ClientConfig {
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// How long a call waits for its answer.
    pub request_timeout: Duration,
    /// Largest answer body accepted.
    pub max_body_len: u32,
    /// Most calls in flight at once on the connection; more wait for a slot.
    pub max_in_flight: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(5),
            max_body_len: DEFAULT_MAX_BODY_LEN,
            max_in_flight: 1024,
        }
    }
}

/// A stored item as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The value.
    pub value: Bytes,
    /// Client flags.
    pub flags: u32,
    /// CAS unique.
    pub cas: u64,
}

type Answer = Result<Vec<Packet<Bytes>>, ClientError>;

/// Who waits for answers carrying an opaque.
enum Waiter {
    /// One answer completes the call.
    One(oneshot::Sender<Answer>),
    /// Answers accumulate until one with an empty key (STAT).
    UntilEmptyKey(Vec<Packet<Bytes>>, oneshot::Sender<Answer>),
    /// Hits of a quiet multi-get: kept until the closing NOOP.
    Collect(Arc<Mutex<Vec<Packet<Bytes>>>>),
    /// The NOOP closing a multi-get: hands over what was collected under `opaques`.
    Finish {
        collected: Arc<Mutex<Vec<Packet<Bytes>>>>,
        opaques: Vec<u32>,
        tx: oneshot::Sender<Answer>,
    },
}

type Waiters = Arc<Mutex<HashMap<u32, Waiter>>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct Inner {
    writer: tokio::sync::Mutex<Option<OwnedWriteHalf>>,
    waiters: Waiters,
    /// Set by the reader task when the connection is gone (before it fails the waiters), so a
    /// call registered afterwards fails at once instead of waiting for its timeout.
    closed: Arc<std::sync::atomic::AtomicBool>,
    next_opaque: AtomicU32,
    slots: Semaphore,
    config: ClientConfig,
}

/// A connection to a memcached server speaking the binary protocol. Cheap to clone; clones
/// share the connection.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

fn dispatch(waiters: &Waiters, packet: Packet<Bytes>) {
    let mut map = lock(waiters);
    let opaque = packet.opaque();
    let Some(waiter) = map.remove(&opaque) else {
        return;
    };
    match waiter {
        Waiter::One(tx) => {
            let _ = tx.send(Ok(vec![packet]));
        }
        Waiter::UntilEmptyKey(mut acc, tx) => {
            let last = packet.key().is_empty() || !packet.status().is_success();
            acc.push(packet);
            if last {
                let _ = tx.send(Ok(acc));
            } else {
                map.insert(opaque, Waiter::UntilEmptyKey(acc, tx));
            }
        }
        Waiter::Collect(c) => {
            lock(&c).push(packet);
            map.insert(opaque, Waiter::Collect(c));
        }
        Waiter::Finish {
            collected,
            opaques,
            tx,
        } => {
            for o in &opaques {
                map.remove(o);
            }
            let hits = std::mem::take(&mut *lock(&collected));
            let _ = tx.send(Ok(hits));
        }
    }
}

fn fail_all(waiters: &Waiters) {
    let drained: Vec<Waiter> = lock(waiters).drain().map(|(_, w)| w).collect();
    for w in drained {
        match w {
            Waiter::One(tx) | Waiter::UntilEmptyKey(_, tx) | Waiter::Finish { tx, .. } => {
                let _ = tx.send(Err(ClientError::Closed));
            }
            Waiter::Collect(_) => {}
        }
    }
}

fn check(packet: &Packet<Bytes>) -> Result<(), ClientError> {
    let status = packet.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(ClientError::Server {
            status,
            message: String::from_utf8_lossy(packet.value()).into_owned(),
        })
    }
}

fn item_of(packet: &Packet<Bytes>) -> Item {
    Item {
        value: packet.as_inner().slice_ref(packet.value()),
        flags: match packet.typed_extras() {
            Extras::Flags(f) => f,
            _ => 0,
        },
        cas: packet.cas(),
    }
}

impl Client {
    /// Connects with the default [`ClientConfig`].
    pub async fn connect(
        addr: impl ToSocketAddrs + std::fmt::Display,
    ) -> Result<Client, ClientError> {
        Client::connect_with(addr, ClientConfig::default()).await
    }

    /// Connects with the given configuration.
    pub async fn connect_with(
        addr: impl ToSocketAddrs + std::fmt::Display,
        config: ClientConfig,
    ) -> Result<Client, ClientError> {
        let shown = addr.to_string();
        let stream = tokio::time::timeout(config.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ClientError::Timeout)?
            .map_err(|source| ClientError::Connect {
                addr: shown,
                source,
            })?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        let waiters: Waiters = Arc::default();
        let reader_waiters = Arc::clone(&waiters);
        let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader_closed = Arc::clone(&closed);
        let max_body = config.max_body_len;
        tokio::spawn(async move {
            let mut frames = FramedRead::new(read, BinaryCodec::new(max_body));
            while let Some(Ok(packet)) = frames.next().await {
                dispatch(&reader_waiters, packet);
            }
            reader_closed.store(true, Ordering::SeqCst);
            fail_all(&reader_waiters);
        });
        Ok(Client {
            inner: Arc::new(Inner {
                writer: tokio::sync::Mutex::new(Some(write)),
                waiters,
                closed,
                next_opaque: AtomicU32::new(1),
                slots: Semaphore::new(config.max_in_flight),
                config,
            }),
        })
    }

    fn opaque(&self) -> u32 {
        self.inner.next_opaque.fetch_add(1, Ordering::Relaxed)
    }

    async fn write(&self, requests: &[Request]) -> Result<(), ClientError> {
        let mut guard = self.inner.writer.lock().await;
        let w = guard.as_mut().ok_or(ClientError::Closed)?;
        let result = async {
            if let [one] = requests {
                let [head, value] = one.chunks();
                w.write_all(head).await?;
                if !value.is_empty() {
                    w.write_all(value).await?;
                }
            } else {
                let mut buf = bytes::BytesMut::new();
                for r in requests {
                    r.write_to(&mut buf);
                }
                w.write_all(&buf).await?;
            }
            std::io::Result::Ok(())
        }
        .await;
        if let Err(e) = result {
            *guard = None;
            return Err(e.into());
        }
        Ok(())
    }

    /// Sends requests (registering `waiters` first) and waits for the answer.
    async fn call(
        &self,
        requests: Vec<Request>,
        waiters: Vec<(u32, Waiter)>,
        rx: oneshot::Receiver<Answer>,
    ) -> Answer {
        let _slot = self
            .inner
            .slots
            .acquire()
            .await
            .map_err(|_| ClientError::Closed)?;
        let opaques: Vec<u32> = waiters.iter().map(|(o, _)| *o).collect();
        {
            let mut map = lock(&self.inner.waiters);
            if self.inner.closed.load(Ordering::SeqCst) {
                return Err(ClientError::Closed);
            }
            map.extend(waiters);
        }
        let forget = |inner: &Inner| {
            let mut map = lock(&inner.waiters);
            for o in &opaques {
                map.remove(o);
            }
        };
        if let Err(e) = self.write(&requests).await {
            forget(&self.inner);
            return Err(e);
        }
        match tokio::time::timeout(self.inner.config.request_timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(ClientError::Closed),
            Err(_) => {
                forget(&self.inner);
                Err(ClientError::Timeout)
            }
        }
    }

    /// Sends one request and returns its one answer, whatever its status.
    pub async fn request(&self, request: Request) -> Result<Packet<Bytes>, ClientError> {
        let opaque = self.opaque();
        let (tx, rx) = oneshot::channel();
        let answers = self
            .call(
                vec![request.with_opaque(opaque)],
                vec![(opaque, Waiter::One(tx))],
                rx,
            )
            .await?;
        answers
            .into_iter()
            .next()
            .ok_or_else(|| ClientError::Protocol("no answer".into()))
    }

    async fn ok(&self, request: Request) -> Result<Packet<Bytes>, ClientError> {
        let p = self.request(request).await?;
        check(&p)?;
        Ok(p)
    }

    /// A get-family request: the item, or `None` on a miss.
    async fn fetch(&self, request: Request) -> Result<Option<Item>, ClientError> {
        let p = self.request(request).await?;
        match p.status() {
            Status::KeyNotFound => Ok(None),
            _ => check(&p).map(|()| Some(item_of(&p))),
        }
    }

    /// GET: the item, or `None` on a miss.
    pub async fn get(&self, key: &[u8]) -> Result<Option<Item>, ClientError> {
        self.fetch(Request::get(key)).await
    }

    /// Many keys in one round trip (GETKQ for each, then NOOP): the hits, by key.
    pub async fn get_multi(&self, keys: &[&[u8]]) -> Result<HashMap<Vec<u8>, Item>, ClientError> {
        let collected = Arc::new(Mutex::new(Vec::new()));
        let mut requests = Vec::with_capacity(keys.len() + 1);
        let mut waiters = Vec::with_capacity(keys.len() + 1);
        let mut opaques = Vec::with_capacity(keys.len());
        for key in keys {
            let o = self.opaque();
            requests.push(Request::get_with(Opcode::GetKQ, key).with_opaque(o));
            waiters.push((o, Waiter::Collect(Arc::clone(&collected))));
            opaques.push(o);
        }
        let end = self.opaque();
        let (tx, rx) = oneshot::channel();
        requests.push(Request::noop().with_opaque(end));
        waiters.push((
            end,
            Waiter::Finish {
                collected,
                opaques,
                tx,
            },
        ));
        let hits = self.call(requests, waiters, rx).await?;
        let mut out = HashMap::with_capacity(hits.len());
        for p in hits {
            if p.status().is_success() {
                out.insert(p.key().to_vec(), item_of(&p));
            }
        }
        Ok(out)
    }

    async fn store(
        &self,
        op: Opcode,
        key: &[u8],
        value: &[u8],
        flags: u32,
        exptime: u32,
        cas: u64,
    ) -> Result<u64, ClientError> {
        let req = if matches!(op, Opcode::Append | Opcode::Prepend) {
            Request::new(op, b"", key, value)
        } else {
            Request::store(op, key, value, flags, exptime)
        };
        Ok(self.ok(req.with_cas(cas)).await?.cas())
    }

    /// SET; returns the new CAS.
    pub async fn set(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u32,
        exptime: u32,
    ) -> Result<u64, ClientError> {
        self.store(Opcode::Set, key, value, flags, exptime, 0).await
    }

    /// SET only if the item's CAS is still `cas`.
    pub async fn cas(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u32,
        exptime: u32,
        cas: u64,
    ) -> Result<u64, ClientError> {
        self.store(Opcode::Set, key, value, flags, exptime, cas)
            .await
    }

    /// ADD (fails with KEY_EEXISTS if present).
    pub async fn add(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u32,
        exptime: u32,
    ) -> Result<u64, ClientError> {
        self.store(Opcode::Add, key, value, flags, exptime, 0).await
    }

    /// REPLACE (fails with KEY_ENOENT if missing).
    pub async fn replace(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u32,
        exptime: u32,
    ) -> Result<u64, ClientError> {
        self.store(Opcode::Replace, key, value, flags, exptime, 0)
            .await
    }

    /// APPEND (fails with NOT_STORED if missing).
    pub async fn append(&self, key: &[u8], value: &[u8]) -> Result<u64, ClientError> {
        self.store(Opcode::Append, key, value, 0, 0, 0).await
    }

    /// PREPEND (fails with NOT_STORED if missing).
    pub async fn prepend(&self, key: &[u8], value: &[u8]) -> Result<u64, ClientError> {
        self.store(Opcode::Prepend, key, value, 0, 0, 0).await
    }

    /// DELETE (`cas` 0: unconditionally).
    pub async fn delete(&self, key: &[u8], cas: u64) -> Result<(), ClientError> {
        self.ok(Request::delete(key).with_cas(cas))
            .await
            .map(|_| ())
    }

    async fn counter(
        &self,
        op: Opcode,
        key: &[u8],
        delta: u64,
        initial: Option<u64>,
        exptime: u32,
    ) -> Result<u64, ClientError> {
        let (initial, exptime) = match initial {
            Some(i) => (i, exptime),
            None => (0, CounterExtras::NO_CREATE),
        };
        let p = self
            .ok(Request::counter(op, key, delta, initial, exptime))
            .await?;
        match p.typed_extras() {
            Extras::CounterValue(v) => Ok(v),
            _ => Err(ClientError::Protocol(
                "counter answer without an 8-byte value".into(),
            )),
        }
    }

    /// INCR by `delta`; a missing key is created with `initial` when given.
    pub async fn incr(
        &self,
        key: &[u8],
        delta: u64,
        initial: Option<u64>,
        exptime: u32,
    ) -> Result<u64, ClientError> {
        self.counter(Opcode::Increment, key, delta, initial, exptime)
            .await
    }

    /// DECR by `delta` (stops at 0); a missing key is created with `initial` when given.
    pub async fn decr(
        &self,
        key: &[u8],
        delta: u64,
        initial: Option<u64>,
        exptime: u32,
    ) -> Result<u64, ClientError> {
        self.counter(Opcode::Decrement, key, delta, initial, exptime)
            .await
    }

    /// TOUCH: sets a new expiration.
    pub async fn touch(&self, key: &[u8], exptime: u32) -> Result<(), ClientError> {
        self.ok(Request::touch(key, exptime)).await.map(|_| ())
    }

    /// GAT: gets and sets a new expiration; `None` on a miss.
    pub async fn gat(&self, key: &[u8], exptime: u32) -> Result<Option<Item>, ClientError> {
        self.fetch(Request::gat(Opcode::Gat, key, exptime)).await
    }

    /// FLUSH, now or after `delay` seconds.
    pub async fn flush(&self, delay: Option<u32>) -> Result<(), ClientError> {
        self.ok(Request::flush(delay)).await.map(|_| ())
    }

    /// NOOP: a round trip.
    pub async fn noop(&self) -> Result<(), ClientError> {
        self.ok(Request::noop()).await.map(|_| ())
    }

    /// VERSION.
    pub async fn version(&self) -> Result<String, ClientError> {
        let p = self.ok(Request::version()).await?;
        Ok(String::from_utf8_lossy(p.value()).into_owned())
    }

    /// STAT: all statistics, or a group (`settings`, …), as name/value pairs.
    pub async fn stats(&self, group: Option<&str>) -> Result<Vec<(String, String)>, ClientError> {
        let opaque = self.opaque();
        let (tx, rx) = oneshot::channel();
        let req = Request::stat(group.map(str::as_bytes)).with_opaque(opaque);
        let packets = self
            .call(
                vec![req],
                vec![(opaque, Waiter::UntilEmptyKey(Vec::new(), tx))],
                rx,
            )
            .await?;
        let mut out = Vec::new();
        for p in &packets {
            check(p)?;
            if !p.key().is_empty() {
                out.push((
                    String::from_utf8_lossy(p.key()).into_owned(),
                    String::from_utf8_lossy(p.value()).into_owned(),
                ));
            }
        }
        Ok(out)
    }

    /// SASL PLAIN authentication.
    pub async fn sasl_plain(&self, user: &str, password: &str) -> Result<(), ClientError> {
        self.ok(Request::sasl_plain(user.as_bytes(), password.as_bytes()))
            .await
            .map(|_| ())
    }

    /// QUIT: the server answers and closes the connection.
    pub async fn quit(&self) -> Result<(), ClientError> {
        self.ok(Request::quit()).await?;
        *self.inner.writer.lock().await = None;
        Ok(())
    }
}
