//! A loopback TCP proxy the fault tests put between the devices and the server: it reads each
//! HTTP/1.1 exchange whole (request and answer, by `Content-Length`) and does to it what the
//! test's policy says: pass it on, cut the answer short, deliver the request twice, or run a
//! hook (kill the server, stop the database) at a chosen point of the exchange.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Something the test does at a point of an exchange (it may block: it runs on the blocking
/// pool).
pub type Hook = Arc<dyn Fn() + Send + Sync>;

/// What the proxy does with one exchange.
#[derive(Clone)]
pub enum Action {
    /// The request goes on, the answer comes back.
    Pass,
    /// Runs the hook, then passes the exchange on.
    Before(Hook),
    /// Sends the request on, runs the hook (which may kill the server), then relays whatever
    /// comes back: nothing at all when the server died.
    During(Hook),
    /// Runs the first hook, then does what [`Action::During`] does with the second.
    Around(Hook, Hook),
    /// Sends the request on and reads the whole answer, runs the hook, and closes the device's
    /// connection without answering: the server did the work, the device never hears of it.
    Withhold(Hook),
    /// Sends the request on, reads the whole answer, gives the device its head and half of its
    /// body, and closes the connection.
    Cut,
    /// Sends the request on twice, one after the other: the device gets the first answer, or
    /// the second.
    Replay {
        /// Whether the device gets the second answer.
        second: bool,
    },
}

/// The request line of an exchange, for the policy.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`...
    pub method: String,
    /// The path with its query.
    pub path: String,
}

type Policy = Box<dyn FnMut(&Request) -> Action + Send>;

/// A running proxy.
#[derive(Clone)]
pub struct Proxy {
    /// Its address.
    pub address: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    policy: Arc<Mutex<Policy>>,
    log: Arc<Mutex<Vec<(Request, &'static str)>>>,
}

impl Proxy {
    /// A proxy to `upstream` on a new loopback port, passing everything on.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            address: listener.local_addr().unwrap(),
            upstream: Arc::new(Mutex::new(upstream)),
            policy: Arc::new(Mutex::new(Box::new(|_: &Request| Action::Pass))),
            log: Arc::default(),
        };
        let shared = proxy.clone();
        tokio::spawn(async move {
            while let Ok((device, _)) = listener.accept().await {
                let proxy = shared.clone();
                tokio::spawn(async move {
                    let _ = proxy.connection(device).await;
                });
            }
        });
        proxy
    }

    /// The base URL the devices use.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Where new connections go from now on (a restarted server).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.upstream.lock().unwrap() = upstream;
    }

    /// What to do with each exchange from now on.
    pub fn set_policy(&self, policy: impl FnMut(&Request) -> Action + Send + 'static) {
        *self.policy.lock().unwrap() = Box::new(policy);
    }

    /// Passes everything on from now on.
    pub fn pass(&self) {
        self.set_policy(|_| Action::Pass);
    }

    /// Every exchange so far that was not passed on as it was: its request and what was done.
    pub fn faults(&self) -> Vec<(Request, &'static str)> {
        self.log.lock().unwrap().clone()
    }

    fn note(&self, request: &Request, what: &'static str) {
        self.log.lock().unwrap().push((request.clone(), what));
    }

    /// One device connection, with one connection to the server of its own: exchanges one at
    /// a time until either side closes.
    async fn connection(&self, mut device: TcpStream) -> std::io::Result<()> {
        let upstream = *self.upstream.lock().unwrap();
        let mut server = TcpStream::connect(upstream).await?;
        let mut from_device = Vec::new();
        let mut from_server = Vec::new();
        loop {
            // Waiting for the next request: a server that goes away closes the device's
            // connection too, so that the device does not send into a dead one.
            let request = tokio::select! {
                request = read_message(&mut device, &mut from_device) => request?,
                _ = server.readable() => {
                    let mut probe = [0u8; 1024];
                    match server.try_read(&mut probe) {
                        Ok(0) => return Ok(()),
                        Ok(n) => from_server.extend_from_slice(&probe[..n]),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                    continue;
                }
            };
            let Some(request) = request else {
                return Ok(());
            };
            let line = request_line(&request);
            let action = (self.policy.lock().unwrap())(&line);
            match action {
                Action::Pass => {
                    server.write_all(&request).await?;
                    let Some(answer) = read_message(&mut server, &mut from_server).await? else {
                        return Ok(());
                    };
                    device.write_all(&answer).await?;
                }
                Action::Before(hook) => {
                    self.note(&line, "before");
                    run(hook).await;
                    server.write_all(&request).await?;
                    let Some(answer) = read_message(&mut server, &mut from_server).await? else {
                        return Ok(());
                    };
                    device.write_all(&answer).await?;
                }
                Action::During(_) | Action::Around(..) => {
                    let hook = match action {
                        Action::Around(first, then) => {
                            run(first).await;
                            then
                        }
                        Action::During(hook) => hook,
                        _ => unreachable!(),
                    };
                    self.note(&line, "during");
                    server.write_all(&request).await?;
                    run(hook).await;
                    match read_message(&mut server, &mut from_server).await {
                        Ok(Some(answer)) => device.write_all(&answer).await?,
                        _ => return Ok(()),
                    }
                }
                Action::Withhold(hook) => {
                    self.note(&line, "withheld");
                    server.write_all(&request).await?;
                    let _ = read_message(&mut server, &mut from_server).await;
                    run(hook).await;
                    return Ok(());
                }
                Action::Cut => {
                    self.note(&line, "cut");
                    server.write_all(&request).await?;
                    let Some(answer) = read_message(&mut server, &mut from_server).await? else {
                        return Ok(());
                    };
                    let head = head_end(&answer).unwrap();
                    let body = answer.len() - head;
                    assert!(body >= 2, "an answer too short to cut: {body} bytes");
                    device.write_all(&answer[..head + body / 2]).await?;
                    device.flush().await?;
                    return Ok(());
                }
                Action::Replay { second } => {
                    self.note(&line, "replayed");
                    server.write_all(&request).await?;
                    let Some(first) = read_message(&mut server, &mut from_server).await? else {
                        return Ok(());
                    };
                    server.write_all(&request).await?;
                    let Some(again) = read_message(&mut server, &mut from_server).await? else {
                        return Ok(());
                    };
                    device
                        .write_all(if second { &again } else { &first })
                        .await?;
                }
            }
        }
    }
}

async fn run(hook: Hook) {
    tokio::task::spawn_blocking(move || hook()).await.unwrap();
}

fn request_line(request: &[u8]) -> Request {
    let head = String::from_utf8_lossy(&request[..head_end(request).unwrap()]);
    let mut words = head.split_whitespace();
    Request {
        method: words.next().unwrap_or_default().to_owned(),
        path: words.next().unwrap_or_default().to_owned(),
    }
}

/// Where a message's head ends (after its blank line).
fn head_end(message: &[u8]) -> Option<usize> {
    message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// One whole HTTP/1.1 message (head and `Content-Length` body) from `stream`, with what was
/// already read of it in `buffer` (what follows stays there): `None` when the stream closed
/// before a message began.
async fn read_message(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(head) = head_end(buffer) {
            let text = String::from_utf8_lossy(&buffer[..head]).to_ascii_lowercase();
            assert!(
                !text.contains("transfer-encoding: chunked"),
                "the proxy reads Content-Length bodies only"
            );
            let length = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
            if buffer.len() >= head + length {
                let rest = buffer.split_off(head + length);
                return Ok(Some(std::mem::replace(buffer, rest)));
            }
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            if buffer.is_empty() {
                return Ok(None);
            }
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}
