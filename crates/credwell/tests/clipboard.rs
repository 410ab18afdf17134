//! `credwell get --clipboard` on a real X display (a throwaway Xvfb), read back by an independent
//! program (xclip): the secret is on the clipboard and not on stdout, and it is gone after
//! `--clear-after`, or left alone when the user copied something else meanwhile. Without a
//! display the command says there is no clipboard and prints nothing.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Home;

/// A throwaway X server on a display of its own, killed when dropped.
struct Display {
    server: Child,
    name: String,
}

impl Display {
    fn start() -> Self {
        assert!(
            std::path::Path::new("/usr/bin/Xvfb").exists()
                && std::path::Path::new("/usr/bin/xclip").exists(),
            "this test needs Xvfb and xclip: apt-get install xvfb xclip (scripts/test.sh does)"
        );
        // Xvfb picks a free display and writes its number to the given descriptor; stdout is
        // descriptor 1.
        let mut server = Command::new("/usr/bin/Xvfb")
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "640x480x24",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut number = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(server.stdout.take().unwrap()),
            &mut number,
        )
        .unwrap();
        let name = format!(":{}", number.trim());
        assert!(name.len() > 1, "Xvfb did not say its display");
        Self { server, name }
    }

    /// What the clipboard holds now, as another program sees it ("" when nothing).
    fn clipboard(&self) -> String {
        let out = Command::new("/usr/bin/xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.name)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    /// Another program copies `text` (xclip stays in the background to serve it).
    fn copy(&self, text: &str) {
        let mut xclip = Command::new("/usr/bin/xclip")
            .args(["-i", "-selection", "clipboard"])
            .env("DISPLAY", &self.name)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        xclip
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        xclip.wait().unwrap();
    }

    /// Waits until the clipboard holds `want`.
    fn wait_for(&self, want: &str) {
        let start = Instant::now();
        while self.clipboard() != want {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the clipboard holds {:?}, not {want:?}",
                self.clipboard()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn vault() -> Home {
    let home = Home::new();
    home.init();
    home.add_password("https://github.com", "alice", "s3cret-clip");
    home
}

#[test]
fn get_clipboard_copies_the_password_and_empties_the_clipboard_after_the_time() {
    let home = vault();
    let display = Display::start();
    let started = Instant::now();
    let out = home
        .cmd()
        .env("DISPLAY", &display.name)
        .env_remove("WAYLAND_DISPLAY")
        .args(["get", "alice", "--clipboard", "--clear-after", "3"])
        .output()
        .unwrap();
    let (stdout, stderr) = common::texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stdout.contains("s3cret-clip") && !stderr.contains("s3cret-clip"));
    assert!(stdout.contains("emptied in 3 s"), "{stdout}");
    // There, without its newline, while the time runs...
    assert_eq!(display.clipboard(), "s3cret-clip");
    // ... and gone after it.
    display.wait_for("");
    assert!(started.elapsed() >= Duration::from_secs(3));

    // The user name, with --field.
    home.cmd()
        .env("DISPLAY", &display.name)
        .args(["get", "alice", "--field", "username", "--clipboard"])
        .assert()
        .success();
    assert_eq!(display.clipboard(), "alice");
}

#[test]
fn get_clipboard_leaves_alone_what_the_user_copied_afterwards() {
    let home = vault();
    let display = Display::start();
    home.cmd()
        .env("DISPLAY", &display.name)
        .args(["get", "alice", "--clipboard", "--clear-after", "2"])
        .assert()
        .success();
    assert_eq!(display.clipboard(), "s3cret-clip");
    display.copy("the user's own text");
    display.wait_for("the user's own text");
    // Past the time: the holder did not empty someone else's copy.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(display.clipboard(), "the user's own text");
}

#[test]
fn get_clipboard_without_a_display_says_so_and_prints_nothing() {
    let home = vault();
    let out = home
        .cmd()
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["get", "alice", "--clipboard"])
        .output()
        .unwrap();
    let (stdout, stderr) = common::texts(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("there is no clipboard here") && !stderr.contains("s3cret-clip"),
        "{stderr}"
    );
    // --clear-after alone is a usage error.
    let out = home
        .cmd()
        .args(["get", "alice", "--clear-after", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
