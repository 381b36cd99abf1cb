//! The proxy authenticating to a server, right after connecting and before any request is
//! written (the pool's `sasl_username`/`sasl_password`):
//!
//! * **binary** connections send SASL_AUTH with mechanism `PLAIN` and `\0user\0password`
//!   (memcached `-S`) and expect status 0;
//! * **text/meta** connections first send `version`: a server that answers it asks for no
//!   authentication, and the password is never sent to it (an ASCII authentication `set` to a
//!   memcached without `-Y` would store the credentials as an item). A server that answers
//!   `CLIENT_ERROR unauthenticated` gets memcached's ASCII authentication (`-Y`):
//!   `set memshark_auth 0 0 <n>\r\nuser password\r\n`, answered `STORED`.
//!
//! Nothing of the exchange is recorded (it carries the password); the server's refusal is
//! described without it.

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Family;
use memshark_protocol::binary::{self as framing, FrameCheck, Opcode, Packet, Request, Status};
use memshark_protocol::sasl::{SaslCredentials, PLAIN};

/// Most bytes read while waiting for the server's answer to the handshake.
const MAX_ANSWER: usize = 64 * 1024;

/// How a server took the proxy's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Authenticated {
    /// It accepted them.
    Yes,
    /// It does not ask for authentication (binary: SASL is an unknown command; text: `version`
    /// is answered); the connection is used as it is.
    NotRequired,
}

/// Why a handshake failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthError {
    /// The server refused the credentials (its answer, without the password).
    #[error("authentication refused by the server ({0})")]
    Refused(String),
    /// The connection failed during the handshake.
    #[error("connection lost during authentication ({0})")]
    Io(#[from] std::io::Error),
    /// The server's answer is not one the handshake expects.
    #[error("unexpected answer to authentication ({0})")]
    Unexpected(String),
}

/// Authenticates `stream` (a new connection of `family`) with `credentials`.
pub(crate) async fn authenticate(
    stream: &mut TcpStream,
    family: Family,
    credentials: &SaslCredentials,
) -> Result<Authenticated, AuthError> {
    match family {
        Family::Binary => binary(stream, credentials).await,
        Family::Text => text(stream, credentials).await,
    }
}

async fn binary(
    stream: &mut TcpStream,
    credentials: &SaslCredentials,
) -> Result<Authenticated, AuthError> {
    let mut out = BytesMut::new();
    Request::sasl_auth(PLAIN.as_bytes(), &credentials.plain_data()).write_to(&mut out);
    stream.write_all(&out).await?;
    let mut buf = BytesMut::with_capacity(1024);
    let len = loop {
        match framing::check(&buf, MAX_ANSWER as u32) {
            Ok(FrameCheck::Complete(len)) => break len,
            Ok(FrameCheck::Incomplete { .. }) => read_more(stream, &mut buf).await?,
            Err(e) => return Err(AuthError::Unexpected(e.to_string())),
        }
    };
    let p = Packet::new_unchecked(&buf[..len]);
    if p.magic().is_request() || p.opcode() != Opcode::SaslAuth {
        return Err(AuthError::Unexpected(format!(
            "a {} packet",
            p.opcode().name()
        )));
    }
    match p.status() {
        Status::NoError => Ok(Authenticated::Yes),
        Status::UnknownCommand => Ok(Authenticated::NotRequired),
        s => Err(AuthError::Refused(format!("status {s}"))),
    }
}

async fn text(
    stream: &mut TcpStream,
    credentials: &SaslCredentials,
) -> Result<Authenticated, AuthError> {
    let mut buf = BytesMut::with_capacity(1024);
    stream.write_all(b"version\r\n").await?;
    let first = line(stream, &mut buf).await?;
    if first.starts_with(b"VERSION ") {
        return Ok(Authenticated::NotRequired);
    }
    if first != b"CLIENT_ERROR unauthenticated" {
        return Err(AuthError::Unexpected(printable(&first)));
    }
    stream.write_all(&credentials.ascii_request()).await?;
    let answer = line(stream, &mut buf).await?;
    if answer == b"STORED" {
        Ok(Authenticated::Yes)
    } else {
        Err(AuthError::Refused(printable(&answer)))
    }
}

/// The next line of the server's answer, without its `\r\n`.
async fn line(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<Vec<u8>, AuthError> {
    loop {
        if let Some(nl) = memchr::memchr(b'\n', buf) {
            let l = buf.split_to(nl + 1);
            let l = l.strip_suffix(b"\n").unwrap_or(&l);
            return Ok(l.strip_suffix(b"\r").unwrap_or(l).to_vec());
        }
        read_more(stream, buf).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<(), AuthError> {
    if buf.len() > MAX_ANSWER {
        return Err(AuthError::Unexpected(format!(
            "over {MAX_ANSWER} bytes without an answer"
        )));
    }
    buf.reserve(1024);
    if stream.read_buf(buf).await? == 0 {
        return Err(AuthError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(())
}

/// A server's line for a message: printable ASCII, at most 120 characters.
fn printable(line: &[u8]) -> String {
    line.iter()
        .take(120)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A fake server that reads what the proxy sends and answers with `answers`, one per
    /// request read; returns what it read.
    async fn fake(
        answers: Vec<&'static [u8]>,
    ) -> (std::net::SocketAddr, tokio::task::JoinHandle<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut got = Vec::new();
            for a in answers {
                let mut b = [0u8; 4096];
                let n = s.read(&mut b).await.unwrap();
                got.extend_from_slice(&b[..n]);
                s.write_all(a).await.unwrap();
            }
            got
        });
        (addr, task)
    }

    fn alice() -> SaslCredentials {
        SaslCredentials::new("alice", "secret")
    }

    #[tokio::test]
    async fn text_authenticates_only_when_asked() {
        let (addr, task) = fake(vec![b"CLIENT_ERROR unauthenticated\r\n", b"STORED\r\n"]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let r = authenticate(&mut s, Family::Text, &alice()).await.unwrap();
        assert_eq!(r, Authenticated::Yes);
        let got = task.await.unwrap();
        assert_eq!(
            got,
            b"version\r\nset memshark_auth 0 0 12\r\nalice secret\r\n"
        );

        let (addr, task) = fake(vec![b"VERSION 1.6.18\r\n"]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let r = authenticate(&mut s, Family::Text, &alice()).await.unwrap();
        assert_eq!(r, Authenticated::NotRequired);
        let got = task.await.unwrap();
        assert_eq!(got, b"version\r\n", "the password is not sent");

        let (addr, _task) = fake(vec![
            b"CLIENT_ERROR unauthenticated\r\n",
            b"CLIENT_ERROR authentication failure\r\n",
        ])
        .await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let e = authenticate(&mut s, Family::Text, &alice())
            .await
            .unwrap_err();
        assert!(matches!(e, AuthError::Refused(_)), "{e}");
        assert!(e.to_string().contains("authentication failure"), "{e}");
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[tokio::test]
    async fn binary_reads_the_status() {
        let mut ok = BytesMut::new();
        framing_response(Status::NoError, &mut ok);
        let ok: &'static [u8] = Box::leak(ok.to_vec().into_boxed_slice());
        let (addr, task) = fake(vec![ok]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let r = authenticate(&mut s, Family::Binary, &alice())
            .await
            .unwrap();
        assert_eq!(r, Authenticated::Yes);
        let got = task.await.unwrap();
        let p = Packet::new_unchecked(&got[..]);
        assert_eq!(p.opcode(), Opcode::SaslAuth);
        assert_eq!(p.key(), b"PLAIN");
        assert_eq!(p.value(), b"\0alice\0secret");

        let mut refused = BytesMut::new();
        framing_response(Status::AuthError, &mut refused);
        let refused: &'static [u8] = Box::leak(refused.to_vec().into_boxed_slice());
        let (addr, _task) = fake(vec![refused]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let e = authenticate(&mut s, Family::Binary, &alice())
            .await
            .unwrap_err();
        assert!(matches!(e, AuthError::Refused(_)), "{e}");

        let (addr, _task) = fake(vec![b""]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let e = authenticate(&mut s, Family::Binary, &alice())
            .await
            .unwrap_err();
        assert!(matches!(e, AuthError::Io(_)), "{e}");
    }

    fn framing_response(status: Status, out: &mut BytesMut) {
        memshark_protocol::binary::Response::error(Opcode::SaslAuth, status).write_to(out);
    }
}
