//! `credwell vault init|info|passwd|backup|check`, and opening the vault for the other commands.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use credwell_vault::{KdfParams, Vault};
use serde_json::json;

use crate::backend::{existing_vault, unlock};
use crate::global::Global;
use crate::output::{print_json, progress};
use crate::{secrets, strength};

/// `credwell vault ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum VaultCommand {
    /// Creates a new vault (asks for the passphrase twice, or reads CREDWELL_PASSPHRASE_FILE).
    Init {
        /// For test suites only (also `CREDWELL_DANGER_INSECURE_KDF=1`, as for `credwell-host`):
        /// derive the key with Argon2 parameters so small that the vault is only as strong as its
        /// passphrase against offline guessing. Refused by builds without the test-only key
        /// derivation (every release build).
        #[arg(long, hide = true)]
        danger_insecure_test_kdf: bool,
    },
    /// Shows the vault's location, record counts and key-derivation parameters.
    Info,
    /// Changes the vault passphrase and replaces the vault key: every record and lookup index is
    /// re-encrypted under a new key, in one transaction (a crash leaves the old vault or the new).
    Passwd {
        /// Read the new passphrase from this file (trailing newline stripped) instead of asking
        /// twice.
        #[arg(long, env = "CREDWELL_NEW_PASSPHRASE_FILE", value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// Only re-wrap the existing vault key under the new passphrase (fast, records
        /// untouched). Leaves exposed: anyone with a copy of the vault from before the change
        /// and the old passphrase can unwrap the key and read everything written later.
        #[arg(long)]
        keep_key: bool,
    },
    /// Writes a consistent copy of the vault (still encrypted) to PATH.
    Backup {
        /// Where to write the copy (must not exist).
        path: PathBuf,
    },
    /// Decrypts and verifies every record and the vault's integrity check; exits non-zero if
    /// anything is damaged.
    Check,
}

/// Runs a `credwell vault` command.
pub(crate) fn run(
    global: &Global,
    command: VaultCommand,
    out: &mut impl Write,
) -> Result<ExitCode> {
    match command {
        VaultCommand::Init {
            danger_insecure_test_kdf,
        } => {
            init(global, danger_insecure_test_kdf, out)?;
        }
        VaultCommand::Info => info(global, out)?,
        VaultCommand::Passwd {
            new_passphrase_file,
            keep_key,
        } => passwd(global, new_passphrase_file.as_deref(), keep_key, out)?,
        VaultCommand::Backup { path } => backup(global, &path, out)?,
        VaultCommand::Check => return check(global, out),
    }
    Ok(ExitCode::SUCCESS)
}

fn init(global: &Global, insecure_test_kdf: bool, out: &mut impl Write) -> Result<()> {
    let path = global.vault_path()?;
    if path.exists() {
        bail!(
            "a vault already exists at {}; refusing to overwrite it",
            path.display()
        );
    }
    // Refused before any prompt in a build without the test-only parameters.
    let kdf = KdfParams::for_new_vault(insecure_test_kdf)?;
    let from_env = std::env::var_os(secrets::PASSPHRASE_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let passphrase = secrets::new_passphrase(
        from_env.as_deref(),
        secrets::PASSPHRASE_FILE_ENV,
        "New vault passphrase",
    )?;
    warn_if_weak(&passphrase);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        credwell_vault::owner_only::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    let vault = Vault::create(&path, passphrase.as_bytes(), kdf)
        .with_context(|| format!("cannot create a vault at {}", path.display()))?;
    drop(vault);
    if global.json {
        return print_json(
            out,
            &json!({"path": path.display().to_string(), "created": true}),
        );
    }
    writeln!(out, "Created a vault at {}.", path.display())?;
    Ok(())
}

/// Says on stderr what makes a new vault passphrase weak (a warning: the vault is made anyway).
fn warn_if_weak(passphrase: &str) {
    if let Some(warning) = strength::weak_passphrase_warning(passphrase) {
        eprintln!("{warning}");
    }
}

fn info(global: &Global, out: &mut impl Write) -> Result<()> {
    let path = existing_vault(global)?;
    let vault = unlock(&path)?;
    let info = vault.info()?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if global.json {
        return print_json(
            out,
            &json!({
                "path": info.path.display().to_string(),
                "sizeBytes": size,
                "vaultId": info.vault_id,
                "formatVersion": info.format_version,
                "schemaVersion": info.schema_version,
                "generation": info.generation,
                "records": info.passwords + info.federated,
                "passwords": info.passwords,
                "federated": info.federated,
                "originsWithFlags": info.origins_with_flags,
                "passkeys": info.passkeys,
                "kdf": {
                    "algorithm": "argon2id",
                    "memoryKib": info.kdf.m_cost_kib,
                    "iterations": info.kdf.t_cost,
                    "parallelism": info.kdf.p_cost,
                },
            }),
        );
    }
    writeln!(out, "Vault:       {}", info.path.display())?;
    writeln!(out, "Size:        {size} bytes")?;
    writeln!(out, "Vault id:    {}", info.vault_id)?;
    writeln!(
        out,
        "Format:      {} (schema {})",
        info.format_version, info.schema_version
    )?;
    writeln!(out, "Generation:  {} (writes so far)", info.generation)?;
    writeln!(
        out,
        "Credentials: {} ({} password, {} federated)",
        info.passwords + info.federated,
        info.passwords,
        info.federated
    )?;
    writeln!(out, "Passkeys: {}", info.passkeys)?;
    writeln!(out, "Origins with flags: {}", info.origins_with_flags)?;
    writeln!(
        out,
        "Key derivation: Argon2id, {} KiB, {} iterations, {} lane(s)",
        info.kdf.m_cost_kib, info.kdf.t_cost, info.kdf.p_cost
    )?;
    if info.kdf.is_test_only() {
        writeln!(
            out,
            "Warning: this vault uses the insecure key derivation for tests."
        )?;
    }
    Ok(())
}

fn passwd(
    global: &Global,
    new_file: Option<&Path>,
    keep_key: bool,
    out: &mut impl Write,
) -> Result<()> {
    // Refused before the vault's passphrase is read, which would take stdin from the new one.
    let from_env = secrets::passphrase_file_from_env();
    crate::input::one_stdin_reader(&[
        (
            secrets::PASSPHRASE_FILE_ENV,
            from_env.as_deref().is_some_and(crate::input::is_stdin),
        ),
        (
            "--new-passphrase-file",
            new_file.is_some_and(crate::input::is_stdin),
        ),
    ])?;
    let path = existing_vault(global)?;
    let mut vault = unlock(&path)?;
    let new = secrets::new_passphrase(new_file, "--new-passphrase-file", "New vault passphrase")?;
    warn_if_weak(&new);
    // Keep the vault's key-derivation cost (a test vault stays cheap, a real one stays strong).
    let kdf = vault.info()?.kdf;
    if keep_key {
        vault
            .change_passphrase(new.as_bytes(), kdf)
            .context("cannot change the passphrase")?;
        eprintln!(
            "warning: the vault key was kept (--keep-key): anyone with a copy of this vault from \
             before the change (a backup, a synced copy) and the old passphrase can still unwrap \
             the key and read everything written later; run `credwell vault passwd` without \
             --keep-key to replace the key"
        );
        if global.json {
            return print_json(
                out,
                &json!({"path": path.display().to_string(), "changed": true, "keyRotated": false}),
            );
        }
        writeln!(
            out,
            "Changed the passphrase of {} (vault key kept, records untouched).",
            path.display()
        )?;
        return Ok(());
    }
    let bar = progress(0, "Re-encrypting");
    let rotation = vault
        .rotate_key(new.as_bytes(), kdf, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .context("cannot change the passphrase; the vault is unchanged")?;
    bar.finish_and_clear();
    if global.json {
        return print_json(
            out,
            &json!({
                "path": path.display().to_string(),
                "changed": true,
                "keyRotated": true,
                "records": rotation.records,
                "generation": rotation.generation,
            }),
        );
    }
    writeln!(
        out,
        "Changed the passphrase of {} and replaced its vault key: re-encrypted {} record(s) and \
         their lookup indexes under the new key, in one transaction (generation {}).",
        path.display(),
        rotation.records,
        rotation.generation
    )?;
    writeln!(
        out,
        "Copies made before (backups, synced copies) still open with the old passphrase and \
         hold what they held; nothing written from now on can be read with the old key."
    )?;
    Ok(())
}

fn backup(global: &Global, to: &Path, out: &mut impl Write) -> Result<()> {
    let path = existing_vault(global)?;
    if to.exists() {
        bail!("{} exists; choose a new file for the backup", to.display());
    }
    let vault = unlock(&path)?;
    vault
        .backup(to)
        .with_context(|| format!("cannot write the backup {}", to.display()))?;
    if global.json {
        return print_json(out, &json!({"backup": to.display().to_string()}));
    }
    writeln!(
        out,
        "Backed up {} to {} (encrypted with the same passphrase).",
        path.display(),
        to.display()
    )?;
    Ok(())
}

fn check(global: &Global, out: &mut impl Write) -> Result<ExitCode> {
    let path = existing_vault(global)?;
    let vault = unlock(&path)?;
    let bar = progress(0, "Checking");
    let report = vault.check(&mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    let clean = report.is_clean();
    if global.json {
        print_json(
            out,
            &json!({
                "path": path.display().to_string(),
                "ok": report.ok,
                "bad": report.tampered,
                "integrityOk": report.integrity_ok,
                "clean": clean,
            }),
        )?;
    } else {
        writeln!(out, "{} records verified.", report.ok)?;
        for id in &report.tampered {
            writeln!(
                out,
                "Record {id}: DAMAGED (fails to decrypt or verify: tampered with or corrupted)."
            )?;
        }
        if !report.integrity_ok {
            writeln!(
                out,
                "Integrity check: FAILED (records were removed, added or rolled back outside \
                 credwell): restore the whole vault from a backup made with \
                 `credwell vault backup`."
            )?;
        }
    }
    if clean {
        if !global.json {
            writeln!(out, "The vault is intact.")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    out.flush()?;
    eprintln!(
        "error: {} is damaged: {} bad record(s){}",
        path.display(),
        report.tampered.len(),
        if report.integrity_ok {
            ""
        } else {
            " and a failed integrity check"
        }
    );
    Ok(ExitCode::FAILURE)
}
