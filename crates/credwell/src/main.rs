//! `credwell`: the command line of the credwell credential manager.
//!
//! Commands: `demo`, `vault init|info|passwd|backup|check`, `list`, `show`, `add`, `edit`, `rm`,
//! `generate`, `get`, `search`, `totp`, `unlock`, `lock`,
//! `import`, `export`, `sync serve|login|passphrase|invite|now|status|devices|revoke|logout` and
//! `completions`. Every command has `--help`; `--json` gives
//! machine-readable output; errors go to stderr as one sentence and the exit code is non-zero.

// A command line's job is to print to stdout: command output goes through `println!`/`writeln!`
// on stdout on purpose, everything else (prompts, warnings, progress) on stderr.
#![allow(clippy::print_stdout)]

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use global::Global;

mod agent;
mod backend;
mod clipboard;
mod damaged;
mod demo;
mod edit_extras;
mod entries;
mod find;
mod generate;
mod global;
mod holder;
mod input;
mod install;
mod listing;
mod output;
mod secrets;
mod strength;
mod sync_cmd;
mod totp;
mod transfer;
mod vault_cmd;

/// credwell: the W3C Credential Management API (`navigator.credentials`), in Rust.
#[derive(Debug, Parser)]
#[command(name = "credwell", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: Global,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the browser demo (the tutorial's pages and a sign-in site in Chromium, or Firefox with
    /// --browser firefox, with the extension; headless without a display), or with --engine a
    /// scripted demonstration of the
    /// engine alone: store a credential, get it back silently, preventSilentAccess(), get() null.
    Demo(demo::DemoArgs),
    /// Creates, inspects, re-keys, backs up and verifies the encrypted vault.
    #[command(subcommand)]
    Vault(vault_cmd::VaultCommand),
    /// Lists the stored credentials (never their passwords).
    List(listing::ListArgs),
    /// Shows one credential or passkey (by ID or query); the password only with --reveal.
    Show(find::ShowArgs),
    /// Prints only a credential's password (or --field username, totp or note), found by ID or
    /// query.
    Get(find::GetArgs),
    /// Lists the credentials whose origin, username, name, folder or custom field name contains
    /// TEXT (any case).
    Search(find::SearchArgs),
    /// Adds a credential.
    #[command(subcommand)]
    Add(entries::AddCommand),
    /// Changes a credential's username, password, name or icon, its note, TOTP secret, custom
    /// fields, folder or favourite mark.
    Edit(entries::EditArgs),
    /// Prints a new random password (or with --words a diceware passphrase) from the
    /// operating system's random generator; every requested character class is present.
    Generate(generate::GenerateArgs),
    /// Prints the current one-time code (TOTP, RFC 6238) of the TOTP secret stored with a
    /// credential (by ID or query), or of a secret in a file (--secret-file): an
    /// otpauth://totp/ URI or a base32 secret.
    Totp(totp::TotpArgs),
    /// Keeps the vault unlocked in an agent process for a while (--timeout, default 15 min
    /// without use), so that get, search, list, show, totp, add, edit, rm and import do not ask
    /// for the passphrase.
    Unlock(agent::UnlockArgs),
    /// Ends the vault's agent: it forgets the key.
    Lock,
    /// The agent itself (started by `credwell unlock`).
    #[command(hide = true)]
    Agent(agent::ServeArgs),
    /// Holds a secret on the clipboard for a while (started by `--clipboard`).
    #[command(hide = true)]
    ClipboardHold(clipboard::HoldArgs),
    /// Removes a credential.
    #[command(name = "rm", visible_alias = "remove")]
    Rm(entries::RmArgs),
    /// Imports logins from another password manager's export, as one transaction.
    Import(transfer::ImportArgs),
    /// Exports the password credentials for another password manager (passwords in clear).
    Export(transfer::ExportArgs),
    /// Registers the native-messaging host with Chromium, Google Chrome and Firefox (or one
    /// profile) and says how to load the extension.
    Install(install::InstallArgs),
    /// Removes what `credwell install` registered.
    Uninstall(install::InstallArgs),
    /// Syncs this vault with a credwell sync server, or runs one.
    #[command(subcommand)]
    Sync(sync_cmd::SyncCommand),
    /// Prints a shell completion script (e.g. `credwell completions bash >
    /// ~/.local/share/bash-completion/completions/credwell`).
    Completions(CompletionsArgs),
}

/// Options of `credwell completions`.
#[derive(Debug, clap::Args)]
struct CompletionsArgs {
    /// The shell to complete for.
    shell: clap_complete::Shell,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            // One sentence: the context chain, outermost first.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Demo(args) => demo::run(&args, &mut stdout)?,
        Command::Vault(command) => return vault_cmd::run(&global, command, &mut stdout),
        Command::List(args) => listing::list(&global, &args, &mut stdout)?,
        Command::Show(args) => find::show(&global, &args, &mut stdout)?,
        Command::Get(args) => find::get(&global, &args, &mut stdout)?,
        Command::Search(args) => find::search(&global, &args, &mut stdout)?,
        Command::Add(command) => entries::add(&global, command, &mut stdout)?,
        Command::Edit(args) => entries::edit(&global, &args, &mut stdout)?,
        Command::Generate(args) => generate::run(&global, &args, &mut stdout)?,
        Command::Totp(args) => totp::run(&global, &args, &mut stdout)?,
        Command::Rm(args) => entries::rm(&global, &args, &mut stdout)?,
        Command::Unlock(args) => agent::unlock(&global, &args, &mut stdout)?,
        Command::Lock => agent::lock(&global, &mut stdout)?,
        Command::Agent(args) => return agent::serve(&global, &args),
        Command::ClipboardHold(args) => return clipboard::hold(&args),
        Command::Import(args) => transfer::import(&global, &args, &mut stdout)?,
        Command::Export(args) => transfer::export(&global, &args, &mut stdout)?,
        Command::Install(args) => install::install(&global, &args, &mut stdout)?,
        Command::Uninstall(args) => install::remove(&global, &args, &mut stdout)?,
        Command::Sync(command) => sync_cmd::run(&global, command, &mut stdout)?,
        Command::Completions(args) => {
            clap_complete::generate(args.shell, &mut Cli::command(), "credwell", &mut stdout);
        }
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
