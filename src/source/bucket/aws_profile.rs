//! AWS shared configuration (`~/.aws/credentials`, `~/.aws/config`,
//! `AWS_PROFILE`, `credential_process`), which object_store does not read.
//! Credentials are fetched once per run; a `credential_process` is not
//! re-run when its credentials expire mid-scan.

use std::collections::HashMap;
use std::path::PathBuf;

/// Static credentials for one run.
pub struct Credentials {
    pub key_id: String,
    pub secret: String,
    pub token: Option<String>,
}

type Sections = HashMap<String, HashMap<String, String>>;

fn parse_ini(text: &str, config: bool) -> Sections {
    let mut out = Sections::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim();
            // In `config`, profiles other than default are `[profile NAME]`.
            let name = if config {
                name.strip_prefix("profile ").map_or(name, str::trim)
            } else {
                name
            };
            current = Some(name.to_string());
            continue;
        }
        if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

fn home_file(var: &str, name: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws").join(name)))
}

fn load(var: &str, name: &str, config: bool) -> (Option<PathBuf>, Sections) {
    let path = home_file(var, name);
    let sections = path
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| parse_ini(&t, config))
        .unwrap_or_default();
    (path, sections)
}

fn profile() -> (String, bool) {
    match std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()) {
        Some(p) => (p, true),
        None => ("default".into(), false),
    }
}

/// The profile's region from `~/.aws/config`.
pub fn region() -> Option<String> {
    let (_, config) = load("AWS_CONFIG_FILE", "config", true);
    config.get(&profile().0)?.get("region").cloned()
}

/// The profile's credentials: `Ok(None)` when no shared file names any.
pub fn credentials() -> Result<Option<Credentials>, String> {
    let (name, explicit) = profile();
    let (cred_path, creds) = load("AWS_SHARED_CREDENTIALS_FILE", "credentials", false);
    let (config_path, config) = load("AWS_CONFIG_FILE", "config", true);
    for section in [creds.get(&name), config.get(&name)].into_iter().flatten() {
        if let (Some(id), Some(secret)) = (
            section.get("aws_access_key_id"),
            section.get("aws_secret_access_key"),
        ) {
            return Ok(Some(Credentials {
                key_id: id.clone(),
                secret: secret.clone(),
                token: section.get("aws_session_token").cloned(),
            }));
        }
        if let Some(command) = section.get("credential_process") {
            return credential_process(&name, command).map(Some);
        }
    }
    if explicit && !creds.contains_key(&name) && !config.contains_key(&name) {
        let shown =
            |p: Option<PathBuf>| p.map_or_else(|| "(unset)".into(), |p| p.display().to_string());
        return Err(format!(
            "AWS_PROFILE {name}: no such profile in {} or {}",
            shown(cred_path),
            shown(config_path)
        ));
    }
    Ok(None)
}

/// Runs a `credential_process` and reads its JSON (Version 1).
fn credential_process(profile: &str, command: &str) -> Result<Credentials, String> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("AWS_PROFILE {profile}: credential_process could not start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "AWS_PROFILE {profile}: credential_process failed ({})",
            out.status
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!("AWS_PROFILE {profile}: credential_process printed no JSON credentials ({e})")
    })?;
    let field = |k: &str| v[k].as_str().map(str::to_string);
    match (field("AccessKeyId"), field("SecretAccessKey")) {
        (Some(key_id), Some(secret)) => Ok(Credentials {
            key_id,
            secret,
            token: field("SessionToken"),
        }),
        _ => Err(format!(
            "AWS_PROFILE {profile}: credential_process JSON lacks AccessKeyId/SecretAccessKey"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_profiles_drop_their_prefix() {
        let s = parse_ini(
            "[default]\nregion = eu-west-1\n[profile audit]\ncredential_process = x\n",
            true,
        );
        assert_eq!(s["default"]["region"], "eu-west-1");
        assert_eq!(s["audit"]["credential_process"], "x");
    }

    #[test]
    fn credential_process_json_is_read() {
        let c = credential_process(
            "t",
            r#"printf '{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK","SessionToken":"T"}'"#,
        )
        .unwrap();
        assert_eq!((c.key_id.as_str(), c.token.as_deref()), ("AK", Some("T")));
        match credential_process("t", "exit 3") {
            Err(e) => assert!(e.contains("failed"), "{e}"),
            Ok(_) => panic!("a failing credential_process must be an error"),
        }
    }
}
