//! `credwell demo`: the browser demo (`demo/run.mjs`, in Chromium or with `--browser firefox` in
//! Firefox), or with `--engine` the engine walked through the tutorial's sign-in flow, printed as
//! it goes.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use credwell_core::{
    Asked, Caller, ClientId, Engine, ManualClock, MemoryStore, Origin, Rejection, RequestId,
    SaveDecision, Scripted, ScriptedMediator,
};
use serde_json::{Value, json};

/// Options of `credwell demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// The origin the engine demonstration runs on (with `--engine`).
    #[arg(long, default_value = "https://demo.credwell.test")]
    origin: String,
    /// Run the scripted demonstration of the engine alone (no browser) instead of the browser
    /// demo.
    #[arg(long)]
    engine: bool,
    /// The browser for the browser demo: Debian's `chromium`, or `firefox` (Debian's
    /// `firefox-esr`; the host is registered for it with `credwell install --firefox-home` under a
    /// throwaway home).
    #[arg(long, value_enum, default_value_t = Browser::Chromium, conflicts_with = "engine")]
    browser: Browser,
    /// Walk through the scenario without a window (the default when DISPLAY is unset).
    #[arg(long, conflicts_with = "engine")]
    headless: bool,
    /// Where the walkthrough saves one screenshot per step [default: ./demo-screenshots].
    #[arg(long, value_name = "DIR", conflicts_with = "engine")]
    screenshots: Option<PathBuf>,
    /// More arguments for `demo/run.mjs` (e.g. `-- --port 8000`).
    #[arg(last = true)]
    browser_args: Vec<String>,
}

/// The browser the browser demo runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Browser {
    /// Debian's Chromium (`/usr/bin/chromium`).
    Chromium,
    /// Debian's Firefox ESR (`/usr/bin/firefox-esr`).
    Firefox,
}

impl Browser {
    fn name(self) -> &'static str {
        match self {
            Self::Chromium => "chromium",
            Self::Firefox => "firefox",
        }
    }
}

/// The arguments `demo/run.mjs` gets for these options.
fn run_mjs_args(args: &DemoArgs) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec!["--browser".into(), args.browser.name().into()];
    if args.headless {
        out.push("--headless".into());
    }
    if let Some(dir) = &args.screenshots {
        out.push("--screenshots".into());
        out.push(dir.into());
    }
    out.extend(args.browser_args.iter().map(OsString::from));
    out
}

/// `credwell demo`: runs the browser demo `demo/run.mjs` (the tutorial's pages and a sign-in site
/// in Chromium or Firefox with the extension; headless without a display) with Node, pointing it
/// at the `credwell-host` next to this executable (and, for Firefox, at this `credwell`, whose
/// `install --firefox-home` registers the host). Returns the demo's exit status.
pub(crate) fn run_browser(args: &DemoArgs) -> Result<std::process::ExitStatus> {
    let exe = std::env::current_exe().context("cannot locate the credwell executable")?;
    let script = exe
        .ancestors()
        .skip(1)
        .map(|d| d.join("demo").join("run.mjs"))
        .find(|p| p.is_file())
        .context(
            "cannot find demo/run.mjs next to this build; run ./scripts/demo.sh from the source \
             tree",
        )?;
    let host = exe.with_file_name("credwell-host");
    if !host.is_file() {
        bail!(
            "{} does not exist; build it with `cargo build --release -p credwell-host`",
            host.display()
        );
    }
    std::process::Command::new("node")
        .arg(&script)
        .args(run_mjs_args(args))
        .env("CREDWELL_HOST_BIN", &host)
        .env("CREDWELL_BIN", &exe)
        .status()
        .context("cannot run node (the browser demo needs Node.js)")
}

/// Runs the demonstration, writing a transcript to `out`. Fails if the engine does not behave as
/// the spec says at any step.
pub(crate) fn run(args: &DemoArgs, out: &mut impl Write) -> Result<()> {
    if !args.engine {
        let status = run_browser(args)?;
        if !status.success() {
            bail!("the browser demo failed ({status})");
        }
        return Ok(());
    }
    let origin = Origin::parse(&args.origin).context("--origin must be an absolute URL")?;
    // The user will answer the one save prompt with "Save".
    let mediator = ScriptedMediator::new([Scripted::Save(SaveDecision::Save)]);
    let engine = Engine::new(MemoryStore::new(), mediator, ManualClock::new(0));
    let mut next_request = 0;
    let mut caller = || {
        next_request += 1;
        Caller::new(origin.clone(), ClientId(1), RequestId(next_request))
    };
    writeln!(
        out,
        "credwell demo on {origin} (in-memory store, scripted user)\n"
    )?;

    let tutorial = json!({"username": "alice", "password": "correct horse"});
    step(
        out,
        "navigator.credentials.store({username, password})  // the tutorial's plain object",
    )?;
    let result = futures::executor::block_on(engine.store(&caller(), &tutorial));
    let rejection = match result {
        Ok(()) => bail!("store() accepted a plain object"),
        Err(e) => Rejection::from(e),
    };
    outcome(out, &format!("rejected: {rejection}"))?;

    let credential =
        json!({"type": "password", "id": "alice", "password": "correct horse", "name": "Alice"});
    step(
        out,
        "navigator.credentials.store(\
         new PasswordCredential({id: 'alice', password, name: 'Alice'}))",
    )?;
    futures::executor::block_on(engine.store(&caller(), &credential))
        .map_err(Rejection::from)
        .context("store() failed")?;
    outcome(
        out,
        "resolved undefined; the user was asked \"Save this sign-in?\" and chose Save",
    )?;

    let silent = json!({"password": true, "mediation": "silent"});
    step(
        out,
        "navigator.credentials.get({password: true, mediation: 'silent'})",
    )?;
    let got = get(&engine, &caller(), &silent)?;
    match &got {
        Value::Object(c) if c.get("id") == Some(&json!("alice")) => {
            outcome(
                out,
                &format!(
                    "resolved PasswordCredential {{id: {}, name: {}, password: <{} chars>}}",
                    c["id"],
                    c["name"],
                    c["password"].as_str().map_or(0, str::len)
                ),
            )?;
        }
        other => bail!("silent get() should have returned alice's credential, got {other}"),
    }

    step(
        out,
        "navigator.credentials.preventSilentAccess()  // the user signs out",
    )?;
    futures::executor::block_on(engine.prevent_silent_access(&caller()))
        .map_err(Rejection::from)
        .context("preventSilentAccess() failed")?;
    outcome(out, "resolved undefined")?;

    step(
        out,
        "navigator.credentials.get({password: true, mediation: 'silent'})",
    )?;
    let got = get(&engine, &caller(), &silent)?;
    if !got.is_null() {
        bail!("silent get() after preventSilentAccess() should resolve null, got {got}");
    }
    outcome(out, "resolved null: signing back in now needs the user")?;

    writeln!(out, "What the user saw, in order:")?;
    for question in engine.mediator().asked() {
        let line = match question {
            Asked::Save(p) => format!("save prompt for {} on {}", p.id, p.origin),
            Asked::Update(p) => format!("update prompt for {} on {}", p.id, p.origin),
            Asked::Chooser(r) => format!("account chooser with {} account(s)", r.accounts.len()),
            Asked::AutoSignIn(a) => format!("\"Signing in as {}\" notice", a.id),
            Asked::CrossOrigin(a) => format!("second confirmation for {} of {}", a.id, a.origin),
        };
        writeln!(out, "  - {line}")?;
    }
    Ok(())
}

fn get(
    engine: &Engine<MemoryStore, ScriptedMediator, ManualClock>,
    caller: &Caller,
    options: &Value,
) -> Result<Value> {
    let got = futures::executor::block_on(engine.get(caller, options, None))
        .map_err(Rejection::from)
        .context("get() failed")?;
    Ok(got.map_or(Value::Null, |c| c.to_page_json()))
}

fn step(out: &mut impl Write, text: &str) -> Result<()> {
    writeln!(out, "> {text}")?;
    Ok(())
}

fn outcome(out: &mut impl Write, text: &str) -> Result<()> {
    writeln!(out, "  {text}\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_runs_and_shows_every_step() {
        let mut out = Vec::new();
        run(
            &DemoArgs {
                origin: "https://demo.credwell.test".into(),
                engine: true,
                browser: Browser::Chromium,
                headless: false,
                screenshots: None,
                browser_args: Vec::new(),
            },
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("TypeError"), "{text}");
        assert!(text.contains("PasswordCredential {id: \"alice\""), "{text}");
        assert!(text.contains("resolved null"), "{text}");
        assert!(
            !text.contains("correct horse"),
            "the demo must not print the password"
        );
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        demo: DemoArgs,
    }

    fn parse(args: &[&str]) -> Result<DemoArgs, clap::Error> {
        use clap::Parser as _;
        Cli::try_parse_from(std::iter::once("demo").chain(args.iter().copied())).map(|c| c.demo)
    }

    #[test]
    fn browser_options_reach_run_mjs() {
        let args = parse(&[]).unwrap();
        assert_eq!(run_mjs_args(&args), ["--browser", "chromium"]);
        let args = parse(&[
            "--browser",
            "firefox",
            "--headless",
            "--screenshots",
            "shots",
            "--",
            "--port",
            "8000",
        ])
        .unwrap();
        assert_eq!(
            run_mjs_args(&args),
            [
                "--browser",
                "firefox",
                "--headless",
                "--screenshots",
                "shots",
                "--port",
                "8000"
            ]
        );
        assert!(parse(&["--browser", "safari"]).is_err());
        assert!(parse(&["--engine", "--browser", "firefox"]).is_err());
        assert!(parse(&["--engine"]).unwrap().engine);
    }

    #[test]
    fn demo_rejects_a_bad_origin() {
        let err = run(
            &DemoArgs {
                origin: "not a url".into(),
                engine: true,
                browser: Browser::Chromium,
                headless: false,
                screenshots: None,
                browser_args: Vec::new(),
            },
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("--origin"));
    }
}
