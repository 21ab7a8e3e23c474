//! A real SMTP server for the email tests: aiosmtpd (installed into `.tools/aiosmtpd` by
//! `scripts/setup --for-tests`) on a loopback port, with a handler that writes each message
//! it takes to a folder as JSON (`smtp_recorder.py`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One message as the SMTP server received it, decoded.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Mail {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub raw: String,
}

pub struct SmtpServer {
    pub port: u16,
    folder: tempfile::TempDir,
    child: Option<Child>,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate is in the repository")
        .to_path_buf()
}

/// A loopback port nothing listens on (now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl SmtpServer {
    /// An SMTP server on a free loopback port, accepting connections when this returns.
    pub async fn start() -> SmtpServer {
        Self::start_on(free_port()).await
    }

    /// An SMTP server on `port` (one a test chose before, to start it late).
    pub async fn start_on(port: u16) -> SmtpServer {
        let folder = tempfile::tempdir().expect("a folder for received mail");
        let mut server = SmtpServer {
            port,
            folder,
            child: None,
        };
        server.resume().await;
        server
    }

    /// Starts it again on the same port, after [`stop`](Self::stop); what it received stays.
    pub async fn resume(&mut self) {
        let root = repo_root();
        let python = root.join(".tools/aiosmtpd/bin/python");
        assert!(
            python.exists(),
            "aiosmtpd is missing ({}): run scripts/setup --for-tests",
            python.display()
        );
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "smtp_recorder.Recorder"])
            .arg(self.folder.path())
            .env("PYTHONPATH", root.join("server/tests/common"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aiosmtpd starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on port {} within 20 s",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops it: connections are refused until [`resume`](Self::resume).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The URL Warden sends through.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in the order received.
    pub fn messages(&self) -> Vec<Mail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.folder.path())
            .expect("the mail folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                serde_json::from_str(&std::fs::read_to_string(p).expect("a received message"))
                    .expect("a received message as JSON")
            })
            .collect()
    }

    /// Waits (up to `within`) until at least `count` messages have arrived, and returns all.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.messages();
            if got.len() >= count {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} messages within {within:?}, got {}: {:?}",
                got.len(),
                got.iter().map(|m| &m.subject).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}
